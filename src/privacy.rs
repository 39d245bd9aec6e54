//! Whether this visit may be recorded: consent, Global Privacy Control, Do Not Track, automation
//! and localhost, decided in one place.
//!
//! Number swapping by source never depends on this: a visitor who opts out still sees the
//! number for their campaign, only nothing is stored on their device or sent about them.

use crate::config::{Consent, Privacy, Tracking};

/// What the browser says about this visit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Signals {
    /// The visitor's recorded answer to `ringtrail('consent', …)`, if any.
    pub consent: Option<bool>,
    /// `navigator.globalPrivacyControl === true`.
    pub gpc: bool,
    /// `navigator.doNotTrack === "1"`.
    pub dnt: bool,
    /// `navigator.webdriver === true` (headless automation, bots).
    pub webdriver: bool,
    /// The page is served from `localhost`, `127.0.0.1` or `[::1]`.
    pub localhost: bool,
}

/// Why a visit is not recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocked {
    /// `privacy.consent` is `required` and the visitor has not said yes.
    NoConsent,
    /// The visitor said no.
    ConsentRefused,
    /// Global Privacy Control is on and respected.
    Gpc,
    /// Do Not Track is on and respected.
    Dnt,
    /// Headless automation and `tracking.allow_automation` is false.
    Automation,
    /// Localhost and `tracking.allow_localhost` is false.
    Localhost,
}

/// `Ok(())` when ids may be stored and events sent; otherwise the first reason not to.
///
/// An explicit `consent(true)` from the visitor overrides GPC and DNT (the site asked and the
/// visitor agreed); a refusal always wins.
pub fn decide(privacy: &Privacy, tracking: &Tracking, s: Signals) -> Result<(), Blocked> {
    match s.consent {
        Some(false) => return Err(Blocked::ConsentRefused),
        None if privacy.consent == Consent::Required => return Err(Blocked::NoConsent),
        _ => {}
    }
    if s.consent != Some(true) {
        if privacy.respect_gpc && s.gpc {
            return Err(Blocked::Gpc);
        }
        if privacy.respect_dnt && s.dnt {
            return Err(Blocked::Dnt);
        }
    }
    if s.webdriver && !tracking.allow_automation {
        return Err(Blocked::Automation);
    }
    if s.localhost && !tracking.allow_localhost {
        return Err(Blocked::Localhost);
    }
    Ok(())
}

/// Whether a page host is local (`localhost`, `*.localhost`, `127.0.0.1`, `[::1]`).
pub fn is_localhost(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host == "127.0.0.1"
        || host == "[::1]"
        || host == "::1"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions() {
        let req = Privacy {
            consent: Consent::Required,
            ..Privacy::default()
        };
        let def = Privacy::default();
        let no_gpc = Privacy {
            respect_gpc: false,
            respect_dnt: false,
            ..Privacy::default()
        };
        let t = Tracking::default();
        let lenient = Tracking {
            allow_automation: true,
            allow_localhost: true,
            ..Tracking::default()
        };
        let sig = Signals::default();
        let cases: &[(&Privacy, &Tracking, Signals, Result<(), Blocked>)] = &[
            (&def, &t, sig, Ok(())),
            (&req, &t, sig, Err(Blocked::NoConsent)),
            (
                &req,
                &t,
                Signals {
                    consent: Some(true),
                    ..sig
                },
                Ok(()),
            ),
            (
                &def,
                &t,
                Signals {
                    consent: Some(false),
                    ..sig
                },
                Err(Blocked::ConsentRefused),
            ),
            (&def, &t, Signals { gpc: true, ..sig }, Err(Blocked::Gpc)),
            (&def, &t, Signals { dnt: true, ..sig }, Err(Blocked::Dnt)),
            (
                &no_gpc,
                &t,
                Signals {
                    gpc: true,
                    dnt: true,
                    ..sig
                },
                Ok(()),
            ),
            (
                &def,
                &t,
                Signals {
                    gpc: true,
                    consent: Some(true),
                    ..sig
                },
                Ok(()),
            ),
            (
                &req,
                &t,
                Signals { gpc: true, ..sig },
                Err(Blocked::NoConsent),
            ),
            (
                &def,
                &t,
                Signals {
                    webdriver: true,
                    ..sig
                },
                Err(Blocked::Automation),
            ),
            (
                &def,
                &lenient,
                Signals {
                    webdriver: true,
                    localhost: true,
                    ..sig
                },
                Ok(()),
            ),
            (
                &def,
                &t,
                Signals {
                    localhost: true,
                    ..sig
                },
                Err(Blocked::Localhost),
            ),
        ];
        for (i, (p, tr, s, want)) in cases.iter().enumerate() {
            assert_eq!(decide(p, tr, *s), *want, "case {i}");
        }
    }

    #[test]
    fn localhost_hosts() {
        for h in ["localhost", "app.localhost", "127.0.0.1", "[::1]"] {
            assert!(is_localhost(h), "{h}");
        }
        for h in ["example.com", "127.0.0.2.example", "localhost.example.com"] {
            assert!(!is_localhost(h), "{h}");
        }
    }
}
