//! Danh mục thuật ngữ / Vocabularies, for admins: each vocabulary's terms with their Vietnamese
//! and English labels — relabelled, retired (kept on the records that use them, no longer
//! offered) or brought back — and the archive's own terms added to those that take them.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use super::{FieldProblems, Frame, Submitted, Tab, Visitor, failed_read, i18n, render, see_other, unavailable};
use crate::conservation::model::{MATERIAL_CATEGORIES, NewTerm, Term, TermPatch, Vocabulary};
use crate::conservation::repo::vocabularies;
use crate::error::Error;
use crate::http::body::Rules;

#[derive(Template)]
#[template(path = "vocabularies.html")]
struct VocabulariesPage {
    frame: Frame,
    name: &'static str,
    tabs: Vec<Tab>,
    extensible: bool,
    materials: bool,
    terms: Vec<Term>,
    categories: Vec<(&'static str, String)>,
    typed: NewTyped,
    problems: FieldProblems,
    /// The term a refused change was about, and why.
    refused: Option<(String, String)>,
    done: Option<String>,
}

impl VocabulariesPage {
    /// What a term's category is called.
    fn category(&self, term: &Term) -> String {
        let code = term.category.as_deref().unwrap_or_default();
        self.categories.iter().find(|(c, _)| *c == code).map_or_else(String::new, |(_, name)| name.clone())
    }
}

/// A new term as typed.
#[derive(Default, Deserialize)]
pub struct NewTyped {
    #[serde(default)]
    code: String,
    #[serde(default)]
    label_vi: String,
    #[serde(default)]
    label_en: String,
    #[serde(default)]
    category: String,
}

#[derive(Deserialize)]
pub struct Asked {
    name: Option<String>,
    /// A term just added, or changed.
    added: Option<String>,
    changed: Option<String>,
}

pub async fn page(visitor: Visitor, asked: web::Query<Asked>) -> HttpResponse {
    let frame = Frame::of(&visitor, "admin");
    let Asked { name, added, changed } = asked.into_inner();
    let name = name.and_then(|n| n.parse().ok()).unwrap_or(Vocabulary::DamageType);
    let say = |key: &str, code: String| i18n::text(frame.lang, key, &[("code", &code)]);
    let done = added.map(|code| say("vocab-added", code)).or_else(|| changed.map(|code| say("vocab-changed", code)));
    let shown = Shown { done, ..Shown::default() };
    show(&visitor, frame, name, NewTyped::default(), shown, StatusCode::OK).await
}

#[derive(Default)]
struct Shown {
    problems: FieldProblems,
    refused: Option<(String, String)>,
    done: Option<String>,
}

async fn show(
    visitor: &Visitor,
    frame: Frame,
    name: Vocabulary,
    typed: NewTyped,
    shown: Shown,
    status: StatusCode,
) -> HttpResponse {
    let terms = match visitor.state.with_read_connection(move |conn| Ok(vocabularies::one(conn, name)?.terms)).await {
        Ok(terms) => terms,
        Err(err) => return failed_read(frame, err),
    };
    let tabs = Vocabulary::ALL
        .iter()
        .map(|v| Tab {
            href: format!("/admin/vocabularies?name={v}"),
            label: frame.t(&format!("vocab-{v}")),
            current: *v == name,
        })
        .collect();
    let categories = MATERIAL_CATEGORIES.iter().map(|c| (*c, frame.t(&format!("vocab-category-{c}")))).collect();
    let page = VocabulariesPage {
        name: name.as_str(),
        tabs,
        extensible: name.extensible(),
        materials: name == Vocabulary::Material,
        terms,
        categories,
        typed,
        problems: shown.problems,
        refused: shown.refused,
        done: shown.done,
        frame,
    };
    render(status, &page)
}

/// Adds a term to a vocabulary that takes the archive's own.
pub async fn add(Submitted { visitor, form }: Submitted<NewTyped>, name: web::Path<String>) -> HttpResponse {
    let frame = Frame::of(&visitor, "admin");
    let Ok(name) = name.parse::<Vocabulary>() else {
        return super::not_found_page(frame);
    };
    let new = NewTerm {
        code: form.code.trim().to_string(),
        label_vi: crate::text::normalize(form.label_vi.trim()),
        label_en: crate::text::normalize(form.label_en.trim()),
        category: Some(form.category.clone()).filter(|c| !c.is_empty() && name == Vocabulary::Material),
    };
    let mut problems = FieldProblems::default();
    if let Err(errors) = new.validate() {
        for field in ["code", "label_vi", "label_en"] {
            if errors.field_errors().contains_key(field) {
                problems.add(field, frame.t(&format!("vocab-invalid-{field}")));
            }
        }
    }
    if !new.broken_rules().is_empty() {
        problems.add("category", frame.t("vocab-invalid-category"));
    }
    if !problems.is_empty() {
        let shown = Shown { problems, ..Shown::default() };
        return show(&visitor, frame, name, form, shown, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let code = new.code.clone();
    match visitor.write(move |conn, actor| vocabularies::add(conn, name, &new, actor)).await {
        Ok(_) => see_other(&format!("/admin/vocabularies?name={name}&added={code}")),
        Err(Error::Conflict(_)) => {
            let mut problems = FieldProblems::default();
            let key = if name.extensible() { "vocab-taken" } else { "vocab-fixed" };
            problems.add("code", i18n::text(frame.lang, key, &[("code", &code)]));
            let shown = Shown { problems, ..Shown::default() };
            show(&visitor, frame, name, form, shown, StatusCode::CONFLICT).await
        }
        Err(_) => unavailable(frame),
    }
}

/// A term's labels as typed, the version they were read at, and what to do: `save` them,
/// `retire` the term or `restore` it.
#[derive(Deserialize)]
pub struct Change {
    version: i32,
    #[serde(default)]
    label_vi: String,
    #[serde(default)]
    label_en: String,
    #[serde(default)]
    action: String,
}

pub async fn change(Submitted { visitor, form }: Submitted<Change>, path: web::Path<(String, String)>) -> HttpResponse {
    let frame = Frame::of(&visitor, "admin");
    let (name, code) = path.into_inner();
    let Ok(name) = name.parse::<Vocabulary>() else {
        return super::not_found_page(frame);
    };
    let patch = TermPatch {
        label_vi: Some(crate::text::normalize(form.label_vi.trim())),
        label_en: Some(crate::text::normalize(form.label_en.trim())),
        category: None,
        retired: match form.action.as_str() {
            "retire" => Some(true),
            "restore" => Some(false),
            _ => None,
        },
    };
    let refuse = |why: String| Shown { refused: Some((code.clone(), why)), ..Shown::default() };
    if patch.validate().is_err() {
        let shown = refuse(frame.t("vocab-invalid-labels"));
        return show(&visitor, frame, name, NewTyped::default(), shown, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let (term, version) = (code.clone(), form.version);
    let changed =
        visitor.write(move |conn, actor| vocabularies::update(conn, name, &term, &patch, Some(version), actor)).await;
    let why = match changed {
        Ok(_) => return see_other(&format!("/admin/vocabularies?name={name}&changed={code}")),
        Err(Error::NotFound(_)) => return super::not_found_page(frame),
        Err(Error::Stale { .. }) => frame.t("vocab-stale"),
        Err(Error::Conflict(_)) => frame.t("vocab-fixed-retire"),
        Err(_) => return unavailable(frame),
    };
    let shown = refuse(why);
    show(&visitor, frame, name, NewTyped::default(), shown, StatusCode::CONFLICT).await
}
