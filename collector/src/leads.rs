//! Leads of a site: stored moments and calls merged into people ([`crate::merge`]), with each
//! lead's first touch, event counts, and anonymous→tracked conversion per source.
//!
//! Definitions:
//! - a lead's **first touch** is the earliest event of any of its visitor ids; its source is the
//!   lead's source ("leads by source");
//! - a visitor's source is the source of its earliest event;
//! - **conversion rate** of a source: visitor ids whose first source it is and that belong to a
//!   lead, over all visitor ids whose first source it is.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use serde_json::Value;

use crate::merge::{merge, Details, Lead, Moment, Touch};
use crate::store::leads::{CallRow, MomentRow, TouchRow};
use crate::store::{Store, StoreError};
use crate::visits::SourceKey;

/// Where a lead (or visitor) first came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FirstTouch {
    /// Client time, ms.
    pub ts: i64,
    /// Visitor id that made it.
    pub visitor: String,
    /// Page URL.
    pub url: String,
    /// Landing path.
    pub landing: String,
    /// Referrer.
    pub referrer: String,
    /// Source.
    pub source: SourceKey,
}

impl FirstTouch {
    fn from_row(row: &TouchRow) -> FirstTouch {
        FirstTouch {
            ts: row.ts,
            visitor: row.visitor.clone(),
            url: row.url.clone(),
            landing: row.path.clone(),
            referrer: row.referrer.clone(),
            source: SourceKey {
                group: row.source_group.clone(),
                name: row.source_name.clone(),
            },
        }
    }
}

/// A lead with what the reports show about it.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadView {
    /// The merged lead.
    pub lead: Lead,
    /// Its first touch, when any visitor id is known.
    pub first_touch: Option<FirstTouch>,
    /// Stored events of its visitor ids by type.
    pub event_counts: BTreeMap<String, u64>,
    /// Calls attributed to its visitor ids.
    pub calls: u64,
}

impl LeadView {
    /// Its source: the first touch's, or none.
    pub fn source(&self) -> SourceKey {
        self.first_touch
            .as_ref()
            .map(|t| t.source.clone())
            .unwrap_or_default()
    }
}

/// Conversion of one source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceLeads {
    /// The source.
    pub source: SourceKey,
    /// Visitor ids whose first source it is.
    pub visitors: u64,
    /// Of those, the ones that belong to a lead.
    pub converted: u64,
    /// `converted / visitors` (0 without visitors).
    pub conversion_rate: f64,
    /// Leads whose first touch has this source.
    pub leads: u64,
}

/// Leads per lead moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MomentLeads {
    /// The moment.
    pub moment: Moment,
    /// Leads that became leads this way (their first moment).
    pub first: u64,
    /// Leads with at least one moment of this kind.
    pub leads: u64,
    /// Moments of this kind.
    pub moments: u64,
}

/// Everything lead reports show for one site.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadsReport {
    /// Site id.
    pub site: String,
    /// Leads, newest first.
    pub leads: Vec<LeadView>,
    /// Per source, most visitors first.
    pub by_source: Vec<SourceLeads>,
    /// Per moment, in [`Moment::ALL`] order, only moments that occurred.
    pub by_moment: Vec<MomentLeads>,
    /// Visitor ids seen.
    pub visitors: u64,
    /// Visitor ids that belong to a lead.
    pub converted: u64,
}

/// Turns stored moments and calls into merge input.
pub fn touches(moments: &[MomentRow], calls: &[CallRow]) -> Vec<Touch> {
    let mut out = Vec::with_capacity(moments.len() + calls.len());
    for m in moments {
        let data: Value = m
            .data
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or(Value::Null);
        let Some(moment) = Moment::of_event(&m.kind, &data) else {
            continue;
        };
        let label = ["form", "channel", "name", "number"]
            .iter()
            .find_map(|k| data.get(*k).and_then(Value::as_str))
            .map(|s| s.chars().take(200).collect());
        out.push(Touch {
            event_id: m.id.clone(),
            visitor: m.visitor.clone(),
            session: m.session.clone(),
            ts: m.ts,
            moment,
            label,
            details: Details::from_event(&m.kind, &data),
        });
    }
    for c in calls {
        out.push(Touch {
            event_id: format!("call:{}", c.id),
            visitor: c.visitor.clone(),
            session: c.session.clone(),
            ts: c.ts,
            moment: Moment::Call,
            label: c.caller.clone(),
            details: Details::from_caller(c.caller.as_deref()),
        });
    }
    out
}

/// Builds the report from rows (pure). `counts` are `(visitor, type, count)`.
pub fn build(
    site: &str,
    touches: Vec<Touch>,
    first_touches: &[TouchRow],
    counts: &[(String, String, u64)],
) -> LeadsReport {
    let leads = merge(touches);
    let first_by_visitor: HashMap<&str, &TouchRow> = first_touches
        .iter()
        .map(|t| (t.visitor.as_str(), t))
        .collect();
    let mut counts_by_visitor: HashMap<&str, Vec<(&str, u64)>> = HashMap::new();
    for (visitor, kind, n) in counts {
        counts_by_visitor
            .entry(visitor.as_str())
            .or_default()
            .push((kind.as_str(), *n));
    }

    let mut converted_visitors: HashSet<&str> = HashSet::new();
    let views: Vec<LeadView> = leads
        .into_iter()
        .map(|lead| {
            let first_touch = lead
                .visitors
                .iter()
                .filter_map(|v| first_by_visitor.get(v.as_str()))
                .min_by(|a, b| a.ts.cmp(&b.ts).then_with(|| a.id.cmp(&b.id)))
                .map(|row| FirstTouch::from_row(row));
            let mut event_counts = BTreeMap::new();
            for v in &lead.visitors {
                for (kind, n) in counts_by_visitor.get(v.as_str()).into_iter().flatten() {
                    *event_counts.entry((*kind).to_owned()).or_insert(0) += n;
                }
            }
            let calls = lead
                .touches
                .iter()
                .filter(|t| t.moment == Moment::Call)
                .count() as u64;
            LeadView {
                lead,
                first_touch,
                event_counts,
                calls,
            }
        })
        .collect();
    for view in &views {
        for v in &view.lead.visitors {
            if let Some((key, _)) = first_by_visitor.get_key_value(v.as_str()) {
                converted_visitors.insert(key);
            }
        }
    }

    let mut by_source: BTreeMap<SourceKey, SourceLeads> = BTreeMap::new();
    for t in first_touches {
        let source = SourceKey {
            group: t.source_group.clone(),
            name: t.source_name.clone(),
        };
        let s = source_entry(&mut by_source, source);
        s.visitors += 1;
        s.converted += u64::from(converted_visitors.contains(t.visitor.as_str()));
    }
    for view in &views {
        source_entry(&mut by_source, view.source()).leads += 1;
    }
    let mut by_source: Vec<SourceLeads> = by_source
        .into_values()
        .map(|mut s| {
            s.conversion_rate = if s.visitors == 0 {
                0.0
            } else {
                s.converted as f64 / s.visitors as f64
            };
            s
        })
        .collect();
    by_source.sort_by(|a, b| {
        b.visitors
            .cmp(&a.visitors)
            .then_with(|| b.leads.cmp(&a.leads))
    });

    let by_moment = Moment::ALL
        .iter()
        .map(|&moment| MomentLeads {
            moment,
            first: views
                .iter()
                .filter(|v| v.lead.first_moment() == Some(moment))
                .count() as u64,
            leads: views
                .iter()
                .filter(|v| v.lead.touches.iter().any(|t| t.moment == moment))
                .count() as u64,
            moments: views
                .iter()
                .flat_map(|v| &v.lead.touches)
                .filter(|t| t.moment == moment)
                .count() as u64,
        })
        .filter(|m| m.moments > 0)
        .collect();

    LeadsReport {
        site: site.to_owned(),
        leads: views,
        by_source,
        by_moment,
        visitors: first_touches.len() as u64,
        converted: converted_visitors.len() as u64,
    }
}

fn source_entry(map: &mut BTreeMap<SourceKey, SourceLeads>, source: SourceKey) -> &mut SourceLeads {
    map.entry(source.clone()).or_insert_with(|| SourceLeads {
        source,
        visitors: 0,
        converted: 0,
        conversion_rate: 0.0,
        leads: 0,
    })
}

/// Loads and builds the leads of a site.
///
/// # Errors
/// On storage failure.
pub fn load(store: &dyn Store, site: &str) -> Result<LeadsReport, StoreError> {
    let moments = store.lead_moments(site)?;
    let calls = store.attributed_calls(site)?;
    let touches = touches(&moments, &calls);
    let mut lead_visitors: Vec<String> = touches
        .iter()
        .filter(|t| !t.visitor.is_empty())
        .map(|t| t.visitor.clone())
        .collect();
    lead_visitors.sort_unstable();
    lead_visitors.dedup();
    let counts = store.visitor_type_counts(site, &lead_visitors)?;
    let first_touches = store.first_touches(site)?;
    Ok(build(site, touches, &first_touches, &counts))
}

/// One step of a lead's journey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Client time, ms.
    pub ts: i64,
    /// `page_view`, `trigger`, `call`, `form_submit`, ...
    pub kind: String,
    /// What: the page path, trigger name, form, caller...
    pub what: String,
    /// Visitor id.
    pub visitor: String,
    /// Source of the event, as a label.
    pub source: String,
}

/// Event types a journey shows (engagement and swaps are summarized elsewhere).
const JOURNEY_TYPES: [&str; 7] = [
    "page_view",
    "trigger",
    "call_click",
    "form_submit",
    "identify",
    "lead",
    "custom",
];

/// A lead's journey from its visitors' events and its calls, oldest first.
pub fn journey(view: &LeadView, events: &[TouchRow]) -> Vec<Step> {
    let mut steps: Vec<Step> = events
        .iter()
        .filter(|e| view.lead.visitors.contains(&e.visitor))
        .filter(|e| JOURNEY_TYPES.contains(&e.kind.as_str()))
        .map(|e| {
            let data: Value = e
                .data
                .as_deref()
                .and_then(|d| serde_json::from_str(d).ok())
                .unwrap_or(Value::Null);
            let field = |k: &str| data.get(k).and_then(Value::as_str).map(str::to_owned);
            let what = match e.kind.as_str() {
                "page_view" => Some(e.path.clone()),
                "trigger" | "custom" => field("name"),
                "call_click" => field("number"),
                "form_submit" => field("form"),
                "identify" => field("user_id"),
                "lead" => field("channel"),
                _ => None,
            };
            Step {
                ts: e.ts,
                kind: e.kind.clone(),
                what: what.unwrap_or_default().chars().take(200).collect(),
                visitor: e.visitor.clone(),
                source: SourceKey {
                    group: e.source_group.clone(),
                    name: e.source_name.clone(),
                }
                .label(),
            }
        })
        .collect();
    for t in view
        .lead
        .touches
        .iter()
        .filter(|t| t.moment == Moment::Call)
    {
        steps.push(Step {
            ts: t.ts,
            kind: "call".into(),
            what: t.label.clone().unwrap_or_else(|| "(no caller id)".into()),
            visitor: t.visitor.clone(),
            source: String::new(),
        });
    }
    steps.sort_by_key(|s| s.ts);
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moment(id: &str, kind: &str, visitor: &str, ts: i64, data: &str) -> MomentRow {
        MomentRow {
            id: id.into(),
            kind: kind.into(),
            visitor: visitor.into(),
            session: format!("s-{visitor}"),
            ts,
            data: Some(data.into()),
        }
    }

    fn first(visitor: &str, ts: i64, group: &str, name: Option<&str>) -> TouchRow {
        TouchRow {
            id: format!("pv-{visitor}"),
            kind: "page_view".into(),
            visitor: visitor.into(),
            session: format!("s-{visitor}"),
            ts,
            url: "https://a.jp/lp".into(),
            path: "/lp".into(),
            referrer: String::new(),
            source_group: Some(group.into()),
            source_name: name.map(Into::into),
            data: None,
        }
    }

    #[test]
    fn conversion_per_source_and_lead_sources() {
        let moments = [
            moment(
                "m1",
                "form_submit",
                "a",
                100,
                r#"{"form":"contact","fields":{"email":"x@y.jp"}}"#,
            ),
            moment(
                "m2",
                "identify",
                "b",
                200,
                r#"{"user_id":"u","traits":{"email":"x@y.jp"}}"#,
            ),
            moment("m3", "call_click", "c", 300, r#"{"number":"+81399990001"}"#),
        ];
        let calls = [CallRow {
            id: "k1".into(),
            visitor: "c".into(),
            session: "s-c".into(),
            ts: 310,
            caller: Some("+819000000000".into()),
        }];
        let firsts = [
            first("b", 5, "paid", Some("google-ads")), // b's first touch is earlier than a's
            first("a", 10, "search", None),
            first("c", 20, "search", None),
            first("d", 30, "search", None),
            first("e", 40, "paid", Some("google-ads")),
        ];
        let counts = [
            ("a".to_owned(), "page_view".to_owned(), 3),
            ("b".to_owned(), "page_view".to_owned(), 2),
            ("d".to_owned(), "page_view".to_owned(), 9),
        ];
        let report = build("s", touches(&moments, &calls), &firsts, &counts);
        assert_eq!(report.leads.len(), 2);
        assert_eq!((report.visitors, report.converted), (5, 3));

        let ab = &report.leads[1];
        assert_eq!(ab.lead.visitors.len(), 2);
        let ft = ab.first_touch.as_ref().expect("first touch");
        assert_eq!(
            (ft.visitor.as_str(), ft.source.label()),
            ("b", "google-ads (paid)".into())
        );
        assert_eq!(ab.event_counts.get("page_view"), Some(&5));
        let c = &report.leads[0];
        assert_eq!((c.calls, c.lead.touches.len()), (1, 2));
        assert_eq!(
            c.lead.details.phones.iter().next().map(String::as_str),
            Some("+819000000000")
        );

        let search = report
            .by_source
            .iter()
            .find(|s| s.source.label() == "search")
            .expect("search");
        assert_eq!((search.visitors, search.converted, search.leads), (3, 2, 1));
        assert!((search.conversion_rate - 2.0 / 3.0).abs() < 1e-9);
        let paid = report
            .by_source
            .iter()
            .find(|s| s.source.label() == "google-ads (paid)")
            .expect("paid");
        assert_eq!((paid.visitors, paid.converted, paid.leads), (2, 1, 1));

        let form = report
            .by_moment
            .iter()
            .find(|m| m.moment == Moment::Form)
            .expect("form");
        assert_eq!((form.first, form.leads, form.moments), (1, 1, 1));
        let click = report
            .by_moment
            .iter()
            .find(|m| m.moment == Moment::CallClick)
            .expect("click");
        assert_eq!(click.first, 1);
        assert!(report.by_moment.iter().all(|m| m.moments > 0));
    }

    #[test]
    fn unreadable_data_still_makes_a_moment() {
        let t = touches(&[moment("m", "form_submit", "v", 1, "not json")], &[]);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].details, Details::default());
        let t = touches(&[moment("m", "page_view", "v", 1, "{}")], &[]);
        assert!(t.is_empty());
    }

    #[test]
    fn journeys_list_pages_triggers_forms_and_calls() {
        let moments = [moment(
            "m1",
            "form_submit",
            "a",
            30,
            r#"{"form":"contact"}"#,
        )];
        let calls = [CallRow {
            id: "k".into(),
            visitor: "a".into(),
            session: String::new(),
            ts: 40,
            caller: None,
        }];
        let report = build("s", touches(&moments, &calls), &[], &[]);
        let view = &report.leads[0];
        let mut events = vec![
            first("a", 10, "search", None),
            first("zz", 11, "search", None),
        ];
        events.push(TouchRow {
            id: "t".into(),
            kind: "trigger".into(),
            ts: 20,
            data: Some(r#"{"name":"chat"}"#.into()),
            ..first("a", 20, "search", None)
        });
        events.push(TouchRow {
            id: "e".into(),
            kind: "engagement".into(),
            ts: 21,
            ..first("a", 21, "search", None)
        });
        events.push(TouchRow {
            id: "m1".into(),
            kind: "form_submit".into(),
            ts: 30,
            data: Some(r#"{"form":"contact"}"#.into()),
            ..first("a", 30, "search", None)
        });
        let steps = journey(view, &events);
        let got: Vec<(&str, &str)> = steps
            .iter()
            .map(|s| (s.kind.as_str(), s.what.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("page_view", "/lp"),
                ("trigger", "chat"),
                ("form_submit", "contact"),
                ("call", "(no caller id)")
            ]
        );
    }
}
