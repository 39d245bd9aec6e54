//! Visits, page views and engaged time from stored events (pure, unit-tested).
//!
//! Definitions (the report and `GET /v1/visits` say the same):
//! - a **visit** is a session id (the snippet starts a new one after 30 idle minutes); events
//!   with an empty session id (visitors who may not be stored) are not visits;
//! - a visit's **source** and **landing page** are those of its earliest event;
//! - **engaged time of a page view** is the sum of the `engaged_ms` increments of the
//!   `engagement` events naming it (`data.page_view`); its scroll depth is their maximum. Medians
//!   are over page views with at least one engagement report (a page view without one was
//!   either left before the first report or its report was lost: neither is a measured zero);
//! - **revisit rate** of a source: the share of its visits whose `revisit` (earlier sessions of
//!   the visitor) is 1 or more;
//! - **bounce**: a visit with one page view and no interaction (call click, form, lead,
//!   identify, custom event);
//! - **pages per visit**: page views / visits.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

/// The fields of one stored event that visit reports read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VisitRow {
    /// Event id.
    pub id: String,
    /// Event type.
    pub kind: String,
    /// Visitor id.
    pub visitor: String,
    /// Session id.
    pub session: String,
    /// Client time, ms.
    pub ts: i64,
    /// Page path.
    pub path: String,
    /// Referrer group.
    pub source_group: Option<String>,
    /// Source rule name.
    pub source_name: Option<String>,
    /// Earlier sessions of the visitor.
    pub revisit: Option<i64>,
    /// `engagement`: `data.engaged_ms`.
    pub engaged_ms: Option<i64>,
    /// `engagement`: `data.scroll_pct`.
    pub scroll_pct: Option<i64>,
    /// `engagement`: `data.page_view`, the page view it is about.
    pub page_view: Option<String>,
    /// `trigger` / `custom`: `data.name`.
    pub name: Option<String>,
}

/// A traffic source as reports group it.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct SourceKey {
    /// Referrer group (`search`, `paid`, ...), when known.
    pub group: Option<String>,
    /// Source rule name, when one matched.
    pub name: Option<String>,
}

impl SourceKey {
    /// `google-ads (paid)`, `search`, `(none)`.
    pub fn label(&self) -> String {
        match (&self.name, &self.group) {
            (Some(name), Some(group)) => format!("{name} ({group})"),
            (Some(name), None) => name.clone(),
            (None, Some(group)) => group.clone(),
            (None, None) => "(none)".to_owned(),
        }
    }
}

/// One visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Visit {
    /// Session id.
    pub session: String,
    /// Visitor id.
    pub visitor: String,
    /// Earliest event time, ms.
    pub start: i64,
    /// Latest event time, ms.
    pub end: i64,
    /// Source of the earliest event.
    pub source: SourceKey,
    /// Path of the earliest page view (or event).
    pub landing: String,
    /// Page views.
    pub page_views: u64,
    /// Sum of engaged time over its page views, ms.
    pub engaged_ms: i64,
    /// Deepest scroll, percent.
    pub max_scroll_pct: Option<i64>,
    /// Highest `revisit` seen (earlier sessions of the visitor).
    pub revisit: i64,
    /// Triggers fired.
    pub triggers: u64,
    /// Interactions: call clicks, forms, leads, identify, custom events.
    pub interactions: u64,
    /// One page view and no interaction.
    pub bounced: bool,
}

/// Totals over a set of visits.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct VisitTotals {
    /// Visits.
    pub visits: u64,
    /// Distinct non-empty visitor ids.
    pub visitors: u64,
    /// Page views.
    pub page_views: u64,
    /// Visits with revisit ≥ 1.
    pub revisits: u64,
    /// `revisits / visits`, 0 when there are no visits.
    pub revisit_rate: f64,
    /// Bounced visits.
    pub bounces: u64,
    /// `bounces / visits`.
    pub bounce_rate: f64,
    /// `page_views / visits`.
    pub pages_per_visit: f64,
    /// Page views with an engagement report.
    pub engaged_page_views: u64,
    /// Median engaged time per page view, ms (`None` without engagement reports).
    pub median_engaged_ms: Option<i64>,
}

/// Visits of one source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceVisits {
    /// The source.
    pub source: SourceKey,
    /// Its totals.
    #[serde(flatten)]
    pub totals: VisitTotals,
}

/// One page path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PageStats {
    /// Path.
    pub path: String,
    /// Page views.
    pub views: u64,
    /// Visits that viewed it.
    pub visits: u64,
    /// Median engaged time per page view, ms.
    pub median_engaged_ms: Option<i64>,
}

/// One trigger name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TriggerStats {
    /// Trigger name.
    pub name: String,
    /// Times fired.
    pub fired: u64,
    /// Visits in which it fired.
    pub visits: u64,
}

/// Everything visit reports show.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct VisitReport {
    /// Over all visits.
    pub totals: VisitTotals,
    /// Per source, most visits first.
    pub by_source: Vec<SourceVisits>,
    /// Per page path, most views first.
    pub pages: Vec<PageStats>,
    /// Per trigger name, most fired first.
    pub triggers: Vec<TriggerStats>,
    /// Visits, newest first.
    pub visits: Vec<Visit>,
}

/// Engagement of one page view.
#[derive(Debug, Default, Clone)]
struct PageViewEngagement {
    engaged_ms: i64,
    scroll: Option<i64>,
    path: Option<String>,
    session: Option<String>,
}

/// Median of integers (the lower middle's and upper middle's mean, rounded down).
pub fn median(values: &mut [i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        // Halves first: no overflow for any i64 pair.
        values[mid - 1] / 2 + values[mid] / 2 + (values[mid - 1] % 2 + values[mid] % 2) / 2
    })
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn is_interaction(kind: &str) -> bool {
    matches!(
        kind,
        "call_click" | "form_submit" | "lead" | "identify" | "custom"
    )
}

/// Aggregates events into visits. `rows` may come in any order.
pub fn aggregate(rows: &[VisitRow]) -> VisitReport {
    let mut ordered: Vec<&VisitRow> = rows.iter().filter(|r| !r.session.is_empty()).collect();
    ordered.sort_by(|a, b| {
        (a.session.as_str(), a.ts, a.id.as_str()).cmp(&(b.session.as_str(), b.ts, b.id.as_str()))
    });

    // Engagement per page view; page-view rows give it a path and a session.
    let mut engagement: HashMap<&str, PageViewEngagement> = HashMap::new();
    for row in &ordered {
        match row.kind.as_str() {
            "engagement" => {
                let key = row.page_view.as_deref().unwrap_or(row.id.as_str());
                let e = engagement.entry(key).or_default();
                e.engaged_ms = e
                    .engaged_ms
                    .saturating_add(row.engaged_ms.unwrap_or(0).max(0));
                e.scroll = e.scroll.max(row.scroll_pct);
                e.path.get_or_insert_with(|| row.path.clone());
                e.session.get_or_insert_with(|| row.session.clone());
            }
            "page_view" => {
                if let Some(e) = engagement.get_mut(row.id.as_str()) {
                    e.path = Some(row.path.clone());
                    e.session = Some(row.session.clone());
                }
            }
            _ => {}
        }
    }
    // Page-view rows seen after their engagement rows (clock skew) need a second pass.
    for row in ordered.iter().filter(|r| r.kind == "page_view") {
        if let Some(e) = engagement.get_mut(row.id.as_str()) {
            e.path = Some(row.path.clone());
            e.session = Some(row.session.clone());
        }
    }

    let mut visits: Vec<Visit> = Vec::new();
    let mut session_trigger_names: Vec<(String, String)> = Vec::new();
    let mut trigger_fired: BTreeMap<String, u64> = BTreeMap::new();
    let mut page_views_by_path: BTreeMap<String, (u64, Vec<String>)> = BTreeMap::new();
    for group in ordered.chunk_by(|a, b| a.session == b.session) {
        let first = group[0];
        let landing = group
            .iter()
            .find(|r| r.kind == "page_view")
            .unwrap_or(&first);
        let mut visit = Visit {
            session: first.session.clone(),
            visitor: first.visitor.clone(),
            start: first.ts,
            end: group.last().map_or(first.ts, |r| r.ts),
            source: SourceKey {
                group: first.source_group.clone(),
                name: first.source_name.clone(),
            },
            landing: landing.path.clone(),
            page_views: 0,
            engaged_ms: 0,
            max_scroll_pct: None,
            revisit: 0,
            triggers: 0,
            interactions: 0,
            bounced: false,
        };
        for row in group {
            visit.revisit = visit.revisit.max(row.revisit.unwrap_or(0));
            match row.kind.as_str() {
                "page_view" => {
                    visit.page_views += 1;
                    let entry = page_views_by_path.entry(row.path.clone()).or_default();
                    entry.0 += 1;
                    entry.1.push(row.session.clone());
                }
                "engagement" => {
                    visit.engaged_ms = visit
                        .engaged_ms
                        .saturating_add(row.engaged_ms.unwrap_or(0).max(0));
                    visit.max_scroll_pct = visit.max_scroll_pct.max(row.scroll_pct);
                }
                "trigger" => {
                    visit.triggers += 1;
                    let name = row.name.clone().unwrap_or_else(|| "(unnamed)".into());
                    *trigger_fired.entry(name.clone()).or_insert(0) += 1;
                    session_trigger_names.push((name, row.session.clone()));
                }
                kind if is_interaction(kind) => visit.interactions += 1,
                _ => {}
            }
        }
        visit.bounced = visit.page_views == 1 && visit.interactions == 0;
        visits.push(visit);
    }

    let session_source: HashMap<&str, &SourceKey> = visits
        .iter()
        .map(|v| (v.session.as_str(), &v.source))
        .collect();

    // Totals, overall and per source.
    let mut totals = Totals::default();
    let mut by_source: BTreeMap<SourceKey, Totals> = BTreeMap::new();
    for v in &visits {
        totals.add_visit(v);
        by_source.entry(v.source.clone()).or_default().add_visit(v);
    }
    let mut by_path_engaged: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for e in engagement.values() {
        totals.engaged.push(e.engaged_ms);
        if let Some(source) = e.session.as_deref().and_then(|s| session_source.get(s)) {
            by_source
                .entry((*source).clone())
                .or_default()
                .engaged
                .push(e.engaged_ms);
        }
        if let Some(path) = &e.path {
            by_path_engaged
                .entry(path.clone())
                .or_default()
                .push(e.engaged_ms);
        }
    }

    let mut by_source: Vec<SourceVisits> = by_source
        .into_iter()
        .map(|(source, t)| SourceVisits {
            source,
            totals: t.finish(),
        })
        .collect();
    by_source.sort_by_key(|s| std::cmp::Reverse(s.totals.visits));

    let mut pages: Vec<PageStats> = page_views_by_path
        .into_iter()
        .map(|(path, (views, mut sessions))| {
            sessions.sort_unstable();
            sessions.dedup();
            let median_engaged_ms = by_path_engaged
                .get_mut(&path)
                .and_then(|v| median(v.as_mut_slice()));
            PageStats {
                path,
                views,
                visits: sessions.len() as u64,
                median_engaged_ms,
            }
        })
        .collect();
    pages.sort_by_key(|p| std::cmp::Reverse(p.views));

    session_trigger_names.sort_unstable();
    session_trigger_names.dedup();
    let mut triggers: Vec<TriggerStats> = trigger_fired
        .into_iter()
        .map(|(name, fired)| TriggerStats {
            visits: session_trigger_names
                .iter()
                .filter(|(n, _)| *n == name)
                .count() as u64,
            name,
            fired,
        })
        .collect();
    triggers.sort_by_key(|t| std::cmp::Reverse(t.fired));

    visits.sort_by(|a, b| {
        b.start
            .cmp(&a.start)
            .then_with(|| a.session.cmp(&b.session))
    });
    VisitReport {
        totals: totals.finish(),
        by_source,
        pages,
        triggers,
        visits,
    }
}

/// Running totals.
#[derive(Debug, Default)]
struct Totals {
    visits: u64,
    visitors: Vec<String>,
    page_views: u64,
    revisits: u64,
    bounces: u64,
    engaged: Vec<i64>,
}

impl Totals {
    fn add_visit(&mut self, v: &Visit) {
        self.visits += 1;
        if !v.visitor.is_empty() {
            self.visitors.push(v.visitor.clone());
        }
        self.page_views += v.page_views;
        self.revisits += u64::from(v.revisit >= 1);
        self.bounces += u64::from(v.bounced);
    }

    fn finish(mut self) -> VisitTotals {
        self.visitors.sort_unstable();
        self.visitors.dedup();
        VisitTotals {
            visits: self.visits,
            visitors: self.visitors.len() as u64,
            page_views: self.page_views,
            revisits: self.revisits,
            revisit_rate: ratio(self.revisits, self.visits),
            bounces: self.bounces,
            bounce_rate: ratio(self.bounces, self.visits),
            pages_per_visit: ratio(self.page_views, self.visits),
            engaged_page_views: self.engaged.len() as u64,
            median_engaged_ms: median(&mut self.engaged),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, kind: &str, session: &str, ts: i64) -> VisitRow {
        VisitRow {
            id: id.into(),
            kind: kind.into(),
            visitor: format!("v-{session}"),
            session: session.into(),
            ts,
            path: "/".into(),
            ..VisitRow::default()
        }
    }

    fn page_view(id: &str, session: &str, ts: i64, path: &str, revisit: i64) -> VisitRow {
        VisitRow {
            path: path.into(),
            revisit: Some(revisit),
            ..row(id, "page_view", session, ts)
        }
    }

    fn engagement(id: &str, session: &str, ts: i64, pv: &str, ms: i64, scroll: i64) -> VisitRow {
        VisitRow {
            engaged_ms: Some(ms),
            scroll_pct: Some(scroll),
            page_view: Some(pv.into()),
            ..row(id, "engagement", session, ts)
        }
    }

    fn with_source(mut r: VisitRow, group: &str, name: Option<&str>) -> VisitRow {
        r.source_group = Some(group.into());
        r.source_name = name.map(Into::into);
        r
    }

    #[test]
    fn medians() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5]), Some(5));
        assert_eq!(median(&mut [9, 1, 5]), Some(5));
        assert_eq!(
            median(&mut [4, 1, 3, 2]),
            Some(2),
            "mean of 2 and 3, rounded down"
        );
        assert_eq!(median(&mut [i64::MAX, i64::MAX]), Some(i64::MAX));
        assert_eq!(median(&mut [3, 5]), Some(4));
        assert_eq!(median(&mut [3, 4]), Some(3));
    }

    #[test]
    fn engagement_increments_sum_per_page_view() {
        let rows = vec![
            page_view("p1", "s1", 0, "/pricing", 0),
            engagement("e1", "s1", 5, "p1", 1000, 20),
            engagement("e2", "s1", 9, "p1", 2500, 60),
            engagement("e3", "s1", 12, "p1", 500, 40),
            page_view("p2", "s1", 20, "/contact", 0),
            engagement("e4", "s1", 30, "p2", 10_000, 100),
            // A page view whose engagement was never reported does not count as zero.
            page_view("p3", "s1", 40, "/thanks", 0),
        ];
        let report = aggregate(&rows);
        let t = &report.totals;
        assert_eq!((t.visits, t.page_views, t.engaged_page_views), (1, 3, 2));
        assert_eq!(t.median_engaged_ms, Some((4000 + 10_000) / 2));
        let v = &report.visits[0];
        assert_eq!((v.engaged_ms, v.max_scroll_pct), (14_000, Some(100)));
        assert_eq!(v.landing, "/pricing");
        assert!(!v.bounced);
        let pricing = report
            .pages
            .iter()
            .find(|p| p.path == "/pricing")
            .expect("page");
        assert_eq!(
            (pricing.views, pricing.visits, pricing.median_engaged_ms),
            (1, 1, Some(4000))
        );
        let thanks = report
            .pages
            .iter()
            .find(|p| p.path == "/thanks")
            .expect("page");
        assert_eq!(thanks.median_engaged_ms, None);
    }

    #[test]
    fn engagement_before_its_page_view_still_finds_the_path() {
        // Client clocks can put an engagement report before its page view.
        let rows = vec![
            engagement("e1", "s1", 1, "p1", 700, 10),
            VisitRow {
                path: "/a".into(),
                ..page_view("p1", "s1", 2, "/a", 0)
            },
        ];
        let report = aggregate(&rows);
        assert_eq!(report.pages[0].median_engaged_ms, Some(700));
    }

    #[test]
    fn revisit_rate_bounce_and_pages_per_source() {
        let rows = vec![
            // Paid: two visits, one a revisit; one bounced.
            with_source(
                page_view("a1", "sa", 10, "/", 0),
                "paid",
                Some("google-ads"),
            ),
            with_source(
                page_view("a2", "sa", 11, "/pricing", 0),
                "paid",
                Some("google-ads"),
            ),
            with_source(
                page_view("b1", "sb", 20, "/", 2),
                "paid",
                Some("google-ads"),
            ),
            // Search: one visit, a page view and a call click: not a bounce.
            with_source(page_view("c1", "sc", 30, "/", 0), "search", None),
            with_source(row("c2", "call_click", "sc", 31), "search", None),
            // No source, no session: ignored.
            page_view("x1", "", 40, "/", 0),
        ];
        let report = aggregate(&rows);
        assert_eq!(report.totals.visits, 3);
        assert_eq!(report.totals.bounces, 1);
        assert!((report.totals.pages_per_visit - 4.0 / 3.0).abs() < 1e-9);
        let paid = &report.by_source[0];
        assert_eq!(paid.source.label(), "google-ads (paid)");
        assert_eq!((paid.totals.visits, paid.totals.revisits), (2, 1));
        assert!((paid.totals.revisit_rate - 0.5).abs() < 1e-9);
        assert!((paid.totals.bounce_rate - 0.5).abs() < 1e-9);
        let search = &report.by_source[1];
        assert_eq!(search.source.label(), "search");
        assert_eq!((search.totals.visits, search.totals.bounces), (1, 0));
        assert_eq!(search.totals.revisit_rate, 0.0);
        // Newest visit first.
        assert_eq!(report.visits[0].session, "sc");
    }

    #[test]
    fn a_visit_takes_the_source_of_its_first_event() {
        let rows = vec![
            with_source(page_view("p2", "s", 20, "/b", 0), "referral", None),
            with_source(
                page_view("p1", "s", 10, "/a", 0),
                "email",
                Some("newsletter"),
            ),
        ];
        let report = aggregate(&rows);
        assert_eq!(report.visits[0].source.label(), "newsletter (email)");
        assert_eq!(report.visits[0].landing, "/a");
        assert_eq!(report.by_source.len(), 1);
    }

    #[test]
    fn triggers_by_name() {
        let mut rows = vec![
            page_view("p", "s1", 0, "/", 0),
            page_view("q", "s2", 0, "/", 0),
        ];
        for (i, (name, session)) in [
            ("chat", "s1"),
            ("chat", "s1"),
            ("chat", "s2"),
            ("exit", "s2"),
        ]
        .into_iter()
        .enumerate()
        {
            rows.push(VisitRow {
                name: Some(name.into()),
                ..row(&format!("t{i}"), "trigger", session, 1)
            });
        }
        let report = aggregate(&rows);
        assert_eq!(
            report.triggers,
            [
                TriggerStats {
                    name: "chat".into(),
                    fired: 3,
                    visits: 2
                },
                TriggerStats {
                    name: "exit".into(),
                    fired: 1,
                    visits: 1
                },
            ]
        );
    }

    #[test]
    fn nothing_in_nothing_out() {
        let report = aggregate(&[]);
        assert_eq!(report.totals.visits, 0);
        assert_eq!(report.totals.revisit_rate, 0.0);
        assert_eq!(report.totals.median_engaged_ms, None);
    }
}
