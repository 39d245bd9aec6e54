//! Visit sections of the report page: visits, visits by source (pages per visit, bounce rate,
//! revisit rate, median engaged time), views per page, triggers fired, events browsers dropped.
//! Definitions are in [`crate::visits`].

use crate::error::AppResult;
use crate::store::{Db, EventFilter};
use crate::visits::aggregate;

use super::html::{format_time, Html, Section, Table};

/// Most page paths listed.
const PAGES: usize = 50;

/// `850 ms`, `12.3 s`, `2 min 05 s`, `—` for none.
pub fn duration(ms: Option<i64>) -> String {
    match ms {
        None => "—".to_owned(),
        Some(ms) if ms < 1000 => format!("{ms} ms"),
        Some(ms) if ms < 60_000 => format!("{:.1} s", ms as f64 / 1000.0),
        Some(ms) => {
            let secs = ms / 1000;
            format!("{} min {:02} s", secs / 60, secs % 60)
        }
    }
}

/// `42.0 %`.
pub fn percent(rate: f64) -> String {
    format!("{:.1} %", rate * 100.0)
}

/// The visit sections for a filter (one site, or all).
///
/// # Errors
/// When storage fails.
pub async fn sections(db: &Db, filter: &EventFilter) -> AppResult<Vec<Section>> {
    let site = filter.site.clone();
    let (rows, dropped) = db
        .run(move |store| {
            Ok((
                store.visit_rows(site.as_deref(), 0)?,
                store.dropped_counts(site.as_deref())?,
            ))
        })
        .await?;
    let report = aggregate(&rows);
    let t = &report.totals;

    let mut summary = Table::new(&[
        "Visits",
        "Visitors",
        "Page views",
        "Pages per visit",
        "Bounce rate",
        "Revisit rate",
        "Median engaged time per page view",
    ])
    .numeric_columns(&[0, 1, 2, 3, 4, 5, 6])
    .when_empty("No visits yet.");
    if t.visits > 0 {
        summary.row(vec![
            t.visits.to_string(),
            t.visitors.to_string(),
            t.page_views.to_string(),
            format!("{:.2}", t.pages_per_visit),
            percent(t.bounce_rate),
            percent(t.revisit_rate),
            duration(t.median_engaged_ms),
        ]);
    }
    let mut overview = summary.render();
    overview.push(Html::paragraph(
        "A visit is a session (a new one starts after 30 idle minutes). Engaged time of a page \
         view is the sum of its engagement reports; medians count page views that sent one. \
         Revisit rate: visits by visitors who had come before. Bounce: one page view and no \
         call click, form, lead or custom event.",
    ));
    let dropped_total: u64 = dropped.iter().map(|d| d.dropped).sum();
    if dropped_total > 0 {
        let last = dropped.iter().map(|d| d.last_at).max().unwrap_or(0);
        overview.push(Html::paragraph(&format!(
            "Browsers dropped {dropped_total} events from full queues before they could be \
             sent (reported in {} batches, latest {}).",
            dropped.iter().map(|d| d.batches).sum::<u64>(),
            format_time(last)
        )));
    } else {
        overview.push(Html::paragraph("No events were dropped by browsers."));
    }

    let mut by_source = Table::new(&[
        "Source",
        "Visits",
        "Page views",
        "Pages per visit",
        "Bounce rate",
        "Revisit rate",
        "Median engaged time",
    ])
    .numeric_columns(&[1, 2, 3, 4, 5, 6])
    .when_empty("No visits yet.");
    let mut bars = Vec::new();
    for s in &report.by_source {
        let t = &s.totals;
        let label = s.source.label();
        by_source.row(vec![
            label.clone(),
            t.visits.to_string(),
            t.page_views.to_string(),
            format!("{:.2}", t.pages_per_visit),
            percent(t.bounce_rate),
            percent(t.revisit_rate),
            duration(t.median_engaged_ms),
        ]);
        bars.push((label, t.revisit_rate, percent(t.revisit_rate)));
    }
    let mut by_source_html = Html::bars(
        &report
            .by_source
            .iter()
            .map(|s| {
                (
                    s.source.label(),
                    s.totals.visits as f64,
                    s.totals.visits.to_string(),
                )
            })
            .collect::<Vec<_>>(),
    );
    by_source_html.push(by_source.render());
    if !bars.is_empty() {
        by_source_html.push(Html::subheading("Revisit rate by source"));
        by_source_html.push(Html::bars(&bars));
    }

    let mut pages = Table::new(&["Page", "Views", "Visits", "Median engaged time"])
        .numeric_columns(&[1, 2, 3])
        .when_empty("No page views yet.");
    for p in report.pages.iter().take(PAGES) {
        pages.row(vec![
            p.path.clone(),
            p.views.to_string(),
            p.visits.to_string(),
            duration(p.median_engaged_ms),
        ]);
    }
    let mut pages_html = pages.render();
    if report.pages.len() > PAGES {
        pages_html.push(Html::paragraph(&format!(
            "{} more pages not shown.",
            report.pages.len() - PAGES
        )));
    }

    let mut triggers = Table::new(&["Trigger", "Fired", "Visits"])
        .numeric_columns(&[1, 2])
        .when_empty("No triggers fired yet.");
    for tr in &report.triggers {
        triggers.row(vec![
            tr.name.clone(),
            tr.fired.to_string(),
            tr.visits.to_string(),
        ]);
    }
    let mut triggers_html = Html::bars(
        &report
            .triggers
            .iter()
            .map(|tr| (tr.name.clone(), tr.fired as f64, tr.fired.to_string()))
            .collect::<Vec<_>>(),
    );
    triggers_html.push(triggers.render());

    Ok(vec![
        Section::new("Visits", overview),
        Section::new("Visits by source", by_source_html),
        Section::new("Views per page", pages_html),
        Section::new("Triggers fired", triggers_html),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_percents() {
        assert_eq!(duration(None), "—");
        assert_eq!(duration(Some(850)), "850 ms");
        assert_eq!(duration(Some(12_340)), "12.3 s");
        assert_eq!(duration(Some(125_000)), "2 min 05 s");
        assert_eq!(percent(0.5), "50.0 %");
        assert_eq!(percent(0.0), "0.0 %");
    }

    #[test]
    fn bars_scale_and_escape() {
        let html = Html::bars(&[
            ("<b>chat</b>".into(), 4.0, "4 & up".into()),
            ("exit".into(), 2.0, "2".into()),
            ("none".into(), 0.0, "0".into()),
            ("nan".into(), f64::NAN, "?".into()),
        ]);
        let s = html.as_str();
        assert!(s.starts_with("<svg class=\"bars\""), "{s}");
        assert!(
            s.contains("&lt;b&gt;chat&lt;/b&gt;") && s.contains("4 &amp; up"),
            "{s}"
        );
        assert!(!s.contains("<b>"));
        assert!(
            s.contains("width=\"360.0\"") && s.contains("width=\"180.0\""),
            "{s}"
        );
        assert_eq!(
            s.matches("width=\"0.0\"").count(),
            2,
            "zero and NaN draw nothing"
        );
        assert_eq!(Html::bars(&[]).as_str(), "");
    }
}
