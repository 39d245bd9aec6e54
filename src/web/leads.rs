//! Lead moments in the page: a chosen form is submitted, a visitor arrives from an email link
//! with a lead token, the site calls `identify` or `lead`, or a tel: link is clicked. Each sends
//! one event with the visitor's details normalized at entry ([`crate::capture`]) and calls the
//! `on('lead')` listeners.

use alloc::rc::Rc;

use js_sys::{Array, JsString, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{drop_param, form_controls, listen, submitted_form, tel_link, App};
use crate::capture::{kind_of_key, Details};
use crate::json::ObjectWriter;
use crate::lead::{classify_field, FieldKind};
use crate::phone::PhoneNumber;
use crate::prelude::*;

fn attr(el: &JsValue, name: &str) -> String {
    el.dyn_ref::<web_sys::Element>()
        .and_then(|e| e.get_attribute(name))
        .unwrap_or_default()
}

fn prop(v: &JsValue, name: &str) -> JsValue {
    Reflect::get(v, &name.into()).unwrap_or(JsValue::UNDEFINED)
}

/// `value.normalize('NFKC')`: full-width letters and digits to half-width, compatibility forms
/// folded, done by the browser (its Unicode tables cost us nothing).
fn nfkc(v: &JsValue) -> Option<String> {
    let s: &JsString = v.dyn_ref()?;
    s.normalize("NFKC").as_string()
}

/// Sends one lead-family event and tells the listeners.
fn send(
    app: &Rc<App>,
    kind: &str,
    channel: &str,
    details: &Details,
    extra: impl FnOnce(&mut ObjectWriter),
) {
    let mut o = ObjectWriter::new();
    o.str("channel", channel);
    details.write(&mut o, app.config.leads.send);
    extra(&mut o);
    let data = o.finish();
    app.send(kind, &data);
    let detail = js_sys::JSON::parse(&data).unwrap_or(JsValue::NULL);
    let _ = Reflect::set(&detail, &"type".into(), &kind.into());
    app.emit("lead", &detail);
}

/// Reads a submitted form: only fields classified as email, phone, name or company.
fn form_details(app: &App, form: &JsValue) -> Details {
    let mut d = Details::default();
    for el in form_controls(form).iter() {
        let kind = classify_field(
            &prop(&el, "type").as_string().unwrap_or_default(),
            &attr(&el, "name"),
            &attr(&el, "id"),
            &attr(&el, "autocomplete"),
        );
        if !kind.is_readable() || kind == FieldKind::Other {
            continue; // password and card values are never even read
        }
        if let Some(v) = nfkc(&prop(&el, "value")) {
            d.add(kind, &v, app.config.region);
        }
    }
    d
}

/// Details from a JS object (`ringtrail('lead', {email, phone, name, company, ...})`).
fn object_details(app: &App, obj: &JsValue) -> Details {
    let mut d = Details::default();
    if let Some(o) = obj.dyn_ref::<Object>() {
        for key in Object::keys(o).iter() {
            let Some(k) = key.as_string() else { continue };
            if let Some(v) = nfkc(&prop(obj, &k)) {
                d.add(kind_of_key(&k), &v, app.config.region);
            }
        }
    }
    d
}

/// `ringtrail('lead', {...})`: a chatbot or any widget collected the visitor's details.
pub fn lead_command(app: &Rc<App>, args: &Array) {
    let obj = args.get(1);
    let d = object_details(app, &obj);
    let channel = prop(&obj, "channel")
        .as_string()
        .unwrap_or_else(|| "custom".into());
    send(app, "lead", &channel, &d, |_| {});
}

/// `ringtrail('identify', userId, traits?)`: the visitor logged in.
pub fn identify_command(app: &Rc<App>, args: &Array) -> Result<(), JsError> {
    let user = args.get(1).as_string().filter(|u| !u.trim().is_empty());
    let user = user.ok_or_else(|| JsError::new("identify: user id must be a non-empty string"))?;
    let d = object_details(app, &args.get(2));
    send(app, "identify", "identify", &d, |o| {
        o.str("user_id", user.trim());
    });
    Ok(())
}

/// Lead moments the page produces by itself: form submits, email-link tokens, tel: clicks.
pub fn install(app: &Rc<App>) {
    let Some(w) = web_sys::window() else { return };
    let Some(doc) = w.document() else { return };

    // A link from an email: `?rt_lid=TOKEN` becomes a lead event, and leaves the address bar
    // (it must not end up in bookmarks, shares or analytics).
    let param = &app.config.leads.email_param;
    let href = w.location().href().unwrap_or_default();
    let token = crate::url::query_pairs(crate::url::split(&href).query)
        .find(|(k, _)| k.as_ref() == param.as_str())
        .map(|(_, v)| v.into_owned())
        .filter(|t| !t.is_empty());
    if let Some(token) = token {
        send(app, "lead", "email_link", &Details::default(), |o| {
            o.str("lead_token", &token);
        });
        drop_param(param);
    }

    // Submits: in the bubbling phase on the window, after the site's own handlers; we never
    // call preventDefault or delay the submit. Validation failures fire no submit event.
    let a = Rc::clone(app);
    listen(&w, "submit", move |ev| {
        let form = submitted_form(&ev, &a.config.leads.forms);
        if form.is_null() {
            return;
        }
        let d = form_details(&a, &form);
        let name = match attr(&form, "id") {
            id if !id.is_empty() => id,
            _ => attr(&form, "name"),
        };
        send(&a, "form_submit", "form", &d, |o| {
            o.str("form", &name);
        });
    });

    // Clicks on tel: links (ours or the site's): a call intent, with the number dialled.
    let a = Rc::clone(app);
    listen(&doc, "click", move |ev| {
        let link = tel_link(&ev);
        if link.is_null() {
            return;
        }
        let href = attr(&link, "href");
        let dialled = href
            .get(4..)
            .and_then(|n| PhoneNumber::parse(n, a.config.region).ok());
        let Some(number) = dialled else { return };
        let numbers = a.numbers.borrow();
        let tracked = numbers.iter().flatten().any(|r| r.number == number);
        let target = a
            .config
            .targets
            .iter()
            .position(|t| t.number == number)
            .or_else(|| {
                numbers
                    .iter()
                    .position(|n| n.as_ref().is_some_and(|r| r.number == number))
            });
        drop(numbers);
        let target_e164 = target
            .and_then(|i| a.config.targets.get(i))
            .map(|t| t.number.e164());
        send(&a, "call_click", "call_click", &Details::default(), |o| {
            o.str("number", &number.e164())
                .bool("tracked", tracked)
                .opt_str("target", target_e164.as_deref());
        });
    });
}
