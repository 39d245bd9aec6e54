//! Config tools behind `ringtrail check`, `ringtrail preview` and `ringtrail schema`.
//!
//! Each is a pure function from inputs to the text the command prints, so the CLI stays a thin
//! shell and tests check the exact output. The rules are the snippet's own
//! (`ringtrail::config`, `ringtrail::source`): what `preview` prints is what a browser does.

use std::fmt::Write as _;

use ringtrail::config::{Config, ConfigError, NumberChoice};
use serde_json::Value;

/// What `ringtrail check` found: the text to print and whether the config is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// Whether the config validated.
    pub ok: bool,
    /// Lines to print (errors, or a one-line summary).
    pub text: String,
}

/// Validates a config's text. Errors: one line each, `path: message (hint)`, then a count.
/// Valid: one line, `ok: site demo (JP): 2 targets, 4 sources, 1 pool (3 numbers)`.
pub fn check(name: &str, text: &str) -> CheckReport {
    match Config::from_json(text) {
        Ok(config) => CheckReport {
            ok: true,
            text: format!("{name}: ok: {}\n", summary(&config)),
        },
        Err(errors) => {
            let mut out = String::new();
            for error in &errors {
                let _ = writeln!(out, "{name}: {}", error.describe());
            }
            let _ = writeln!(
                out,
                "{name}: {} error{}",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            );
            CheckReport {
                ok: false,
                text: out,
            }
        }
    }
}

/// The config compiled for the snippet, as the JSON string `GET /v1/config/{site}` serves and
/// `ringtrail compile` prints: its U+001F separators are written `\u001f`, so it can be pasted
/// into HTML too.
pub fn compiled_json(config: &Config) -> String {
    Value::String(config.compile()).to_string()
}

/// The one line a browser logs for a config that does not validate: the first error with its
/// JSON path and hint, and how many more `ringtrail check` would print.
pub fn snippet_error(errors: &[ConfigError]) -> String {
    let mut out = String::from("config error: ");
    if let Some(first) = errors.first() {
        out.push_str(&first.describe());
    }
    if errors.len() > 1 {
        let _ = write!(
            out,
            " (and {} more: `ringtrail check` prints every error)",
            errors.len() - 1
        );
    }
    out
}

/// `site demo (JP): 2 targets, 4 sources, 1 pool (3 numbers), default numbers`.
pub fn summary(config: &Config) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let pool_numbers: usize = config.pools.iter().map(|(_, p)| p.numbers.len()).sum();
    let mut out = format!(
        "site {} ({}): {}, {}, {}",
        config.site,
        config.region.code(),
        plural(config.targets.len(), "target", "targets"),
        plural(config.sources.len(), "source", "sources"),
        plural(config.pools.len(), "pool", "pools"),
    );
    if !config.pools.is_empty() {
        let _ = write!(
            out,
            " ({})",
            plural(pool_numbers, "number", "numbers").trim_start()
        );
    }
    if config.default.is_some() {
        out.push_str(", default numbers");
    }
    out
}

/// What `ringtrail preview` prints for a visit: the source the browser would attribute and
/// which number each target becomes. A fresh visitor is assumed (nothing stored yet).
pub fn preview(config: &Config, url: &str, referrer: &str, now_ms: u64) -> String {
    let host = ringtrail::url::host(url);
    let (touch, rule) = ringtrail::source::attribute(
        "",
        url,
        referrer,
        &host,
        &config.sources,
        &config.attribution,
        &config.referrer_groups,
        now_ms,
    );
    let mut out = String::new();
    let _ = writeln!(out, "url:       {url}");
    if !referrer.is_empty() {
        let _ = writeln!(out, "referrer:  {referrer}");
    }
    let mut facts = vec![format!(
        "group {}",
        touch.group(ringtrail::source::GROUP_TABLE).as_str()
    )];
    for (key, value) in [
        ("utm_source", &touch.utm_source),
        ("utm_medium", &touch.utm_medium),
        ("utm_campaign", &touch.utm_campaign),
        ("click_id", &touch.click_id),
        ("referrer_host", &touch.referrer_host),
    ] {
        if !value.is_empty() {
            facts.push(format!("{key} {value}"));
        }
    }
    facts.push(format!("landing {}", touch.landing_path));
    let _ = writeln!(out, "visit:     {}", facts.join(", "));
    match rule {
        Some(i) => {
            let _ = writeln!(out, "source:    {} (sources[{i}])", touch.rule);
        }
        None if config.default.is_some() => {
            let _ = writeln!(out, "source:    no rule matches; \"default\" numbers apply");
        }
        None => {
            let _ = writeln!(
                out,
                "source:    no rule matches; the site's own numbers stay"
            );
        }
    }
    let numbers = config.numbers_for(rule);
    for (index, target) in config.targets.iter().enumerate() {
        let choice = numbers.and_then(|map| map.iter().find(|(t, _)| *t == index));
        let becomes = match choice.map(|(_, c)| c) {
            None => "unchanged".to_owned(),
            Some(NumberChoice::Fixed(r)) => format!("{} ({})", r.written, r.number.e164()),
            Some(NumberChoice::Pool(name)) => match config.pool(name) {
                Some(pool) => format!(
                    "a number leased from pool {name:?} ({} numbers; fallback {})",
                    pool.numbers.len(),
                    pool.fallback.written
                ),
                None => format!("pool {name:?}"),
            },
        };
        let _ = writeln!(out, "  {} -> {becomes}", target.written);
    }
    out
}

/// The JSON Schema of the config, generated from `ringtrail::config::Config`.
///
/// `$schema` is allowed at the top level besides the config's fields, so a config file can
/// point editors at the schema (`"$schema": "../schema/config.schema.json"`); the parser accepts
/// it too.
pub fn config_schema() -> Value {
    let schema = schemars::schema_for!(Config);
    let mut value = schema.to_value();
    if let Some(props) = value.get_mut("properties").and_then(Value::as_object_mut) {
        props.insert(
            "$schema".into(),
            serde_json::json!({
                "description": "URL or path of this JSON Schema, for editors; ignored otherwise.",
                "type": "string"
            }),
        );
    }
    value
}

/// [`config_schema`] as the text committed in `schema/config.schema.json`.
pub fn config_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&config_schema()).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEMO: &str = r#"{
      "site": "demo", "region": "JP", "targets": ["03-1234-5678", "0120-111-222"],
      "sources": [
        {"name": "google-ads", "match": {"click_id": ["gclid"]},
         "numbers": {"03-1234-5678": {"pool": "ads"}, "0120-111-222": "0120-999-001"}},
        {"name": "newsletter", "match": {"utm_source": "newsletter"},
         "numbers": {"03-1234-5678": "050-3333-4444"}}
      ],
      "pools": {"ads": {"numbers": ["03-5555-0001", "03-5555-0002"], "fallback": "03-5555-0000"}}
    }"#;

    #[test]
    fn check_prints_every_error_with_its_path() {
        let report = check(
            "bad.json",
            r#"{"site": "Demo", "region": "JP", "targets": ["03-1234-5678"], "sorces": []}"#,
        );
        assert!(!report.ok);
        let mut lines: Vec<&str> = report.text.lines().collect();
        assert_eq!(lines.pop(), Some("bad.json: 2 errors"));
        lines.sort_unstable();
        assert_eq!(
            lines,
            [
                "bad.json: site: use lowercase letters, digits, '-' and '_' (at most 64)",
                "bad.json: sorces: unknown field \"sorces\" (did you mean \"sources\"?)",
            ]
        );
    }

    #[test]
    fn check_summarizes_a_valid_config() {
        let report = check("demo.json", DEMO);
        assert!(report.ok);
        assert_eq!(
            report.text,
            "demo.json: ok: site demo (JP): 2 targets, 2 sources, 1 pool (2 numbers)\n"
        );
    }

    #[test]
    fn preview_shows_the_matching_rule_and_numbers() {
        let config = Config::from_json(DEMO).expect("valid");
        let out = preview(
            &config,
            "https://demo.example/lp?gclid=abc",
            "https://www.google.com/",
            1_700_000_000_000,
        );
        assert!(out.contains("source:    google-ads (sources[0])"), "{out}");
        assert!(
            out.contains(
                "  03-1234-5678 -> a number leased from pool \"ads\" (2 numbers; fallback 03-5555-0000)"
            ),
            "{out}"
        );
        assert!(
            out.contains("  0120-111-222 -> 0120-999-001 (+81120999001)"),
            "{out}"
        );

        let out = preview(
            &config,
            "https://demo.example/?utm_source=newsletter",
            "",
            1_700_000_000_000,
        );
        assert!(out.contains("source:    newsletter (sources[1])"), "{out}");
        assert!(out.contains("  0120-111-222 -> unchanged"), "{out}");

        let out = preview(&config, "https://demo.example/", "", 1_700_000_000_000);
        assert!(
            out.contains("no rule matches; the site's own numbers stay"),
            "{out}"
        );
    }

    #[test]
    fn schema_allows_dollar_schema() {
        let schema = config_schema();
        assert_eq!(schema["properties"]["$schema"]["type"], "string");
        assert_eq!(schema["additionalProperties"], false);
    }
}
