ALTER TABLE boxes DROP CONSTRAINT boxes_one_per_position;
DROP FUNCTION pk_place_boxes();
DROP TRIGGER boxes_space_shelf ON boxes;
DROP FUNCTION pk_box_space_shelf();
ALTER TABLE boxes DROP COLUMN space_shelf_id;
