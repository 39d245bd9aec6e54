//! Lead moments: a chosen form is submitted, a visitor arrives from an email link with a lead
//! token, the site calls `identify` or `lead`, or a tel: link is clicked. Each sends one event
//! with the visitor's details normalized at entry ([`crate::capture`]); the runtime gives the
//! returned detail to the `on('lead')` listeners.

use super::Core;
use crate::capture::Details;
use crate::json::ObjectWriter;
use crate::lead::{classify_field, FieldKind};
use crate::phone::PhoneNumber;
use crate::prelude::*;
use crate::url;

impl Core {
    /// A link from an email: `?rt_lid=TOKEN` becomes a lead event, and the runtime removes it
    /// from the address bar (it must not end up in bookmarks, shares or analytics).
    pub(super) fn email_link(&mut self, href: &str) {
        let param = &self.config.leads.email_param;
        // The first parameter of that name, decoded (the raw pairs and `decoded`, which
        // attribution uses too, rather than the `Iterator` of decoded pairs).
        let mut pairs = url::query_pairs(url::split(href).query);
        let token = loop {
            let Some((k, v)) = pairs.next_raw() else {
                return;
            };
            if url::percent_decode(k, true) == param.as_str() {
                break url::decoded(v, true);
            }
        };
        if !token.is_empty() {
            let data = self.send_lead(
                "lead",
                "email_link",
                &Details::default(),
                &[("lead_token", &token)],
            );
            self.start_lead = Some(data);
            // Copied only now: an early return above would otherwise drop the copy.
            self.drop_param = Some(self.config.leads.email_param.clone());
        }
    }

    /// Records one lead-family event; returns its data (JSON) for the `on('lead')` listeners.
    fn send_lead(
        &mut self,
        kind: &str,
        channel: &str,
        details: &Details,
        extra: &[(&str, &str)],
    ) -> String {
        let mut o = ObjectWriter::new();
        o.str("type", kind).str("channel", channel);
        details.write(&mut o, self.config.leads.send);
        for (k, v) in extra {
            o.str(k, v);
        }
        let data = o.finish();
        self.record(kind, &data);
        data
    }
}

impl Core {
    /// What a form control holds: `"email"`, `"phone"`, `"name"`, `"company"`, or `""` for
    /// anything else, including passwords and card data, whose values are never read.
    pub fn classify(&self, input_type: &str, name: &str, id: &str, autocomplete: &str) -> String {
        match classify_field(input_type, name, id, autocomplete) {
            FieldKind::Email => "email",
            FieldKind::Tel => "phone",
            FieldKind::Name => "name",
            FieldKind::Company => "company",
            _ => "",
        }
        .into()
    }

    /// The CSS selector of forms whose submit is a lead moment.
    pub fn lead_forms(&self) -> String {
        self.config.leads.forms.clone()
    }

    /// A lead moment: `kind` is `form_submit`, `identify` or `lead`; `extra` one more field
    /// (`form`, `user_id`) and its value; `pairs` the details, keys and values in turn
    /// (`"email"`, `"…"`, ...: see [`Details::from_pairs`]). Returns the event data (JSON) for
    /// the `on('lead')` listeners.
    pub fn lead<'a>(
        &mut self,
        kind: &str,
        channel: &str,
        extra_key: &str,
        extra: &str,
        pairs: impl Iterator<Item = &'a str>,
    ) -> String {
        let d = Details::from_pairs(pairs, self.config.region);
        let extra: &[(&str, &str)] = if extra_key.is_empty() {
            &[]
        } else {
            &[(extra_key, extra)]
        };
        self.send_lead(kind, channel, &d, extra)
    }

    /// A click on a tel: link: a call intent with the number dialled (E.164), whether it is one
    /// of our tracking numbers, and the target it stands for. Returns the event data (JSON).
    pub fn call_click(&mut self, href: &str) -> Option<String> {
        let number = PhoneNumber::parse(href.get(4..)?, self.config.region).ok()?;
        // Which target now shows this number, if any: it is tracked exactly when one does.
        let shown_for = self
            .numbers
            .iter()
            .position(|n| n.as_ref().is_some_and(|r| r.number == number));
        let tracked = shown_for.is_some();
        let target = self
            .config
            .targets
            .iter()
            .position(|t| t.number == number)
            .or(shown_for);
        let target = target
            .and_then(|i| self.config.targets.get(i))
            .map(|t| t.number.e164());
        let mut o = ObjectWriter::new();
        o.str("type", "call_click")
            .str("channel", "call_click")
            .str("number", &number.e164())
            .bool("tracked", tracked);
        o.opt_str("target", target.as_deref());
        let data = o.finish();
        self.record("call_click", &data);
        Some(data)
    }
}
