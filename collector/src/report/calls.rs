//! Call and pool sections of the report page: calls by source and campaign per day, first-time
//! vs repeat callers, answered duration, each call with its visitor journey, and pool usage
//! with an overflow rate and a pool-size hint.
//!
//! The numbers are computed by pure functions over stored rows (tested below); charts are the
//! page's inline SVG bars, and every text goes through the escaping table and chart builders.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::error::AppResult;
use crate::leases::PoolSpec;
use crate::sites::Sites;
use crate::store::calls::{CallFilter, CallRecord};
use crate::store::leases::PoolActivity;
use crate::store::Db;

use super::html::{format_time, Html, Section, Table};

/// Calls read for the report (the newest).
const MAX_CALLS: usize = 5000;
/// Calls listed with their journey.
const JOURNEYS: usize = 50;
/// Days of calls and pool activity the report covers.
const WINDOW_DAYS: i64 = 30;
const DAY_MS: i64 = 86_400_000;

/// Calls of one day, source and campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayRow {
    /// `2024-05-01` (UTC).
    pub day: String,
    /// Source rule name, or how the call is unattributed.
    pub source: String,
    /// `utm_campaign`, or empty.
    pub campaign: String,
    /// Calls.
    pub calls: u64,
    /// Calls with talk time.
    pub answered: u64,
}

/// What a call is counted under: its source name, else why it has none.
fn source_label(call: &CallRecord) -> String {
    match (&call.source_name, &call.reason) {
        (Some(name), _) => name.clone(),
        (None, Some(reason)) => format!("({reason})"),
        (None, None) => "(no source)".to_owned(),
    }
}

/// Calls grouped by UTC day, source and campaign; newest day first.
pub fn by_day_source(calls: &[CallRecord]) -> Vec<DayRow> {
    let mut groups: BTreeMap<(String, String, String), (u64, u64)> = BTreeMap::new();
    for call in calls {
        let day = format_time(call.started_at).chars().take(10).collect();
        let key = (
            day,
            source_label(call),
            call.campaign.clone().unwrap_or_default(),
        );
        let entry = groups.entry(key).or_default();
        entry.0 += 1;
        entry.1 += u64::from(call.duration_s > 0);
    }
    let mut rows: Vec<DayRow> = groups
        .into_iter()
        .map(|((day, source, campaign), (calls, answered))| DayRow {
            day,
            source,
            campaign,
            calls,
            answered,
        })
        .collect();
    rows.sort_by(|a, b| b.day.cmp(&a.day).then(b.calls.cmp(&a.calls)));
    rows
}

/// First-time and repeat callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CallerStats {
    /// Callers seen for the first time (one per distinct number).
    pub first_time: u64,
    /// Calls from a number that had called before.
    pub repeat_calls: u64,
    /// Distinct numbers that called more than once.
    pub repeat_callers: u64,
    /// Calls with a withheld number.
    pub withheld: u64,
}

/// Counts first-time and repeat callers (by caller number, in start order).
pub fn caller_stats(calls: &[CallRecord]) -> CallerStats {
    let mut ordered: Vec<&CallRecord> = calls.iter().collect();
    ordered.sort_by_key(|c| c.started_at);
    let mut seen: HashMap<(&str, &str), u64> = HashMap::new();
    let mut stats = CallerStats::default();
    for call in ordered {
        match &call.caller_number {
            None => stats.withheld += 1,
            Some(caller) => {
                let n = seen.entry((&call.site, caller)).or_default();
                *n += 1;
                match *n {
                    1 => stats.first_time += 1,
                    2 => {
                        stats.repeat_calls += 1;
                        stats.repeat_callers += 1;
                    }
                    _ => stats.repeat_calls += 1,
                }
            }
        }
    }
    stats
}

/// Talk time of answered calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DurationStats {
    /// Calls with talk time.
    pub answered: u64,
    /// Calls without.
    pub missed: u64,
    /// Total talk time, s.
    pub total_s: i64,
    /// Median talk time of answered calls, s.
    pub median_s: i64,
    /// Answered calls by length: <30 s, 30 s–1 min, 1–3 min, 3–10 min, ≥10 min.
    pub buckets: [u64; 5],
}

/// Bucket labels of [`DurationStats::buckets`].
pub const DURATION_BUCKETS: [&str; 5] = [
    "< 30 s",
    "30 s – 1 min",
    "1 – 3 min",
    "3 – 10 min",
    "≥ 10 min",
];

/// Answered vs missed, total and median talk time, and a length histogram.
pub fn duration_stats(calls: &[CallRecord]) -> DurationStats {
    let mut answered: Vec<i64> = calls
        .iter()
        .map(|c| c.duration_s)
        .filter(|d| *d > 0)
        .collect();
    answered.sort_unstable();
    let mut stats = DurationStats {
        answered: answered.len() as u64,
        missed: (calls.len() - answered.len()) as u64,
        total_s: answered.iter().sum(),
        median_s: answered.get(answered.len() / 2).copied().unwrap_or(0),
        buckets: [0; 5],
    };
    for d in answered {
        let i = match d {
            ..30 => 0,
            30..60 => 1,
            60..180 => 2,
            180..600 => 3,
            _ => 4,
        };
        stats.buckets[i] += 1;
    }
    stats
}

/// How a pool was used over a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolUsage {
    /// Numbers in the pool.
    pub numbers: usize,
    /// Leases issued in the window.
    pub issued: u64,
    /// Requests answered with the fallback.
    pub overflows: u64,
    /// Most leases held at once.
    pub peak_held: u64,
    /// Most visitors wanting a number at once: held leases plus overflowed visitors (each
    /// counted for one idle window after they were refused).
    pub peak_demand: u64,
}

impl PoolUsage {
    /// Share of lease requests answered with the fallback, in percent.
    pub fn overflow_rate(&self) -> f64 {
        let asked = self.issued + self.overflows;
        if asked == 0 {
            0.0
        } else {
            self.overflows as f64 * 100.0 / asked as f64
        }
    }

    /// What to do about the pool's size.
    pub fn hint(&self) -> String {
        let (n, demand) = (self.numbers as u64, self.peak_demand);
        if demand > n {
            format!(
                "add at least {} number(s): up to {demand} visitors wanted a number at once, \
                 the pool has {n}",
                demand - n
            )
        } else if self.issued == 0 {
            "no leases yet".to_owned()
        } else if demand * 2 < n && n > 2 {
            format!(
                "at most {demand} of {n} numbers were in use at once; the pool could be smaller"
            )
        } else {
            format!("fits: at most {demand} of {n} numbers in use at once")
        }
    }
}

/// Usage of a pool of `numbers` numbers from its activity; overflowed visitors count as
/// wanting a number for `idle_ms` after they were refused.
pub fn pool_usage(activity: &PoolActivity, numbers: usize, idle_ms: i64) -> PoolUsage {
    let peak = |intervals: &mut Vec<(i64, i64)>| {
        // +1 at each start, -1 at each end; an end sorts before a start at the same time.
        intervals.sort_unstable();
        let mut current = 0_i64;
        let mut best = 0_i64;
        for (_, delta) in intervals.iter() {
            current += delta;
            best = best.max(current);
        }
        u64::try_from(best).unwrap_or(0)
    };
    let mut held: Vec<(i64, i64)> = Vec::new();
    for (_, start, end) in &activity.leases {
        held.push((*start, 1));
        held.push((*end, -1));
    }
    let mut demand = held.clone();
    for at in &activity.overflows {
        demand.push((*at, 1));
        demand.push((at.saturating_add(idle_ms), -1));
    }
    PoolUsage {
        numbers,
        issued: activity.issued,
        overflows: activity.overflows.len() as u64,
        peak_held: peak(&mut held),
        peak_demand: peak(&mut demand),
    }
}

fn minutes(secs: i64) -> String {
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// The call and pool sections for a site (or all sites).
///
/// # Errors
/// When storage fails.
pub async fn sections(
    db: &Db,
    sites: &Sites,
    site: Option<&str>,
    now: i64,
) -> AppResult<Vec<Section>> {
    let since = now - WINDOW_DAYS * DAY_MS;
    let filter = CallFilter {
        site: site.map(str::to_owned),
        since: Some(since),
    };
    let calls = db
        .run(move |store| store.list_calls(&filter, MAX_CALLS))
        .await?;

    // Calls per day (chart) and by day, source and campaign (table).
    let rows = by_day_source(&calls);
    let mut per_day: BTreeMap<&str, (u64, BTreeMap<&str, u64>)> = BTreeMap::new();
    for row in &rows {
        let day = per_day.entry(row.day.as_str()).or_default();
        day.0 += row.calls;
        *day.1.entry(row.source.as_str()).or_default() += row.calls;
    }
    let bars: Vec<(String, f64, String)> = per_day
        .iter()
        .rev()
        .map(|(day, (total, sources))| {
            let parts: Vec<String> = sources.iter().map(|(s, n)| format!("{s} {n}")).collect();
            (
                (*day).to_owned(),
                *total as f64,
                format!("{total}: {}", parts.join(", ")),
            )
        })
        .collect();
    let mut table = Table::new(&["Day (UTC)", "Source", "Campaign", "Calls", "Answered"])
        .numeric_columns(&[3, 4])
        .when_empty("No calls yet.");
    for row in &rows {
        table.row(vec![
            row.day.clone(),
            row.source.clone(),
            row.campaign.clone(),
            row.calls.to_string(),
            row.answered.to_string(),
        ]);
    }
    let mut by_source = Html::paragraph(&format!(
        "{} calls in the last {WINDOW_DAYS} days.",
        calls.len()
    ));
    by_source.push(Html::bars(&bars));
    by_source.push(table.render());

    // Callers.
    let callers = caller_stats(&calls);
    let mut caller_table = Table::new(&["Callers", "Count"]);
    caller_table.row(vec![
        "First-time callers".into(),
        callers.first_time.to_string(),
    ]);
    caller_table.row(vec![
        "Repeat calls".into(),
        callers.repeat_calls.to_string(),
    ]);
    caller_table.row(vec![
        "Callers who called again".into(),
        callers.repeat_callers.to_string(),
    ]);
    caller_table.row(vec![
        "Withheld numbers".into(),
        callers.withheld.to_string(),
    ]);

    // Duration.
    let durations = duration_stats(&calls);
    let mut duration = Html::paragraph(&format!(
        "{} answered, {} missed; talk time {} in total, median {} (min:s).",
        durations.answered,
        durations.missed,
        minutes(durations.total_s),
        minutes(durations.median_s)
    ));
    let hist: Vec<(String, f64, String)> = DURATION_BUCKETS
        .iter()
        .zip(durations.buckets)
        .map(|(label, n)| ((*label).to_owned(), n as f64, n.to_string()))
        .collect();
    if durations.answered > 0 {
        duration.push(Html::bars(&hist));
    }

    // Each call with its journey.
    let mut journeys = Table::new(&[
        "Started",
        "Called",
        "Caller",
        "Answered",
        "Attributed to",
        "Source",
        "Landing page",
        "Pages viewed",
    ])
    .when_empty("No calls yet.");
    for call in calls.iter().take(JOURNEYS) {
        let answer: Value = serde_json::from_str(&call.attribution).unwrap_or(Value::Null);
        let pages: Vec<&str> = answer
            .get("pages")
            .and_then(Value::as_array)
            .map(|p| {
                p.iter()
                    .filter_map(|p| p.get("url").and_then(Value::as_str))
                    .collect()
            })
            .unwrap_or_default();
        let who = match (&call.visitor, &call.reason) {
            (Some(visitor), _) => format!(
                "visitor {visitor} (session {})",
                call.session.as_deref().unwrap_or("")
            ),
            (None, Some(reason)) => reason.clone(),
            (None, None) => "source".to_owned(),
        };
        let source = match (&call.source_name, &call.source_group, &call.campaign) {
            (Some(n), Some(g), Some(c)) => format!("{n} ({g}), {c}"),
            (Some(n), Some(g), None) => format!("{n} ({g})"),
            (Some(n), None, Some(c)) => format!("{n}, {c}"),
            (Some(n), None, None) => n.clone(),
            _ => String::new(),
        };
        journeys.row(vec![
            format_time(call.started_at),
            call.called_number.clone(),
            call.caller_number
                .clone()
                .unwrap_or_else(|| "withheld".into()),
            if call.duration_s > 0 {
                minutes(call.duration_s)
            } else {
                "missed".into()
            },
            who,
            source,
            call.landing.clone().unwrap_or_default(),
            pages.join(" → "),
        ]);
    }

    // Pools of the loaded configs.
    let mut pools: Vec<PoolSpec> = Vec::new();
    for id in sites.ids().filter(|id| site.is_none_or(|s| s == *id)) {
        if let Some(site_config) = sites.get(id) {
            for (name, _) in &site_config.config.pools {
                pools.extend(PoolSpec::from_config(&site_config.config, name));
            }
        }
    }
    let mut pool_table = Table::new(&[
        "Site",
        "Pool",
        "Numbers",
        "Leases",
        "Overflows",
        "Overflow rate",
        "Peak held",
        "Peak demand",
        "Hint",
    ])
    .numeric_columns(&[2, 3, 4, 5, 6, 7])
    .when_empty("No pools in the loaded configs.");
    let mut pool_bars = Vec::new();
    for spec in pools {
        let (site_id, name) = (spec.site.clone(), spec.name.clone());
        let activity = db
            .run(move |store| store.pool_activity(&site_id, &name, since, now + 1))
            .await?;
        let usage = pool_usage(&activity, spec.numbers.len(), spec.idle_ms);
        pool_bars.push((
            format!("{}/{}", spec.site, spec.name),
            usage.peak_demand as f64,
            format!("peak {} of {} numbers", usage.peak_demand, usage.numbers),
        ));
        pool_table.row(vec![
            spec.site.clone(),
            spec.name.clone(),
            usage.numbers.to_string(),
            usage.issued.to_string(),
            usage.overflows.to_string(),
            format!("{:.1}%", usage.overflow_rate()),
            usage.peak_held.to_string(),
            usage.peak_demand.to_string(),
            usage.hint(),
        ]);
    }
    let mut pool_body = Html::paragraph(&format!(
        "Last {WINDOW_DAYS} days. Peak demand counts held leases plus visitors who got the \
         fallback (each for one idle window)."
    ));
    pool_body.push(Html::bars(&pool_bars));
    pool_body.push(pool_table.render());

    Ok(vec![
        Section::new("Calls by source and campaign, per day", by_source),
        Section::new("First-time and repeat callers", caller_table.render()),
        Section::new("Answered calls and talk time", duration),
        Section::new(
            format!("Calls and their visitor journeys (last {JOURNEYS})"),
            journeys.render(),
        ),
        Section::new("Number pools: usage and overflow", pool_body),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_700_000_000_000; // 2023-11-14 22:13:20 UTC

    fn call(
        started_at: i64,
        caller: Option<&str>,
        duration_s: i64,
        source: Option<&str>,
    ) -> CallRecord {
        CallRecord {
            id: String::new(),
            site: "s".into(),
            call_id: started_at.to_string(),
            called_number: "+81355550001".into(),
            caller_number: caller.map(str::to_owned),
            started_at,
            duration_s,
            recording_url: None,
            received_at: started_at,
            reason: source.is_none().then(|| "fallback_number".to_owned()),
            visitor: None,
            session: None,
            lease_id: None,
            pool: None,
            source_name: source.map(str::to_owned),
            source_group: None,
            campaign: source.map(|_| "spring".to_owned()),
            landing: None,
            attribution: "{}".into(),
        }
    }

    #[test]
    fn calls_group_by_day_source_and_campaign() {
        let calls = [
            call(T0, Some("+1"), 30, Some("ads")),
            call(T0 + 1000, Some("+2"), 0, Some("ads")),
            call(T0 + DAY_MS, None, 10, None),
        ];
        let rows = by_day_source(&calls);
        assert_eq!(
            rows,
            [
                DayRow {
                    day: "2023-11-15".into(),
                    source: "(fallback_number)".into(),
                    campaign: String::new(),
                    calls: 1,
                    answered: 1
                },
                DayRow {
                    day: "2023-11-14".into(),
                    source: "ads".into(),
                    campaign: "spring".into(),
                    calls: 2,
                    answered: 1
                },
            ]
        );
    }

    #[test]
    fn first_time_and_repeat_callers() {
        let calls = [
            call(T0 + 3, Some("+1"), 1, None),
            call(T0, Some("+1"), 1, None),
            call(T0 + 5, Some("+1"), 1, None),
            call(T0 + 1, Some("+2"), 1, None),
            call(T0 + 2, None, 1, None),
        ];
        assert_eq!(
            caller_stats(&calls),
            CallerStats {
                first_time: 2,
                repeat_calls: 2,
                repeat_callers: 1,
                withheld: 1
            }
        );
    }

    #[test]
    fn durations() {
        let calls = [
            call(T0, None, 0, None),
            call(T0, None, 20, None),
            call(T0, None, 45, None),
            call(T0, None, 200, None),
            call(T0, None, 900, None),
        ];
        let d = duration_stats(&calls);
        assert_eq!(
            (d.answered, d.missed, d.total_s, d.median_s),
            (4, 1, 1165, 200)
        );
        assert_eq!(d.buckets, [1, 1, 0, 1, 1]);
        assert_eq!(minutes(1165), "19:25");
    }

    #[test]
    fn pool_usage_and_hints() {
        let activity = PoolActivity {
            leases: vec![
                ("a".into(), 0, 100),
                ("b".into(), 50, 150),
                ("a".into(), 100, 200), // starts as the first ends: not 3 at once
            ],
            overflows: vec![120],
            issued: 3,
        };
        let usage = pool_usage(&activity, 2, 50);
        assert_eq!(usage.peak_held, 2);
        assert_eq!(usage.peak_demand, 3);
        assert_eq!(format!("{:.1}", usage.overflow_rate()), "25.0");
        assert!(
            usage.hint().starts_with("add at least 1 number(s)"),
            "{}",
            usage.hint()
        );
        let roomy = pool_usage(
            &PoolActivity {
                leases: vec![("a".into(), 0, 10)],
                overflows: vec![],
                issued: 1,
            },
            10,
            50,
        );
        assert!(
            roomy.hint().contains("could be smaller"),
            "{}",
            roomy.hint()
        );
        let fits = pool_usage(&activity, 3, 50);
        assert!(fits.hint().starts_with("fits"), "{}", fits.hint());
        let empty = pool_usage(
            &PoolActivity {
                leases: vec![],
                overflows: vec![],
                issued: 0,
            },
            3,
            50,
        );
        assert_eq!(empty.hint(), "no leases yet");
        assert_eq!(empty.overflow_rate(), 0.0);
    }
}
