//! Độc giả / Readers: found by their card's number (scanned) or by words of their name; and the
//! registration form (phiếu đăng ký), which keeps what was typed and says on each field what is
//! wrong.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use super::{FieldProblems, Frame, Submitted, Visitor, i18n, render, see_other, unavailable};
use crate::error::Error;
use crate::keys::model::Permission;
use crate::reading::model::{IdentityType, NewReader, ReaderFilter, ReadingPurpose};
use crate::reading::repo::readers;

/// The most readers a search lists.
const LISTED: i64 = 50;

/// A reader as a list shows them.
pub struct ListedReader {
    id: i64,
    reader_no: String,
    full_name: String,
    organisation: Option<String>,
    status: String,
    card: Option<String>,
}

#[derive(Template)]
#[template(path = "readers.html")]
struct ReadersPage {
    frame: Frame,
    query: String,
    found: Option<Vec<ListedReader>>,
    may_register: bool,
}

#[derive(Deserialize)]
pub struct Search {
    q: Option<String>,
}

/// The search; a card scanned (one reader by number) opens that reader.
pub async fn list(visitor: Visitor, query: web::Query<Search>) -> HttpResponse {
    let frame = Frame::of(&visitor, "reading");
    let query = query.into_inner().q.map(|q| crate::text::normalize(q.trim())).unwrap_or_default();
    let may_register = visitor.may(Permission::ServeReaders);
    if query.is_empty() {
        return render(StatusCode::OK, &ReadersPage { frame, query, found: None, may_register });
    }
    let filter = ReaderFilter { q: Some(query.chars().take(200).collect()), status: None };
    let read = visitor.state.with_read_connection(move |conn| Ok(readers::list(conn, &filter, None, LISTED)?)).await;
    let Ok(found) = read else {
        return unavailable(frame);
    };
    if let [only] = &found[..]
        && only.reader_no.eq_ignore_ascii_case(&query)
    {
        return see_other(&format!("/readers/{}", only.id));
    }
    let lang = frame.lang;
    let found = found
        .into_iter()
        .map(|reader| ListedReader {
            id: reader.id,
            status: i18n::text(lang, &format!("reader-status-{}", reader.status), &[]),
            card: reader.card_expires_on.map(|day| i18n::date(lang, day)),
            reader_no: reader.reader_no,
            full_name: reader.full_name,
            organisation: reader.organisation,
        })
        .collect();
    render(StatusCode::OK, &ReadersPage { frame, query, found: Some(found), may_register })
}

/// The registration form as typed.
#[derive(Default, Deserialize)]
pub struct Registration {
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    identity_type: String,
    #[serde(default)]
    identity_no: String,
    #[serde(default)]
    nationality: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    referral: String,
    #[serde(default)]
    topic: String,
    /// `yyyy-mm-dd`, from a date field.
    #[serde(default)]
    card_expires_on: String,
}

#[derive(Template)]
#[template(path = "reader_new.html")]
struct RegistrationPage {
    frame: Frame,
    typed: Registration,
    problems: FieldProblems,
    identity_types: Vec<(String, String)>,
    purposes: Vec<(String, String)>,
}

impl RegistrationPage {
    fn new(frame: Frame, typed: Registration, problems: FieldProblems) -> RegistrationPage {
        let choices = |prefix: &str, codes: &[&str]| {
            codes.iter().map(|code| (code.to_string(), frame.t(&format!("{prefix}-{code}")))).collect()
        };
        let identity_types = choices("identity-type", &["cccd", "cmnd", "passport", "other"]);
        let purposes = choices("reader-purpose", &["personal", "official"]);
        RegistrationPage { frame, typed, problems, identity_types, purposes }
    }
}

pub async fn new(visitor: Visitor) -> HttpResponse {
    let frame = Frame::of(&visitor, "reading");
    let typed = Registration {
        identity_type: "cccd".into(),
        nationality: "VN".into(),
        purpose: "personal".into(),
        ..Registration::default()
    };
    render(StatusCode::OK, &RegistrationPage::new(frame, typed, FieldProblems::default()))
}

/// The fields of the form, in its order: the first with a problem takes the focus.
const FIELDS: [&str; 9] = [
    "full_name",
    "identity_type",
    "identity_no",
    "nationality",
    "organisation",
    "purpose",
    "referral",
    "topic",
    "card_expires_on",
];

pub async fn create(Submitted { visitor, form }: Submitted<Registration>) -> HttpResponse {
    let frame = Frame::of(&visitor, "reading");
    let mut problems = FieldProblems::default();
    let optional = |typed: &str| Some(crate::text::normalize(typed.trim())).filter(|t| !t.is_empty());
    let card_expires_on = match form.card_expires_on.trim() {
        "" => None,
        typed => typed.parse().map_err(|_| problems.add("card_expires_on", frame.t("reader-invalid-card"))).ok(),
    };
    let identity_type = form.identity_type.parse::<IdentityType>().unwrap_or(IdentityType::Other);
    let new = NewReader {
        full_name: crate::text::normalize(form.full_name.trim()),
        identity_type,
        identity_no: form.identity_no.trim().to_string(),
        nationality: optional(&form.nationality),
        organisation: optional(&form.organisation),
        purpose: form.purpose.parse().unwrap_or(ReadingPurpose::Personal),
        referral: optional(&form.referral),
        topic: optional(&form.topic),
        card_expires_on,
    };
    let mut wrong: Vec<String> = Vec::new();
    if let Err(errors) = new.validate() {
        wrong.extend(errors.field_errors().keys().map(|field| field.to_string()));
    }
    if let Err(errors) = new.normalised() {
        wrong.extend(errors.into_iter().map(|error| error.field));
    }
    for field in FIELDS {
        if wrong.iter().any(|w| w == field) && problems.of(field).is_none() {
            problems.add(field, problem_of(&frame, field, &new));
        }
    }
    if !problems.is_empty() {
        return render(StatusCode::UNPROCESSABLE_ENTITY, &RegistrationPage::new(frame, form, problems));
    }
    match visitor.write(move |conn, actor| readers::create(conn, &new, actor)).await {
        Ok(reader) => see_other(&format!("/readers/{}?done=registered", reader.id)),
        Err(Error::Conflict(why)) => {
            let holder = why.rsplit(' ').next().filter(|w| w.starts_with("DG-")).unwrap_or_default().to_string();
            problems.add("identity_no", i18n::text(frame.lang, "reader-invalid-registered", &[("reader", &holder)]));
            render(StatusCode::CONFLICT, &RegistrationPage::new(frame, form, problems))
        }
        Err(_) => unavailable(frame),
    }
}

/// What is wrong with `field`, in the page's language.
fn problem_of(frame: &Frame, field: &str, new: &NewReader) -> String {
    match field {
        "identity_no" => frame.t(&format!("reader-invalid-identity-{}", new.identity_type)),
        "referral" if new.referral.is_some() => frame.t("reader-invalid-referral-personal"),
        "card_expires_on" => frame.t("reader-invalid-card"),
        other => frame.t(&format!("reader-invalid-{}", other.replace('_', "-"))),
    }
}
