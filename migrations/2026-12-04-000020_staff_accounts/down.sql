ALTER TABLE people DROP COLUMN password_changed_at;
