-- The pull list reads the lines still to fetch: a few hundred among every line ever asked for.
CREATE INDEX request_lines_to_fetch ON request_lines (request_id, line_no)
    WHERE status IN ('submitted', 'approved', 'in_retrieval') AND servable = 'original';
