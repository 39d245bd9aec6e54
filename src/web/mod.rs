//! The browser layer: the only code that touches the DOM, storage, the network and the clock.
//!
//! It stays thin: it reads what the browser knows (URL, referrer, text nodes, visibility), hands
//! it to the pure modules, and applies what they decide. Every browser call that can fail falls
//! back (memory storage, no beacon, no observer) instead of breaking the page.
//!
//! State lives in one [`App`] behind an `Rc`, owned by the [`Snippet`] object the loader keeps
//! and by the page-lifetime closures (observer, timers, listeners); there is no global.

mod delivery;
mod dom;
mod leads;
mod leases;
mod storage;
mod visits;

use alloc::rc::Rc;
use core::cell::RefCell;

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::config::{Config, NumberChoice, Replacement};
use crate::event::{self, Context};
use crate::phone::{Finder, PhoneNumber};
use crate::prelude::*;
use crate::source::{self, Touch};
use delivery::Delivery;
use storage::Store;

#[wasm_bindgen(module = "/src/web/browser.js")]
extern "C" {
    /// `[runs, attributeElements]` under `roots`, skipping excluded subtrees.
    fn collect(roots: &Array, noswap: &str, min_digits: u32) -> Array;
    /// Nodes added or changed by a batch of mutation records.
    #[wasm_bindgen(js_name = mutationRoots)]
    fn mutation_roots(records: &Array) -> Array;
    /// `fetch` POST with keepalive and a timeout; calls `done(status, retry_after_s)`.
    fn post(url: &str, body: &str, timeout_ms: u32, done: &JsValue);
    /// `navigator.sendBeacon`.
    fn beacon(url: &str, body: &str) -> bool;
    /// Calls `cb(1)` after `history.pushState`, `cb(2)` after `replaceState`.
    #[wasm_bindgen(js_name = hookHistory)]
    fn hook_history(cb: &Function);
    /// Scroll depth, 0..=100.
    #[wasm_bindgen(js_name = scrollDepth)]
    fn scroll_depth() -> u8;
    /// Named form controls of a form.
    #[wasm_bindgen(js_name = formControls)]
    fn form_controls(form: &JsValue) -> Array;
    /// The submitted form if it matches `selector`, else null.
    #[wasm_bindgen(js_name = submittedForm)]
    fn submitted_form(ev: &web_sys::Event, selector: &str) -> JsValue;
    /// The tel: link a click landed on, else null.
    #[wasm_bindgen(js_name = telLink)]
    fn tel_link(ev: &web_sys::Event) -> JsValue;
    /// Removes a query parameter from the address bar.
    #[wasm_bindgen(js_name = dropParam)]
    fn drop_param(param: &str);
}

/// Everything the snippet knows about this page, created once by [`start`].
pub struct App {
    config: Config,
    store: Rc<Store>,
    delivery: Delivery,
    finder: Finder,
    /// What each target currently becomes (index = target index); `None`: left as is.
    numbers: RefCell<Vec<Option<Replacement>>>,
    touch: Touch,
    /// The source rule that matched this visit.
    rule: Option<usize>,
    leases: leases::Leases,
    visitor: RefCell<String>,
    visits: visits::Visits,
    listeners: RefCell<Vec<(String, Function)>>,
    observer: RefCell<Option<web_sys::MutationObserver>>,
}

/// The running snippet, handed to the loader: `ringtrail(...)` calls go to [`Snippet::command`].
#[wasm_bindgen]
pub struct Snippet {
    app: Rc<App>,
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

/// Adds a passive, capturing listener for the page's lifetime (the closure is never freed: it
/// lives as long as the page does). Passive: we never delay scrolling or input.
fn listen(target: &web_sys::EventTarget, event: &str, f: impl FnMut(web_sys::Event) + 'static) {
    let cb = Closure::<dyn FnMut(web_sys::Event)>::new(f);
    let opts = web_sys::AddEventListenerOptions::new();
    opts.set_passive(true);
    opts.set_capture(true);
    let _ = target.add_event_listener_with_callback_and_add_event_listener_options(
        event,
        cb.as_ref().unchecked_ref(),
        &opts,
    );
    cb.forget();
}

/// Starts the snippet: validates the config, picks the numbers for this visit, swaps them,
/// watches the page for new content and records the page view.
///
/// # Errors
/// A config error (with its JSON path) before anything on the page is touched.
pub fn start(config_text: &str, collector: &str, listeners: Array) -> Result<Snippet, JsError> {
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

    let allowed =
        crate::privacy::decide(&config.privacy, &config.tracking, signals(&window, &host)).is_ok();
    // Without permission nothing touches the device's storage: attribution still works for
    // this page (numbers swap), from memory.
    let store = Rc::new(Store::open(allowed));
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

    let targets: Vec<PhoneNumber> = config.targets.iter().map(|t| t.number.clone()).collect();
    let finder = Finder::new(&targets, config.region);
    let mut numbers = vec![None; config.targets.len()];
    if let Some(map) = config.numbers_for(rule) {
        for (target, choice) in map {
            numbers[*target] = match choice {
                NumberChoice::Fixed(r) => Some(r.clone()),
                // Visitor-level pools: decided by `leases::prepare` below.
                NumberChoice::Pool(_) => None,
            };
        }
    }

    // Lets the loader hide tel: links on the next page until the swap (see js/loader.js).
    let swapping = config.numbers_for(rule).is_some_and(|m| !m.is_empty());
    store.set("swaps", if swapping { "1" } else { "0" });

    let delivery = Delivery::new(collector, &config.site, Rc::clone(&store));
    delivery.set_enabled(allowed);
    let visits = visits::Visits::new(
        &store,
        config.tracking.session_minutes,
        config.tracking.hash_routing,
    );
    let app = Rc::new(App {
        config,
        store,
        delivery,
        finder,
        numbers: RefCell::new(numbers),
        touch,
        rule,
        leases: leases::Leases::new(collector),
        visitor: RefCell::new(visitor),
        visits,
        listeners: RefCell::new(Vec::new()),
        observer: RefCell::new(None),
    });
    leases::prepare(&app, &mut app.numbers.borrow_mut(), allowed);
    // `ringtrail('on', ...)` calls queued before we were ready must hear the first swaps.
    for args in listeners.iter() {
        let _ = command(&app, &args.unchecked_into());
    }

    let swaps = dom::scan_roots(&app, &Array::of1(&document.document_element().into()));
    dom::observe(&app, &document);
    if document.ready_state() == "loading" {
        // The parser is still adding nodes: the observer swaps them as they come; one more
        // pass at DOMContentLoaded catches text the parser grew in place.
        let a = Rc::clone(&app);
        let doc = document.clone();
        listen(&document, "DOMContentLoaded", move |_| {
            dom::scan_roots(&a, &Array::of1(&doc.document_element().into()));
        });
    }
    dispatch(&document, "ringtrail:ready", &swaps);

    visits::install(&app);
    leases::install(&app);
    leads::install(&app);
    delivery::install(&app);
    Ok(Snippet { app })
}

#[wasm_bindgen]
impl Snippet {
    /// Runs one `ringtrail(name, ...args)` call.
    ///
    /// # Errors
    /// An unknown command or wrong arguments, with a message saying which.
    pub fn command(&self, args: Array) -> Result<JsValue, JsError> {
        command(&self.app, &args)
    }
}

impl App {
    /// Queues an event of `kind` with type-specific `data` (a JSON object text, or empty);
    /// returns its id.
    pub fn record(&self, kind: &str, data: &str) -> String {
        let id = new_id();
        let Some(window) = web_sys::window() else {
            return id;
        };
        let document = window.document();
        let href = window.location().href().unwrap_or_default();
        // Configured parameters and the email lead token never leave in a URL.
        let strip = &self.config.tracking.strip_params;
        let token = &self.config.leads.email_param;
        let url = crate::url::remove_params(&href, |p| p == token || strip.iter().any(|s| s == p));
        let referrer = document.as_ref().map(|d| d.referrer()).unwrap_or_default();
        let title = document.as_ref().map(|d| d.title()).unwrap_or_default();
        let visitor = self.visitor.borrow();
        let session = self.visits.session_id();
        let ctx = Context {
            visitor: &visitor,
            session: &session,
            url: &url,
            referrer: &referrer,
            title: &title,
            revisit: self.visits.revisits(),
            touch: Some(&self.touch),
        };
        self.delivery
            .push(&id, &event::event_json(&id, kind, now_ms(), &ctx, data));
        id
    }

    /// Starts sending what was recorded.
    pub fn flush(self: &Rc<Self>) {
        delivery::flush(self);
    }

    /// Records an event and starts sending it.
    pub fn send(self: &Rc<Self>, kind: &str, data: &str) {
        self.record(kind, data);
        self.flush();
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

    /// The tracking number for `target` (as written in the config, or any format of it), or for
    /// the first target, in E.164; the site's own number when this visit is not tracked.
    fn current_number(&self, target: Option<&str>) -> JsValue {
        let index = match target {
            None => Some(0),
            Some(t) => PhoneNumber::parse(t, self.config.region)
                .ok()
                .and_then(|n| self.config.targets.iter().position(|x| x.number == n)),
        };
        let Some(i) = index else { return JsValue::NULL };
        let numbers = self.numbers.borrow();
        match (
            numbers.get(i).and_then(Option::as_ref),
            self.config.targets.get(i),
        ) {
            (Some(r), _) => r.number.e164().as_str().into(),
            (None, Some(t)) => t.number.e164().as_str().into(),
            (None, None) => JsValue::NULL,
        }
    }
}

fn window_path() -> String {
    web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .unwrap_or_default()
}

/// What the browser says about privacy for this visit.
fn signals(window: &web_sys::Window, host: &str) -> crate::privacy::Signals {
    let nav = window.navigator();
    let prop =
        |name: &str| Reflect::get(&nav, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
    crate::privacy::Signals {
        consent: storage::peek("consent").map(|v| v == "1"),
        gpc: prop("globalPrivacyControl").is_truthy(),
        dnt: prop("doNotTrack").as_string().as_deref() == Some("1"),
        webdriver: prop("webdriver").is_truthy(),
        localhost: crate::privacy::is_localhost(host),
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

fn arg_error(command: &str, what: &str) -> JsError {
    let mut msg = String::from(command);
    msg.push_str(": ");
    msg.push_str(what);
    JsError::new(&msg)
}

fn command(app: &Rc<App>, args: &Array) -> Result<JsValue, JsError> {
    let name = args
        .get(0)
        .as_string()
        .ok_or_else(|| JsError::new("command name must be a string"))?;
    match name.as_str() {
        "on" => {
            let event = args
                .get(1)
                .as_string()
                .ok_or_else(|| arg_error("on", "event name must be a string"))?;
            let cb: Function = args
                .get(2)
                .dyn_into()
                .map_err(|_| arg_error("on", "callback must be a function"))?;
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
            Ok(dom::scan_roots(app, &Array::of1(&root)))
        }
        "number" => {
            // number(target?, cb?)
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
        "consent" => {
            // consent(true): store and send from now on (this page view included);
            // consent(false): delete what was stored and stop.
            let yes = args
                .get(1)
                .as_bool()
                .ok_or_else(|| arg_error("consent", "expected true or false"))?;
            let d = &app.delivery;
            if yes {
                app.store.persist();
                app.store.set("consent", "1");
                if app.store.get("visitor").is_none() {
                    app.store.set("visitor", &app.visitor.borrow());
                }
                let host = web_sys::window()
                    .and_then(|w| w.location().hostname().ok())
                    .unwrap_or_default();
                let was = d.enabled();
                let ok = web_sys::window().is_some_and(|w| {
                    crate::privacy::decide(
                        &app.config.privacy,
                        &app.config.tracking,
                        signals(&w, &host),
                    )
                    .is_ok()
                });
                d.set_enabled(ok);
                if ok && !was {
                    // This page view was not recorded while we waited for consent.
                    let mut o = crate::json::ObjectWriter::new();
                    o.str("path", &window_path()).str("nav", "consent");
                    app.send("page_view", &o.finish());
                }
            } else {
                d.set_enabled(false);
                app.store.forget_all();
            }
            Ok(JsValue::UNDEFINED)
        }
        "lead" => {
            leads::lead_command(app, args);
            Ok(JsValue::UNDEFINED)
        }
        "identify" => leads::identify_command(app, args).map(|()| JsValue::UNDEFINED),
        "track" => {
            let kind = args
                .get(1)
                .as_string()
                .ok_or_else(|| arg_error("track", "event name must be a string"))?;
            let props = js_sys::JSON::stringify(&args.get(2))
                .ok()
                .and_then(|s| s.as_string());
            let props = props.filter(|d| d.starts_with('{')).unwrap_or_default();
            let mut o = crate::json::ObjectWriter::new();
            o.str("name", &kind)
                .raw("props", if props.is_empty() { "{}" } else { &props });
            app.send("custom", &o.finish());
            Ok(JsValue::UNDEFINED)
        }
        _ => Err(arg_error(&name, "unknown command")),
    }
}
