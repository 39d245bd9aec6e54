//! The compiled config: what the snippet reads instead of the marketer's JSON.
//!
//! The collector (and `ringtrail compile`) validates a JSON config with [`Config::from_json`],
//! every error with its JSON path and hint, and hands the browser the validated [`Config`] in
//! this form: its fields in a fixed order, each a string, separated by U+001F. The snippet then
//! ships a reader of a few hundred bytes instead of a JSON parser and a validator with its error
//! messages (about 9 KB of gzip wasm). The rules that read the config (sources, numbers,
//! triggers) are the same code in the browser, the collector and the CLI.
//!
//! ```text
//! rt2 ␟ site ␟ region ␟ targets ␟ pools ␟ sources ␟ referrer_groups ␟ default ␟ attribution
//!     ␟ noswap ␟ triggers ␟ leads ␟ privacy ␟ tracking ␟ end
//! ```
//! A list is its length, then its items; an absent optional value is an empty string; numbers
//! are decimal; flags and two-way choices are `0`/`1`. Phone numbers travel as written and are
//! parsed again when read, so the display grouping the marketer wrote is kept. U+001F cannot
//! occur inside a value (a config value holding one gets U+FFFD in its place).
//!
//! The reader trusts the content (the collector checked it) but not the transport: a truncated
//! or foreign text is refused as a whole, never half read.

use crate::config::{
    Attribution, AttributionModel, Config, Consent, LeadSend, Leads, NumberChoice, NumberMap, Pool,
    Privacy, Replacement, SourceMatch, SourceRule, Target, Tracking, Trigger, TriggerOnce,
};
use crate::phone::{PhoneNumber, Region};
use crate::prelude::*;

/// The first field: the format's version. A snippet refuses any other.
pub const VERSION: &str = "rt2";
/// The last field: a text cut short is refused.
const END: &str = "end";
const SEP: char = '\u{1f}';

impl Config {
    /// The config in the form the snippet reads (see the module docs).
    ///
    /// # Example
    /// ```
    /// use ringtrail::config::Config;
    /// let c = Config::from_json(r#"{"site": "demo", "region": "JP", "targets": ["03-1234-5678"]}"#).unwrap();
    /// assert!(c.compile().starts_with("rt2\u{1f}demo\u{1f}JP\u{1f}1\u{1f}03-1234-5678\u{1f}"));
    /// assert_eq!(Config::decode(&c.compile()), Some(c));
    /// ```
    pub fn compile(&self) -> String {
        let mut w = Writer(String::from(VERSION));
        w.s(&self.site);
        w.s(self.region.code());
        w.n(self.targets.len());
        for t in &self.targets {
            w.s(&t.written);
        }
        w.n(self.pools.len());
        for (name, p) in &self.pools {
            w.s(name);
            w.n(p.numbers.len());
            for r in &p.numbers {
                w.s(&r.written);
            }
            w.s(&p.fallback.written);
            w.n(p.idle_minutes as usize);
        }
        w.n(self.sources.len());
        for r in &self.sources {
            w.s(&r.name);
            let m = &r.matcher;
            for list in [
                &m.utm_source,
                &m.utm_medium,
                &m.utm_campaign,
                &m.utm_term,
                &m.utm_content,
                &m.click_id,
                &m.referrer_host,
                &m.referrer_group,
                &m.landing_path,
            ] {
                w.list(list);
            }
            w.numbers(&r.numbers);
        }
        w.s(&self.referrer_groups);
        match &self.default {
            Some(map) => {
                w.s("1");
                w.numbers(map);
            }
            None => w.s("0"),
        }
        w.flag(self.attribution.model == AttributionModel::FirstTouch);
        w.n(self.attribution.days as usize);
        w.list(&self.noswap);
        w.n(self.triggers.len());
        for t in &self.triggers {
            w.s(&t.name);
            w.s(t.page.as_deref().unwrap_or_default());
            w.opt(t.dwell_seconds);
            w.opt(t.revisits);
            w.s(t.source.as_deref().unwrap_or_default());
            w.flag(t.once == TriggerOnce::Session);
        }
        w.s(&self.leads.forms);
        w.s(&self.leads.email_param);
        w.flag(self.leads.send == LeadSend::Hashed);
        w.flag(self.privacy.consent == Consent::Required);
        w.flag(self.privacy.respect_gpc);
        w.flag(self.privacy.respect_dnt);
        let t = &self.tracking;
        w.list(&t.strip_params);
        w.flag(t.hash_routing);
        w.n(t.session_minutes as usize);
        w.n(t.min_engaged_ms as usize);
        w.flag(t.allow_automation);
        w.flag(t.allow_localhost);
        match t.session_midnight {
            Some(m) => w.s(&m.to_string()),
            None => w.s(""),
        }
        w.s(END);
        w.0
    }

    /// Reads a compiled config; `None` for anything [`Config::compile`] did not write (another
    /// version, cut short, a phone number that does not parse).
    pub fn decode(text: &str) -> Option<Config> {
        let mut r = Reader {
            fields: crate::url::split_on(text, SEP as u8),
            bad: false,
        };
        r.bad = r.s() != VERSION;
        let site = r.string();
        let region = Region::from_code(r.s()).unwrap_or_else(|| r.fail(Region::JP));
        let targets = r.list(|r| {
            let p = r.phone(region);
            Target {
                written: p.written,
                number: p.number,
            }
        });
        let pools = r.list(|r| {
            (
                r.string(),
                Pool {
                    numbers: r.list(|r| r.phone(region)),
                    fallback: r.phone(region),
                    idle_minutes: r.n(),
                },
            )
        });
        let sources = r.list(|r| SourceRule {
            name: r.string(),
            matcher: SourceMatch {
                utm_source: r.strings(),
                utm_medium: r.strings(),
                utm_campaign: r.strings(),
                utm_term: r.strings(),
                utm_content: r.strings(),
                click_id: r.strings(),
                referrer_host: r.strings(),
                referrer_group: r.strings(),
                landing_path: r.strings(),
            },
            numbers: r.numbers(region, targets.len()),
        });
        let referrer_groups = r.string();
        let default = r.flag().then(|| r.numbers(region, targets.len()));
        let attribution = Attribution {
            model: match r.flag() {
                true => AttributionModel::FirstTouch,
                false => AttributionModel::LastTouch,
            },
            days: r.n(),
        };
        let noswap = r.strings();
        let triggers = r.list(|r| Trigger {
            name: r.string(),
            page: r.opt_string(),
            dwell_seconds: r.opt_n(),
            revisits: r.opt_n(),
            source: r.opt_string(),
            once: match r.flag() {
                true => TriggerOnce::Session,
                false => TriggerOnce::PageView,
            },
        });
        let leads = Leads {
            forms: r.string(),
            email_param: r.string(),
            send: match r.flag() {
                true => LeadSend::Hashed,
                false => LeadSend::Raw,
            },
        };
        let privacy = Privacy {
            consent: match r.flag() {
                true => Consent::Required,
                false => Consent::NotRequired,
            },
            respect_gpc: r.flag(),
            respect_dnt: r.flag(),
        };
        let tracking = Tracking {
            strip_params: r.strings(),
            hash_routing: r.flag(),
            session_minutes: r.n(),
            min_engaged_ms: r.n(),
            allow_automation: r.flag(),
            allow_localhost: r.flag(),
            session_midnight: {
                let m = r.s();
                let minutes = |r: &mut Reader, m| r.number(m) as i32;
                match m.strip_prefix('-') {
                    _ if m.is_empty() => None,
                    Some(m) => Some(-minutes(&mut r, m)),
                    None => Some(minutes(&mut r, m)),
                }
            },
        };
        let end = r.s() == END && r.fields.next().is_none();
        let config = Config {
            site,
            region,
            targets,
            sources,
            referrer_groups,
            default,
            pools,
            attribution,
            noswap,
            triggers,
            leads,
            privacy,
            tracking,
        };
        if end && !r.bad {
            Some(config)
        } else {
            // Left, not dropped: a text that is not ours is rare (once per page at most), and
            // dropping a Config is code the snippet would otherwise not need.
            core::mem::forget(config);
            None
        }
    }
}

/// Writes fields, each after a separator (the version is the first field, unseparated).
struct Writer(String);

impl Writer {
    fn s(&mut self, v: &str) {
        self.0.push(SEP);
        self.0
            .extend(v.chars().map(|c| if c == SEP { '\u{fffd}' } else { c }));
    }

    fn n(&mut self, v: usize) {
        self.s(&v.to_string());
    }

    fn flag(&mut self, v: bool) {
        self.s(if v { "1" } else { "0" });
    }

    fn opt(&mut self, v: Option<u32>) {
        match v {
            Some(v) => self.n(v as usize),
            None => self.s(""),
        }
    }

    fn list(&mut self, items: &[String]) {
        self.n(items.len());
        for it in items {
            self.s(it);
        }
    }

    fn numbers(&mut self, map: &NumberMap) {
        self.n(map.len());
        for (target, choice) in map {
            self.n(*target);
            match choice {
                NumberChoice::Fixed(r) => {
                    self.s("0");
                    self.s(&r.written);
                }
                NumberChoice::Pool(name) => {
                    self.s("1");
                    self.s(name);
                }
            }
        }
    }
}

/// A decimal number: digits only, at most 9 of them (never overflows).
fn number(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 9 {
        return None;
    }
    s.bytes().try_fold(0u32, |acc, b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

/// Reads fields in order. A field that is missing or not what its place says marks the whole
/// text `bad` and reads as a stand-in, so the reading goes on straight to the end: no early
/// return, whose paths dropping each half-built part cost more wasm than the whole reader.
struct Reader<'a> {
    fields: crate::url::SplitOn<'a>,
    bad: bool,
}

impl<'a> Reader<'a> {
    /// Marks the text bad; `stand_in` is read instead.
    fn fail<T>(&mut self, stand_in: T) -> T {
        self.bad = true;
        stand_in
    }

    fn s(&mut self) -> &'a str {
        match self.fields.next() {
            Some(s) => s,
            None => self.fail(""),
        }
    }

    fn string(&mut self) -> String {
        self.s().into()
    }

    fn opt_string(&mut self) -> Option<String> {
        Some(self.s()).filter(|s| !s.is_empty()).map(Into::into)
    }

    fn number(&mut self, s: &str) -> u32 {
        number(s).unwrap_or_else(|| self.fail(0))
    }

    fn n(&mut self) -> u32 {
        let s = self.s();
        self.number(s)
    }

    fn opt_n(&mut self) -> Option<u32> {
        let s = self.s();
        (!s.is_empty()).then(|| self.number(s))
    }

    fn flag(&mut self) -> bool {
        match self.s() {
            "0" => false,
            "1" => true,
            _ => self.fail(false),
        }
    }

    /// A list: its length, then each item read by `item` (no more once the text is bad: the
    /// length may be anything then).
    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> T) -> Vec<T> {
        let n = self.n();
        let mut out = Vec::new();
        for _ in 0..n {
            if self.bad {
                break;
            }
            out.push(item(self));
        }
        out
    }

    fn strings(&mut self) -> Vec<String> {
        self.list(Self::string)
    }

    fn phone(&mut self, region: Region) -> Replacement {
        let written = self.string();
        let number = PhoneNumber::parse(&written, region).unwrap_or_else(|_| {
            self.fail(PhoneNumber {
                country_code: 0,
                national: String::new(),
                extension: None,
            })
        });
        Replacement { written, number }
    }

    /// A `numbers` map over `targets` targets.
    fn numbers(&mut self, region: Region, targets: usize) -> NumberMap {
        self.list(|r| {
            let mut target = r.n() as usize;
            if target >= targets {
                target = r.fail(0);
            }
            let choice = match r.flag() {
                false => NumberChoice::Fixed(r.phone(region)),
                true => NumberChoice::Pool(r.string()),
            };
            (target, choice)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field away from its default, a pool, both kinds of numbers and a negative offset.
    const FULL: &str = r#"{
      "site": "full-us", "region": "US",
      "targets": ["(415) 555-0100", "+1 212 555 0199 x12"],
      "pools": {"visitors": {"numbers": ["415-555-0101", "415-555-0102"],
                             "fallback": "415-555-0109", "idle_minutes": 20}},
      "sources": [
        {"name": "ads", "match": {"utm_source": ["google", "bing*"], "utm_medium": "cpc",
          "utm_campaign": "spring", "utm_term": "x", "utm_content": "y", "click_id": true,
          "referrer_host": "*.google.*", "referrer_group": ["search", "paid"],
          "landing_path": "/lp/*"},
         "numbers": {"(415) 555-0100": {"pool": "visitors"}, "212-555-0199 ext. 12": "212.555.0142"}},
        {"name": "empty", "numbers": {}}
      ],
      "default": {"415 555 0100": "415-555-0177"},
      "attribution": {"model": "first_touch", "days": 0},
      "noswap": [".legal", "footer"],
      "triggers": [{"name": "t1", "page": "/pricing*", "dwell_seconds": 10, "revisits": 0,
                    "source": "ads", "once": "session"}, {"name": "t2"}],
      "leads": {"forms": "form.lead", "email_param": "lid", "send": "hashed"},
      "privacy": {"consent": "required", "respect_gpc": false, "respect_dnt": false},
      "tracking": {"strip_params": ["token"], "hash_routing": true, "session_minutes": 45,
                   "min_engaged_ms": 0, "allow_automation": true, "allow_localhost": true,
                   "session_midnight": "-05:30"}
    }"#;

    fn configs() -> Vec<Config> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/");
        let mut texts: Vec<String> = ["www/ringtrail/config.json", "collector/configs/pools.json"]
            .iter()
            .map(|p| std::fs::read_to_string(format!("{dir}{p}")).unwrap())
            .collect();
        texts.push(FULL.into());
        texts.push(
            r#"{"site": "min", "region": "jp", "targets": ["０３－１２３４－５６７８ 内線12"]}"#
                .into(),
        );
        texts
            .iter()
            .map(|t| Config::from_json(t).unwrap())
            .collect()
    }

    #[test]
    fn every_config_reads_back_as_it_was_compiled() {
        for c in configs() {
            let text = c.compile();
            assert_eq!(Config::decode(&text).as_ref(), Some(&c), "{text:?}");
        }
        let full = Config::from_json(FULL).unwrap();
        assert_eq!(full.tracking.session_midnight, Some(-330));
        assert!(full.default.is_some() && full.pools.len() == 1);
    }

    #[test]
    fn the_group_table_travels_only_for_referrer_group_rules() {
        let full = Config::from_json(FULL).unwrap();
        assert!(full
            .sources
            .iter()
            .any(|r| !r.matcher.referrer_group.is_empty()));
        assert_eq!(full.referrer_groups, crate::source::GROUP_TABLE);
        assert!(full.compile().contains(crate::source::GROUP_TABLE));
        let bare = Config::from_json(
            r#"{"site": "s", "region": "JP", "targets": ["03-1234-5678"],
            "sources": [{"name": "ads", "match": {"click_id": ["gclid"]},
                         "numbers": {"03-1234-5678": "03-9999-0000"}}]}"#,
        )
        .unwrap();
        assert_eq!(bare.referrer_groups, "");
        assert!(!bare.compile().contains("google"));
    }

    #[test]
    fn a_text_cut_short_or_grown_is_refused_whole() {
        for c in configs() {
            let text = c.compile();
            let fields: Vec<&str> = text.split(SEP).collect();
            for n in 1..fields.len() {
                let cut = fields[..n].join("\u{1f}");
                assert_eq!(Config::decode(&cut), None, "cut after {n} fields");
            }
            assert_eq!(Config::decode(&format!("{text}\u{1f}")), None);
        }
    }

    #[test]
    fn foreign_texts_are_refused() {
        let text = Config::from_json(FULL).unwrap().compile();
        assert_eq!(Config::decode(&text.replacen("rt2", "rt3", 1)), None);
        assert_eq!(Config::decode(r#"{"site": "x"}"#), None);
        assert_eq!(Config::decode(""), None);
        // A target index past the targets, a bad flag, a number that is not a phone number.
        let swap = |from: &str, to: &str| Config::decode(&text.replacen(from, to, 1));
        assert!(swap(
            "\u{1f}1\u{1f}0\u{1f}415-555-0177",
            "\u{1f}1\u{1f}0\u{1f}415-555-0177"
        )
        .is_some());
        assert_eq!(
            swap(
                "\u{1f}1\u{1f}0\u{1f}0\u{1f}415-555-0177",
                "\u{1f}1\u{1f}7\u{1f}0\u{1f}415-555-0177"
            ),
            None
        );
        assert_eq!(
            swap(
                "\u{1f}1\u{1f}0\u{1f}0\u{1f}415-555-0177",
                "\u{1f}1\u{1f}0\u{1f}2\u{1f}415-555-0177"
            ),
            None
        );
        assert_eq!(swap("415-555-0177", "not a number"), None);
        assert_eq!(swap("\u{1f}45\u{1f}", "\u{1f}4x5\u{1f}"), None);
        assert_eq!(swap("\u{1f}45\u{1f}", "\u{1f}99999999999\u{1f}"), None);
    }

    #[test]
    fn a_separator_inside_a_value_cannot_shift_the_fields() {
        let mut c = Config::from_json(FULL).unwrap();
        c.noswap.push("a\u{1f}b".into());
        let back = Config::decode(&c.compile()).unwrap();
        assert_eq!(back.noswap.last().map(String::as_str), Some("a\u{fffd}b"));
        assert_eq!(back.tracking, c.tracking);
    }
}
