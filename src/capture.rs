//! What a lead moment sends: the visitor's details, normalized at entry and, when the config
//! says `leads.send: "hashed"`, reduced to SHA-256 digests before they leave the browser.
//!
//! Pure: the web layer reads form fields (never password or card fields, see
//! [`crate::lead::classify_field`]), applies `String.normalize('NFKC')`, and hands the values here.

use crate::config::LeadSend;
use crate::json::ObjectWriter;
use crate::lead::{self, FieldKind};
use crate::phone::Region;
use crate::prelude::*;

/// The details of one lead moment.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Details {
    /// Normalized email (trimmed, lowercased).
    pub email: Option<String>,
    /// Phone in E.164.
    pub phone: Option<String>,
    /// Name, whitespace collapsed.
    pub name: Option<String>,
    /// Company.
    pub company: Option<String>,
}

impl Details {
    /// Details from keys and values in turn (`"email"`, value, `"phone"`, value, ...), as the
    /// runtime passes `identify` traits, `lead` fields and a form's classified fields (values
    /// already `normalize('NFKC')`-ed). Keys are read with [`kind_of_key`]; a key without a
    /// value is ignored.
    ///
    /// # Example
    /// ```
    /// use ringtrail::capture::Details;
    /// use ringtrail::phone::Region;
    /// let d = Details::from_pairs("email\u{1f}Ann@Example.com".split('\u{1f}'), Region::US);
    /// assert_eq!(d.email.as_deref(), Some("ann@example.com"));
    /// ```
    pub fn from_pairs<'a>(mut pairs: impl Iterator<Item = &'a str>, region: Region) -> Details {
        let mut d = Details::default();
        while let (Some(key), Some(value)) = (pairs.next(), pairs.next()) {
            d.add(kind_of_key(key), value, region);
        }
        d
    }

    /// Adds one value of a field of `kind`; the first good value of each kind wins. A value that
    /// does not normalize (an email without `@`, a phone number too short) is left out: the lead
    /// is still sent, without it. (The reasons the normalizers give are not kept: nothing reads
    /// them, and their texts would cost the snippet about 0.3 KB.)
    pub fn add(&mut self, kind: FieldKind, value: &str, region: Region) {
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        let (slot, normalized) = match kind {
            FieldKind::Email => (&mut self.email, lead::normalize_email(value).ok()),
            FieldKind::Tel => (&mut self.phone, lead::normalize_phone(value, region).ok()),
            FieldKind::Name => (&mut self.name, Some(lead::normalize_name(value))),
            FieldKind::Company => (&mut self.company, Some(lead::normalize_name(value))),
            _ => return,
        };
        if let Some(v) = normalized {
            if slot.is_none() && !v.is_empty() {
                *slot = Some(v);
            }
        }
    }

    /// Whether anything identifies the person.
    pub fn is_empty(&self) -> bool {
        self.email.is_none()
            && self.phone.is_none()
            && self.name.is_none()
            && self.company.is_none()
    }

    /// Writes the details into an event's data object: raw, or only digests of email and phone
    /// (names and companies are left out when hashing: a hash of a name identifies no one
    /// reliably and still is personal data).
    pub fn write(&self, o: &mut ObjectWriter, send: LeadSend) {
        match send {
            LeadSend::Raw => {
                o.opt_str("email", self.email.as_deref())
                    .opt_str("phone", self.phone.as_deref())
                    .opt_str("name", self.name.as_deref())
                    .opt_str("company", self.company.as_deref());
            }
            LeadSend::Hashed => {
                if let Some(e) = &self.email {
                    o.str("email_sha256", &lead::sha256_hex(e));
                }
                if let Some(p) = &self.phone {
                    o.str("phone_sha256", &lead::sha256_hex(p));
                }
            }
        }
    }
}

/// The kind of a value passed by name to `ringtrail('lead', {...})` / `identify` traits.
pub fn kind_of_key(key: &str) -> FieldKind {
    match key {
        "email" | "mail" | "e-mail" => FieldKind::Email,
        "phone" | "tel" | "telephone" | "mobile" => FieldKind::Tel,
        "name" | "full_name" | "first_name" | "last_name" => FieldKind::Name,
        "company" | "organization" | "organisation" => FieldKind::Company,
        _ => FieldKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{parse, Value};

    #[test]
    fn normalizes_at_entry_and_keeps_the_first_good_value() {
        let mut d = Details::default();
        d.add(FieldKind::Email, "  Taro.Yamada@Example.CO.JP ", Region::JP);
        d.add(FieldKind::Email, "second@example.com", Region::JP);
        d.add(FieldKind::Tel, "０９０－１２３４－５６７８", Region::JP);
        d.add(FieldKind::Name, "  山田   太郎 ", Region::JP);
        d.add(FieldKind::Password, "hunter2", Region::JP);
        assert_eq!(d.email.as_deref(), Some("taro.yamada@example.co.jp"));
        assert_eq!(d.phone.as_deref(), Some("+819012345678"));
        assert_eq!(d.name.as_deref(), Some("山田 太郎"));
    }

    #[test]
    fn bad_values_are_left_out() {
        let mut d = Details::default();
        d.add(FieldKind::Email, "not-an-email", Region::US);
        d.add(FieldKind::Tel, "12", Region::US);
        assert!(d.is_empty());
        // A later good value of the same kind still counts.
        d.add(FieldKind::Tel, "(415) 555-0100", Region::US);
        assert_eq!(d.phone.as_deref(), Some("+14155550100"));
    }

    #[test]
    fn raw_and_hashed_payloads() {
        let mut d = Details::default();
        d.add(FieldKind::Email, "a@b.co", Region::US);
        d.add(FieldKind::Tel, "(415) 555-0100", Region::US);
        d.add(FieldKind::Name, "Ann", Region::US);
        let mut o = ObjectWriter::new();
        d.write(&mut o, LeadSend::Raw);
        let raw = parse(&o.finish()).unwrap();
        assert_eq!(
            raw.get("phone").and_then(Value::as_str),
            Some("+14155550100")
        );
        assert_eq!(raw.get("name").and_then(Value::as_str), Some("Ann"));
        let mut o = ObjectWriter::new();
        d.write(&mut o, LeadSend::Hashed);
        let hashed = parse(&o.finish()).unwrap();
        assert!(hashed.get("email").is_none() && hashed.get("name").is_none());
        assert_eq!(
            hashed.get("email_sha256").and_then(Value::as_str),
            Some(lead::sha256_hex("a@b.co").as_str())
        );
        assert_eq!(
            hashed
                .get("phone_sha256")
                .and_then(Value::as_str)
                .map(str::len),
            Some(64)
        );
    }

    #[test]
    fn pairs_from_the_runtime() {
        let d = Details::from_pairs(
            [
                "email",
                " Ann@Example.COM ",
                "mobile",
                "(415) 555-0100",
                "channel",
                "chat",
                "name",
                "Ann  Lee",
                "company",
                "",
            ]
            .into_iter(),
            Region::US,
        );
        assert_eq!(d.email.as_deref(), Some("ann@example.com"));
        assert_eq!(d.phone.as_deref(), Some("+14155550100"));
        assert_eq!(d.name.as_deref(), Some("Ann Lee"));
        assert_eq!(d.company, None);
        // Nothing, or a key left without its value.
        assert!(Details::from_pairs(core::iter::empty(), Region::US).is_empty());
        assert!(Details::from_pairs(["email"].into_iter(), Region::US).is_empty());
        // What `split('\u{1f}')` gives for an empty list of pairs: one empty key, no value.
        assert!(Details::from_pairs("".split('\u{1f}'), Region::US).is_empty());
    }

    #[test]
    fn keys_of_the_js_api() {
        assert_eq!(kind_of_key("email"), FieldKind::Email);
        assert_eq!(kind_of_key("tel"), FieldKind::Tel);
        assert_eq!(kind_of_key("company"), FieldKind::Company);
        assert_eq!(kind_of_key("password"), FieldKind::Other);
    }
}
