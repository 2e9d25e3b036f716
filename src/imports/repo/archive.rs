//! The whole archive as JSON lines, and back: `GET /api/v1/export` writes it from one snapshot,
//! `paperkeep restore` loads it into an empty database, every record with its id.
//!
//! What a restore keeps for the readers of the feed: the events in their order, each at its
//! position, and the feed's identity, so that a cursor given out before goes on; the webhooks,
//! each where it was in the feed. Their secrets travel sealed with the API key that made the
//! export (`keys::sealing`): without that key, a restore gives them new ones.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde_json::{Map, Value, json};

use crate::error::{Error, FieldError, Result};
use crate::keys::sealing::SealingKey;

/// The version of the export this code writes; a restore also reads version 1 (without the
/// feed's identity and the webhooks).
const VERSION: u64 = 2;

/// The tables of an export, in an order that restores: each after what it refers to.
pub const ARCHIVE: [(&str, &str); 25] = [
    ("api_keys", "id"),
    ("people", "id"),
    ("readers", "id"),
    ("closures", "id"),
    ("reading_rules", "one"),
    ("vocabulary_terms", "vocabulary, code"),
    ("locations", "cardinality(ancestor_ids), id"),
    ("fonds", "id"),
    ("boxes", "id"),
    ("files", "id"),
    ("audits", "id"),
    ("movements", "id"),
    ("audit_findings", "audit_id, barcode"),
    ("assessments", "id"),
    ("assessment_withdrawals", "assessment_id"),
    ("treatments", "id"),
    ("treatment_transitions", "id"),
    ("reading_requests", "id"),
    ("request_lines", "request_id, line_no"),
    ("visits", "id"),
    ("handovers", "id"),
    ("events", "tx, position"),
    ("feed", "one"),
    ("webhooks", "id"),
    ("webhook_deliveries", "id"),
];

/// Rows read per round trip while exporting.
const EXPORT_BATCH: i64 = 2_000;

/// What the secrets of an export are sealed with: a key derived from the API key that asked for
/// it (an admin's), which restoring takes to open them.
pub struct Sealer {
    pub key_id: i64,
    pub key: SealingKey,
}

impl Sealer {
    pub fn of(key_id: i64, api_key: &str) -> Self {
        Sealer { key_id, key: sealing_key(api_key) }
    }
}

fn sealing_key(api_key: &str) -> SealingKey {
    SealingKey::of(api_key, "paperkeep exported secrets")
}

/// What a webhook's sealed secret is bound to.
fn webhook_label(row: &Map<String, Value>) -> String {
    format!("webhook {}", row.get("id").and_then(Value::as_i64).unwrap_or_default())
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

/// Writes the whole archive as JSON lines to `send`, from one consistent snapshot: a header
/// line, one line `{"table", "row"}` per record (webhook secrets sealed), and a closing line
/// with the count of each table (so that a cut-off export is recognised). Stops early when
/// `send` says the reader has gone.
pub fn export(conn: &mut PgConnection, sealer: &Sealer, mut send: impl FnMut(Vec<u8>) -> bool) -> Result<()> {
    conn.build_transaction().read_only().repeatable_read().run(|conn| {
        // Above every transaction of the snapshot: what a restore puts the exported feed below.
        let top: i64 =
            diesel::select(diesel::dsl::sql::<BigInt>("pg_snapshot_xmax(pg_current_snapshot())::text::bigint"))
                .get_result(conn)?;
        let header = json!({"paperkeep_export": VERSION, "exported_at": chrono::Utc::now(), "feed_top": top,
                            "secrets_sealed_by": sealer.key_id});
        if !send(format!("{header}\n").into_bytes()) {
            return Ok(());
        }
        let mut counts = Map::new();
        for (table, order) in ARCHIVE {
            diesel::sql_query(format!(
                "DECLARE export NO SCROLL CURSOR FOR
                 SELECT json_build_object('table', '{table}', 'row', t)::text AS line FROM {table} t ORDER BY {order}"
            ))
            .execute(conn)?;
            let mut count = 0;
            loop {
                let lines: Vec<Line> = diesel::sql_query(format!("FETCH {EXPORT_BATCH} FROM export")).load(conn)?;
                if lines.is_empty() {
                    break;
                }
                count += lines.len();
                let mut chunk = Vec::new();
                for Line { line } in lines {
                    let line = if table == "webhooks" { seal_secret(&line, sealer) } else { line };
                    chunk.extend_from_slice(line.as_bytes());
                    chunk.push(b'\n');
                }
                if !send(chunk) {
                    return Ok(());
                }
            }
            diesel::sql_query("CLOSE export").execute(conn)?;
            counts.insert(table.into(), count.into());
        }
        send(format!("{}\n", json!({"end": true, "counts": counts})).into_bytes());
        Ok(())
    })
}

/// A webhook's line with its secret sealed (`sealed_secret`, base64) in place of the secret.
fn seal_secret(line: &str, sealer: &Sealer) -> String {
    let mut value: Value = serde_json::from_str(line).expect("PostgreSQL writes JSON");
    if let Some(row) = value.get_mut("row").and_then(Value::as_object_mut) {
        let secret = row.remove("secret").and_then(|s| s.as_str().map(String::from)).unwrap_or_default();
        let sealed = sealer.key.seal(&webhook_label(row), secret.as_bytes());
        row.insert("sealed_secret".into(), STANDARD.encode(sealed).into());
    }
    value.to_string()
}

/// What a restore did.
pub struct Restored {
    /// Rows restored, by table.
    pub counts: Map<String, Value>,
    /// Webhooks given a new secret, since no key to open the exported ones was given: id, URL
    /// and the secret to hand to the subscriber.
    pub new_secrets: Vec<(i64, String, String)>,
}

/// The header of an export, as far as restoring needs it.
struct Header {
    /// Above every transaction of the export's snapshot (None before version 2).
    feed_top: Option<i64>,
    secrets_sealed_by: Option<i64>,
}

/// Restores an export into an empty database (only its seeded vocabularies): every record with
/// its id, in one transaction. `api_key` is the key the export was made with, which opens the
/// webhooks' secrets; without it they get new ones.
pub fn restore(conn: &mut PgConnection, export: impl std::io::BufRead, api_key: Option<&str>) -> Result<Restored> {
    let mut rows: std::collections::HashMap<String, Vec<Value>> = std::collections::HashMap::new();
    let mut header = None;
    let mut ended = None;
    for (index, line) in export.lines().enumerate() {
        let bad = |message: &str| Error::Invalid(vec![FieldError::new("export", message).on_line(index as u64 + 1)]);
        let line = line.map_err(|_| bad("is not UTF-8 text"))?;
        let mut value: Map<String, Value> = serde_json::from_str(&line).map_err(|_| bad("is not a JSON object"))?;
        if index == 0 {
            if !matches!(value.get("paperkeep_export").and_then(Value::as_u64), Some(1..=VERSION)) {
                return Err(bad("is not a paperkeep export (version 1 or 2)"));
            }
            let number = |name: &str| value.get(name).and_then(Value::as_i64);
            header = Some(Header { feed_top: number("feed_top"), secrets_sealed_by: number("secrets_sealed_by") });
            continue;
        }
        if let Some(counts) = value.remove("counts") {
            ended = Some(counts);
            continue;
        }
        let table = value.get("table").and_then(Value::as_str).unwrap_or_default();
        if !ARCHIVE.iter().any(|(name, _)| *name == table) {
            return Err(bad("names no table of an export"));
        }
        let table = table.to_string();
        rows.entry(table).or_default().push(value.remove("row").unwrap_or_default());
    }
    let (Some(header), Some(Value::Object(expected))) = (header, ended) else {
        return Err(Error::Invalid(vec![FieldError::new("export", "is incomplete: its closing line is missing")]));
    };
    conn.transaction(|conn| {
        let used: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "EXISTS (SELECT 1 FROM api_keys) OR EXISTS (SELECT 1 FROM locations) OR EXISTS (SELECT 1 FROM fonds)",
        ))
        .get_result(conn)?;
        if used {
            return Err(Error::Conflict("restore into an empty database (this one has keys or records)".into()));
        }
        let shift = feed_shift(conn, &header, rows.get("events").map_or(&[][..], Vec::as_slice))?;
        let new_secrets = open_secrets(rows.get_mut("webhooks").map_or(&mut [][..], Vec::as_mut_slice), &header, api_key)?;
        for (table, column) in [("events", "tx"), ("webhooks", "cursor_tx")] {
            for row in rows.get_mut(table).into_iter().flatten().filter_map(Value::as_object_mut) {
                let tx = row.get(column).and_then(Value::as_i64).unwrap_or_default();
                row.insert(column.into(), (tx + shift).into());
            }
        }
        // Events exported before they carried the API's representation keep their rows.
        for event in rows.get_mut("events").into_iter().flatten().filter_map(Value::as_object_mut) {
            event.entry("data_schema").or_insert(1.into());
        }
        diesel::sql_query("DELETE FROM vocabulary_terms").execute(conn)?;
        // The tables of one row a new database already has: the export's row stands instead.
        for single in ["feed", "reading_rules"] {
            if rows.contains_key(single) {
                diesel::sql_query(format!("DELETE FROM {single}")).execute(conn)?;
            }
        }
        let mut counts = Map::new();
        for (table, _) in ARCHIVE {
            let mut table_rows = rows.remove(table).unwrap_or_default();
            // A table an older export does not have counts none.
            if expected.get(table).and_then(Value::as_u64).unwrap_or(0) != table_rows.len() as u64 {
                return Err(Error::Invalid(vec![FieldError::new(table, "has not as many rows as the export counted")]));
            }
            // A key may be revoked by a later key: the revocations are put back once all exist.
            let revocations = (table == "api_keys").then(|| Value::from(table_rows.clone()));
            if table == "api_keys" {
                table_rows.iter_mut().filter_map(Value::as_object_mut).for_each(|row| {
                    row.remove("revoked_by");
                });
            }
            for chunk in table_rows.chunks(5_000) {
                diesel::sql_query("SELECT pk_restore($1::regclass, $2)")
                    .bind::<Text, _>(table)
                    .bind::<diesel::sql_types::Jsonb, _>(Value::from(chunk.to_vec()))
                    .execute(conn)?;
            }
            if let Some(revocations) = revocations {
                diesel::sql_query(
                    "UPDATE api_keys k SET revoked_by = (r ->> 'revoked_by')::bigint
                     FROM jsonb_array_elements($1) r WHERE k.id = (r ->> 'id')::bigint AND r ->> 'revoked_by' IS NOT NULL",
                )
                .bind::<diesel::sql_types::Jsonb, _>(revocations)
                .execute(conn)?;
            }
            counts.insert(table.into(), table_rows.len().into());
        }
        // An export made before positions were unique: boxes without a place of their own get one.
        diesel::sql_query("SELECT pk_place_boxes()").execute(conn)?;
        // Ids, and reader numbers, continue after the restored ones.
        diesel::connection::SimpleConnection::batch_execute(
            conn,
            "DO $$ DECLARE c record; top bigint; BEGIN
                 FOR c IN SELECT table_name, column_name FROM information_schema.columns
                          WHERE table_schema = current_schema() AND is_identity = 'YES' LOOP
                     EXECUTE format('SELECT max(%I) FROM %I', c.column_name, c.table_name) INTO top;
                     IF top IS NOT NULL THEN
                         PERFORM setval(pg_get_serial_sequence(c.table_name, c.column_name), top);
                     END IF;
                 END LOOP;
                 PERFORM setval('reader_numbers', coalesce(max(substring(reader_no FROM 4)::bigint), 1),
                                max(reader_no) IS NOT NULL) FROM readers;
             END $$",
        )?;
        Ok(Restored { counts, new_secrets })
    })
}

/// How much the restored feed's transaction numbers move: the exported ones (events, webhook
/// cursors) come from another database, where they may be any size. Moved below this
/// transaction's own, in the same order, they are all behind the horizon once it commits, and
/// every event written after comes after them.
fn feed_shift(conn: &mut PgConnection, header: &Header, events: &[Value]) -> Result<i64> {
    let exported_top = header
        .feed_top
        .or_else(|| events.iter().filter_map(|e| e.get("tx")?.as_i64()).max().map(|tx| tx + 1))
        .unwrap_or(0);
    let own: i64 = diesel::select(diesel::dsl::sql::<BigInt>("pg_current_xact_id()::text::bigint")).get_result(conn)?;
    Ok(own - exported_top)
}

/// Puts each webhook's secret back, opened with `api_key`, or (without it) a new one, which is
/// returned to be handed to its subscriber. A key that does not open them is refused.
fn open_secrets(webhooks: &mut [Value], header: &Header, api_key: Option<&str>) -> Result<Vec<(i64, String, String)>> {
    let opener = api_key.map(sealing_key);
    let mut new_secrets = Vec::new();
    for row in webhooks.iter_mut().filter_map(Value::as_object_mut) {
        let sealed = row.remove("sealed_secret").and_then(|s| STANDARD.decode(s.as_str()?).ok()).unwrap_or_default();
        let secret = match &opener {
            Some(opener) => opener
                .open(&webhook_label(row), &sealed)
                .and_then(|plain| String::from_utf8(plain).ok())
                .ok_or_else(|| {
                let sealer = header.secrets_sealed_by.map_or("another key".into(), |id| format!("API key {id}"));
                Error::invalid("key", format!("does not open the webhooks' secrets: they were sealed by {sealer}"))
            })?,
            None => {
                let secret = crate::webhooks::delivery::new_secret();
                let id = row.get("id").and_then(Value::as_i64).unwrap_or_default();
                let url = row.get("url").and_then(Value::as_str).unwrap_or_default().to_string();
                new_secrets.push((id, url, secret.clone()));
                secret
            }
        };
        row.insert("secret".into(), secret.into());
    }
    Ok(new_secrets)
}
