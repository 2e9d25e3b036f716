DROP INDEX request_lines_to_fetch;
