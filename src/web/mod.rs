//! The browser layer: the only code that touches the DOM, storage, the network and the clock.
//!
//! It stays thin: it reads what the browser knows (URL, referrer, text nodes, visibility), hands
//! it to the pure modules, and applies what they decide. Every browser call that can fail falls
//! back (memory storage, no beacon, no observer) instead of breaking the page.

mod delivery;
mod dom;
mod storage;
mod transport;

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::config::{Config, NumberChoice, Replacement};
use crate::event::{self, Context};
use crate::phone::Finder;
use crate::source::{self, Touch};
use delivery::Delivery;
use storage::Store;

/// Everything the snippet knows about this page, created once by [`start`].
pub struct App {
    config: Config,
    store: Rc<Store>,
    delivery: Delivery,
    finder: Finder,
    /// What each target currently becomes (index = target index); `None`: left as is.
    numbers: RefCell<Vec<Option<Replacement>>>,
    touch: Touch,
    visitor: String,
    session: String,
    listeners: RefCell<Vec<(String, Function)>>,
    observer: RefCell<Option<web_sys::MutationObserver>>,
}

thread_local! {
    static APP: RefCell<Option<Rc<App>>> = const { RefCell::new(None) };
}

/// The running app, if [`start`] succeeded.
fn app() -> Option<Rc<App>> {
    APP.with(|a| a.borrow().clone())
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// Cryptographically random bytes (ids must not collide across visitors).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    let ok = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut buf).is_ok());
    if !ok {
        // No Web Crypto (very old browsers): Math.random is good enough to avoid collisions
        // between visitors, which is all an analytics id needs.
        for b in &mut buf {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    buf
}

/// A new UUIDv7 (time-ordered, so the collector's index stays append-friendly).
pub fn new_id() -> String {
    crate::outbox::uuid_v7(now_ms(), &random_bytes::<10>())
}

/// Starts the snippet: validates the config, picks the numbers for this visit, swaps them,
/// watches the page for new content and records the page view.
///
/// # Errors
/// A config error (with its JSON path) before anything on the page is touched.
pub fn start(config_text: &str, collector: &str) -> Result<(), JsError> {
    if app().is_some() {
        return Ok(());
    }
    let config = Config::from_json(config_text).map_err(|errs| {
        let mut msg = String::from("config error: ");
        msg.push_str(&errs[0].describe());
        if errs.len() > 1 {
            msg.push_str(" (and ");
            crate::json::push_u64(&mut msg, (errs.len() - 1) as u64);
            msg.push_str(" more: run `ringtrail check` on it)");
        }
        JsError::new(&msg)
    })?;
    let window = web_sys::window().ok_or_else(|| JsError::new("no window"))?;
    let document = window
        .document()
        .ok_or_else(|| JsError::new("no document"))?;
    let location = window.location();
    let href = location.href().unwrap_or_default();
    let host = location.hostname().unwrap_or_default();
    let referrer = document.referrer();
    let now = now_ms();

    let store = Rc::new(Store::open(true));
    let (touch, rule) = source::attribute(
        &store.get("touch").unwrap_or_default(),
        &href,
        &referrer,
        &host,
        &config.sources,
        &config.attribution,
        now,
    );
    store.set("touch", &touch.encode());

    let visitor = store.get("visitor").unwrap_or_else(|| {
        let id = new_id();
        store.set("visitor", &id);
        id
    });
    let session = new_id();

    let targets: Vec<_> = config.targets.iter().map(|t| t.number.clone()).collect();
    let finder = Finder::new(&targets, config.region);
    let mut numbers = vec![None; config.targets.len()];
    if let Some(map) = config.numbers_for(rule) {
        for (target, choice) in map {
            numbers[*target] = match choice {
                NumberChoice::Fixed(r) => Some(r.clone()),
                // Visitor-level pools lease from the collector; until a lease exists the
                // pool's fallback number is shown.
                NumberChoice::Pool(name) => config.pool(name).map(|p| p.fallback.clone()),
            };
        }
    }

    let delivery = Delivery::new(collector, &config.site, Rc::clone(&store));
    let app = Rc::new(App {
        config,
        store,
        delivery,
        finder,
        numbers: RefCell::new(numbers),
        touch,
        visitor,
        session,
        listeners: RefCell::new(Vec::new()),
        observer: RefCell::new(None),
    });
    APP.with(|a| *a.borrow_mut() = Some(Rc::clone(&app)));

    let swaps = dom::scan_roots(&app, &Array::of1(&document.document_element().into()));
    dom::observe(&app, &document);
    if document.ready_state() == "loading" {
        // The parser is still adding nodes: the observer swaps them as they come; one more
        // pass at DOMContentLoaded catches text the parser grew in place.
        let once = Closure::once_into_js(move || {
            if let (Some(app), Some(doc)) =
                (self::app(), web_sys::window().and_then(|w| w.document()))
            {
                dom::scan_roots(&app, &Array::of1(&doc.document_element().into()));
            }
        });
        let opts = web_sys::AddEventListenerOptions::new();
        opts.set_once(true);
        let _ = document.add_event_listener_with_callback_and_add_event_listener_options(
            "DOMContentLoaded",
            once.unchecked_ref(),
            &opts,
        );
    }
    dispatch(&document, "ringtrail:ready", &swaps);

    app.record("page_view", "");
    delivery::install(&app.delivery);
    Ok(())
}

impl App {
    /// The page's shared event fields.
    fn context<'a>(&'a self, url: &'a str, referrer: &'a str, title: &'a str) -> Context<'a> {
        Context {
            visitor: &self.visitor,
            session: &self.session,
            url,
            referrer,
            title,
            revisit: 0,
            touch: Some(&self.touch),
        }
    }

    /// Queues an event of `kind` with type-specific `data` (a JSON object text, or empty).
    pub fn record(&self, kind: &str, data: &str) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let document = window.document();
        let href = window.location().href().unwrap_or_default();
        let strip = &self.config.tracking.strip_params;
        let url = crate::url::remove_params(&href, |p| strip.iter().any(|s| s == p));
        let referrer = document.as_ref().map(|d| d.referrer()).unwrap_or_default();
        let title = document.as_ref().map(|d| d.title()).unwrap_or_default();
        let id = new_id();
        let json = event::event_json(
            &id,
            kind,
            now_ms(),
            &self.context(&url, &referrer, &title),
            data,
        );
        self.delivery.push(&id, &json);
    }

    /// Calls the `on(name, cb)` listeners.
    fn emit(&self, name: &str, detail: &JsValue) {
        let listeners: Vec<Function> = self
            .listeners
            .borrow()
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, f)| f.clone())
            .collect();
        for f in listeners {
            // A listener that throws is the site's bug; it must not stop ours or the others.
            let _ = f.call1(&JsValue::NULL, detail);
        }
    }
}

/// Sends a DOM event on `document` (`ringtrail:ready`, `ringtrail:swap`, ...).
fn dispatch(document: &web_sys::Document, name: &str, detail: &JsValue) {
    let init = web_sys::CustomEventInit::new();
    init.set_detail(detail);
    if let Ok(ev) = web_sys::CustomEvent::new_with_event_init_dict(name, &init) {
        let _ = document.dispatch_event(&ev);
    }
}

/// A plain JS object from string pairs.
fn object(pairs: &[(&str, &JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o.into()
}

/// Runs one JS API call: `ringtrail(name, ...args)`.
///
/// # Errors
/// An unknown command or wrong arguments, with a message saying which.
pub fn command(args: &Array) -> Result<JsValue, JsError> {
    let app = app().ok_or_else(|| JsError::new("not started"))?;
    let name = args
        .get(0)
        .as_string()
        .ok_or_else(|| JsError::new("command name must be a string"))?;
    match name.as_str() {
        "on" => {
            let event = args
                .get(1)
                .as_string()
                .ok_or_else(|| JsError::new("on: event name must be a string"))?;
            let cb: Function = args
                .get(2)
                .dyn_into()
                .map_err(|_| JsError::new("on: callback must be a function"))?;
            app.listeners.borrow_mut().push((event, cb));
            Ok(JsValue::UNDEFINED)
        }
        "rescan" => {
            let root = args.get(1);
            let root = if root.is_instance_of::<web_sys::Node>() {
                root
            } else {
                web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.document_element())
                    .into()
            };
            Ok(dom::scan_roots(&app, &Array::of1(&root)))
        }
        "number" => {
            // number(target?, cb?): the current tracking number in E.164 (the site's own
            // number when this visit is not tracked).
            let (target, cb) = match args.get(1).dyn_into::<Function>() {
                Ok(cb) => (None, Some(cb)),
                Err(t) => (t.as_string(), args.get(2).dyn_into::<Function>().ok()),
            };
            let number = app.current_number(target.as_deref());
            if let Some(cb) = cb {
                let _ = cb.call1(&JsValue::NULL, &number);
            }
            Ok(number)
        }
        "track" => {
            let kind = args
                .get(1)
                .as_string()
                .ok_or_else(|| JsError::new("track: event name must be a string"))?;
            let data = js_sys::JSON::stringify(&args.get(2))
                .ok()
                .and_then(|s| s.as_string());
            let data = data.filter(|d| d.starts_with('{')).unwrap_or_default();
            let mut o = crate::json::ObjectWriter::new();
            o.str("name", &kind)
                .raw("props", if data.is_empty() { "{}" } else { &data });
            app.record("custom", &o.finish());
            Ok(JsValue::UNDEFINED)
        }
        _ => {
            let mut msg = String::from("unknown command: ");
            msg.push_str(&name);
            Err(JsError::new(&msg))
        }
    }
}

impl App {
    /// The tracking number for `target` (as written in the config, or any format of it), or for
    /// the first target, in E.164.
    fn current_number(&self, target: Option<&str>) -> JsValue {
        let index = match target {
            None => Some(0),
            Some(t) => crate::phone::PhoneNumber::parse(t, self.config.region)
                .ok()
                .and_then(|n| self.config.targets.iter().position(|x| x.number == n)),
        };
        let Some(i) = index else { return JsValue::NULL };
        let numbers = self.numbers.borrow();
        let number = match numbers.get(i).and_then(|n| n.as_ref()) {
            Some(r) => r.number.e164(),
            None => match self.config.targets.get(i) {
                Some(t) => t.number.e164(),
                None => return JsValue::NULL,
            },
        };
        JsValue::from_str(&number)
    }
}
