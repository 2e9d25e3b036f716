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
    }
}

diesel::allow_tables_to_appear_in_same_query!(api_keys, locations,);
