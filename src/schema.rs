// @generated automatically by Diesel CLI.

diesel::table! {
    api_keys (id) {
        id -> Int8,
        name -> Text,
        role -> Text,
        prefix -> Text,
        key_hash -> Bytea,
        created_at -> Timestamptz,
        created_by -> Nullable<Int8>,
        revoked_at -> Nullable<Timestamptz>,
        revoked_by -> Nullable<Int8>,
    }
}

diesel::table! {
    audit_findings (audit_id, barcode) {
        audit_id -> Int8,
        barcode -> Text,
        outcome -> Text,
        box_id -> Nullable<Int8>,
        recorded_location_id -> Nullable<Int8>,
    }
}

diesel::table! {
    audits (id) {
        id -> Int8,
        location_id -> Int8,
        duplicates -> Array<Nullable<Text>>,
        created_at -> Timestamptz,
        created_by -> Int8,
        reconciled_at -> Nullable<Timestamptz>,
        reconciled_by -> Nullable<Int8>,
    }
}

diesel::table! {
    boxes (id) {
        id -> Int8,
        barcode -> Text,
        label -> Nullable<Text>,
        fonds_code -> Nullable<Text>,
        container_type -> Text,
        width_mm -> Int4,
        home_location_id -> Int8,
        current_location_id -> Int8,
        position -> Nullable<Int4>,
        missing -> Bool,
        notes -> Nullable<Text>,
        search_key -> Nullable<Text>,
        version -> Int4,
        created_at -> Timestamptz,
        created_by -> Int8,
        updated_at -> Timestamptz,
        updated_by -> Int8,
    }
}

diesel::table! {
    locations (id) {
        id -> Int8,
        parent_id -> Nullable<Int8>,
        kind -> Text,
        code -> Text,
        name -> Nullable<Text>,
        path_code -> Text,
        ancestor_ids -> Array<Nullable<Int8>>,
        capacity_mm -> Nullable<Int4>,
        purpose -> Nullable<Text>,
        notes -> Nullable<Text>,
        search_key -> Nullable<Text>,
        version -> Int4,
        created_at -> Timestamptz,
        created_by -> Int8,
        updated_at -> Timestamptz,
        updated_by -> Int8,
        used_mm -> Int4,
        box_count -> Int4,
        path -> Jsonb,
    }
}

diesel::table! {
    movements (id) {
        id -> Int8,
        box_id -> Int8,
        from_location_id -> Nullable<Int8>,
        to_location_id -> Int8,
        reason -> Text,
        note -> Nullable<Text>,
        position -> Nullable<Int4>,
        audit_id -> Nullable<Int8>,
        moved_at -> Timestamptz,
        moved_by -> Int8,
    }
}

diesel::joinable!(audit_findings -> audits (audit_id));
diesel::joinable!(audit_findings -> boxes (box_id));
diesel::joinable!(audit_findings -> locations (recorded_location_id));
diesel::joinable!(audits -> locations (location_id));
diesel::joinable!(movements -> api_keys (moved_by));
diesel::joinable!(movements -> audits (audit_id));
diesel::joinable!(movements -> boxes (box_id));

diesel::allow_tables_to_appear_in_same_query!(api_keys, audit_findings, audits, boxes, locations, movements,);
