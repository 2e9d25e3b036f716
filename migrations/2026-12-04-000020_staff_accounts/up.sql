-- When a person's password was last set, so that a reset shows in the audit trail (the hash
-- never leaves the database).
ALTER TABLE people ADD COLUMN password_changed_at timestamptz NOT NULL DEFAULT now();
UPDATE people SET password_changed_at = created_at;
