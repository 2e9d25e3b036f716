DROP INDEX movements_moved_at;
