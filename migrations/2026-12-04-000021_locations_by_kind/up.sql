-- The places of one kind in path order (the workspaces a move offers, the shelves of a list):
-- without it, PostgreSQL walks every location's path to find the few workspaces.
CREATE INDEX locations_kind ON locations (kind, path_code, id);
