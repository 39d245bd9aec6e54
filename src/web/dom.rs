//! Number swapping in the page: collect candidate text runs and attributes (browser.js), let
//! [`crate::swap`] plan the edits, apply them, and keep doing so for content added later.

use alloc::rc::Rc;

use js_sys::Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, MutationObserver, MutationObserverInit, Text};

use super::{collect, dispatch, mutation_roots, object, App};
use crate::prelude::*;
use crate::swap::{self, Swap};

/// Fewer digits than this in a whole run cannot hold a phone number (shortest: 7-digit UK).
const MIN_DIGITS: u32 = 7;

/// Attributes that can show a number to people or assistive technology.
const LABEL_ATTRS: [&str; 2] = ["aria-label", "title"];

/// Swaps numbers under `roots` and announces each swap; returns the swaps as a JS array.
pub fn scan_roots(app: &Rc<App>, roots: &Array) -> JsValue {
    let noswap = app.config.noswap.join(",");
    let found = collect(roots, &noswap, MIN_DIGITS);
    let numbers = app.numbers.borrow();
    let choices: Vec<Option<(&str, &crate::phone::PhoneNumber)>> = numbers
        .iter()
        .map(|n| n.as_ref().map(|r| (r.written.as_str(), &r.number)))
        .collect();
    let mut made: Vec<Swap> = Vec::new();

    for run in found.get(0).unchecked_into::<Array>().iter() {
        let nodes: Vec<Text> = run
            .unchecked_into::<Array>()
            .iter()
            .map(JsCast::unchecked_into)
            .collect();
        let texts: Vec<String> = nodes.iter().map(|t| t.data()).collect();
        let pieces: Vec<&str> = texts.iter().map(String::as_str).collect();
        let plan = swap::plan(&pieces, &app.finder, &choices);
        for edit in plan.edits {
            nodes[edit.piece].set_data(&edit.text);
        }
        made.extend(plan.swaps);
    }

    for el in found.get(1).unchecked_into::<Array>().iter() {
        let el: Element = el.unchecked_into();
        if let Some(href) = el.get_attribute("href") {
            if let Some(new) = crate::phone::tel_href(&href, &app.finder, &choices) {
                let _ = el.set_attribute("href", &new);
            }
        }
        for attr in LABEL_ATTRS {
            if let Some(value) = el.get_attribute(attr) {
                if let Some((new, swaps)) = swap::plan_attr(&value, &app.finder, &choices) {
                    let _ = el.set_attribute(attr, &new);
                    made.extend(swaps);
                }
            }
        }
    }
    drop(numbers);

    // Our own edits queue mutation records; drop them so we never scan our output again.
    if let Some(o) = app.observer.borrow().as_ref() {
        o.take_records();
    }
    announce(app, &made)
}

/// Fires `ringtrail:swap` (DOM event and `on('swap')` listeners) for each swap; returns them.
fn announce(app: &App, made: &[Swap]) -> JsValue {
    let out = Array::new();
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return out.into();
    };
    let source: JsValue = if app.touch.rule.is_empty() {
        JsValue::NULL
    } else {
        app.touch.rule.as_str().into()
    };
    for s in made {
        let target = app
            .config
            .targets
            .get(s.target)
            .map(|t| t.written.as_str())
            .unwrap_or_default();
        let number = app
            .numbers
            .borrow()
            .get(s.target)
            .and_then(|n| n.as_ref().map(|r| r.number.e164()));
        let detail = object(&[
            ("target", &target.into()),
            ("number", &number.unwrap_or_default().into()),
            ("displayed", &s.after.as_str().into()),
            ("source", &source),
        ]);
        dispatch(&document, "ringtrail:swap", &detail);
        app.emit("swap", &detail);
        out.push(&detail);
    }
    out.into()
}

/// Watches the page for added or changed content and swaps it, without rescanning the page.
pub fn observe(app: &Rc<App>, document: &web_sys::Document) {
    let weak = Rc::downgrade(app);
    // Lives as long as the page: the observer is the page's, so the closure is never freed.
    let cb = Closure::<dyn FnMut(Array, MutationObserver)>::new(move |records: Array, _obs| {
        if let Some(app) = weak.upgrade() {
            let roots = mutation_roots(&records);
            if roots.length() > 0 {
                scan_roots(&app, &roots);
            }
        }
    });
    let Ok(observer) = MutationObserver::new(cb.as_ref().unchecked_ref()) else {
        return;
    };
    cb.forget();
    let init = MutationObserverInit::new();
    init.set_child_list(true);
    init.set_subtree(true);
    init.set_character_data(true);
    // Frameworks update `href` / labels in place (React, Vue): watch those attributes too.
    init.set_attributes(true);
    init.set_attribute_filter(&Array::of3(
        &"href".into(),
        &"aria-label".into(),
        &"title".into(),
    ));
    if let Some(root) = document.document_element() {
        if observer.observe_with_options(&root, &init).is_ok() {
            *app.observer.borrow_mut() = Some(observer);
        }
    }
}
