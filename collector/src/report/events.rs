//! Event sections of the report page: counts by type, page views by source, recent events.

use crate::error::AppResult;
use crate::store::{Db, EventFilter};

use super::html::{format_time, Html, Section, Table};

/// How many recent events the page lists.
const RECENT: usize = 100;

/// The event sections for a filter.
///
/// # Errors
/// When storage fails.
pub async fn sections(db: &Db, filter: &EventFilter) -> AppResult<Vec<Section>> {
    let f = filter.clone();
    let (total, by_type, by_source, recent) = db
        .run(move |store| {
            Ok((
                store.count_events(&f)?,
                store.count_events_by_type(&f)?,
                store.count_page_views_by_source(&f)?,
                store.recent_events(&f, RECENT)?,
            ))
        })
        .await?;

    let mut types = Table::new(&["Type", "Count"]).when_empty("No events yet.");
    for c in &by_type {
        types.row(vec![c.key.clone(), c.count.to_string()]);
    }
    let mut counts = Html::paragraph(&format!("{total} events stored."));
    counts.push(types.render());

    let mut sources =
        Table::new(&["Group", "Source rule", "Count"]).when_empty("No page views yet.");
    for c in &by_source {
        sources.row(vec![
            if c.key.is_empty() {
                "(none)".into()
            } else {
                c.key.clone()
            },
            c.detail.clone().unwrap_or_else(|| "(no rule)".into()),
            c.count.to_string(),
        ]);
    }

    let mut events = Table::new(&["Received", "Site", "Type", "Visitor", "Page", "Source"])
        .when_empty("No events yet.");
    for e in &recent {
        let source = match (&e.source_name, &e.source_group) {
            (Some(name), Some(group)) => format!("{name} ({group})"),
            (Some(name), None) => name.clone(),
            (None, Some(group)) => group.clone(),
            (None, None) => String::new(),
        };
        events.row(vec![
            format_time(e.received_at),
            e.site.clone(),
            e.kind.clone(),
            e.visitor.clone(),
            e.url.clone(),
            source,
        ]);
    }

    Ok(vec![
        Section::new("Events by type", counts),
        Section::new("Page views by source", sources.render()),
        Section::new(format!("Recent events (last {RECENT})"), events.render()),
    ])
}
