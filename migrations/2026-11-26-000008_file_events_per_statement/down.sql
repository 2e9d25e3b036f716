DROP TRIGGER files_created ON files;
CREATE TRIGGER files_created AFTER INSERT ON files
    FOR EACH ROW EXECUTE FUNCTION pk_record_event('file.created', '/api/v1/files/', 'id');
DROP FUNCTION pk_record_added_events();
