//! Visitor-level number leases: the rules, free of storage and clocks.
//!
//! A pool's number is held by one visitor at a time. A lease lives while heartbeats arrive and
//! for the pool's `idle_minutes` after the last one (or until the visitor releases it). A new
//! request is answered, in order of preference, with:
//! 1. the visitor's own lease for that pool and target, while it is active (renewed);
//! 2. the number the visitor held last time, when it is free again (a returning visitor sees
//!    the same number, which matters when they wrote it down);
//! 3. the least recently used free number: never-leased numbers first (in config order), then
//!    the one whose last lease ended longest ago, so a number that was just given up is handed
//!    out last and a late call from its previous holder still finds them;
//! 4. the pool's fallback number when none is free (an overflow, recorded).
//!
//! Calls are attributed through the latest lease on the called number issued *before* the
//! call's start ([`lease_covers`]): it held the number then, or ended at most `idle_minutes`
//! before (the visitor closed the tab, then called). A lease issued in the very millisecond a
//! call starts is never the caller's (nobody dials a number before it is shown), so a number
//! handed on at that moment still credits its previous holder.
//!
//! Everything here takes `now` as an argument; the store runs these functions inside one
//! write transaction, so two requests never get the same number.

use ringtrail::config::{Config, NumberChoice, Replacement};

/// Longest visitor or session id accepted.
pub const MAX_ID_LEN: usize = 128;

/// A number of a pool: E.164 and the form written in the config (what the page displays).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolNumber {
    /// `+81355550001`.
    pub e164: String,
    /// `03-5555-0001`, as written in the config.
    pub display: String,
}

impl PoolNumber {
    fn from_replacement(r: &Replacement) -> PoolNumber {
        PoolNumber {
            e164: r.number.e164(),
            display: r.written.clone(),
        }
    }
}

/// One pool of one site, as allocation needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSpec {
    /// Site id.
    pub site: String,
    /// Pool name.
    pub name: String,
    /// Its numbers, in config order.
    pub numbers: Vec<PoolNumber>,
    /// Shown when no number is free.
    pub fallback: PoolNumber,
    /// How long a lease outlives its last heartbeat, ms.
    pub idle_ms: i64,
}

impl PoolSpec {
    /// The pool `name` of a site config.
    pub fn from_config(config: &Config, name: &str) -> Option<PoolSpec> {
        let pool = config.pool(name)?;
        Some(PoolSpec {
            site: config.site.clone(),
            name: name.to_owned(),
            numbers: pool
                .numbers
                .iter()
                .map(PoolNumber::from_replacement)
                .collect(),
            fallback: PoolNumber::from_replacement(&pool.fallback),
            idle_ms: i64::from(pool.idle_minutes) * 60_000,
        })
    }

    /// The display form of one of its numbers (E.164 when the config no longer lists it).
    pub fn display_of(&self, e164: &str) -> String {
        self.numbers
            .iter()
            .find(|n| n.e164 == e164)
            .map_or_else(|| e164.to_owned(), |n| n.display.clone())
    }
}

/// A lease as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// UUID.
    pub id: String,
    /// Site id.
    pub site: String,
    /// Pool name.
    pub pool: String,
    /// The target it replaces, E.164.
    pub target: String,
    /// The leased number, E.164.
    pub number: String,
    /// Visitor id.
    pub visitor: String,
    /// Session id of the latest request or heartbeat.
    pub session: String,
    /// Source rule name the snippet reported, if any.
    pub source: Option<String>,
    /// When it was issued, ms.
    pub issued_at: i64,
    /// Last request or heartbeat, ms.
    pub last_seen: i64,
    /// `last_seen + idle_ms`: when it lapses without another heartbeat.
    pub expires_at: i64,
    /// When the visitor released it, if they did.
    pub released_at: Option<i64>,
    /// The pool's idle window when it was issued, ms.
    pub idle_ms: i64,
}

impl Lease {
    /// When the number stopped (or will stop) being held.
    pub fn end(&self) -> i64 {
        self.released_at
            .map_or(self.expires_at, |r| r.min(self.expires_at))
    }

    /// Whether it holds its number at `t`.
    pub fn active_at(&self, t: i64) -> bool {
        self.issued_at <= t && t < self.end()
    }
}

/// What a lease request gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allocation {
    /// The visitor's active lease: renew it.
    Renew,
    /// A new lease on `numbers[index]`; `returning` when it is the visitor's previous number.
    New {
        /// Index into [`PoolSpec::numbers`].
        index: usize,
        /// The visitor held this number before.
        returning: bool,
    },
    /// No number is free: answer the fallback.
    Exhausted,
}

/// Picks a number for a request at `now`.
///
/// `latest[i]` is the most recent lease on `pool.numbers[i]` (any visitor, any pool of the
/// site), `previous` the visitor's most recent lease for this pool and target.
pub fn allocate(
    pool: &PoolSpec,
    latest: &[Option<Lease>],
    previous: Option<&Lease>,
    now: i64,
) -> Allocation {
    let is_free = |i: usize| {
        latest
            .get(i)
            .and_then(Option::as_ref)
            .is_none_or(|l| l.end() <= now)
    };
    if let Some(prev) = previous {
        let index = pool.numbers.iter().position(|n| n.e164 == prev.number);
        if let Some(index) = index {
            let still_latest = latest
                .get(index)
                .and_then(Option::as_ref)
                .is_some_and(|l| l.id == prev.id);
            if prev.active_at(now) && still_latest {
                return Allocation::Renew;
            }
            if is_free(index) {
                return Allocation::New {
                    index,
                    returning: true,
                };
            }
        }
    }
    (0..pool.numbers.len())
        .filter(|&i| is_free(i))
        .min_by_key(|&i| {
            let last_end = latest
                .get(i)
                .and_then(Option::as_ref)
                .map_or(i64::MIN, Lease::end);
            (last_end, i)
        })
        .map_or(Allocation::Exhausted, |index| Allocation::New {
            index,
            returning: false,
        })
}

/// What a heartbeat does to a lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heartbeat {
    /// Extended: it now lapses at this time (ms).
    Extended(i64),
    /// The lease cannot be extended; the reason says why.
    Gone(&'static str),
}

/// A heartbeat at `now` for `lease`; `latest_on_number` is the most recent lease on its
/// number. A lapsed lease is revived while nobody else has taken its number since.
pub fn heartbeat(lease: &Lease, latest_on_number: Option<&Lease>, now: i64) -> Heartbeat {
    if lease.released_at.is_some() {
        return Heartbeat::Gone("the lease was released; request a new one");
    }
    let taken =
        latest_on_number.is_some_and(|l| l.id != lease.id && l.issued_at >= lease.issued_at);
    if taken {
        return Heartbeat::Gone(
            "the lease lapsed and its number went to another visitor; request a new one",
        );
    }
    Heartbeat::Extended(now.saturating_add(lease.idle_ms))
}

/// How a call relates to the numbers of a site's config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberKind {
    /// A pool number: attributed through its lease.
    Pool {
        /// Pool name.
        pool: String,
        /// The pool's idle window, ms.
        idle_ms: i64,
    },
    /// A pool's fallback number: shown to many visitors, so to nobody in particular.
    Fallback {
        /// Pool name.
        pool: String,
    },
    /// A fixed replacement of a source rule (`Some(name)`) or of `default` (`None`).
    Fixed {
        /// Source rule name; `None` for the `default` numbers.
        source: Option<String>,
    },
    /// One of the site's own numbers (no swap happened, or the caller knew it).
    Target,
    /// Not in the config.
    Unknown,
}

/// What a called number (E.164) is in `config`. A pool number wins over anything else; a
/// number listed by several source rules belongs to the first.
pub fn classify_number(config: &Config, e164: &str) -> NumberKind {
    for (name, pool) in &config.pools {
        if pool.numbers.iter().any(|n| n.number.e164() == e164) {
            return NumberKind::Pool {
                pool: name.clone(),
                idle_ms: i64::from(pool.idle_minutes) * 60_000,
            };
        }
    }
    let fixed_in = |map: &ringtrail::config::NumberMap| {
        map.iter()
            .any(|(_, choice)| matches!(choice, NumberChoice::Fixed(r) if r.number.e164() == e164))
    };
    if let Some(rule) = config.sources.iter().find(|r| fixed_in(&r.numbers)) {
        return NumberKind::Fixed {
            source: Some(rule.name.clone()),
        };
    }
    if config.default.as_ref().is_some_and(fixed_in) {
        return NumberKind::Fixed { source: None };
    }
    for (name, pool) in &config.pools {
        if pool.fallback.number.e164() == e164 {
            return NumberKind::Fallback { pool: name.clone() };
        }
    }
    if config.targets.iter().any(|t| t.number.e164() == e164) {
        return NumberKind::Target;
    }
    NumberKind::Unknown
}

/// Whether `lease` (the latest lease on the called number issued at or before `t`) accounts
/// for a call starting at `t`: it held the number then, or ended at most `idle_ms` before.
pub fn lease_covers(lease: &Lease, t: i64, idle_ms: i64) -> bool {
    lease.issued_at <= t && t < lease.end().saturating_add(idle_ms)
}

/// Whether the config maps `target` (index) to pool `pool` anywhere (a source rule or
/// `default`).
pub fn target_uses_pool(config: &Config, target: usize, pool: &str) -> bool {
    let uses = |map: &ringtrail::config::NumberMap| {
        map.iter()
            .any(|(t, c)| *t == target && matches!(c, NumberChoice::Pool(p) if p == pool))
    };
    config.sources.iter().any(|r| uses(&r.numbers)) || config.default.as_ref().is_some_and(uses)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;
    const T0: i64 = 1_700_000_000_000;

    fn pool(n: usize) -> PoolSpec {
        PoolSpec {
            site: "s".into(),
            name: "p".into(),
            numbers: (0..n)
                .map(|i| PoolNumber {
                    e164: format!("+8135555000{i}"),
                    display: format!("03-5555-000{i}"),
                })
                .collect(),
            fallback: PoolNumber {
                e164: "+81355559999".into(),
                display: "03-5555-9999".into(),
            },
            idle_ms: 15 * MIN,
        }
    }

    fn lease(id: &str, number: usize, visitor: &str, issued_at: i64, last_seen: i64) -> Lease {
        Lease {
            id: id.into(),
            site: "s".into(),
            pool: "p".into(),
            target: "+81312345678".into(),
            number: format!("+8135555000{number}"),
            visitor: visitor.into(),
            session: "sess".into(),
            source: None,
            issued_at,
            last_seen,
            expires_at: last_seen + 15 * MIN,
            released_at: None,
            idle_ms: 15 * MIN,
        }
    }

    /// A tiny in-memory pool manager over the pure functions, to test sequences.
    struct Sim {
        pool: PoolSpec,
        leases: Vec<Lease>,
        overflows: usize,
    }

    impl Sim {
        fn new(n: usize) -> Sim {
            Sim {
                pool: pool(n),
                leases: Vec::new(),
                overflows: 0,
            }
        }

        fn latest(&self, number: &str) -> Option<Lease> {
            self.leases
                .iter()
                .filter(|l| l.number == number)
                .max_by_key(|l| l.issued_at)
                .cloned()
        }

        /// Returns the number index handed out (None = fallback).
        fn request(&mut self, visitor: &str, now: i64) -> Option<usize> {
            let latest: Vec<Option<Lease>> = self
                .pool
                .numbers
                .iter()
                .map(|n| self.latest(&n.e164))
                .collect();
            let previous = self
                .leases
                .iter()
                .filter(|l| l.visitor == visitor)
                .max_by_key(|l| l.issued_at)
                .cloned();
            match allocate(&self.pool, &latest, previous.as_ref(), now) {
                Allocation::Renew => {
                    let prev = previous.expect("renew has a previous lease");
                    let l = self.leases.iter_mut().find(|l| l.id == prev.id)?;
                    l.last_seen = now;
                    l.expires_at = now + l.idle_ms;
                    self.pool.numbers.iter().position(|n| n.e164 == l.number)
                }
                Allocation::New { index, .. } => {
                    let id = format!("l{}", self.leases.len());
                    let mut l = lease(&id, index, visitor, now, now);
                    l.number = self.pool.numbers[index].e164.clone();
                    self.leases.push(l);
                    Some(index)
                }
                Allocation::Exhausted => {
                    self.overflows += 1;
                    None
                }
            }
        }

        fn release(&mut self, visitor: &str, now: i64) {
            for l in self.leases.iter_mut().filter(|l| l.visitor == visitor) {
                if l.released_at.is_none() && l.end() > now {
                    l.released_at = Some(now);
                }
            }
        }

        fn who_called(&self, index: usize, t: i64) -> Option<String> {
            let number = &self.pool.numbers[index].e164;
            self.leases
                .iter()
                .filter(|l| &l.number == number && l.issued_at < t)
                .max_by_key(|l| l.issued_at)
                .filter(|l| lease_covers(l, t, self.pool.idle_ms))
                .map(|l| l.visitor.clone())
        }
    }

    #[test]
    fn a_number_is_held_by_one_visitor_at_a_time() {
        let mut sim = Sim::new(2);
        assert_eq!(sim.request("a", T0), Some(0));
        assert_eq!(sim.request("b", T0 + 1), Some(1));
        assert_eq!(sim.request("c", T0 + 2), None, "exhausted: fallback");
        assert_eq!(sim.overflows, 1);
        // The same visitor asking again keeps their number.
        assert_eq!(sim.request("a", T0 + 3), Some(0));
        assert_eq!(sim.leases.len(), 2, "renewed, not re-issued");
    }

    #[test]
    fn leases_lapse_after_the_idle_window() {
        let mut sim = Sim::new(1);
        assert_eq!(sim.request("a", T0), Some(0));
        assert_eq!(sim.request("b", T0 + 15 * MIN - 1), None, "still held");
        // Heartbeats keep it.
        assert_eq!(sim.request("a", T0 + 10 * MIN), Some(0));
        assert_eq!(sim.request("b", T0 + 24 * MIN), None);
        assert_eq!(
            sim.request("b", T0 + 25 * MIN),
            Some(0),
            "lapsed at last + 15 min"
        );
    }

    #[test]
    fn released_numbers_are_free_at_once() {
        let mut sim = Sim::new(1);
        sim.request("a", T0);
        sim.release("a", T0 + MIN);
        assert_eq!(sim.request("b", T0 + MIN), Some(0));
    }

    #[test]
    fn least_recently_used_free_number_goes_first() {
        let mut sim = Sim::new(3);
        sim.request("a", T0); // 0
        sim.request("b", T0); // 1
        sim.request("c", T0); // 2
        sim.release("b", T0 + MIN);
        sim.release("a", T0 + 2 * MIN);
        sim.release("c", T0 + 3 * MIN);
        // b's number (1) was freed first.
        assert_eq!(sim.request("d", T0 + 4 * MIN), Some(1));
        assert_eq!(sim.request("e", T0 + 4 * MIN), Some(0));
        assert_eq!(sim.request("f", T0 + 4 * MIN), Some(2));
        // Never-used numbers before used ones.
        let mut sim = Sim::new(3);
        sim.request("a", T0);
        sim.release("a", T0 + 1);
        assert_eq!(sim.request("b", T0 + 2), Some(1));
        assert_eq!(sim.request("c", T0 + 3), Some(2));
        assert_eq!(sim.request("d", T0 + 4), Some(0));
    }

    #[test]
    fn a_returning_visitor_gets_their_number_back_while_it_is_free() {
        let mut sim = Sim::new(3);
        sim.request("x", T0); // 0
        sim.request("a", T0); // 1
        sim.release("x", T0 + MIN);
        sim.release("a", T0 + 2 * MIN);
        // LRU would pick 2 (never used), but a returns to 1.
        assert_eq!(sim.request("a", T0 + 60 * MIN), Some(1));
        // When their number is taken, they get another.
        sim.release("a", T0 + 61 * MIN);
        sim.request("z", T0 + 62 * MIN); // takes 2 (never used)
        sim.request("y", T0 + 62 * MIN); // takes 0 (oldest end)
        assert_eq!(sim.request("w", T0 + 62 * MIN), Some(1));
        assert_eq!(sim.request("a", T0 + 63 * MIN), None, "pool full: fallback");
    }

    #[test]
    fn calls_go_to_the_holder_or_a_recent_holder() {
        let mut sim = Sim::new(1);
        sim.request("a", T0); // 0
        sim.request("a", T0 + 5 * MIN); // heartbeat
        assert_eq!(sim.who_called(0, T0 + 6 * MIN).as_deref(), Some("a"));
        // Lapsed at T0 + 20 min; a call within another 15 min still counts.
        assert_eq!(sim.who_called(0, T0 + 34 * MIN).as_deref(), Some("a"));
        assert_eq!(sim.who_called(0, T0 + 35 * MIN), None);
        assert_eq!(sim.who_called(0, T0 - 1), None, "before any lease");
        assert_eq!(
            sim.who_called(0, T0),
            None,
            "not in the millisecond it was shown"
        );
        // Once b takes the number, calls are b's.
        sim.request("b", T0 + 40 * MIN);
        assert_eq!(sim.who_called(0, T0 + 41 * MIN).as_deref(), Some("b"));
        assert_eq!(sim.who_called(0, T0 + 21 * MIN).as_deref(), Some("a"));
    }

    #[test]
    fn a_number_handed_on_in_the_same_millisecond_credits_the_previous_holder() {
        let mut sim = Sim::new(1);
        sim.request("a", T0);
        sim.release("a", T0 + MIN);
        assert_eq!(sim.request("b", T0 + MIN), Some(0), "free at once");
        assert_eq!(sim.who_called(0, T0 + MIN).as_deref(), Some("a"));
        assert_eq!(sim.who_called(0, T0 + MIN + 1).as_deref(), Some("b"));
    }

    #[test]
    fn heartbeats_extend_revive_or_refuse() {
        let a = lease("a", 0, "va", T0, T0);
        assert_eq!(
            heartbeat(&a, Some(&a), T0 + MIN),
            Heartbeat::Extended(T0 + 16 * MIN)
        );
        // Lapsed but nobody took the number: revived.
        assert_eq!(
            heartbeat(&a, Some(&a), T0 + 30 * MIN),
            Heartbeat::Extended(T0 + 45 * MIN)
        );
        let b = lease("b", 0, "vb", T0 + 20 * MIN, T0 + 20 * MIN);
        assert!(matches!(
            heartbeat(&a, Some(&b), T0 + 30 * MIN),
            Heartbeat::Gone(_)
        ));
        let mut released = a.clone();
        released.released_at = Some(T0 + MIN);
        assert!(matches!(
            heartbeat(&released, Some(&released), T0 + 2 * MIN),
            Heartbeat::Gone(_)
        ));
    }

    #[test]
    fn with_enough_numbers_every_call_finds_its_caller() {
        // 20 visitors come and go on 20 numbers over two hours; each calls while holding.
        let mut sim = Sim::new(20);
        let mut calls = Vec::new();
        for step in 0..120_i64 {
            let now = T0 + step * MIN;
            for v in 0..20_i64 {
                let visitor = format!("v{v}-{}", (step + v) / 30);
                if (step + v) % 30 == 29 {
                    sim.release(&visitor, now);
                    continue;
                }
                if let Some(index) = sim.request(&visitor, now) {
                    if (step + v) % 7 == 0 {
                        calls.push((index, now + 1, visitor));
                    }
                }
            }
        }
        assert_eq!(sim.overflows, 0);
        assert!(calls.len() > 100);
        for (index, t, visitor) in calls {
            assert_eq!(sim.who_called(index, t).as_deref(), Some(visitor.as_str()));
        }
    }

    #[test]
    fn numbers_are_classified_from_the_config() {
        let config = Config::from_json(
            r#"{"site": "s", "region": "JP", "targets": ["03-1234-5678", "0120-111-222"],
                "sources": [{"name": "ads", "match": {"utm_source": "g"},
                             "numbers": {"03-1234-5678": {"pool": "p"}, "0120-111-222": "0120-999-001"}}],
                "default": {"03-1234-5678": "03-5555-0202"},
                "pools": {"p": {"numbers": ["03-5555-0001"], "fallback": "03-5555-0000", "idle_minutes": 5}}}"#,
        )
        .expect("valid");
        assert_eq!(
            classify_number(&config, "+81355550001"),
            NumberKind::Pool {
                pool: "p".into(),
                idle_ms: 5 * MIN
            }
        );
        assert_eq!(
            classify_number(&config, "+81355550000"),
            NumberKind::Fallback { pool: "p".into() }
        );
        assert_eq!(
            classify_number(&config, "+81120999001"),
            NumberKind::Fixed {
                source: Some("ads".into())
            }
        );
        assert_eq!(
            classify_number(&config, "+81355550202"),
            NumberKind::Fixed { source: None }
        );
        assert_eq!(classify_number(&config, "+81312345678"), NumberKind::Target);
        assert_eq!(
            classify_number(&config, "+81399999999"),
            NumberKind::Unknown
        );
        assert!(target_uses_pool(&config, 0, "p"));
        assert!(!target_uses_pool(&config, 1, "p"));
        let spec = PoolSpec::from_config(&config, "p").expect("pool");
        assert_eq!(spec.numbers[0].display, "03-5555-0001");
        assert_eq!(spec.idle_ms, 5 * MIN);
    }
}
