//! Lead sections of the report page (leads by source with anonymous→tracked conversion, by
//! lead moment, each lead's journey) and `GET /leads.csv?site=ID`. Definitions are in
//! [`crate::leads`] and [`crate::merge`].

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::api::leads::ReportQuery;
use crate::csv::Csv;
use crate::error::AppResult;
use crate::extract::ApiQuery;
use crate::leads::{self, journey, LeadView, LeadsReport, Step};
use crate::store::{Db, EventFilter};
use crate::AppState;

use super::html::{format_time, Html, Section, Table};
use super::visits::percent;

/// Leads whose journey the page shows.
const JOURNEYS: usize = 20;
/// Events per visitor read for a journey.
const JOURNEY_EVENTS: usize = 200;

/// What a marketer calls the lead: a name, an email, a phone, a user id, or its id.
pub fn display_name(view: &LeadView) -> String {
    let d = &view.lead.details;
    d.names
        .iter()
        .chain(&d.emails)
        .chain(&d.phones)
        .chain(&d.user_ids)
        .next()
        .cloned()
        .unwrap_or_else(|| {
            let short: String = view.lead.id.chars().rev().take(8).collect();
            format!(
                "Anonymous lead …{}",
                short.chars().rev().collect::<String>()
            )
        })
}

fn step_label(kind: &str) -> &str {
    match kind {
        "page_view" => "Page",
        "trigger" => "Trigger",
        "call_click" => "Call click",
        "form_submit" => "Form",
        "identify" => "Signed in",
        "lead" => "Lead",
        "custom" => "Event",
        "call" => "Phone call",
        other => other,
    }
}

/// The lead sections: for the filter's site, or for the only site with events; otherwise a
/// hint to pick one (leads are merged within a site).
///
/// # Errors
/// When storage fails.
pub async fn sections(db: &Db, filter: &EventFilter) -> AppResult<Vec<Section>> {
    let chosen = filter.site.clone();
    let loaded = db
        .run(move |store| {
            let site = match chosen {
                Some(site) => Some(site),
                None => {
                    let sites = store.sites_with_events()?;
                    if sites.len() == 1 {
                        sites.into_iter().next()
                    } else {
                        None
                    }
                }
            };
            let Some(site) = site else {
                return Ok(None);
            };
            let report = leads::load(store, &site)?;
            let mut journeys = Vec::new();
            for view in report.leads.iter().take(JOURNEYS) {
                let visitors: Vec<String> = view.lead.visitors.iter().cloned().collect();
                let events = store.visitor_events(&site, &visitors, JOURNEY_EVENTS)?;
                journeys.push(journey(view, &events));
            }
            Ok(Some((report, journeys)))
        })
        .await?;
    let Some((report, journeys)) = loaded else {
        return Ok(vec![Section::new(
            "Leads",
            Html::paragraph("Choose a site above to see its leads."),
        )]);
    };
    Ok(render(&report, &journeys))
}

fn render(report: &LeadsReport, journeys: &[Vec<Step>]) -> Vec<Section> {
    let mut overview = Html::paragraph(&format!(
        "{} {} on {}. {} of {} visitors ({}) became a lead: filled in a form, came from an \
         email link, signed in, chatted, clicked a phone number or called.",
        report.leads.len(),
        if report.leads.len() == 1 {
            "lead"
        } else {
            "leads"
        },
        report.site,
        report.converted,
        report.visitors,
        percent(if report.visitors == 0 {
            0.0
        } else {
            report.converted as f64 / report.visitors as f64
        }),
    ));
    overview.push(Html::links(&[(
        "Download leads as CSV".to_owned(),
        format!("/leads.csv?site={}", report.site),
    )]));

    let mut by_source = Table::new(&[
        "Source (first touch)",
        "Visitors",
        "Became leads",
        "Conversion rate",
        "Leads",
    ])
    .numeric_columns(&[1, 2, 3, 4])
    .when_empty("No visitors yet.");
    for s in &report.by_source {
        by_source.row(vec![
            s.source.label(),
            s.visitors.to_string(),
            s.converted.to_string(),
            percent(s.conversion_rate),
            s.leads.to_string(),
        ]);
    }
    let mut by_source_html = Html::bars(
        &report
            .by_source
            .iter()
            .map(|s| (s.source.label(), s.leads as f64, s.leads.to_string()))
            .collect::<Vec<_>>(),
    );
    by_source_html.push(by_source.render());
    by_source_html.push(Html::subheading("Anonymous → tracked conversion by source"));
    by_source_html.push(Html::bars(
        &report
            .by_source
            .iter()
            .map(|s| {
                (
                    s.source.label(),
                    s.conversion_rate,
                    percent(s.conversion_rate),
                )
            })
            .collect::<Vec<_>>(),
    ));

    let mut by_moment = Table::new(&[
        "Lead moment",
        "Became a lead this way",
        "Leads with this moment",
        "Moments",
    ])
    .numeric_columns(&[1, 2, 3])
    .when_empty("No leads yet.");
    for m in &report.by_moment {
        by_moment.row(vec![
            m.moment.label().to_owned(),
            m.first.to_string(),
            m.leads.to_string(),
            m.moments.to_string(),
        ]);
    }

    let mut journeys_html = Html::default();
    if report.leads.is_empty() {
        journeys_html.push(Html::paragraph("No leads yet."));
    }
    for (view, steps) in report.leads.iter().zip(journeys) {
        journeys_html.push(Html::subheading(&format!(
            "{} — {}",
            display_name(view),
            format_time(view.lead.first_ts())
        )));
        let d = &view.lead.details;
        let mut facts = Vec::new();
        for (label, values) in [
            ("Email", &d.emails),
            ("Phone", &d.phones),
            ("Company", &d.companies),
            ("User id", &d.user_ids),
        ] {
            if !values.is_empty() {
                let joined: Vec<&str> = values.iter().map(String::as_str).collect();
                facts.push(format!("{label}: {}", joined.join(", ")));
            }
        }
        facts.push(format!("Devices/browsers: {}", view.lead.visitors.len()));
        if let Some(ft) = &view.first_touch {
            facts.push(format!(
                "First touch: {} on {} ({})",
                ft.source.label(),
                ft.landing,
                format_time(ft.ts)
            ));
        }
        journeys_html.push(Html::paragraph(&facts.join(" · ")));
        let mut table = Table::new(&["Time", "Step", "Detail", "Source"])
            .when_empty("No stored events for this lead's visitors.");
        for step in steps {
            table.row(vec![
                format_time(step.ts),
                step_label(&step.kind).to_owned(),
                step.what.clone(),
                step.source.clone(),
            ]);
        }
        journeys_html.push(table.render());
    }
    if report.leads.len() > journeys.len() {
        journeys_html.push(Html::paragraph(&format!(
            "{} older leads are in the CSV.",
            report.leads.len() - journeys.len()
        )));
    }

    vec![
        Section::new("Leads", overview),
        Section::new("Leads by source", by_source_html),
        Section::new("Leads by lead moment", by_moment.render()),
        Section::new(format!("Lead journeys (latest {JOURNEYS})"), journeys_html),
    ]
}

/// CSV columns of `GET /leads.csv`.
pub const CSV_COLUMNS: [&str; 24] = [
    "lead_id",
    "site",
    "first_seen_utc",
    "last_seen_utc",
    "first_moment",
    "moments",
    "source_group",
    "source_name",
    "landing_page",
    "first_referrer",
    "first_touch_utc",
    "names",
    "companies",
    "emails",
    "phones",
    "user_ids",
    "email_sha256",
    "phone_sha256",
    "visitors",
    "page_views",
    "triggers",
    "call_clicks",
    "form_submits",
    "calls",
];

/// `2024-05-01 09:30:05`: a format spreadsheets read as a date-time (UTC).
fn csv_time(ms: i64) -> String {
    format_time(ms).trim_end_matches(" UTC").to_owned()
}

fn joined<'a>(values: impl IntoIterator<Item = &'a String>) -> String {
    values
        .into_iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The leads as CSV text.
pub fn leads_csv(report: &LeadsReport) -> String {
    let mut csv = Csv::with_header(&CSV_COLUMNS);
    for view in &report.leads {
        let lead = &view.lead;
        let d = &lead.details;
        let mut moments: Vec<&str> = lead.touches.iter().map(|t| t.moment.as_str()).collect();
        moments.dedup();
        let source = view.source();
        let count = |kind: &str| view.event_counts.get(kind).copied().unwrap_or(0);
        csv.text(&lead.id)
            .text(&report.site)
            .text(&csv_time(lead.first_ts()))
            .text(&csv_time(lead.last_ts()))
            .text(lead.first_moment().map_or("", |m| m.as_str()))
            .text(&moments.join("; "))
            .text(source.group.as_deref().unwrap_or(""))
            .text(source.name.as_deref().unwrap_or(""))
            .text(view.first_touch.as_ref().map_or("", |t| t.landing.as_str()))
            .text(
                view.first_touch
                    .as_ref()
                    .map_or("", |t| t.referrer.as_str()),
            )
            .text(
                &view
                    .first_touch
                    .as_ref()
                    .map_or(String::new(), |t| csv_time(t.ts)),
            )
            .text(&joined(&d.names))
            .text(&joined(&d.companies))
            .text(&joined(&d.emails))
            .text(&joined(&d.phones))
            .text(&joined(&d.user_ids))
            .text(&joined(&d.email_hashes))
            .text(&joined(&d.phone_hashes))
            .text(&joined(&lead.visitors))
            .number(count("page_view"))
            .number(count("trigger"))
            .number(count("call_click"))
            .number(count("form_submit"))
            .number(view.calls);
        csv.end_row();
    }
    csv.finish()
}

/// `GET /leads.csv?site=ID`: every lead of a site as CSV (columns: [`CSV_COLUMNS`]), newest
/// first; multiple values in a cell are joined with `; `.
///
/// # Errors
/// 400 for a missing or bad `site` or unknown parameters; 503/500 on storage failure.
pub async fn csv(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> AppResult<impl IntoResponse> {
    // `limit` is accepted for symmetry with the JSON API but the export is always complete.
    let site = query.validate()?.site;
    let filename = format!("attachment; filename=\"leads-{site}.csv\"");
    let report = {
        let site = site.clone();
        state.db.run(move |store| leads::load(store, &site)).await?
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, filename),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        leads_csv(&report),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leads::{build, touches};
    use crate::store::leads::MomentRow;

    fn report(data: &str) -> LeadsReport {
        let moments = [MomentRow {
            id: "e1".into(),
            kind: "form_submit".into(),
            visitor: "v".into(),
            session: "s".into(),
            ts: 1_700_000_000_000,
            data: Some(data.into()),
        }];
        build("demo", touches(&moments, &[]), &[], &[])
    }

    #[test]
    fn csv_rows_are_escaped_and_guarded() {
        let r = report(
            r#"{"form":"contact","fields":{"name":"=HYPERLINK(\"http://evil\",\"x\")","company":"A, \"B\"\nC","phone":"+819012345678","email":"a@b.jp"}}"#,
        );
        let text = leads_csv(&r);
        let mut lines = text.split("\r\n");
        let header = lines.next().expect("header");
        assert_eq!(header.trim_start_matches('\u{feff}'), CSV_COLUMNS.join(","));
        let row = lines.next().expect("row");
        assert!(
            row.starts_with("e1,demo,2023-11-14 22:13:20,2023-11-14 22:13:20,form,form,"),
            "{row}"
        );
        assert!(
            row.contains(r#""'=HYPERLINK(""http://evil"",""x"")""#),
            "{row}"
        );
        assert!(row.contains("\"A, \"\"B\"\"\nC\""), "{row}");
        assert!(row.contains(",'+819012345678,"), "{row}");
        assert!(row.contains(",a@b.jp,"), "{row}");
        assert!(row.ends_with(",v,0,0,0,0,0"), "{row}");
    }

    #[test]
    fn journeys_escape_what_visitors_typed() {
        let r = report(r#"{"form":"<script>x</script>","fields":{"name":"<b>Taro</b>"}}"#);
        let steps = vec![Step {
            ts: 1,
            kind: "form_submit".into(),
            what: "<script>x</script>".into(),
            visitor: "v".into(),
            source: "<i>".into(),
        }];
        let sections = render(&r, &[steps]);
        let html: String = sections.iter().map(|s| s.body.as_str()).collect();
        assert!(!html.contains("<script>") && !html.contains("<b>Taro") && !html.contains("<i>"));
        assert!(html.contains("&lt;b&gt;Taro&lt;/b&gt;"), "{html}");
        assert!(html.contains("&lt;script&gt;x&lt;/script&gt;"), "{html}");
    }

    #[test]
    fn display_names_fall_back() {
        let r = report(r#"{"form":"f","fields":{"email":"a@b.jp"}}"#);
        assert_eq!(display_name(&r.leads[0]), "a@b.jp");
        let r = report(r#"{"form":"f"}"#);
        assert_eq!(display_name(&r.leads[0]), "Anonymous lead …e1");
    }
}
