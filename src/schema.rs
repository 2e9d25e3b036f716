// @generated automatically by Diesel CLI.

pub mod sql_types {
    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "tsvector", schema = "pg_catalog"))]
    pub struct Tsvector;
}

diesel::table! {
    activity_days (day, fonds_id, numbering, figure, item) {
        day -> Date,
        fonds_id -> Int8,
        numbering -> Text,
        figure -> Text,
        item -> Text,
        units -> Int8,
    }
}

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
        person -> Bool,
    }
}

diesel::table! {
    assessments (id) {
        id -> Int8,
        file_id -> Int8,
        pages -> Int4multirange,
        page_count -> Int4,
        grade -> Int2,
        damages -> Jsonb,
        ph -> Nullable<Float8>,
        extent_pct -> Nullable<Float8>,
        recommended_treatments -> Array<Nullable<Text>>,
        notes -> Nullable<Text>,
        assessed_at -> Timestamptz,
        supersedes_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        created_by -> Int8,
    }
}

diesel::table! {
    assessment_withdrawals (assessment_id) {
        assessment_id -> Int8,
        reason -> Text,
        withdrawn_at -> Timestamptz,
        withdrawn_by -> Int8,
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
    use diesel::sql_types::*;
    use super::sql_types::Tsvector;

    boxes (id) {
        id -> Int8,
        barcode -> Text,
        label -> Nullable<Text>,
        container_type -> Text,
        width_mm -> Int4,
        home_location_id -> Int8,
        current_location_id -> Int8,
        position -> Nullable<Int4>,
        missing -> Bool,
        notes -> Nullable<Text>,
        version -> Int4,
        created_at -> Timestamptz,
        created_by -> Int8,
        updated_at -> Timestamptz,
        updated_by -> Int8,
        fonds_id -> Nullable<Int8>,
        search_key -> Nullable<Text>,
        search_words -> Nullable<Tsvector>,
        holds_space -> Bool,
        lost_at -> Nullable<Timestamptz>,
        space_shelf_id -> Nullable<Int8>,
    }
}

diesel::table! {
    closures (id) {
        id -> Int8,
        first_day -> Date,
        last_day -> Date,
        part -> Text,
        name -> Text,
        created_at -> Timestamptz,
        created_by -> Int8,
    }
}

diesel::table! {
    events (tx, position) {
        tx -> Int8,
        position -> Int8,
        id -> Uuid,
        #[sql_name = "type"]
        type_ -> Text,
        subject -> Text,
        occurred_at -> Timestamptz,
        actor -> Nullable<Int8>,
        data -> Jsonb,
        before -> Nullable<Jsonb>,
        internal -> Bool,
        data_schema -> Int2,
    }
}

diesel::table! {
    feed (one) {
        id -> Uuid,
        one -> Bool,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Tsvector;

    files (id) {
        id -> Int8,
        fonds_id -> Int8,
        inventory_no -> Int4,
        file_no -> Int4,
        archive_code -> Nullable<Text>,
        title -> Text,
        date_from -> Nullable<Date>,
        date_to -> Nullable<Date>,
        page_count -> Int4,
        numbering -> Text,
        box_id -> Nullable<Int8>,
        access -> Text,
        notes -> Nullable<Text>,
        version -> Int4,
        created_at -> Timestamptz,
        created_by -> Int8,
        updated_at -> Timestamptz,
        updated_by -> Int8,
        search_key -> Nullable<Text>,
        search_words -> Nullable<Tsvector>,
        digital_copy -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Tsvector;

    fonds (id) {
        id -> Int8,
        code -> Text,
        name -> Text,
        creator -> Nullable<Text>,
        year_from -> Nullable<Int4>,
        year_to -> Nullable<Int4>,
        notes -> Nullable<Text>,
        version -> Int4,
        created_at -> Timestamptz,
        created_by -> Int8,
        updated_at -> Timestamptz,
        updated_by -> Int8,
        search_key -> Nullable<Text>,
        search_words -> Nullable<Tsvector>,
    }
}

diesel::table! {
    handovers (id) {
        id -> Int8,
        request_id -> Int8,
        line_no -> Int4,
        file_id -> Int8,
        reader_id -> Int8,
        issued_at -> Timestamptz,
        issued_by -> Int8,
        leaves_issued -> Int4,
        returned_at -> Nullable<Timestamptz>,
        returned_by -> Nullable<Int8>,
        leaves_returned -> Nullable<Int4>,
        kept -> Nullable<Bool>,
        remarks -> Nullable<Text>,
        copy -> Bool,
    }
}

diesel::table! {
    idempotency_keys (api_key_id, key) {
        api_key_id -> Int8,
        key -> Text,
        fingerprint -> Bytea,
        created_at -> Timestamptz,
        status -> Int2,
        headers -> Jsonb,
        body -> Bytea,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Tsvector;

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
        version -> Int4,
        created_at -> Timestamptz,
        created_by -> Int8,
        updated_at -> Timestamptz,
        updated_by -> Int8,
        used_mm -> Int4,
        box_count -> Int4,
        path -> Jsonb,
        search_key -> Nullable<Text>,
        search_words -> Nullable<Tsvector>,
        barcode -> Text,
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

diesel::table! {
    people (id) {
        id -> Int8,
        username -> Text,
        display_name -> Text,
        role -> Text,
        password_hash -> Text,
        language -> Text,
        actor_id -> Int8,
        disabled_at -> Nullable<Timestamptz>,
        version -> Int4,
        created_at -> Timestamptz,
        created_by -> Nullable<Int8>,
        updated_at -> Timestamptz,
        updated_by -> Nullable<Int8>,
        password_changed_at -> Timestamptz,
    }
}

diesel::table! {
    readers (id) {
        id -> Int8,
        reader_no -> Text,
        full_name -> Text,
        identity_type -> Text,
        identity_no -> Text,
        nationality -> Text,
        organisation -> Nullable<Text>,
        purpose -> Text,
        referral -> Nullable<Text>,
        topic -> Nullable<Text>,
        card_expires_on -> Nullable<Date>,
        suspended_at -> Nullable<Timestamptz>,
        suspended_why -> Nullable<Text>,
        version -> Int4,
        created_at -> Timestamptz,
        created_by -> Int8,
        updated_at -> Timestamptz,
        updated_by -> Int8,
        anonymised_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    reading_requests (id) {
        id -> Int8,
        reader_id -> Int8,
        kind -> Text,
        channel -> Text,
        purpose -> Nullable<Text>,
        status -> Text,
        received_at -> Timestamptz,
        due_at -> Timestamptz,
        version -> Int4,
        created_at -> Timestamptz,
        created_by -> Int8,
        updated_at -> Timestamptz,
        updated_by -> Int8,
        decided_at -> Nullable<Timestamptz>,
        decided_by -> Nullable<Int8>,
        decision_note -> Nullable<Text>,
        cancel_reason -> Nullable<Text>,
        delivered_at -> Nullable<Timestamptz>,
        copy_format -> Nullable<Text>,
        copy_pages -> Nullable<Int4>,
        fee -> Nullable<Int4>,
        copy_status -> Nullable<Text>,
    }
}

diesel::table! {
    reading_rules (one) {
        one -> Bool,
        files_at_once -> Int4,
        keep_days -> Int4,
        serve_grade_3 -> Bool,
        anonymise_after_days -> Int4,
        page_price_paper -> Int4,
        page_price_pdf -> Int4,
        certification_price -> Int4,
        version -> Int4,
        updated_at -> Timestamptz,
        updated_by -> Nullable<Int8>,
    }
}

diesel::table! {
    request_lines (request_id, line_no) {
        request_id -> Int8,
        line_no -> Int4,
        file_id -> Int8,
        pages -> Nullable<Text>,
        servable -> Text,
        reasons -> Array<Nullable<Text>>,
        status -> Text,
    }
}

diesel::table! {
    sessions (token_hash) {
        token_hash -> Bytea,
        person_id -> Int8,
        csrf_token -> Text,
        created_at -> Timestamptz,
        last_seen_at -> Timestamptz,
        ended_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    treatment_transitions (id) {
        id -> Int8,
        treatment_id -> Int8,
        from_status -> Nullable<Text>,
        to_status -> Text,
        note -> Nullable<Text>,
        at -> Timestamptz,
        by -> Int8,
    }
}

diesel::table! {
    treatments (id) {
        id -> Int8,
        file_id -> Int8,
        pages -> Int4multirange,
        page_count -> Int4,
        #[sql_name = "type"]
        type_ -> Text,
        method -> Text,
        materials -> Jsonb,
        conservators -> Array<Nullable<Text>>,
        reversible -> Nullable<Bool>,
        before_assessment_id -> Nullable<Int8>,
        after_assessment_id -> Nullable<Int8>,
        notes -> Nullable<Text>,
        status -> Text,
        approved_at -> Nullable<Timestamptz>,
        approved_by -> Nullable<Int8>,
        started_at -> Nullable<Timestamptz>,
        completed_at -> Nullable<Timestamptz>,
        cancelled_at -> Nullable<Timestamptz>,
        version -> Int4,
        created_at -> Timestamptz,
        created_by -> Int8,
        updated_at -> Timestamptz,
        updated_by -> Int8,
        priority -> Int2,
        due_date -> Nullable<Date>,
        hours -> Nullable<Float8>,
        conservator_hours -> Jsonb,
    }
}

diesel::table! {
    visits (id) {
        id -> Int8,
        reader_id -> Int8,
        location_id -> Int8,
        checked_in_at -> Timestamptz,
        checked_out_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        created_by -> Int8,
        updated_at -> Timestamptz,
        updated_by -> Int8,
    }
}

diesel::table! {
    vocabulary_terms (vocabulary, code) {
        vocabulary -> Text,
        code -> Text,
        label_vi -> Text,
        label_en -> Text,
        category -> Nullable<Text>,
        position -> Int4,
        retired_at -> Nullable<Timestamptz>,
        version -> Int4,
        created_at -> Timestamptz,
        created_by -> Nullable<Int8>,
        updated_at -> Timestamptz,
        updated_by -> Nullable<Int8>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Int8,
        webhook_id -> Int8,
        event_id -> Uuid,
        event_type -> Text,
        attempt -> Int4,
        at -> Timestamptz,
        status -> Nullable<Int2>,
        error -> Nullable<Text>,
        outcome -> Text,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Int8,
        url -> Text,
        types -> Array<Nullable<Text>>,
        description -> Nullable<Text>,
        secret -> Text,
        active -> Bool,
        cursor_tx -> Int8,
        cursor_position -> Int8,
        attempts -> Int4,
        failing_since -> Nullable<Timestamptz>,
        retry_at -> Nullable<Timestamptz>,
        leased_until -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        created_by -> Int8,
    }
}

diesel::joinable!(activity_days -> fonds (fonds_id));
diesel::joinable!(assessment_withdrawals -> assessments (assessment_id));
diesel::joinable!(assessments -> api_keys (created_by));
diesel::joinable!(assessments -> files (file_id));
diesel::joinable!(audit_findings -> audits (audit_id));
diesel::joinable!(audit_findings -> boxes (box_id));
diesel::joinable!(audit_findings -> locations (recorded_location_id));
diesel::joinable!(audits -> locations (location_id));
diesel::joinable!(boxes -> fonds (fonds_id));
diesel::joinable!(closures -> api_keys (created_by));
diesel::joinable!(files -> boxes (box_id));
diesel::joinable!(files -> fonds (fonds_id));
diesel::joinable!(handovers -> files (file_id));
diesel::joinable!(handovers -> readers (reader_id));
diesel::joinable!(movements -> api_keys (moved_by));
diesel::joinable!(movements -> audits (audit_id));
diesel::joinable!(movements -> boxes (box_id));
diesel::joinable!(reading_requests -> readers (reader_id));
diesel::joinable!(reading_rules -> api_keys (updated_by));
diesel::joinable!(request_lines -> files (file_id));
diesel::joinable!(request_lines -> reading_requests (request_id));
diesel::joinable!(sessions -> people (person_id));
diesel::joinable!(treatment_transitions -> api_keys (by));
diesel::joinable!(treatment_transitions -> treatments (treatment_id));
diesel::joinable!(treatments -> files (file_id));
diesel::joinable!(visits -> locations (location_id));
diesel::joinable!(visits -> readers (reader_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(webhooks -> api_keys (created_by));

diesel::allow_tables_to_appear_in_same_query!(
    activity_days,
    api_keys,
    assessment_withdrawals,
    assessments,
    audit_findings,
    audits,
    boxes,
    closures,
    events,
    feed,
    files,
    fonds,
    handovers,
    idempotency_keys,
    locations,
    movements,
    people,
    readers,
    reading_requests,
    reading_rules,
    request_lines,
    sessions,
    treatment_transitions,
    treatments,
    visits,
    vocabulary_terms,
    webhook_deliveries,
    webhooks,
);
