DROP TABLE request_lines;
DROP TABLE reading_requests;
