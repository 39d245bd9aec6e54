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

/// The config as the collector serves it (see `ringtrail::compiled`).
fn compiled() -> String {
    ringtrail::config::Config::from_json(CONFIG)
        .unwrap()
        .compile()
}

fn core(href: &str) -> Core {
    Core::new(
        &compiled(),
        false,
        &format!("{href}\u{1f}\u{1f}example.com"),
        0,
    )
    .unwrap()
}

fn parse(s: &str) -> js_sys::Object {
    js_sys::JSON::parse(s).unwrap().into()
}

/// `JSON.stringify(v[key])`.
fn field(v: &js_sys::Object, key: &str) -> String {
    let f = js_sys::Reflect::get(v, &key.into()).unwrap();
    js_sys::JSON::stringify(&f).unwrap().as_string().unwrap()
}

#[wasm_bindgen_test]
fn an_uncompiled_or_cut_config_is_refused() {
    let cut = compiled();
    let cut = &cut[..cut.len() - 4];
    for text in [CONFIG, cut] {
        let msg = Core::new(
            text,
            false,
            "https://example.com/\u{1f}\u{1f}example.com",
            0,
        )
        .err()
        .unwrap();
        assert!(msg.starts_with("config: not a compiled config"), "{msg}");
    }
}

#[wasm_bindgen_test]
fn swaps_runs_and_attributes_for_a_campaign_visit() {
    let mut c = core("https://example.com/?utm_source=ads");
    // Runs split by U+001E, their pieces by U+001F, then U+001D and the attributes (name U+001F
    // value, split by U+001E), as js/run.js sends them.
    let out = c.swap(
        "Call \u{1f}(03)\u{1f} 1234-5678\u{1e}No. 1203123456789\u{1e}\u{1f}Fax 03-1234-5678\u{1f}\
         \u{1d}href\u{1f}tel:03-1234-5678\u{1e}title\u{1f}03-1234-5678\u{1e}aria-label\u{1f}Call 06-1234-5678",
    );
    let v = parse(&out);
    // "(03)" stays as it is: only pieces whose text changes are edited; empty pieces (empty text
    // nodes) keep their places.
    assert_eq!(
        field(&v, "r"),
        r#"[[0,2," 9999-0001"],[2,1,"Fax 03-9999-0001"]]"#
    );
    assert_eq!(
        field(&v, "a"),
        r#"[[0,"tel:+81399990001"],[1,"03-9999-0001"]]"#
    );
    // Text runs and the title swap; a tel: href is not a displayed number.
    let swaps = js_sys::Array::from(&js_sys::Reflect::get(&v, &"s".into()).unwrap());
    assert_eq!(swaps.length(), 3);
    assert_eq!(c.number(None).as_deref(), Some("+81399990001"));
}

#[wasm_bindgen_test]
fn swaps_runs_alone_attributes_alone_or_nothing() {
    let mut c = core("https://example.com/?utm_source=ads");
    // The runtime always sends the U+001D; without it everything is runs.
    for (input, runs, attrs) in [
        ("03-1234-5678\u{1d}", r#"[[0,0,"03-9999-0001"]]"#, "[]"),
        ("03-1234-5678", r#"[[0,0,"03-9999-0001"]]"#, "[]"),
        (
            "\u{1d}title\u{1f}03-1234-5678",
            "[]",
            r#"[[0,"03-9999-0001"]]"#,
        ),
        ("\u{1d}", "[]", "[]"),
        ("", "[]", "[]"),
        // An attribute without its value, and one the runtime never sends: nothing.
        ("\u{1d}title\u{1e}href\u{1f}03-1234-5678", "[]", "[]"),
    ] {
        let v = parse(&c.swap(input));
        assert_eq!(
            (field(&v, "r"), field(&v, "a")),
            (runs.into(), attrs.into()),
            "{input:?}"
        );
    }
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
        later.number(Some("0312345678")).as_deref(),
        Some("+81399990001")
    );
    assert_eq!(later.number(Some("06-0000-0000")), None);
}

#[wasm_bindgen_test]
fn form_fields_are_classified_and_secrets_never_read() {
    let c = core("https://example.com/");
    assert_eq!(c.classify("email", "mail", "", ""), "email");
    assert_eq!(c.classify("tel", "phone", "", ""), "phone");
    assert_eq!(c.classify("password", "password", "", ""), "");
    assert_eq!(c.classify("text", "cc-number", "", "cc-number"), "");
}
