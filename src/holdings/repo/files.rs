use std::collections::HashMap;

use diesel::dsl::{AsSelect, InnerJoin, IntoBoxed, Select, now, sql};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{BigInt, Bool, Integer};

use crate::conservation::model::ConditionSummary;
use crate::conservation::repo::assessments::surveys_of;
use crate::conservation::repo::condition;
use crate::conservation::repo::treatments::completed_of;
use crate::db::search::{Listed, Search, Tier, ranked, walks};
use crate::error::{Error, FieldError, Result};
use crate::events::model::Change;
use crate::events::repo as events;
use crate::holdings::model::{Access, File, FileDetail, FileFilter, FilePatch, NewFile, Numbering, check_dates};
use crate::keys::model::Actor;
use crate::schema::{assessments, boxes, files, fonds, treatments};
use crate::storage::model::{ArchiveBox, BoxRecord};
use crate::storage::repo::boxes as box_repo;
use diesel_async::AsyncPgConnection;

fn conflict(err: DieselError) -> Error {
    match err {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            Error::Conflict(if info.constraint_name() == Some("files_number") {
                "this inventory already has a file with this number".into()
            } else {
                "another file has this archive code".into()
            })
        }
        other => other.into(),
    }
}

/// A box may hold the file if it exists and belongs to no other fonds.
fn check_box(conn: &mut PgConnection, box_id: i64, fonds_id: i64, errors: &mut Vec<FieldError>) -> Result<()> {
    let found: Option<Option<i64>> = boxes::table.find(box_id).select(boxes::fonds_id).first(conn).optional()?;
    match found {
        None => errors.push(FieldError::new("box_id", format!("no box has id {box_id}"))),
        Some(Some(other)) if other != fonds_id => {
            errors.push(FieldError::new("box_id", format!("box {box_id} holds files of another fonds ({other})")))
        }
        Some(_) => {}
    }
    Ok(())
}

pub fn create(conn: &mut PgConnection, new: &NewFile, actor: &Actor) -> Result<FileDetail> {
    let mut errors = Vec::new();
    let fonds_exists: i64 = fonds::table.filter(fonds::id.eq(new.fonds_id)).count().get_result(conn)?;
    if fonds_exists == 0 {
        errors.push(FieldError::new("fonds_id", format!("no fonds has id {}", new.fonds_id)));
    }
    if let Some(box_id) = new.box_id {
        check_box(conn, box_id, new.fonds_id, &mut errors)?;
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let id = diesel::insert_into(files::table)
        .values((
            files::fonds_id.eq(new.fonds_id),
            files::inventory_no.eq(new.inventory_no),
            files::file_no.eq(new.file_no),
            files::archive_code.eq(&new.archive_code),
            files::title.eq(&new.title),
            files::date_from.eq(new.date_from),
            files::date_to.eq(new.date_to),
            files::page_count.eq(new.page_count),
            files::numbering.eq(new.numbering.unwrap_or(Numbering::Leaf)),
            files::box_id.eq(new.box_id),
            files::access.eq(new.access.unwrap_or(Access::Open)),
            files::notes.eq(&new.notes),
            files::digital_copy.eq(&new.digital_copy),
            files::created_by.eq(actor.key_id),
            files::updated_by.eq(actor.key_id),
        ))
        .returning(files::id)
        .get_result(conn)
        .map_err(conflict)?;
    let created = detail(conn, id)?;
    events::record(conn, &[Change::created(&created)])?;
    Ok(created)
}

pub fn get(conn: &mut PgConnection, id: i64) -> Result<File> {
    files::table
        .find(id)
        .select(File::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no file has id {id}")))
}

/// Each of the files `ids` as staff write it: `SNV 1/37 · title` (fonds, inventory/file, title).
pub fn references(conn: &mut PgConnection, ids: &[i64]) -> Result<HashMap<i64, String>> {
    let found: Vec<(i64, String, i32, i32, String)> = files::table
        .inner_join(fonds::table)
        .filter(files::id.eq_any(ids))
        .select((files::id, fonds::code, files::inventory_no, files::file_no, files::title))
        .load(conn)?;
    Ok(found
        .into_iter()
        .map(|(id, fonds, inventory, file, title)| (id, format!("{fonds} {inventory}/{file} · {title}")))
        .collect())
}

/// The page count of a file, if it exists.
pub fn page_count(conn: &mut PgConnection, id: i64) -> Result<Option<i32>> {
    Ok(files::table.find(id).select(files::page_count).first(conn).optional()?)
}

/// A file with its fonds, its box and where that is, and its conservation.
pub fn detail(conn: &mut PgConnection, id: i64) -> Result<FileDetail> {
    details(conn, &[id])?.pop().ok_or_else(|| Error::NotFound(format!("no file has id {id}")))
}

/// The same, its four statements sent together on a pipelined connection: one round trip.
pub async fn detail_pipelined(conn: &AsyncPgConnection, id: i64) -> Result<FileDetail> {
    let (rows, boxes, surveys, completed) = futures_util::future::try_join4(
        diesel_async::RunQueryDsl::load::<(File, String, String)>(with_fonds(vec![id]), &mut &*conn),
        diesel_async::RunQueryDsl::load(box_repo::of_files(vec![id]), &mut &*conn),
        diesel_async::RunQueryDsl::load(surveys_of(vec![id]), &mut &*conn),
        diesel_async::RunQueryDsl::load(completed_of(vec![id]), &mut &*conn),
    )
    .await?;
    let files: Vec<File> = rows.iter().map(|(file, ..)| file.clone()).collect();
    let summaries = condition::summaries_of(&files, surveys, completed);
    assemble(rows, boxes, summaries).pop().ok_or_else(|| Error::NotFound(format!("no file has id {id}")))
}

/// The first `limit` files of the box with this barcode, by their numbers: asked together with
/// the box on a pipelined connection (the locate screen), so by its barcode, not its id.
pub async fn in_box_with_barcode(conn: &AsyncPgConnection, barcode: &str, limit: i64) -> Result<Vec<File>> {
    let query = files::table
        .inner_join(boxes::table)
        .filter(crate::db::lower(boxes::barcode).eq(crate::db::lower(barcode.to_string())))
        .order((files::fonds_id, files::inventory_no, files::file_no))
        .select(File::as_select())
        .limit(limit);
    Ok(diesel_async::RunQueryDsl::load(query, &mut &*conn).await?)
}

/// The files with these ids, each with its fonds, box and conservation, in id order.
fn details(conn: &mut PgConnection, ids: &[i64]) -> Result<Vec<FileDetail>> {
    let rows: Vec<(File, String, String)> = with_fonds(ids.to_vec()).load(conn)?;
    let boxes = box_repo::of_files(ids.to_vec()).load(conn)?;
    let files: Vec<File> = rows.iter().map(|(file, ..)| file.clone()).collect();
    let summaries = condition::summaries(conn, &files)?;
    Ok(assemble(rows, boxes, summaries))
}

/// The files with these ids and their fonds' code and name, in id order.
type WithFonds = IntoBoxed<
    'static,
    Select<InnerJoin<files::table, fonds::table>, (AsSelect<File, Pg>, fonds::code, fonds::name)>,
    Pg,
>;

fn with_fonds(ids: Vec<i64>) -> WithFonds {
    files::table
        .inner_join(fonds::table)
        .select((File::as_select(), fonds::code, fonds::name))
        .into_boxed()
        .filter(files::id.eq_any(ids))
        .order(files::id)
}

fn assemble(
    rows: Vec<(File, String, String)>,
    boxes: Vec<BoxRecord>,
    summaries: Vec<ConditionSummary>,
) -> Vec<FileDetail> {
    let boxes: HashMap<i64, ArchiveBox> = boxes.into_iter().map(|found| (found.id, found.into())).collect();
    rows.into_iter()
        .zip(summaries)
        .map(|((file, fonds_code, fonds_name), conservation)| {
            let in_box = file.box_id.and_then(|id| boxes.get(&id).cloned());
            FileDetail { file, fonds_code, fonds_name, in_box, conservation }
        })
        .collect()
}

/// A file's place in the list: its fonds, inventory and number.
pub type FileKey = (i64, i32, i32);

/// Files in fonds, inventory and file number order (searched: best first, see `db::search`)
/// after `after`; `limit + 1` at most, each with its tier.
pub fn list(
    conn: &mut PgConnection,
    filter: &FileFilter,
    after: Option<(u8, FileKey)>,
    limit: i64,
) -> Result<Vec<(u8, File)>> {
    let search = filter.q.as_deref().map(Search::new);
    ranked(&mut FileList { conn, filter }, search.as_ref(), after, limit)
}

/// The list's order, as its index walks it; sorted (see `db::search::walks`) when a search
/// looks up matches by its indexes instead.
const WALKED: (files::fonds_id, files::inventory_no, files::file_no) =
    (files::fonds_id, files::inventory_no, files::file_no);

struct FileList<'a> {
    conn: &'a mut PgConnection,
    filter: &'a FileFilter,
}

impl FileList<'_> {
    /// The filtered files with keys in (`after`, `until`], in no order.
    fn within(&self, after: Option<&FileKey>, until: Option<&FileKey>) -> files::BoxedQuery<'static, Pg> {
        let mut query = files::table.into_boxed();
        if let Some(fonds_id) = self.filter.fonds_id {
            query = query.filter(files::fonds_id.eq(fonds_id));
        }
        if let Some(box_id) = self.filter.box_id {
            query = query.filter(files::box_id.eq(box_id));
        }
        for (key, comparison) in [(after, ">"), (until, "<=")] {
            if let Some(&(fonds_id, inventory_no, file_no)) = key {
                query = query.filter(
                    sql::<Bool>(&format!("(files.fonds_id, files.inventory_no, files.file_no) {comparison} ("))
                        .bind::<BigInt, _>(fonds_id)
                        .sql(", ")
                        .bind::<Integer, _>(inventory_no)
                        .sql(", ")
                        .bind::<Integer, _>(file_no)
                        .sql(")"),
                );
            }
        }
        query
    }
}

impl Listed for FileList<'_> {
    type Row = File;
    type Key = FileKey;

    fn rows(
        &mut self,
        tier: Option<(&Search, Tier)>,
        after: Option<&FileKey>,
        until: Option<&FileKey>,
        limit: i64,
    ) -> Result<Vec<File>> {
        let walked = walks(tier, until);
        let mut query = self.within(after, until).select(File::as_select());
        if let Some((search, tier)) = tier {
            query = query.filter(search.tier("files", "lower(files.archive_code)", tier, walked));
        }
        query = match walked {
            true => query.order(WALKED),
            false => query.order(sql::<BigInt>("(files.fonds_id, files.inventory_no, files.file_no)")),
        };
        Ok(query.limit(limit).load(self.conn)?)
    }

    fn nth_key(&mut self, after: Option<&FileKey>, n: i64) -> Result<Option<FileKey>> {
        let keys =
            self.within(after, None).order(WALKED).select((files::fonds_id, files::inventory_no, files::file_no));
        Ok(keys.offset(n - 1).limit(1).first(self.conn).optional()?)
    }
}

/// Changes a file at version `expected` (`None`: any). Its page count cannot fall below a page
/// that an assessment or treatment names.
pub fn update(
    conn: &mut PgConnection,
    id: i64,
    patch: &FilePatch,
    expected: Option<i32>,
    actor: &Actor,
) -> Result<FileDetail> {
    let current = files::table
        .find(id)
        .select(File::as_select())
        .for_no_key_update()
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no file has id {id}")))?;
    if expected.is_some_and(|version| version != current.version) {
        return Err(Error::Stale { current: current.version });
    }
    let mut errors =
        check_dates(patch.date_from.unwrap_or(current.date_from), patch.date_to.unwrap_or(current.date_to));
    if let Some(Some(box_id)) = patch.box_id {
        check_box(conn, box_id, current.fonds_id, &mut errors)?;
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    if let Some(page_count) = patch.page_count.filter(|count| *count < current.page_count) {
        let highest = highest_recorded_page(conn, id)?;
        if highest > page_count {
            return Err(Error::Conflict(format!(
                "page {highest} is in the file's conservation records; the page count cannot go below it"
            )));
        }
    }
    let before = detail(conn, id)?;
    diesel::update(files::table.find(id))
        .set((
            patch,
            files::version.eq(files::version + 1),
            files::updated_at.eq(now),
            files::updated_by.eq(actor.key_id),
        ))
        .execute(conn)
        .map_err(conflict)?;
    let after = detail(conn, id)?;
    events::record(conn, &[Change::updated(&before, &after)])?;
    Ok(after)
}

fn highest_recorded_page(conn: &mut PgConnection, id: i64) -> Result<i32> {
    let upper = diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::Integer>>("max(upper(pages)) - 1");
    let assessed: Option<i32> =
        assessments::table.filter(assessments::file_id.eq(id)).select(upper.clone()).first(conn)?;
    let treated: Option<i32> = treatments::table.filter(treatments::file_id.eq(id)).select(upper).first(conn)?;
    Ok(assessed.max(treated).unwrap_or(0))
}

/// Stores many checked files at once (an import), each with the line it came from. Numbers or
/// archive codes that exist already are refused, naming the line. Returns how many were made.
pub fn create_many(conn: &mut PgConnection, new: &[(u64, NewFile)], actor: &Actor) -> Result<usize> {
    #[derive(QueryableByName)]
    struct Taken {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        ordinal: i32,
        #[diesel(sql_type = diesel::sql_types::Text)]
        what: String,
    }
    let fonds: Vec<i64> = new.iter().map(|(_, f)| f.fonds_id).collect();
    let inventories: Vec<i32> = new.iter().map(|(_, f)| f.inventory_no).collect();
    let numbers: Vec<i32> = new.iter().map(|(_, f)| f.file_no).collect();
    let codes: Vec<Option<String>> =
        new.iter().map(|(_, f)| f.archive_code.as_ref().map(|c| c.to_lowercase())).collect();
    use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text};
    let taken: Vec<Taken> = diesel::sql_query(
        "SELECT n.ordinal::int AS ordinal, 'file_no' AS what
         FROM unnest($1::bigint[], $2::int[], $3::int[]) WITH ORDINALITY AS n(fonds_id, inventory_no, file_no, ordinal)
         JOIN files f USING (fonds_id, inventory_no, file_no)
         UNION ALL
         SELECT n.ordinal::int, 'archive_code'
         FROM unnest($4::text[]) WITH ORDINALITY AS n(code, ordinal)
         JOIN files f ON lower(f.archive_code) = n.code
         ORDER BY 1",
    )
    .bind::<Array<BigInt>, _>(&fonds)
    .bind::<Array<Integer>, _>(&inventories)
    .bind::<Array<Integer>, _>(&numbers)
    .bind::<Array<Nullable<Text>>, _>(&codes)
    .load(conn)?;
    if !taken.is_empty() {
        return Err(Error::Invalid(
            taken
                .into_iter()
                .map(|t| {
                    let message = if t.what == "file_no" {
                        "this inventory already has a file with this number"
                    } else {
                        "another file has this archive code"
                    };
                    FieldError::new(t.what, message).on_line(new[t.ordinal as usize - 1].0)
                })
                .collect(),
        ));
    }
    // One statement over arrays, whatever the number of rows: planned once, no parameter limit.
    let column = |f: fn(&NewFile) -> Option<String>| new.iter().map(|(_, file)| f(file)).collect::<Vec<_>>();
    use diesel::sql_types::Date;
    #[derive(QueryableByName)]
    struct Added {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let added: Vec<Added> = diesel::sql_query(
        "INSERT INTO files (fonds_id, inventory_no, file_no, archive_code, title, date_from, date_to, page_count,
                            numbering, box_id, access, notes, created_by, updated_by)
         SELECT f.*, $13, $13
         FROM unnest($1::bigint[], $2::int[], $3::int[], $4::text[], $5::text[], $6::date[], $7::date[], $8::int[],
                     $9::text[], $10::bigint[], $11::text[], $12::text[]) AS f
         RETURNING id",
    )
    .bind::<Array<BigInt>, _>(&fonds)
    .bind::<Array<Integer>, _>(&inventories)
    .bind::<Array<Integer>, _>(&numbers)
    .bind::<Array<Nullable<Text>>, _>(column(|f| f.archive_code.clone()))
    .bind::<Array<Text>, _>(new.iter().map(|(_, f)| f.title.as_str()).collect::<Vec<_>>())
    .bind::<Array<Nullable<Date>>, _>(new.iter().map(|(_, f)| f.date_from).collect::<Vec<_>>())
    .bind::<Array<Nullable<Date>>, _>(new.iter().map(|(_, f)| f.date_to).collect::<Vec<_>>())
    .bind::<Array<Integer>, _>(new.iter().map(|(_, f)| f.page_count).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(
        new.iter().map(|(_, f)| f.numbering.unwrap_or(Numbering::Leaf).as_str()).collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<BigInt>>, _>(new.iter().map(|(_, f)| f.box_id).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(new.iter().map(|(_, f)| f.access.unwrap_or(Access::Open).as_str()).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(column(|f| f.notes.clone()))
    .bind::<BigInt, _>(actor.key_id)
    .load(conn)
    .map_err(conflict)?;
    let ids: Vec<i64> = added.iter().map(|added| added.id).collect();
    let created: Vec<Change> = details(conn, &ids)?.iter().map(Change::created).collect();
    events::record(conn, &created)?;
    Ok(new.len())
}
