//! Lead inputs, normalized where they enter: emails, phone numbers (E.164), names; SHA-256 for
//! `leads.send: hashed`; and which form fields may be read at all.
//!
//! # Unicode
//! The web layer calls `value.normalize('NFKC')` before handing a value here: the browser has the
//! full Unicode tables for free, and shipping them in wasm would cost tens of kilobytes. This
//! module still folds the part that matters for matching — full-width ASCII (`ＡＢＣ１２３＠`,
//! U+FF01–U+FF5E) and the ideographic space — so values stay right when the web layer (or a test,
//! or the collector) skips that step. Lowercasing is ASCII-only for the same reason; non-ASCII
//! letters in an email are kept as written.

use crate::outbox::push_hex_byte;
use crate::phone::{PhoneError, PhoneNumber, Region};
use crate::prelude::*;
use crate::source::pattern_bytes;
use crate::url;

/// Maps full-width ASCII forms to ASCII, and the ideographic space and the other spaces that
/// NFKC turns into a space (no-break, en/em/thin..., narrow no-break, medium mathematical) to a
/// space; drops zero-width characters (they come with copy-paste and are invisible in the form).
pub fn fold_width(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}' => {}
            '\u{ff01}'..='\u{ff5e}' => out.push(char::from((c as u32 - 0xfee0) as u8)),
            '\u{3000}' | '\u{a0}' | '\u{2000}'..='\u{200a}' | '\u{202f}' | '\u{205f}' => {
                out.push(' ')
            }
            c => out.push(c),
        }
    }
    out
}

/// Normalizes an email address: width folded, trimmed, `mailto:` removed, ASCII lowercased.
///
/// # Errors
/// A short hint for the visitor when it does not look like an address (`"missing @"`).
pub fn normalize_email(input: &str) -> Result<String, EmailError> {
    let mut folded = fold_width(input);
    folded.make_ascii_lowercase();
    let s = folded.trim_ascii();
    let s = s.strip_prefix("mailto:").unwrap_or(s).trim_ascii();
    // The checks return early in a function of their own, which owns nothing: here each early
    // return would bring its own drop of `folded`.
    match email_problem(s) {
        None => Ok(s.into()),
        Some(why) => Err(why),
    }
}

/// Why an address was refused; [`EmailError::describe`] says it in words. A code rather than
/// the words themselves: the snippet only needs to know that it was refused, and leaves the
/// texts out (they are only reached through `describe`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailError {
    /// Nothing left after trimming.
    Empty,
    /// Over 254 bytes.
    TooLong,
    /// No `@`.
    MissingAt,
    /// Two or more `@`.
    MoreThanOneAt,
    /// Nothing before the `@`.
    MissingName,
    /// Nothing after the `@`.
    MissingDomain,
    /// A space, control character or one of `"(),:;<>[\]`.
    UnexpectedCharacter,
    /// The part before `@` is too long, starts or ends with a dot, or has two dots in a row.
    CheckName,
    /// The domain has no dot.
    DomainNeedsDot,
    /// An empty label, a label starting or ending with `-`, or a top-level domain that is too
    /// short or all digits.
    CheckDomain,
}

impl EmailError {
    /// The problem in words (`missing @`).
    pub fn describe(self) -> &'static str {
        match self {
            EmailError::Empty => "empty",
            EmailError::TooLong => "too long",
            EmailError::MissingAt => "missing @",
            EmailError::MoreThanOneAt => "more than one @",
            EmailError::MissingName => "missing name before @",
            EmailError::MissingDomain => "missing domain after @",
            EmailError::UnexpectedCharacter => "unexpected character",
            EmailError::CheckName => "check the part before @",
            EmailError::DomainNeedsDot => "domain needs a dot",
            EmailError::CheckDomain => "check the domain",
        }
    }
}

/// What is wrong with a folded, lowercased, trimmed address (`None`: nothing).
fn email_problem(s: &str) -> Option<EmailError> {
    use EmailError::*;
    if s.is_empty() {
        return Some(Empty);
    }
    if s.len() > 254 {
        return Some(TooLong);
    }
    let Some(at) = url::find(s, b'@') else {
        return Some(MissingAt);
    };
    let (local, domain) = url::at(s, at);
    if url::find(domain, b'@').is_some() {
        return Some(MoreThanOneAt);
    }
    if local.is_empty() {
        return Some(MissingName);
    }
    if domain.is_empty() {
        return Some(MissingDomain);
    }
    let bad = |c: char| {
        c <= ' '
            || ('\u{7f}'..='\u{9f}').contains(&c)
            || c.is_whitespace()
            || matches!(
                c,
                '"' | '(' | ')' | ',' | ':' | ';' | '<' | '>' | '[' | '\\' | ']'
            )
    };
    if s.chars().any(bad) {
        return Some(UnexpectedCharacter);
    }
    let l = local.as_bytes();
    if l.len() > 64
        || l.first() == Some(&b'.')
        || l.last() == Some(&b'.')
        || l.windows(2).any(|w| w == b"..")
    {
        return Some(CheckName);
    }
    if url::find(domain, b'.').is_none() {
        return Some(DomainNeedsDot);
    }
    let mut tld = "";
    for label in url::split_on(domain, b'.') {
        let b = label.as_bytes();
        let ok = !b.is_empty()
            && b.first() != Some(&b'-')
            && b.last() != Some(&b'-')
            && b.iter()
                .all(|&c| c.is_ascii_alphanumeric() || c == b'-' || !c.is_ascii());
        if !ok {
            return Some(CheckDomain);
        }
        tld = label;
    }
    // Characters, not bytes: continuation bytes do not count.
    let tld_chars = tld.bytes().filter(|b| b & 0xc0 != 0x80).count();
    if tld_chars < 2 || tld.bytes().all(|b| b.is_ascii_digit()) {
        return Some(CheckDomain);
    }
    None
}

/// Normalizes a phone number to E.164 (`+819012345678`) for `region`'s national formats: width
/// folded, dash look-alikes (`ー`, `−`, `‐`) as dashes, a `(0)` after the country code removed.
/// Extensions are not part of E.164 and are dropped.
///
/// # Errors
/// The parser's hint when it is not a phone number.
pub fn normalize_phone(input: &str, region: Region) -> Result<String, PhoneError> {
    let folded = fold_width(input);
    let f = folded.trim_ascii();
    // One byte pass, copying runs between the edits. Dash look-alikes need no mapping: the
    // parser reads every one of them as `-`, except the small hyphen-minus U+FE63.
    // "+44 (0)20 7946 0018": the first (0) is the trunk prefix written for domestic callers.
    let b = f.as_bytes();
    let mut trunk = f.starts_with('+');
    let mut number = String::with_capacity(f.len());
    let (mut i, mut copied) = (0, 0);
    while i < b.len() {
        let r = &b[i..];
        let with = if trunk && r.starts_with(b"(0)") {
            trunk = false;
            ""
        } else if r.starts_with("\u{fe63}".as_bytes()) {
            "-"
        } else {
            i += 1;
            continue;
        };
        number.push_str(crate::phone::sub(f, copied, i));
        number.push_str(with);
        i += 3;
        copied = i;
    }
    number.push_str(crate::phone::sub(f, copied, b.len()));
    PhoneNumber::parse(&number, region).map(|n| n.e164())
}

/// Normalizes a person's or company name: width folded, whitespace runs collapsed to one space,
/// trimmed, at most 200 characters.
pub fn normalize_name(input: &str) -> String {
    let folded = fold_width(input);
    let mut out = String::with_capacity(folded.len());
    let mut chars = 0;
    // One pass over the characters (no `split_whitespace` and `trim_end` searchers): a run of
    // whitespace after some text becomes one space, written only when text follows, so
    // nothing trails; a space that would be the 200th character is dropped with the rest.
    let mut gap = false;
    for c in folded.chars() {
        if c.is_whitespace() {
            gap = !out.is_empty();
            continue;
        }
        if chars + usize::from(gap) >= 200 {
            break;
        }
        if gap {
            out.push(' ');
            chars += 1;
            gap = false;
        }
        out.push(c);
        chars += 1;
    }
    out
}

/// What a form field holds, judged from its attributes only (never from its value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// An email address.
    Email,
    /// A phone number.
    Tel,
    /// A person's name (or part of it).
    Name,
    /// A company or organization.
    Company,
    /// A password, one-time code, PIN or token: never read.
    Password,
    /// Payment card data: never read.
    Card,
    /// Anything else: not collected.
    Other,
}

impl FieldKind {
    /// Whether the snippet may read the field's value at all.
    pub fn is_readable(self) -> bool {
        !matches!(self, FieldKind::Password | FieldKind::Card)
    }
}

/// Classifies a form field from its `type`, `name`, `id` and `autocomplete` attributes (any
/// case; pass `""` for a missing one). Secrets and card fields are recognized first and err on
/// the side of not reading; `autocomplete` is trusted next, then `type`, then names.
///
/// The rules are data (`FIELD_RULES` in this module), read in order: compact data instead of code.
pub fn classify_field(input_type: &str, name: &str, id: &str, autocomplete: &str) -> FieldKind {
    let ty = input_type.trim_ascii().as_bytes();
    let ac = autocomplete.as_bytes();
    let names = [name.as_bytes(), id.as_bytes()];
    for rule in FIELD_RULES.split(|&b| b == b'|') {
        let [kind, how, b':', list @ ..] = rule else {
            continue;
        };
        let kind = match kind {
            b'p' => FieldKind::Password,
            b'c' => FieldKind::Card,
            b'e' => FieldKind::Email,
            b't' => FieldKind::Tel,
            b'n' => FieldKind::Name,
            b'b' => FieldKind::Company,
            _ => FieldKind::Other,
        };
        let hit = match how {
            b't' => matches(list, &[ty], |_| false, false),
            b'a' => matches(list, &[ac], u8::is_ascii_whitespace, false),
            b'k' => matches(list, &names, |_| false, true),
            b'w' => matches(list, &names, |b| !b.is_ascii_alphanumeric(), false),
            // The kind of the first `autocomplete` token that names one (tokens in order, then
            // kinds in order).
            _ => {
                let hit = core::cell::Cell::new(None);
                any_run(ac, u8::is_ascii_whitespace, &|t| {
                    AUTOCOMPLETE.iter().any(|&(kind, list)| {
                        let found = matches(list, &[t], |_| false, false);
                        if found {
                            hit.set(Some(kind));
                        }
                        found
                    })
                });
                if let Some(kind) = hit.get() {
                    return kind;
                }
                false
            }
        };
        if hit {
            return kind;
        }
    }
    FieldKind::Other
}

/// [`classify_field`]'s rules in order, `|`-separated, each `KW:patterns`: the kind K
/// (`p`assword, `c`ard, `o`ther, `e`mail, `t`el, `n`ame, `b`usiness), where W to look, and
/// comma-separated patterns (ASCII case-insensitive, `*` as in
/// [`crate::source::pattern_matches`]). W: `t` the type, `a` an `autocomplete` token, `k`
/// inside the name or id with separators removed, `w` a whole word (a run of ASCII letters and
/// digits) of the name or id. `??:` reads the `autocomplete` table ([`AUTOCOMPLETE`]). The
/// first rule that holds decides; none is `Other`.
const FIELD_RULES: &[u8] = b"pt:password|pa:current-password,new-password,one-time-code|\
    pk:pass,pwd,secret,csrf,token,socialsecurity|pw:pin,otp,ssn|\
    ca:cc-*|ck:card,cvc,cvv,csc,securitycode,iban,ccnum,ccexp|cw:cc|\
    ot:hidden,submit,button,reset,image,file,checkbox,radio,range,color,date,datetime-local,\
    month,week,time,number|??:|et:email|tt:tel|ek:email,mailaddress|ew:mail|\
    tk:phone,mobile,denwa,keitai|tw:tel*|\
    bk:company,organization,organisation,business,kaisha|bw:org,firm,corp|\
    ok:username,filename,hostname,domainname,pathname,screenname|\
    nk:name,surname,shimei,namae,furigana|nw:fname,lname,sei,mei";

/// What `autocomplete` tokens name, kinds in order.
const AUTOCOMPLETE: [(FieldKind, &[u8]); 5] = [
    (FieldKind::Email, b"email"),
    (FieldKind::Tel, b"tel*"),
    (FieldKind::Company, b"organization"),
    (
        FieldKind::Name,
        b"name,given-name,family-name,additional-name,nickname",
    ),
    (
        FieldKind::Other,
        b"username,organization-title,street-address,postal-code,country,country-name,\
          url,bday,sex",
    ),
];

/// Whether a run of one of `hays` (split where `sep` accepts a byte) matches a pattern of the
/// comma-separated `list`, or with `contains`, holds one of its entries (no `*` then).
#[inline(never)]
fn matches(list: &[u8], hays: &[&[u8]], sep: fn(&u8) -> bool, contains: bool) -> bool {
    hays.iter().any(|h| {
        any_run(h, sep, &|t| {
            one_of(list, &|p| {
                if contains {
                    contains_ignore_case(t, p)
                } else {
                    pattern_bytes(p, t)
                }
            })
        })
    })
}

/// Whether `f` accepts one of the comma-separated entries of `list`.
#[inline(never)]
fn one_of(list: &[u8], f: &dyn Fn(&[u8]) -> bool) -> bool {
    // The lists have no empty entries, so `any_run` skipping them changes nothing.
    any_run(list, |&b| b == b',', f)
}

/// Whether `f` accepts one of the non-empty runs of `s` between bytes that `sep` accepts: the
/// one splitter behind word lists, autocomplete tokens and name words (one copy of the code).
#[inline(never)]
fn any_run(s: &[u8], sep: fn(&u8) -> bool, f: &dyn Fn(&[u8]) -> bool) -> bool {
    s.split(sep).any(|w| !w.is_empty() && f(w))
}

/// Whether `hay` with everything but ASCII letters and digits removed contains `needle`
/// (ASCII case-insensitive): names compared without separators, "First-Name", "first_name"
/// and "firstName" alike. A naive search, without building the stripped copy, is plenty for
/// attribute values.
fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    (0..hay.len()).any(|i| {
        let mut rest = hay[i..].iter().filter(|b| b.is_ascii_alphanumeric());
        needle
            .iter()
            .all(|c| rest.next().is_some_and(|b| b.eq_ignore_ascii_case(c)))
    })
}

/// The next prime after `n`, by trial division: SHA-256's constants come from the first 64
/// primes (up to 311), so this stays tiny and fast.
fn next_prime(mut n: u32) -> u32 {
    n += 1;
    while (2..n).any(|d| n % d == 0) {
        n += 1;
    }
    n
}

/// The first 32 bits of the fractional part of the `degree`-th root of `n`: SHA-256's constants
/// (FIPS 180-4 §4.2.2, §5.3.3), computed instead of stored, because the table of 72 random
/// words was 288 bytes gzip cannot shrink (this code is about 250 B smaller in the gzipped
/// wasm). Newton's method with only `+ * /`, which are IEEE-exact in wasm and natively alike
/// (`f64::sqrt` is not in `core`): it ends within an ulp of the root, 2^-50 for roots under 8,
/// far finer than the 2^-32 kept; the tests check every constant against the published tables.
fn root_fraction_bits(n: u32, degree: u32) -> u32 {
    let n = f64::from(n);
    let d = f64::from(degree);
    let mut x = n;
    // From x = n (above the root) each step shrinks x by at least a third until it nears the
    // root, then converges quadratically: for the primes up to 311, x stops changing (or
    // alternates between two neighbouring floats) by the 15th step; 24 leave a margin.
    for _ in 0..24 {
        let mut quotient = n;
        for _ in 1..degree {
            quotient /= x;
        }
        x = ((d - 1.0) * x + quotient) / d;
    }
    // The low 32 bits of x * 2^32 are the fraction's first 32 bits.
    (x * 4_294_967_296.0) as u64 as u32
}

/// SHA-256 (FIPS 180-4) of `data`. A compact implementation: lead values are a few dozen bytes,
/// so speed does not matter and the `sha2` crate's size does.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    // The initial hash value: square roots of the first 8 primes.
    let mut h = [0u32; 8];
    let mut prime = 1;
    for x in &mut h {
        prime = next_prime(prime);
        *x = root_fraction_bits(prime, 2);
    }
    // The padded message, one byte at a time: the data, 0x80, zeros, and the length in bits
    // (big-endian) in the last two words of the last block. Each byte is shifted into its
    // big-endian word of the block (four shifts push out the last block's word): no byte
    // buffer, no word assembly.
    let len = data.len();
    let total = (len + 72) & !63;
    let mut w = [0u32; 16];
    for i in 0..total {
        let b = match data.get(i) {
            Some(&b) => b,
            None if i == len => 0x80,
            None => 0,
        };
        let j = i / 4 % 16;
        w[j] = w[j] << 8 | u32::from(b);
        if i % 64 == 63 {
            if i == total - 1 {
                // The length in bits, big-endian, in the last two words.
                w[14] = (len as u64 >> 29) as u32;
                w[15] = (len as u32) << 3;
            }
            compress(&mut h, &mut w);
        }
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = (h[i / 4] >> (24 - 8 * (i % 4))) as u8;
    }
    out
}

/// One 64-byte block of SHA-256, its 16 words in `w`. The message schedule is computed in
/// place: round `i` (from 16 on) overwrites the word of round `i - 16`, which no later round
/// reads. The round constants are computed as the rounds go, again for each block (tens of
/// µs): lead values are one block, and computing them once into an array cost 40 B more.
fn compress(h: &mut [u32; 8], w: &mut [u32; 16]) {
    let mut s = *h;
    // Round i's constant: the cube root of the i-th prime.
    let mut prime = 1;
    for i in 0..64 {
        prime = next_prime(prime);
        let k = root_fraction_bits(prime, 3);
        if i >= 16 {
            let w15 = w[(i + 1) % 16];
            let w2 = w[(i + 14) % 16];
            let s0 = w15.rotate_right(7) ^ w15.rotate_right(18) ^ (w15 >> 3);
            let s1 = w2.rotate_right(17) ^ w2.rotate_right(19) ^ (w2 >> 10);
            w[i % 16] = w[i % 16]
                .wrapping_add(s0)
                .wrapping_add(w[(i + 9) % 16])
                .wrapping_add(s1);
        }
        let [a, b, c, d, e, f, g, hh] = s;
        let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
        let ch = (e & f) ^ (!e & g);
        let t1 = hh
            .wrapping_add(s1)
            .wrapping_add(ch)
            .wrapping_add(k)
            .wrapping_add(w[i % 16]);
        let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
        let maj = (a & b) ^ (a & c) ^ (b & c);
        s = [
            t1.wrapping_add(s0).wrapping_add(maj),
            a,
            b,
            c,
            d.wrapping_add(t1),
            e,
            f,
            g,
        ];
    }
    for (x, y) in h.iter_mut().zip(s) {
        *x = x.wrapping_add(y);
    }
}

/// Lowercase hex SHA-256 of a (normalized) value's UTF-8: what `send: hashed` puts in events.
pub fn sha256_hex(value: &str) -> String {
    let mut out = String::with_capacity(64);
    for b in &sha256(value.as_bytes()) {
        push_hex_byte(&mut out, *b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        let ok = [
            ("Alice@Example.COM", "alice@example.com"),
            ("  bob@example.co.jp \n", "bob@example.co.jp"),
            (
                "ＴＡＲＯ．ＹＡＭＡＤＡ＠ＥＸＡＭＰＬＥ．ＪＰ",
                "taro.yamada@example.jp",
            ),
            ("\u{3000}hanako@example.jp\u{3000}", "hanako@example.jp"),
            ("mailto:x+tag@sub.example.org", "x+tag@sub.example.org"),
            ("a\u{200b}b@example.com", "ab@example.com"),
            ("user@xn--bcher-kva.example", "user@xn--bcher-kva.example"),
            ("José@Ñandú.ar", "josé@Ñandú.ar"),
        ];
        for (input, want) in ok {
            assert_eq!(normalize_email(input).as_deref(), Ok(want), "{input:?}");
        }
        let bad = [
            ("", "empty"),
            ("   ", "empty"),
            ("alice.example.com", "missing @"),
            ("a@b@example.com", "more than one @"),
            ("@example.com", "missing name before @"),
            ("alice@", "missing domain after @"),
            ("alice@localhost", "domain needs a dot"),
            ("al ice@example.com", "unexpected character"),
            ("alice@exa mple.com", "unexpected character"),
            ("a..b@example.com", "check the part before @"),
            (".a@example.com", "check the part before @"),
            ("alice@example..com", "check the domain"),
            ("alice@-example.com", "check the domain"),
            ("alice@example.c", "check the domain"),
            ("alice@1.2.3.4", "check the domain"),
            ("alice@example_x.com", "check the domain"),
        ];
        for (input, want) in bad {
            assert_eq!(
                normalize_email(input).map_err(EmailError::describe),
                Err(want),
                "{input:?}"
            );
        }
        assert_eq!(
            normalize_email(&format!("{}@example.com", "a".repeat(250))),
            Err(EmailError::TooLong)
        );
    }

    #[test]
    fn phones() {
        use Region::*;
        let cases: &[(&str, Region, &str)] = &[
            ("03-1234-5678", JP, "+81312345678"),
            ("090-1234-5678", JP, "+819012345678"),
            ("０９０－１２３４－５６７８", JP, "+819012345678"),
            ("０９０ー１２３４ー５６７８", JP, "+819012345678"),
            ("（０３）１２３４−５６７８", JP, "+81312345678"),
            ("＋８１ ３ １２３４ ５６７８", JP, "+81312345678"),
            ("(415) 555-0100", US, "+14155550100"),
            ("1-415-555-0100", US, "+14155550100"),
            ("+1 415.555.0100", US, "+14155550100"),
            ("020 7946 0018", GB, "+442079460018"),
            ("+44 (0)20 7946 0018", GB, "+442079460018"),
            ("07700 900123", GB, "+447700900123"),
        ];
        for (input, region, want) in cases {
            assert_eq!(
                normalize_phone(input, *region).as_deref(),
                Ok(*want),
                "{input:?}"
            );
        }
        assert!(normalize_phone("12", JP).is_err());
        assert!(normalize_phone("call me", US).is_err());
        assert!(normalize_phone("", GB).is_err());
    }

    #[test]
    fn names() {
        for (input, want) in [
            ("  Taro   Yamada ", "Taro Yamada"),
            ("山田\u{3000}太郎", "山田 太郎"),
            ("ＡＣＭＥ\u{3000}\u{3000}Ｉｎｃ．", "ACME Inc."),
            ("a\t\nb", "a b"),
            ("", ""),
            ("\u{3000}", ""),
        ] {
            assert_eq!(normalize_name(input), want, "{input:?}");
        }
        let long = normalize_name(&"あ ".repeat(300));
        assert_eq!(long.chars().count(), 199);
        assert!(!long.ends_with(' '));
    }

    #[test]
    fn width_folding_covers_the_whole_ascii_block() {
        let full: String = ('\u{ff01}'..='\u{ff5e}').collect();
        let ascii: String = ('!'..='~').collect();
        assert_eq!(fold_width(&full), ascii);
        assert_eq!(
            fold_width("ｱｲｳ"),
            "ｱｲｳ",
            "half-width katakana is NFKC's job, in JS"
        );
    }

    #[test]
    fn sha256_vectors() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            (b"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
            ),
            (
                b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
                "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
            ),
            (
                b"The quick brown fox jumps over the lazy dog",
                "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592",
            ),
        ];
        for (input, want) in cases {
            let hex: String = sha256(input).iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(hex, *want);
        }
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // Padding edges: 55, 56, 63, 64 bytes and a million 'a'.
        let a = |n| sha256_hex(&"a".repeat(n));
        assert_eq!(
            a(55),
            "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"
        );
        assert_eq!(
            a(56),
            "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"
        );
        assert_eq!(
            a(64),
            "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"
        );
        assert_eq!(
            a(1_000_000),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
    }

    #[test]
    fn sha256_constants_are_the_published_tables() {
        // The published tables, FIPS 180-4 §4.2.2 (K) and §5.3.3 (H).
        const K: [u32; 64] = [
            0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
            0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
            0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
            0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
            0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
            0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
            0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
            0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
            0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
            0xc67178f2,
        ];
        const H: [u32; 8] = [
            0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
            0x5be0cd19,
        ];
        let mut prime = 1;
        let primes: Vec<u32> = (0..64)
            .map(|_| {
                prime = next_prime(prime);
                prime
            })
            .collect();
        assert_eq!(primes[63], 311);
        let h: Vec<u32> = primes[..8]
            .iter()
            .map(|&p| root_fraction_bits(p, 2))
            .collect();
        let k: Vec<u32> = primes.iter().map(|&p| root_fraction_bits(p, 3)).collect();
        assert_eq!(h, H);
        assert_eq!(k, K);
    }

    #[test]
    fn sha256_every_length_up_to_three_blocks() {
        // Every padding case (0-199 bytes: 55/56/63/64, 119/120, 127/128...), checked against
        // Python's hashlib: SHA-256 of the concatenated hex digests of bytes (7i + 3) mod 256.
        let mut all = String::new();
        for n in 0..200 {
            let data: Vec<u8> = (0..n).map(|i| (i * 7 + 3) as u8).collect();
            for b in sha256(&data) {
                all.push_str(&format!("{b:02x}"));
            }
        }
        assert_eq!(
            sha256_hex(&all),
            "466ee381bbc4a6de34133ad71e2d19bd7ac1efe7fbd78829b39564fb7a8e7d20"
        );
    }

    /// The rules as code, before they became [`FIELD_RULES`]: the table must decide alike.
    fn old_classify_field(input_type: &str, name: &str, id: &str, autocomplete: &str) -> FieldKind {
        use FieldKind::*;
        let ty = input_type.trim_ascii().as_bytes();
        let ty_is = |list: &[u8]| one_of(list, &|p| p.eq_ignore_ascii_case(ty));
        let ac = autocomplete.as_bytes();
        let ac_has = |list: &[u8]| {
            any_run(ac, u8::is_ascii_whitespace, &|t| {
                one_of(list, &|p| pattern_bytes(p, t))
            })
        };
        // Names compared with separators removed: "First-Name", "first_name", "firstName" alike.
        // (A push loop: `collect` would bring its own from-iterator code for this one use.)
        let key = |s: &str| {
            let mut k = Vec::new();
            for b in s.bytes() {
                if b.is_ascii_alphanumeric() {
                    k.push(b);
                }
            }
            k
        };
        let keys = [key(name), key(id)];
        let any_key = |list: &[u8]| {
            keys.iter()
                .any(|k| one_of(list, &|p| contains_ignore_case(k, p)))
        };
        // Whole words: runs of ASCII letters and digits.
        let any_word = |list: &[u8]| {
            [name, id].iter().any(|s| {
                any_run(s.as_bytes(), |b| !b.is_ascii_alphanumeric(), &|w| {
                    one_of(list, &|p| pattern_bytes(p, w))
                })
            })
        };

        if ty_is(b"password")
            || ac_has(b"current-password,new-password,one-time-code")
            || any_key(b"pass,pwd,secret,csrf,token,socialsecurity")
            || any_word(b"pin,otp,ssn")
        {
            return Password;
        }
        if ac_has(b"cc-*")
            || any_key(b"card,cvc,cvv,csc,securitycode,iban,ccnum,ccexp")
            || any_word(b"cc")
        {
            return Card;
        }
        if ty_is(
            b"hidden,submit,button,reset,image,file,checkbox,radio,range,color,date,\
              datetime-local,month,week,time,number",
        ) {
            return Other;
        }
        const AUTOCOMPLETE: [(FieldKind, &[u8]); 5] = [
            (Email, b"email"),
            (Tel, b"tel*"),
            (Company, b"organization"),
            (
                Name,
                b"name,given-name,family-name,additional-name,nickname",
            ),
            (
                Other,
                b"username,organization-title,street-address,postal-code,country,country-name,\
                  url,bday,sex",
            ),
        ];
        // The kind of the first token that names one (tokens in order, then kinds in order).
        let hit = core::cell::Cell::new(None);
        any_run(ac, u8::is_ascii_whitespace, &|t| {
            AUTOCOMPLETE.iter().any(|&(kind, list)| {
                let found = one_of(list, &|p| pattern_bytes(p, t));
                if found {
                    hit.set(Some(kind));
                }
                found
            })
        });
        if let Some(kind) = hit.get() {
            return kind;
        }
        if ty_is(b"email") {
            return Email;
        }
        if ty_is(b"tel") {
            return Tel;
        }
        if any_key(b"email,mailaddress") || any_word(b"mail") {
            return Email;
        }
        if any_key(b"phone,mobile,denwa,keitai") || any_word(b"tel*") {
            return Tel;
        }
        if any_key(b"company,organization,organisation,business,kaisha")
            || any_word(b"org,firm,corp")
        {
            return Company;
        }
        if !any_key(b"username,filename,hostname,domainname,pathname,screenname")
            && (any_key(b"name,surname,shimei,namae,furigana") || any_word(b"fname,lname,sei,mei"))
        {
            return Name;
        }
        Other
    }

    #[test]
    fn field_rules_decide_as_the_code_did() {
        let types = [
            "",
            "text",
            " Email ",
            "email",
            "tel",
            "TEL",
            "password",
            "hidden",
            "search",
            "number",
            "datetime-local",
            "checkbox",
            "url",
            "pass*",
        ];
        let words = [
            "",
            "email",
            "E-Mail",
            "mailAddress",
            "mail",
            "your_mail",
            "tel",
            "tel1",
            "Tel-2",
            "hotel",
            "telephone",
            "phone",
            "mobile_no",
            "denwa",
            "keitai",
            "name",
            "first_name",
            "lastName",
            "fname",
            "lname",
            "sei",
            "mei",
            "shimei",
            "namae",
            "furigana",
            "username",
            "user_name",
            "file-name",
            "hostname",
            "screenName",
            "company",
            "organisation",
            "business",
            "kaisha",
            "org",
            "firm",
            "corp",
            "corporate",
            "pass",
            "pwd",
            "secret",
            "csrf_token",
            "social-security",
            "pin",
            "pin_code",
            "otp",
            "ssn",
            "card",
            "cvc",
            "cvv",
            "csc",
            "security_code",
            "iban",
            "ccnum",
            "cc-exp",
            "cc",
            "acc",
            "message",
            "x",
            "q",
            "success_email",
            "company_name",
            "card-holder-name",
            "tel*",
            "*",
            "org.name",
            "a b",
            "名前",
        ];
        let acs = [
            "",
            "email",
            "tel",
            "tel-national",
            "tel email",
            "email tel",
            "billing cc-number",
            "cc-exp",
            "current-password",
            "new-password",
            "one-time-code",
            "organization",
            "organization-title",
            "given-name",
            "family-name",
            "nickname",
            "name",
            "username",
            "street-address",
            "postal-code",
            "country",
            "bday",
            "sex",
            "url",
            "section-a shipping tel",
            "off",
            "on",
            "  name  ",
            "x email",
            "username email",
            "ORGANIZATION",
            "cc-*",
        ];
        let mut n = 0;
        for ty in types {
            for name in words {
                for id in ["", "email", "pass", "lname"] {
                    for ac in acs {
                        assert_eq!(
                            classify_field(ty, name, id, ac),
                            old_classify_field(ty, name, id, ac),
                            "{ty:?} {name:?} {id:?} {ac:?}"
                        );
                        n += 1;
                    }
                }
            }
        }
        // The swapped roles too: ids from the word list.
        for id in words {
            for name in words {
                assert_eq!(
                    classify_field("text", name, id, ""),
                    old_classify_field("text", name, id, "")
                );
                n += 1;
            }
        }
        assert!(n > 100_000);
    }

    #[test]
    fn field_classes() {
        use FieldKind::*;
        let cases: &[(&str, &str, &str, &str, FieldKind)] = &[
            ("email", "", "", "", Email),
            ("text", "your-email", "", "", Email),
            ("text", "", "contactEmail", "", Email),
            ("text", "mail", "", "", Email),
            ("text", "x", "", "email", Email),
            ("tel", "", "", "", Tel),
            ("text", "phone_number", "", "", Tel),
            ("text", "tel", "", "", Tel),
            ("text", "tel1", "", "", Tel),
            ("text", "hotel", "", "", Other),
            ("text", "q", "", "tel-national", Tel),
            ("text", "first_name", "", "", Name),
            ("text", "lastName", "", "", Name),
            ("text", "sei", "", "", Name),
            ("text", "", "", "given-name", Name),
            ("text", "username", "", "", Other),
            ("text", "company", "", "", Company),
            ("text", "company_name", "", "", Company),
            ("text", "x", "", "organization", Company),
            ("text", "x", "", "organization-title", Other),
            ("password", "email", "", "", Password),
            ("text", "pass_confirm", "", "", Password),
            ("text", "code", "", "one-time-code", Password),
            ("hidden", "csrf_token", "", "", Password),
            ("text", "pin", "", "", Password),
            ("text", "shipping", "", "", Other),
            ("text", "cardnumber", "", "", Card),
            ("text", "x", "", "billing cc-number", Card),
            ("text", "cvc", "", "", Card),
            ("text", "", "card-holder-name", "", Card),
            ("text", "cc", "", "", Card),
            ("text", "success_email", "", "", Email),
            ("hidden", "email", "", "", Other),
            ("checkbox", "newsletter", "", "", Other),
            ("text", "message", "", "", Other),
            ("text", "business_name", "", "", Company),
            ("text", "hotpot", "", "", Other),
            ("text", "otp", "", "", Password),
            ("text", "ssn", "", "", Password),
            ("", "", "", "", Other),
        ];
        for (ty, name, id, ac, want) in cases {
            assert_eq!(
                classify_field(ty, name, id, ac),
                *want,
                "{ty} {name} {id} {ac}"
            );
        }
        assert!(!Password.is_readable() && !Card.is_readable() && Email.is_readable());
    }
}
