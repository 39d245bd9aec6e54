//! The published JSON Schema (`schema/config.schema.json`) is generated from the Rust config
//! types and must stay in step with them and with the configs we ship.
//!
//! Regenerate it with `UPDATE_SCHEMA=1 cargo test -p ringtrail-collector --test schema`.

use std::path::{Path, PathBuf};

use ringtrail::config::Config;
use ringtrail_collector::check::config_schema_text;
use serde_json::Value;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the collector lives in the workspace")
        .to_owned()
}

fn schema_path() -> PathBuf {
    repo_root().join("schema/config.schema.json")
}

#[test]
fn committed_schema_is_up_to_date() {
    let generated = config_schema_text();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::create_dir_all(schema_path().parent().expect("dir")).expect("mkdir");
        std::fs::write(schema_path(), &generated).expect("write schema");
        return;
    }
    let committed = std::fs::read_to_string(schema_path()).unwrap_or_default();
    assert!(
        committed == generated,
        "schema/config.schema.json is out of date with ringtrail::config; regenerate it with \
         UPDATE_SCHEMA=1 cargo test -p ringtrail-collector --test schema"
    );
}

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(&config_schema_text()).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("a valid JSON Schema")
}

/// Every config we ship: the demo site's and the collector's examples.
fn shipped_configs() -> Vec<PathBuf> {
    let mut paths = vec![repo_root().join("www/ringtrail/config.json")];
    let dir = repo_root().join("collector/configs");
    let mut examples: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("collector/configs")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    examples.sort();
    assert!(!examples.is_empty());
    paths.extend(examples);
    paths
}

#[test]
fn shipped_configs_validate_with_the_parser_and_the_schema() {
    let validator = validator();
    for path in shipped_configs() {
        let text = std::fs::read_to_string(&path).expect("read config");
        if let Err(errors) = Config::from_json(&text) {
            panic!(
                "{}: {:?}",
                path.display(),
                errors.iter().map(|e| e.describe()).collect::<Vec<_>>()
            );
        }
        let json: Value = serde_json::from_str(&text).expect("JSON");
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    }
}

/// Configs the parser accepts must pass the schema, and the schema must refuse what the parser
/// refuses for structural reasons (unknown fields, wrong types).
#[test]
fn schema_and_parser_agree_on_partial_sections() {
    let validator = validator();
    let base = r#""site": "a", "region": "JP", "targets": ["03-1234-5678"]"#;
    let accepted = [
        format!("{{{base}}}"),
        format!(r#"{{{base}, "attribution": {{"days": 7}}}}"#),
        format!(r#"{{{base}, "attribution": {{"model": "first_touch"}}}}"#),
        format!(r#"{{{base}, "leads": {{"send": "hashed"}}}}"#),
        format!(r#"{{{base}, "privacy": {{"consent": "required"}}}}"#),
        format!(r#"{{{base}, "tracking": {{"hash_routing": true}}}}"#),
        format!(r#"{{{base}, "triggers": [{{"name": "t", "page": "/p*"}}]}}"#),
        format!(
            r#"{{{base}, "sources": [{{"name": "x", "match": {{"click_id": true}},
                "numbers": {{"03-1234-5678": {{"pool": "p"}}}}}}],
                "pools": {{"p": {{"numbers": ["03-5555-0001"], "fallback": "03-5555-0000"}}}}}}"#
        ),
    ];
    for text in &accepted {
        assert!(Config::from_json(text).is_ok(), "parser refuses {text}");
        let json: Value = serde_json::from_str(text).expect("JSON");
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "schema refuses {text}: {errors:?}");
    }
    let refused = [
        format!(r#"{{{base}, "sorces": []}}"#),
        format!(r#"{{{base}, "attribution": {{"days": "7"}}}}"#),
        format!(r#"{{{base}, "pools": {{"p": {{"numbers": ["03-5555-0001"]}}}}}}"#),
        r#"{"region": "JP", "targets": []}"#.to_owned(),
    ];
    for text in &refused {
        assert!(Config::from_json(text).is_err(), "parser accepts {text}");
        let json: Value = serde_json::from_str(text).expect("JSON");
        assert!(!validator.is_valid(&json), "schema accepts {text}");
    }
}
