//! The browser boundary: one [`Core`] object that the runtime (`js/run.js`, entered through
//! `js/runtime.js`) drives.
//!
//! Why this shape: every web-sys call, closure and `Reflect` lookup made from Rust costs wasm
//! bytes in marshalling glue, and a Rust-side browser layer weighed as much as all the logic
//! together (about 38 KB gzip). So the JS runtime owns the browser (listeners, timers, DOM
//! walking, fetch, storage, DOM events) and calls `Core` with plain strings and numbers;
//! `Core` makes every decision (what to swap, what a page view is, what to send and when to
//! retry, which lease to show) with the pure modules, and answers with strings (often JSON
//! the runtime parses with the browser's `JSON.parse`). The other way round nothing is JSON:
//! the runtime hands over strings joined by U+001F (see [`Core::call`], and [`Core::swap`] for
//! its runs and attributes), so no request links `json`'s parser into the snippet.

mod leads;
mod leases;
mod visits;

use wasm_bindgen::prelude::*;

use crate::config::{Config, NumberChoice, Replacement};
use crate::event::{self, Context};
use crate::json::{self, ObjectWriter};
use crate::outbox::{Delivery, Limits, Outbox, Outcome};
use crate::phone::{Finder, PhoneNumber};
use crate::prelude::*;
use crate::privacy::{self, Signals};
use crate::source::{self, Touch};
use crate::swap;
use crate::url;
use crate::visit::{Session, SessionPolicy};

#[wasm_bindgen(module = "/js/browser.js")]
extern "C" {
    /// One import for storage, the page and the console (each import costs its own glue and a
    /// long name in both the wasm and the JS): `op` is a [`HostOp`], `a` and `b` its arguments
    /// (`""` when unused); `None` when the op returns nothing.
    fn host(op: u32, a: &str, b: &str) -> Option<String>;
    /// 0: `Date.now()`; 1: 32 random bits from `crypto.getRandomValues`. One import for both
    /// (js-sys's `Date::now` would be another).
    fn num(op: u32) -> f64;
}

/// 32 random bits.
fn random32() -> u32 {
    num(1) as u32
}

/// `host`'s ops, numbered as in `js/browser.js`.
#[derive(Clone, Copy)]
enum HostOp {
    StoreGet,
    StoreSet,
    StoreRemove,
    StoreKeys,
    StoreForget,
    StoreMemoryOnly,
    StorePersist,
    PageHref,
    PageTitle,
    ReportError,
}

fn host_op(op: HostOp, a: &str, b: &str) -> Option<String> {
    host(op as u32, a, b)
}

/// `ringtrail:{key}` from storage (localStorage, or memory when it is blocked or not allowed).
fn store_get(key: &str) -> Option<String> {
    host_op(HostOp::StoreGet, key, "")
}
fn store_set(key: &str, value: &str) {
    host_op(HostOp::StoreSet, key, value);
}
fn store_remove(key: &str) {
    host_op(HostOp::StoreRemove, key, "");
}
/// The keys under `ringtrail:{prefix}` (without `ringtrail:`), one per line.
fn store_keys(prefix: &str) -> String {
    host_op(HostOp::StoreKeys, prefix, "").unwrap_or_default()
}
/// Deletes every `ringtrail:*` key and keeps later values in memory only.
fn store_forget() {
    host_op(HostOp::StoreForget, "", "");
}
/// `true`: persist to localStorage (moving what memory held); `false`: memory only.
fn store_persist(on: bool) {
    let op = if on {
        HostOp::StorePersist
    } else {
        HostOp::StoreMemoryOnly
    };
    host_op(op, "", "");
}
/// `location.href` now.
fn page_href() -> String {
    host_op(HostOp::PageHref, "", "").unwrap_or_default()
}
/// `document.title` now.
fn page_title() -> String {
    host_op(HostOp::PageTitle, "", "").unwrap_or_default()
}
/// One console error, prefixed `[ringtrail]`.
fn log_error(message: &str) {
    host_op(HostOp::ReportError, message, "");
}

/// Milliseconds since the Unix epoch.
fn now_ms() -> u64 {
    num(0) as u64
}

/// A new UUIDv7 (time-ordered, so the collector's index stays append-friendly).
fn new_id() -> String {
    // One random byte per call: no chunking or slice copies (whose length checks cost bytes).
    let r: [u8; 10] = core::array::from_fn(|_| random32() as u8);
    crate::outbox::uuid_v7(now_ms(), &r)
}

/// Privacy signals bits, as `js/run.js` packs them.
const GPC: u32 = 1;
const DNT: u32 = 2;
const WEBDRIVER: u32 = 4;

/// The snippet's state for one page.
pub struct Core {
    config: Config,
    finder: Finder,
    /// What each target currently becomes (index = target index); `None`: left as is.
    numbers: Vec<Option<Replacement>>,
    touch: Touch,
    visitor: String,
    host: String,
    referrer: String,
    /// Ids may be stored and events sent (consent, GPC, DNT, automation, localhost).
    allowed: bool,
    collector: bool,
    tab: String,
    in_flight: Option<Vec<String>>,
    beacon: Option<Outbox>,
    visits: visits::Visits,
    leases: leases::Leases,
    /// The email-link parameter to remove from the address bar, when it was present.
    drop_param: Option<String>,
    /// The email-link lead made at start, for the `on('lead')` listeners.
    start_lead: Option<String>,
    /// Until when this visit's source holds (ms), for the replay header (`store_replay`).
    replay_until: u64,
    /// This page's swaps as displayed, one `\nbefore\tafter` line each, for the replay.
    replay: String,
}

/// The page's snippet state, made by [`start`] and used by [`call`]. Why a static rather than
/// an exported class: a wasm-bindgen class costs JS glue (the class, `free`, a finalization
/// registry) and a borrow check in every call; the page only ever has one.
///
/// Only ever `try_lock`ed: a bug traps the wasm with the lock held (nothing unwinds), and a
/// `lock` would then spin forever on the page's only thread, freezing the page. After such a
/// trap every call answers nothing and the snippet stays inert.
static CORE: spin::Mutex<Option<Core>> = spin::Mutex::new(None);

/// Starts the snippet for this page: [`Core::new`], kept for [`call`]. Answers the error, if
/// any, for the runtime to throw: a string rather than a `JsError`, which would pull in
/// wasm-bindgen's table of JS objects and its glue for a single use.
#[wasm_bindgen]
pub fn start(config: &str, collector: bool, page: &str, signals: u32) -> Option<String> {
    match Core::new(config, collector, page, signals) {
        Ok(core) => {
            // The page's Core lives as long as the page: never dropped (there is none before
            // it), which keeps its drop code out of the wasm.
            core::mem::forget(CORE.try_lock()?.replace(core));
            None
        }
        Err(why) => Some(why.into()),
    }
}

/// [`Core::call`] on the page's Core (`None` before [`start`]).
#[wasm_bindgen]
pub fn call(op: u8, args: &str, n: u32, m: u32) -> Option<String> {
    CORE.try_lock()?.as_mut()?.call(op, args, n, m)
}

impl Core {
    /// Reads the compiled config (see [`crate::compiled`]) and decides this visit's source,
    /// numbers, session and privacy.
    /// `page` is `href`, `referrer` and `host` joined by U+001F, like [`Core::call`]'s strings
    /// (each string parameter costs its own glue).
    ///
    /// # Errors
    /// A config that is not a compiled one; nothing has been stored or changed.
    pub fn new(
        config: &str,
        collector: bool,
        page: &str,
        signals: u32,
    ) -> Result<Core, &'static str> {
        let mut parts = url::split_on(page, 0x1f);
        let mut part = || parts.next().unwrap_or_default();
        let (href, referrer, host) = (part(), part(), part());
        // JSON never reaches here: the collector validates and compiles it (the loader asks it).
        let config = Config::decode(config).ok_or(
            "config: not a compiled config of this version (the collector compiles JSON configs)",
        )?;
        let s = Signals {
            consent: store_get("consent").map(|v| v == "1"),
            gpc: signals & GPC != 0,
            dnt: signals & DNT != 0,
            webdriver: signals & WEBDRIVER != 0,
            localhost: privacy::is_localhost(host),
        };
        let allowed = privacy::decide(&config.privacy, &config.tracking, s).is_ok();
        // Without permission nothing touches the device's storage: attribution still works
        // for this page (numbers swap), from memory.
        store_persist(allowed);
        let now = now_ms();
        let (touch, rule) = source::attribute(
            &store_get("touch").unwrap_or_default(),
            href,
            referrer,
            host,
            &config.sources,
            &config.attribution,
            &config.referrer_groups,
            now,
        );
        store_set("touch", &touch.encode());
        let visitor = store_get("visitor").unwrap_or_else(|| {
            let id = new_id();
            store_set("visitor", &id);
            id
        });
        let targets: Vec<PhoneNumber> = config.targets.iter().map(|t| t.number.clone()).collect();
        let finder = Finder::new(&targets, config.region);
        let mut numbers = vec![None; config.targets.len()];
        let mut pools = Vec::new();
        for (target, choice) in config
            .numbers_for(rule)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            match choice {
                NumberChoice::Fixed(r) => numbers[*target] = Some(r.clone()),
                NumberChoice::Pool(name) => pools.push((*target, name.clone())),
            }
        }
        // Until when this visit's numbers hold, for the next page's loader (`store_replay`).
        let replay_until = match rule {
            Some(_) => touch.at_ms + u64::from(config.attribution.days) * source::DAY_MS,
            None => 1 << 53, // `default` numbers: until the config changes
        };
        let visits = visits::Visits::new(&config.tracking, now);
        let mut core = Core {
            finder,
            numbers,
            touch,
            visitor,
            host: host.into(),
            referrer: referrer.into(),
            allowed,
            collector,
            tab: new_id(),
            in_flight: None,
            beacon: None,
            visits,
            leases: leases::Leases::default(),
            drop_param: None,
            start_lead: None,
            replay_until,
            replay: String::new(),
            config,
        };
        if core.allowed {
            core.alive(now);
        }
        core.prepare_leases(pools);
        core.store_replay();
        core.email_link(href);
        Ok(core)
    }

    /// Every request of the runtime after construction: `op` names it (see [`op`]), `args`
    /// holds its strings separated by U+001F, `n` and `m` its numbers (flags as 0/1). Answers
    /// are strings (`None` for nothing, false or 0).
    ///
    /// Why one entry point rather than a method each: every wasm-bindgen export costs its own
    /// wasm shim (borrow checks, string passing) and JS glue, about 3 KB gzip for 25 methods;
    /// one export pays that once. The methods stay plain Rust, called here and by the tests.
    pub fn call(&mut self, op: u8, args: &str, n: u32, m: u32) -> Option<String> {
        let mut parts = url::split_on(args, 0x1f);
        let mut arg = || parts.next().unwrap_or_default();
        let yes = |v: bool| v.then(|| "1".into());
        match op {
            op::NOSWAP => Some(self.noswap()),
            op::START_LEAD => self.start_lead(),
            op::DROP_PARAM => self.drop_param(),
            op::SWAP => Some(self.swap(args)),
            op::NUMBER => self.number(Some(arg()).filter(|t| !t.is_empty())),
            op::TRACK => {
                let (name, props) = (arg(), arg());
                self.track(name, props);
                None
            }
            op::CONSENT => {
                self.consent(n != 0, m);
                None
            }
            op::NEXT_BATCH => self.next_batch(),
            op::RETRY_IN => self.retry_in().map(|ms| number(ms.into())),
            op::BATCH_DONE => {
                self.batch_done(n as u16, m);
                None
            }
            op::BEACON_BODY => self.beacon_body(),
            op::BEACON_SENT => {
                self.beacon_sent();
                None
            }
            op::CLASSIFY => {
                let (t, name, id, auto) = (arg(), arg(), arg(), arg());
                Some(self.classify(t, name, id, auto))
            }
            op::LEAD_FORMS => Some(self.lead_forms()),
            op::LEAD => {
                let (kind, channel, key, value) = (arg(), arg(), arg(), arg());
                Some(self.lead(kind, channel, key, value, parts))
            }
            op::CALL_CLICK => self.call_click(arg()),
            op::LEASE_REQUESTS => Some(self.lease_requests()),
            op::LEASE_ANSWER => {
                let shown = self.lease_answer(n as usize, m as u16, args);
                if shown {
                    self.store_replay();
                }
                yes(shown)
            }
            op::HEARTBEATS => Some(self.heartbeats()),
            op::HEARTBEAT_MS => Some(self.heartbeat_ms())
                .filter(|ms| *ms > 0)
                .map(|ms| number(ms.into())),
            op::HEARTBEAT_ANSWER => {
                self.heartbeat_answer(n as usize, m as u16, args);
                None
            }
            op::NAVIGATE => {
                let (href, path) = (arg(), arg());
                Some(self.navigate(n as u8, href, path))
            }
            op::ACTIVITY => {
                self.activity(n as u8);
                None
            }
            op::VISIBILITY => {
                self.visibility(n != 0, m != 0);
                None
            }
            op::TICK => Some(self.tick(arg())),
            op::TARGET_DIGITS => Some(self.target_digits()),
            _ => None,
        }
    }
}

/// A number as the decimal text [`Core::call`] answers with (and storage keeps).
fn number(n: u64) -> String {
    let mut s = String::new();
    json::push_u64(&mut s, n);
    s
}

/// The requests of [`Core::call`], numbered as in `js/run.js` (`OP_*`).
pub mod op {
    /// The config's no-swap selectors → [`super::Core::noswap`].
    pub const NOSWAP: u8 = 0;
    /// → [`super::Core::start_lead`].
    pub const START_LEAD: u8 = 1;
    /// → [`super::Core::drop_param`].
    pub const DROP_PARAM: u8 = 2;
    /// (runs and attributes: the whole string, see the method) → [`super::Core::swap`].
    pub const SWAP: u8 = 3;
    /// (target, or empty for the first) → [`super::Core::number`].
    pub const NUMBER: u8 = 4;
    /// (name, props JSON) → [`super::Core::track`].
    pub const TRACK: u8 = 5;
    /// n: yes, m: privacy signals → [`super::Core::consent`].
    pub const CONSENT: u8 = 6;
    /// → [`super::Core::next_batch`].
    pub const NEXT_BATCH: u8 = 7;
    /// → [`super::Core::retry_in`].
    pub const RETRY_IN: u8 = 8;
    /// n: HTTP status (0: none), m: Retry-After seconds → [`super::Core::batch_done`].
    pub const BATCH_DONE: u8 = 9;
    /// → [`super::Core::beacon_body`].
    pub const BEACON_BODY: u8 = 10;
    /// → [`super::Core::beacon_sent`].
    pub const BEACON_SENT: u8 = 11;
    /// (type, name, id, autocomplete) → [`super::Core::classify`].
    pub const CLASSIFY: u8 = 12;
    /// → [`super::Core::lead_forms`].
    pub const LEAD_FORMS: u8 = 13;
    /// (kind, channel, extra key, extra value, then keys and values in turn) →
    /// [`super::Core::lead`].
    pub const LEAD: u8 = 14;
    /// (href) → [`super::Core::call_click`].
    pub const CALL_CLICK: u8 = 15;
    /// → [`super::Core::lease_requests`].
    pub const LEASE_REQUESTS: u8 = 16;
    /// n: slot, m: status, (the answer's fields) → [`super::Core::lease_answer`].
    pub const LEASE_ANSWER: u8 = 17;
    /// → [`super::Core::heartbeats`].
    pub const HEARTBEATS: u8 = 18;
    /// → [`super::Core::heartbeat_ms`].
    pub const HEARTBEAT_MS: u8 = 19;
    /// n: slot, m: status, (the answer's fields) → [`super::Core::heartbeat_answer`].
    pub const HEARTBEAT_ANSWER: u8 = 20;
    /// n: kind, (href, path) → [`super::Core::navigate`].
    pub const NAVIGATE: u8 = 21;
    /// n: scroll % → [`super::Core::activity`].
    pub const ACTIVITY: u8 = 22;
    /// n: visible, m: focused → [`super::Core::visibility`].
    pub const VISIBILITY: u8 = 23;
    /// (path) → [`super::Core::tick`].
    pub const TICK: u8 = 24;
    /// → [`super::Core::target_digits`].
    pub const TARGET_DIGITS: u8 = 25;
}

impl Core {
    /// The config's no-swap selectors, joined for `Element.matches`.
    pub fn noswap(&self) -> String {
        // Not `join`: its generic copy loop costs about 1 KB of wasm for one call.
        let mut out = String::new();
        for (i, selector) in self.config.noswap.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(selector);
        }
        out
    }

    /// The targets' national significant numbers, one per line, as parsed from the config: the
    /// runtime's quick reject keeps text without their digits out of wasm.
    pub fn target_digits(&self) -> String {
        let mut out = String::new();
        for (i, t) in self.config.targets.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&t.number.national);
        }
        out
    }

    /// The lead made at start (email link), once, for the `on('lead')` listeners.
    pub fn start_lead(&mut self) -> Option<String> {
        self.start_lead.take()
    }

    /// The email-link parameter to remove from the address bar, if it was in the URL.
    pub fn drop_param(&mut self) -> Option<String> {
        self.drop_param.take()
    }

    /// Plans the swaps for text runs and attributes collected by the runtime. The input is
    /// plain text rather than JSON, so the snippet needs no JSON parser: the runs separated by
    /// U+001E, the pieces (text nodes) of a run by U+001F, then U+001D and the attributes,
    /// separated by U+001E, each its name (`href`, `aria-label` or `title`), U+001F and its value.
    /// No piece or value holds one of these separators: the runtime never sends text that does
    /// (see `sendable` in `js/run.js`). The answer is JSON (the runtime's `JSON.parse` is free):
    /// `{"r":[[run,piece,"text"],...],"a":[[i,"value"],...],"s":[swap,...]}`.
    ///
    /// # Example
    /// `"Call \u{1f}03-1234-5678\u{1e}Fax 0120-111-222\u{1d}href\u{1f}tel:0312345678"`: two
    /// runs (of two pieces and one) and a tel: link.
    pub fn swap(&mut self, input: &str) -> String {
        let (runs_in, attrs_in) = url::cut(input, 0x1d);
        let choices: Vec<Option<(&str, &PhoneNumber)>> = self
            .numbers
            .iter()
            .map(|n| n.as_ref().map(|r| (r.written.as_str(), &r.number)))
            .collect();
        let mut runs = String::from("[");
        let mut swaps = String::from("[");
        let replayed = self.replay.len();
        for (ri, run) in url::split_on(runs_in, 0x1e).enumerate() {
            let texts: Vec<&str> = url::split_on(run, 0x1f).collect();
            let plan = swap::plan(&texts, &self.finder, &choices);
            for e in &plan.edits {
                item(&mut runs, |o| {
                    json::push_u64(o, ri as u64);
                    o.push(',');
                    json::push_u64(o, e.piece as u64);
                    o.push(',');
                    json::write_str(o, &e.text);
                });
            }
            for s in &plan.swaps {
                self.swap_json(&mut swaps, s.target, &s.after);
                let mut line = s.before.clone();
                line.push('\t');
                line.push_str(&s.after);
                // One line, one tab: a number written across a line break is not replayed.
                if self.replay.len() < 2000
                    && s.before.bytes().all(|b| b >= b' ')
                    && !url::split_on(&self.replay, b'\n').any(|l| l == line)
                {
                    self.replay.push('\n');
                    self.replay.push_str(&line);
                }
            }
        }
        if self.replay.len() > replayed {
            self.store_replay();
        }
        let mut attrs = String::from("[");
        for (i, it) in url::split_on(attrs_in, 0x1e).enumerate() {
            let (name, value) = url::cut(it, 0x1f);
            let new = if name == "href" {
                crate::phone::tel_href(value, &self.finder, &choices)
            } else {
                swap::plan_attr(value, &self.finder, &choices).map(|(text, made)| {
                    for s in made {
                        self.swap_json(&mut swaps, s.target, &s.after);
                    }
                    text
                })
            };
            if let Some(new) = new {
                item(&mut attrs, |o| {
                    json::push_u64(o, i as u64);
                    o.push(',');
                    json::write_str(o, &new);
                });
            }
        }
        runs.push(']');
        attrs.push(']');
        swaps.push(']');
        let mut o = ObjectWriter::new();
        o.raw("r", &runs).raw("a", &attrs).raw("s", &swaps);
        o.finish()
    }

    /// The tracking number for `target` (any format of one of the site's numbers; the first
    /// when absent) in E.164, or the site's own number when this visit is not tracked.
    pub fn number(&self, target: Option<&str>) -> Option<String> {
        let i = match target {
            None => 0,
            Some(t) => {
                let n = PhoneNumber::parse(t, self.config.region).ok()?;
                self.config.targets.iter().position(|x| x.number == n)?
            }
        };
        match self.numbers.get(i)? {
            Some(r) => Some(r.number.e164()),
            None => self.config.targets.get(i).map(|t| t.number.e164()),
        }
    }

    /// `ringtrail('track', name, props)`: a custom event (`props` is JSON from the runtime).
    pub fn track(&mut self, name: &str, props: &str) {
        let mut o = ObjectWriter::new();
        o.str("name", name)
            .raw("props", if props.starts_with('{') { props } else { "{}" });
        self.record("custom", &o.finish());
    }

    /// `ringtrail('consent', yes)`: yes stores and sends from now on (this page view included);
    /// no deletes what was stored, stops, and remembers the refusal.
    pub fn consent(&mut self, yes: bool, signals: u32) {
        if !yes {
            self.allowed = false;
            store_forget();
            // A refusal is the one thing kept: without it the next page would track again.
            store_set("consent", "0");
            return;
        }
        let s = Signals {
            consent: Some(true),
            gpc: signals & GPC != 0,
            dnt: signals & DNT != 0,
            webdriver: signals & WEBDRIVER != 0,
            localhost: privacy::is_localhost(&self.host),
        };
        let was = self.allowed;
        self.allowed = privacy::decide(&self.config.privacy, &self.config.tracking, s).is_ok();
        if !self.allowed {
            return;
        }
        store_persist(true);
        store_set("consent", "1");
        store_set("visitor", &self.visitor);
        store_set("touch", &self.touch.encode());
        if !was {
            // This page view was not recorded while we waited for consent.
            let href = page_href();
            let path = url::split(&href).path.to_string();
            self.consent_page_view(if path.is_empty() { "/" } else { &path });
        }
    }

    /// The next batch to POST to `{collector}/v1/events`, if any, it is time, and none is in
    /// flight from this tab.
    pub fn next_batch(&mut self) -> Option<String> {
        if !self.collector || self.in_flight.is_some() {
            return None;
        }
        let now = now_ms();
        let mut ob = self.load_outbox();
        self.adopt_orphans(&mut ob, now);
        let batch = ob.next_batch(&self.tab, now, &self.config.site);
        self.save_outbox(&ob);
        let batch = batch?;
        self.in_flight = Some(batch.ids);
        Some(batch.body)
    }

    /// Milliseconds until the outbox may send again (when [`Core::next_batch`] said nothing
    /// while events wait); `None` when nothing waits.
    pub fn retry_in(&self) -> Option<u32> {
        let ob = self.load_outbox();
        let now = now_ms();
        (!ob.is_empty()).then(|| {
            ob.retry_at_ms()
                .saturating_sub(now)
                .min(u64::from(u32::MAX)) as u32
        })
    }

    /// The answer to the batch in flight: status 0 for no answer.
    pub fn batch_done(&mut self, status: u16, retry_after_s: u32) {
        let Some(ids) = self.in_flight.take() else {
            return;
        };
        let outcome = match status {
            0 => Outcome::NetworkError,
            code => Outcome::Status {
                code,
                retry_after_s: (retry_after_s > 0).then_some(retry_after_s),
            },
        };
        let mut ob = self.load_outbox();
        if let Delivery::Rejected { status, events } =
            ob.on_result(&self.tab, &ids, outcome, now_ms(), random32())
        {
            let mut msg = String::from("collector rejected ");
            json::push_u64(&mut msg, events as u64);
            msg.push_str(" events with HTTP ");
            json::push_u64(&mut msg, u64::from(status));
            log_error(&msg);
        }
        self.save_outbox(&ob);
    }

    /// On pagehide / hidden: the page view's engagement is reported, then everything unclaimed
    /// is offered for one `sendBeacon`; call [`Core::beacon_sent`] if the browser took it.
    pub fn beacon_body(&mut self) -> Option<String> {
        self.leave();
        if !self.collector {
            return None;
        }
        let mut ob = self.load_outbox();
        let batch = ob.drain_for_beacon(&self.tab, now_ms(), &self.config.site)?;
        self.beacon = Some(ob);
        Some(batch.body)
    }

    /// The beacon was queued by the browser: keep its events claimed (see `outbox`).
    pub fn beacon_sent(&mut self) {
        if let Some(ob) = self.beacon.take() {
            self.save_outbox(&ob);
        }
    }
}

/// Appends one `[...]` item (written by `f`) to a JSON array being built.
fn item(out: &mut String, f: impl FnOnce(&mut String)) {
    if out.len() > 1 {
        out.push(',');
    }
    out.push('[');
    f(out);
    out.push(']');
}

impl Core {
    /// Stores what the next page's loader replays before the wasm arrives (see js/loader.js):
    /// a header (until when these numbers hold, in ms; the noswap selectors), then this page's
    /// swaps as displayed (`replay`). Pool numbers count once their lease is known, and only
    /// until it lapses; while one is pending (or the pool's fallback stands in) nothing is
    /// replayed, since the next page may show another number. Written at start, when a lease
    /// answer arrives and when `swap` adds a line.
    fn store_replay(&self) {
        let until = self.replay_until.min(self.leases_until().unwrap_or(0));
        let mut out = String::new();
        if until > now_ms() && self.numbers.iter().any(Option::is_some) {
            json::push_u64(&mut out, until);
            out.push('\t');
            out.push_str(&self.noswap());
            out.push_str(&self.replay);
        }
        store_set("swaps", &out);
    }
}

/// A stored queue, with the snippet's limits: one place builds them (`Limits` is ten numbers).
#[inline(never)]
fn decode_outbox(text: &str) -> Outbox {
    Outbox::decode(text, Limits::default())
}

/// A tab that has not said it is alive for this long has closed, crashed or been frozen: its
/// queue is taken over by a live tab.
const TAB_GONE_MS: u64 = 10_000;

impl Core {
    /// This tab's queue. Why one queue per tab: tabs that read-modify-write one shared queue in
    /// `localStorage` overwrite each other's writes and lose events; a tab only ever writes its
    /// own key, and takes over another tab's key only once that tab is gone.
    fn outbox_key(&self) -> String {
        let mut k = String::from("outbox:");
        k.push_str(&self.tab);
        k
    }

    fn load_outbox(&self) -> Outbox {
        decode_outbox(&store_get(&self.outbox_key()).unwrap_or_default())
    }

    fn save_outbox(&self, ob: &Outbox) {
        let key = self.outbox_key();
        if ob.is_empty() && ob.dropped() == 0 {
            store_remove(&key);
        } else {
            store_set(&key, &ob.encode());
        }
    }

    /// Says this tab is alive (the runtime's one-second clock calls it through `tick`).
    fn alive(&self, now: u64) {
        let mut k = String::from("alive:");
        k.push_str(&self.tab);
        store_set(&k, &number(now));
    }

    /// Moves the queues of gone tabs (and the pre-per-tab shared `outbox`) into this tab's.
    fn adopt_orphans(&self, ob: &mut Outbox, now: u64) {
        for key in url::split_on(&store_keys("outbox"), b'\n') {
            let tab = key.strip_prefix("outbox:").unwrap_or_default();
            if tab == self.tab || key.is_empty() {
                continue;
            }
            let mut alive_key = String::from("alive:");
            alive_key.push_str(tab);
            let seen = store_get(&alive_key)
                .and_then(|v| url::parse_u64(&v))
                .unwrap_or(0);
            if now.saturating_sub(seen) < TAB_GONE_MS {
                continue;
            }
            if let Some(text) = store_get(key) {
                ob.absorb(decode_outbox(&text));
            }
            store_remove(key);
            store_remove(&alive_key);
        }
    }
}

impl Core {
    /// `{"target","number","displayed","source"}` for one swap, appended to a JSON array.
    fn swap_json(&self, out: &mut String, target: usize, displayed: &str) {
        if out.len() > 1 {
            out.push(',');
        }
        let mut o = ObjectWriter::new();
        o.str(
            "target",
            self.config
                .targets
                .get(target)
                .map(|t| t.written.as_str())
                .unwrap_or_default(),
        );
        let number = self
            .numbers
            .get(target)
            .and_then(|n| n.as_ref())
            .map(|r| r.number.e164());
        o.str("number", number.as_deref().unwrap_or_default())
            .str("displayed", displayed);
        if self.touch.rule.is_empty() {
            o.raw("source", "null");
        } else {
            o.str("source", &self.touch.rule);
        }
        out.push_str(&o.finish());
    }

    /// Queues an event of `kind` with type-specific `data` (a JSON object text, or empty);
    /// returns its id. Nothing is queued without permission or a collector.
    fn record(&self, kind: &str, data: &str) -> String {
        let id = new_id();
        if !self.allowed || !self.collector {
            return id;
        }
        // Configured parameters, the email lead token and personal data a GET form put in the
        // query (email, phone, name, passwords...) never leave in a URL.
        let href = page_href();
        let strip = &self.config.tracking.strip_params;
        let token = &self.config.leads.email_param;
        let url = crate::url::remove_params(&href, |p| {
            p == token
                || strip.iter().any(|s| s == p)
                || crate::lead::classify_field("", p, "", "") != crate::lead::FieldKind::Other
        });
        let session = self.visits.session_id();
        let title = page_title();
        let ctx = Context {
            visitor: &self.visitor,
            session,
            url: &url,
            referrer: &self.referrer,
            title: &title,
            revisit: self.visits.revisits(),
            touch: Some(&self.touch),
        };
        let json = event::event_json(&id, kind, now_ms(), &ctx, data);
        let mut ob = self.load_outbox();
        if ob.push(&id, &json).is_ok() {
            self.save_outbox(&ob);
        }
        id
    }
}

/// Sessions read and written through the runtime's storage.
fn load_session(policy: &SessionPolicy, now: u64) -> Session {
    let (s, _) = Session::resume(store_get("session").as_deref(), now, policy, new_id);
    store_set("session", &s.encode());
    s
}
