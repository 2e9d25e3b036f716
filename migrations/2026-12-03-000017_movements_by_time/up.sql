-- The movements of a period across boxes (GET /api/v1/moves?from=&to=) without reading them all.
CREATE INDEX movements_moved_at ON movements (moved_at);
