//! Báo cáo / Period report: the figures of a period (the first six or nine months, a year, or
//! any dates) and a fonds, as tables and as bar charts drawn here in SVG (the tables are what a
//! screen reader reads); the same as CSV to download; printed on A4 headed with the archive's
//! name and the period — what the head pastes into the sơ kết.

use std::collections::HashMap;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Datelike, NaiveDate, Utc};
use serde::Deserialize;

use super::{FieldProblems, Frame, Visitor, i18n, render, unavailable};
use crate::conservation::model::Vocabulary;
use crate::conservation::repo::vocabularies;
use crate::holdings::repo::fonds;
use crate::people::model::Language;
use crate::reports::model::{ActivityReport, PageUnits, Period};
use crate::reports::repo as reports;

#[derive(Deserialize, Default, Clone)]
pub struct Asked {
    /// `6m`, `9m`, `year` or `dates`.
    period: Option<String>,
    year: Option<String>,
    from: Option<String>,
    to: Option<String>,
    fonds: Option<String>,
}

/// A table of the report: its heading, its columns, its rows (the last may be a total), and the
/// chart drawn from it.
pub struct Figures {
    heading: String,
    columns: Vec<String>,
    rows: Vec<(String, Vec<String>)>,
    chart: Option<String>,
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    frame: Frame,
    period: String,
    year: String,
    from: String,
    to: String,
    fonds: String,
    problems: FieldProblems,
    /// "Từ 01/01/2026 đến 30/06/2026 · phông SNV".
    span: Option<String>,
    sections: Vec<Figures>,
    csv: String,
}

/// The period asked for, or each field's problem.
fn period_of(asked: &Asked, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), Vec<(&'static str, &'static str)>> {
    let year = match asked.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        None => today.year(),
        Some(typed) => match typed.parse::<i32>().ok().filter(|y| (1900..=2100).contains(y)) {
            Some(year) => year,
            None => return Err(vec![("year", "report-year")]),
        },
    };
    let day = |month, day| NaiveDate::from_ymd_opt(year, month, day).expect("a day of the year");
    match asked.period.as_deref().unwrap_or("year") {
        "6m" => Ok((day(1, 1), day(6, 30))),
        "9m" => Ok((day(1, 1), day(9, 30))),
        "dates" => {
            let date = |typed: &Option<String>| {
                typed.as_deref().and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok())
            };
            match (date(&asked.from), date(&asked.to)) {
                (Some(from), Some(to)) if from <= to => Ok((from, to)),
                (Some(_), Some(_)) => Err(vec![("from", "report-from-after-to")]),
                (from, to) => {
                    let mut problems = Vec::new();
                    if from.is_none() {
                        problems.push(("from", "report-date"));
                    }
                    if to.is_none() {
                        problems.push(("to", "report-date"));
                    }
                    Err(problems)
                }
            }
        }
        _ => Ok((day(1, 1), day(12, 31))),
    }
}

/// What the report needs: its figures and the words for the vocabularies' terms.
struct Read {
    report: Option<ActivityReport>,
    labels: HashMap<String, (String, String)>,
    fonds_known: bool,
    /// The fonds asked for: "Phông Sở Nội vụ (SNV)".
    fonds_named: Option<String>,
}

fn read(
    conn: &mut diesel::PgConnection,
    period: Option<(NaiveDate, NaiveDate)>,
    fonds_code: &str,
) -> crate::error::Result<Read> {
    let found = match fonds_code {
        "" => None,
        code => match fonds::find_by_code(conn, code)? {
            Some(found) => Some(found),
            None => return Ok(Read { report: None, labels: HashMap::new(), fonds_known: false, fonds_named: None }),
        },
    };
    let fonds_named = found.as_ref().map(|f| format!("{} ({})", f.name, f.code));
    let report = match period {
        Some((from, to)) => Some(reports::activity(conn, Period { from, to, fonds_id: found.map(|f| f.id) })?),
        None => None,
    };
    let mut labels = HashMap::new();
    for name in [Vocabulary::TreatmentType, Vocabulary::Material] {
        for term in vocabularies::one(conn, name)?.terms {
            labels.insert(term.code, (term.label_vi, term.label_en));
        }
    }
    Ok(Read { report, labels, fonds_known: true, fonds_named })
}

/// The report's screen (`GET /report`) and its CSV (`GET /report.csv`).
pub async fn page(visitor: Visitor, req: HttpRequest) -> HttpResponse {
    let asked: Asked = serde_html_form::from_str(req.query_string()).unwrap_or_default();
    let frame = Frame::of(&visitor, "report");
    let lang = frame.lang;
    let today = Utc::now().date_naive();
    let mut problems = FieldProblems::default();
    let period = match period_of(&asked, today) {
        Ok(period) => Some(period),
        Err(wrong) => {
            for (field, key) in wrong {
                problems.add(field, i18n::text(lang, key, &[]));
            }
            None
        }
    };
    let fonds_code = crate::text::normalize(asked.fonds.as_deref().unwrap_or_default().trim());
    let code = fonds_code.clone();
    let Ok(read) = visitor.state.with_read_connection(move |conn| Ok(read(conn, period, &code)?)).await else {
        return unavailable(frame);
    };
    if !read.fonds_known {
        problems.add("fonds", i18n::text(lang, "labels-no-fonds", &[]));
    }
    let wants_csv = req.path().ends_with(".csv");
    if let (true, Some(report), true) = (wants_csv, &read.report, problems.is_empty()) {
        let name = format!("bao-cao-{}-{}.csv", report.period.from, report.period.to);
        return HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
            .body(report.csv());
    }
    let label = |code: &str| {
        read.labels
            .get(code)
            .map_or_else(|| code.to_string(), |(vi, en)| if lang == Language::Vi { vi.clone() } else { en.clone() })
    };
    let (span, sections) = match (&read.report, problems.is_empty()) {
        (Some(report), true) => {
            let mut span = i18n::text(
                lang,
                "report-span",
                &[("from", &i18n::date(lang, report.period.from)), ("to", &i18n::date(lang, report.period.to))],
            );
            if let Some(named) = &read.fonds_named {
                span.push_str(&format!(" · {named}"));
            }
            (Some(span), sections(lang, report, &label))
        }
        _ => (None, Vec::new()),
    };
    let csv = format!("/report.csv?{}", req.query_string());
    let status = if problems.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = ReportPage {
        frame,
        period: asked.period.clone().unwrap_or_else(|| "year".into()),
        year: asked.year.clone().unwrap_or_else(|| today.year().to_string()),
        from: asked.from.clone().unwrap_or_default(),
        to: asked.to.clone().unwrap_or_default(),
        fonds: fonds_code,
        problems,
        span,
        sections,
        csv,
    };
    render(status, &page)
}

/// The report's tables, each with its chart where one helps.
fn sections(lang: Language, report: &ActivityReport, label: &dyn Fn(&str) -> String) -> Vec<Figures> {
    let say = |key: &str| i18n::text(lang, key, &[]);
    let n = |v: i64| i18n::number(lang, v as f64, 0);
    let units = |u: &PageUnits| vec![n(u.leaves), n(u.pages)];
    let series = [say("report-leaves"), say("report-pages")];

    let treated = &report.treatments;
    let mut rows: Vec<(String, Vec<String>)> = treated
        .by_type
        .iter()
        .map(|t| {
            let mut cells = units(&t.units.units);
            cells.extend([n(t.units.files), i18n::number(lang, t.units.hours, 1)]);
            (label(&t.treatment_type), cells)
        })
        .collect();
    let chart = bar_chart(
        lang,
        "treated",
        &series,
        &treated
            .by_type
            .iter()
            .map(|t| (label(&t.treatment_type), vec![t.units.units.leaves, t.units.units.pages]))
            .collect::<Vec<_>>(),
    );
    let mut total = units(&treated.total.units);
    total.extend([n(treated.total.files), i18n::number(lang, treated.total.hours, 1)]);
    rows.push((say("report-total"), total));
    let treatments = Figures {
        heading: say("report-treatments"),
        columns: vec![series[0].clone(), series[1].clone(), say("report-files"), say("report-hours")],
        rows,
        chart,
    };

    let materials = Figures {
        heading: say("report-materials"),
        columns: vec![say("report-quantity"), say("report-treatment-count")],
        rows: treated
            .materials
            .iter()
            .map(|m| {
                (label(&m.code), vec![format!("{} {}", i18n::number(lang, m.quantity, 2), m.unit), n(m.treatments)])
            })
            .collect(),
        chart: None,
    };

    let assessed = &report.assessments;
    let mut rows: Vec<(String, Vec<String>)> =
        assessed.by_grade.iter().map(|a| (say(&format!("grade-{}", a.grade)), units(&a.units))).collect();
    let chart = bar_chart(
        lang,
        "assessed",
        &series,
        &assessed
            .by_grade
            .iter()
            .map(|a| (say(&format!("grade-{}", a.grade)), vec![a.units.leaves, a.units.pages]))
            .collect::<Vec<_>>(),
    );
    rows.push((say("report-total"), units(&assessed.total)));
    rows.push((say("report-laminated"), units(&assessed.laminated)));
    rows.push((say("report-pests"), vec![n(assessed.files_with_active_pests), String::new()]));
    let assessments = Figures { heading: say("report-assessments"), columns: series.to_vec(), rows, chart };

    let moved = &report.movements;
    let reason = |r: &Option<String>| say(&format!("reason-{}", r.as_deref().unwrap_or_default()));
    let mut rows: Vec<(String, Vec<String>)> =
        moved.by_reason.iter().map(|m| (reason(&m.reason), vec![n(m.moves), n(m.boxes)])).collect();
    let chart = bar_chart(
        lang,
        "moved",
        &[say("report-moves")],
        &moved.by_reason.iter().map(|m| (reason(&m.reason), vec![m.moves])).collect::<Vec<_>>(),
    );
    rows.push((say("report-total"), vec![n(moved.total_moves), n(moved.boxes_moved)]));
    let movements = Figures {
        heading: say("report-movements"),
        columns: vec![say("report-moves"), say("report-boxes")],
        rows,
        chart,
    };

    let a = &report.audits;
    let audits = Figures {
        heading: say("report-audits"),
        columns: vec![say("report-count")],
        rows: [
            ("report-audit-count", a.audits),
            ("report-audit-reconciled", a.reconciled),
            ("report-audit-places", a.locations_audited),
            ("audit-missing", a.missing),
            ("audit-unexpected", a.unexpected),
            ("audit-unknown", a.unknown),
        ]
        .iter()
        .map(|(key, value)| (say(key), vec![n(*value)]))
        .collect(),
        chart: None,
    };

    let stock = &report.stock;
    let metres = |m: f64| format!("{} m", i18n::number(lang, m, 2));
    let mut rows: Vec<(String, Vec<String>)> = stock
        .boxes_out
        .iter()
        .map(|out| {
            (
                i18n::text(lang, "report-out-in", &[("purpose", &say(&format!("purpose-{}", out.purpose)))]),
                vec![n(out.boxes)],
            )
        })
        .collect();
    rows.push((say("report-out-total"), vec![n(stock.boxes_out_total)]));
    rows.push((say("report-held"), vec![format!("{} · {}", n(stock.extent.boxes_held), metres(stock.extent.held_m))]));
    rows.push((say("report-occupied"), vec![metres(stock.extent.occupied_m)]));
    rows.push((say("report-capacity"), vec![metres(stock.extent.capacity_m)]));
    rows.push((say("report-free"), vec![metres(stock.free_m)]));
    let stock = Figures { heading: say("report-stock"), columns: vec![say("report-figure")], rows, chart: None };

    let (room, asked) = (&report.reading_room.service, &report.reading_room.requests);
    let mut rows: Vec<(String, Vec<String>)> = [
        ("report-user-days", room.user_days),
        ("report-readers", room.readers),
        ("report-new-readers", room.new_readers),
        ("report-requests-received", asked.received),
        ("report-requests-filled", asked.filled),
        ("report-requests-refused", asked.refused),
        ("report-requests-cancelled", asked.cancelled),
        ("report-files-served", room.files_served),
        ("report-checkouts", room.checkouts),
        ("report-boxes-pulled", room.boxes_pulled),
        ("report-copies", asked.copies),
        ("report-certified-copies", asked.certified_copies),
        ("report-pages-copied", asked.pages_copied),
    ]
    .iter()
    .map(|(key, value)| (say(key), vec![n(*value)]))
    .collect();
    rows.insert(1, (say("report-user-hours"), vec![i18n::number(lang, room.user_hours, 1)]));
    rows.push((say("report-fees"), vec![format!("{} đ", n(asked.fees))]));
    rows.extend(report.reading_room.refused_lines.iter().map(|refused| {
        let why = i18n::text(lang, &format!("report-refused-{}", refused.reason), &[]);
        (i18n::text(lang, "report-lines-refused", &[("why", &why)]), vec![n(refused.lines)])
    }));
    let reading_room =
        Figures { heading: say("report-reading-room"), columns: vec![say("report-count")], rows, chart: None };

    let hours = |h: f64| i18n::number(lang, h, 1);
    let delivery = Figures {
        heading: say("report-time-to-deliver"),
        columns: vec![
            say("report-delivered"),
            say("report-median-hours"),
            say("report-p90-hours"),
            say("report-within-deadline"),
        ],
        rows: report
            .reading_room
            .time_to_deliver
            .iter()
            .map(|t| {
                let share =
                    format!("{} ({} %)", n(t.within_deadline), i18n::number(lang, t.share_within_deadline * 100.0, 0));
                (
                    say(&format!("request-kind-{}", t.kind)),
                    vec![n(t.delivered), hours(t.median_hours), hours(t.p90_hours), share],
                )
            })
            .collect(),
        chart: None,
    };

    vec![treatments, materials, assessments, movements, audits, stock, reading_room, delivery]
}

/// Horizontal bars, one group an item, one bar a series (the first solid, the second hatched,
/// each with its value written at its end), a legend above; none when there is nothing to draw.
fn bar_chart(lang: Language, id: &str, series: &[String], items: &[(String, Vec<i64>)]) -> Option<String> {
    const LABEL: f64 = 190.0;
    const BARS: f64 = 330.0;
    const BAR: f64 = 14.0;
    const GAP: f64 = 10.0;
    let most = items.iter().flat_map(|(_, values)| values.iter().copied()).max().unwrap_or(0);
    if most == 0 {
        return None;
    }
    let escape = |text: &str| text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let hatched = format!("url(#{id}-hatch)");
    let fills = ["#0b5394", hatched.as_str()];
    let mut body = String::new();
    let mut y = 24.0;
    for (index, name) in series.iter().enumerate() {
        let x = 10.0 + index as f64 * 170.0;
        body.push_str(&format!(
            r##"<rect x="{x}" y="4" width="14" height="14" fill="{}" stroke="#0b5394"/><text x="{}" y="16">{}</text>"##,
            fills[index % 2],
            x + 20.0,
            escape(name)
        ));
    }
    for (item, values) in items {
        y += GAP;
        let middle = y + BAR * values.len() as f64 / 2.0 + 4.0;
        body.push_str(&format!(r#"<text x="{}" y="{middle}" text-anchor="end">{}</text>"#, LABEL - 8.0, escape(item)));
        for (index, value) in values.iter().enumerate() {
            let width = (*value as f64 / most as f64 * BARS).max(if *value > 0 { 1.0 } else { 0.0 });
            if width > 0.0 {
                body.push_str(&format!(
                    r##"<rect x="{LABEL}" y="{y}" width="{width:.1}" height="{}" fill="{}" stroke="#0b5394"/>"##,
                    BAR - 2.0,
                    fills[index % 2]
                ));
            }
            body.push_str(&format!(
                r##"<text x="{:.1}" y="{}">{}</text>"##,
                LABEL + width + 4.0,
                y + BAR - 3.0,
                i18n::number(lang, *value as f64, 0)
            ));
            y += BAR;
        }
    }
    let height = y + GAP;
    Some(format!(
        r##"<svg class="chart" viewBox="0 0 600 {height}" width="600" height="{height}" aria-hidden="true" font-size="12"><defs><pattern id="{id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/><rect width="3" height="6" fill="#0b5394"/></pattern></defs>{body}</svg>"##
    ))
}
