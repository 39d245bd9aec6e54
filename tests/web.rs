//! The web layer in a real headless Chromium (`wasm-pack test --headless --chrome`): DOM scan,
//! split markup, attributes, exclusions, the MutationObserver and the JS command API.
#![cfg(all(target_arch = "wasm32", feature = "web"))]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Document, Element};

wasm_bindgen_test_configure!(run_in_browser);

const CONFIG: &str = r#"{
  "site": "webtest", "region": "JP", "targets": ["03-1234-5678"],
  "sources": [{"name": "all", "numbers": {"03-1234-5678": "03-9999-0001"}}],
  "noswap": [".keep"]
}"#;

fn document() -> Document {
    web_sys::window().unwrap().document().unwrap()
}

thread_local! {
    /// One snippet per page, as on a real site.
    static SNIPPET: ringtrail::Snippet = ringtrail::start(CONFIG, "", js_sys::Array::new()).unwrap();
}

fn command(args: js_sys::Array) -> Result<wasm_bindgen::JsValue, wasm_bindgen::JsError> {
    SNIPPET.with(|s| s.command(args))
}

/// Puts `html` in a fresh container and swaps it.
fn fixture(html: &str) -> Element {
    let doc = document();
    let div = doc.create_element("div").unwrap();
    div.set_inner_html(html);
    doc.body().unwrap().append_child(&div).unwrap();
    command(js_sys::Array::of2(&"rescan".into(), &div)).unwrap();
    div
}

fn text(root: &Element, sel: &str) -> String {
    root.query_selector(sel)
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap()
}

#[wasm_bindgen_test]
fn swaps_text_and_keeps_format() {
    let root = fixture(
        r#"<p id="a">Call 03-1234-5678 now</p><p id="b">(03) 1234-5678</p>
           <p id="c">０３－１２３４－５６７８</p>"#,
    );
    assert_eq!(text(&root, "#a"), "Call 03-9999-0001 now");
    assert_eq!(text(&root, "#b"), "(03) 9999-0001");
    assert_eq!(text(&root, "#c"), "０３－９９９９－０００１");
}

#[wasm_bindgen_test]
fn split_markup_keeps_its_elements() {
    let root = fixture(r#"<p id="s"><span>(03)</span> 1234-<b>5678</b></p>"#);
    assert_eq!(text(&root, "#s"), "(03) 9999-0001");
    assert_eq!(
        root.query_selector("#s b")
            .unwrap()
            .unwrap()
            .text_content()
            .unwrap(),
        "0001"
    );
    assert_eq!(
        root.query_selector("#s span")
            .unwrap()
            .unwrap()
            .text_content()
            .unwrap(),
        "(03)"
    );
}

#[wasm_bindgen_test]
fn tel_links_and_labels() {
    let root = fixture(
        r#"<a id="t" href="tel:03-1234-5678" aria-label="Call 03-1234-5678" title="03-1234-5678">call</a>"#,
    );
    let a = root.query_selector("#t").unwrap().unwrap();
    assert_eq!(a.get_attribute("href").unwrap(), "tel:+81399990001");
    assert_eq!(a.get_attribute("aria-label").unwrap(), "Call 03-9999-0001");
    assert_eq!(a.get_attribute("title").unwrap(), "03-9999-0001");
}

#[wasm_bindgen_test]
fn exclusions_are_left_alone() {
    let root = fixture(
        r#"<p class="keep" id="k">03-1234-5678</p><div data-ringtrail-noswap><p id="n">03-1234-5678</p></div>
           <textarea id="ta">03-1234-5678</textarea><p id="o">No. 1203123456789</p>"#,
    );
    assert_eq!(text(&root, "#k"), "03-1234-5678");
    assert_eq!(text(&root, "#n"), "03-1234-5678");
    let ta: web_sys::HtmlTextAreaElement = root
        .query_selector("#ta")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(ta.value(), "03-1234-5678");
    assert_eq!(text(&root, "#o"), "No. 1203123456789");
}

#[wasm_bindgen_test]
async fn content_added_later_is_swapped() {
    let root = fixture("<div id='later'></div>");
    let later = root.query_selector("#later").unwrap().unwrap();
    later.set_inner_html("<p id='x'>Chat or call 03-1234-5678</p>");
    // MutationObserver callbacks run as a microtask after this task.
    let p = js_sys::Promise::resolve(&wasm_bindgen::JsValue::NULL);
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
    assert_eq!(text(&root, "#x"), "Chat or call 03-9999-0001");
}

#[wasm_bindgen_test]
fn number_command_gives_e164() {
    fixture("");
    let n = command(js_sys::Array::of1(&"number".into())).unwrap();
    assert_eq!(n.as_string().unwrap(), "+81399990001");
    let err = command(js_sys::Array::of1(&"nope".into()));
    assert!(err.is_err());
}
