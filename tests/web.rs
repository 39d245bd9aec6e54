//! The wasm `Core` in a real headless Chromium (`wasm-pack test --headless --chrome`): the
//! boundary the JS runtime drives, with the browser's storage behind it.
#![cfg(all(target_arch = "wasm32", feature = "web"))]

use ringtrail::Core;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const CONFIG: &str = r#"{
  "site": "webtest", "region": "JP", "targets": ["03-1234-5678"],
  "sources": [{"name": "ads", "match": {"utm_source": "ads"}, "numbers": {"03-1234-5678": "03-9999-0001"}}],
  "tracking": {"allow_automation": true, "allow_localhost": true}
}"#;

fn core(href: &str) -> Core {
    Core::new(CONFIG, false, &format!("{href}\u{1f}\u{1f}example.com"), 0).unwrap()
}

fn parse(s: &str) -> js_sys::Object {
    js_sys::JSON::parse(s).unwrap().into()
}

#[wasm_bindgen_test]
fn a_bad_config_names_its_path() {
    let err = Core::new(
        r#"{"site": 1}"#,
        false,
        "https://example.com/\u{1f}\u{1f}example.com",
        0,
    )
    .err()
    .unwrap();
    let msg = js_sys::Error::from(wasm_bindgen::JsValue::from(err))
        .message()
        .as_string()
        .unwrap();
    assert!(
        msg.starts_with("config error: site: expected a string, found a number"),
        "{msg}"
    );
}

#[wasm_bindgen_test]
fn swaps_runs_and_attributes_for_a_campaign_visit() {
    let mut c = core("https://example.com/?utm_source=ads");
    let out = c.swap(
        r#"{"r":[["Call ","(03)"," 1234-5678"],["No. 1203123456789"]],"a":[["href","tel:03-1234-5678"],["title","03-1234-5678"]]}"#,
    );
    let v = parse(&out);
    let runs = js_sys::JSON::stringify(&js_sys::Reflect::get(&v, &"r".into()).unwrap()).unwrap();
    // "(03)" stays as it is: only pieces whose text changes are edited.
    assert_eq!(runs.as_string().unwrap(), r#"[[0,2," 9999-0001"]]"#);
    let attrs = js_sys::JSON::stringify(&js_sys::Reflect::get(&v, &"a".into()).unwrap()).unwrap();
    assert_eq!(
        attrs.as_string().unwrap(),
        r#"[[0,"tel:+81399990001"],[1,"03-9999-0001"]]"#
    );
    assert_eq!(c.number(None).as_deref(), Some("+81399990001"));
}

#[wasm_bindgen_test]
fn lead_details_come_as_keys_and_values_in_turn() {
    let mut c = core("https://example.com/");
    let pairs = "email\u{1f} Ann@Example.COM \u{1f}phone\u{1f}０３－１２３４－５６７８\u{1f}channel\u{1f}chat";
    let data = c.lead("lead", "chat", "", "", pairs.split('\u{1f}'));
    assert_eq!(
        data,
        r#"{"type":"lead","channel":"chat","email":"ann@example.com","phone":"+81312345678"}"#
    );
    let data = c.lead("identify", "identify", "user_id", "u1", "".split('\u{1f}'));
    assert_eq!(
        data,
        r#"{"type":"identify","channel":"identify","user_id":"u1"}"#
    );
}

#[wasm_bindgen_test]
fn attribution_persists_in_storage_across_pages() {
    let _first = core("https://example.com/lp?utm_source=ads");
    let later = core("https://example.com/pricing");
    assert_eq!(later.number(None).as_deref(), Some("+81399990001"));
    assert_eq!(
        later.number(Some("0312345678".into())).as_deref(),
        Some("+81399990001")
    );
    assert_eq!(later.number(Some("06-0000-0000".into())), None);
}

#[wasm_bindgen_test]
fn form_fields_are_classified_and_secrets_never_read() {
    let c = core("https://example.com/");
    assert_eq!(c.classify("email", "mail", "", ""), "email");
    assert_eq!(c.classify("tel", "phone", "", ""), "phone");
    assert_eq!(c.classify("password", "password", "", ""), "");
    assert_eq!(c.classify("text", "cc-number", "", "cc-number"), "");
}
