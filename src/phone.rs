//! Phone numbers: parsing what marketers write, finding displayed numbers in page text, and
//! format-preserving substitution. DOM-free; tested natively.
//!
//! # API
//! - [`Region`], [`PhoneNumber::parse`], [`PhoneNumber::e164`]: numbers as written in the config.
//! - [`Finder::new`] once per config (the site's own numbers, the *targets*), then
//!   [`Finder::find`] on text: [`Found`] byte ranges and which target each one is.
//!   [`Finder::might_contain`] is the quick reject (fewer digits than any target has).
//! - [`render`]: a replacement written the way a displayed number is written.
//! - [`tel_href`]: a `tel:` link rewritten to the replacement in E.164.
//!
//! Text split over several nodes and the edits that follow are [`crate::swap`]'s job; the web
//! layer calls that, never the matching rules here directly.
//!
//! # What is a displayed number
//! Digits (ASCII or full-width `０`-`９`) joined by at most three separators in a row: spaces
//! (also no-break and ideographic), `-` `.` `/`, dashes and minus signs, full-width `－` `．` `／`,
//! the prolonged sound mark `ー`, parentheses (also full-width). It may start with `+`, and may be
//! followed by an extension (`x 12`, `ext. 12`, `#12`, `内線12`, `;ext=12`), which belongs to the
//! match and is kept as displayed. A target matches in national form (trunk `0`, or for NANP an
//! optional leading `1`), after `+CC` (with or without `(0)` or a stray trunk `0`), or after an
//! international prefix (`00`, and `011` in NANP, `010` in Japan).
//!
//! A match must stand alone. Right before and after it: no ASCII or full-width letter or digit,
//! no currency sign before (`¥3,123,...`), no `円`/`%` after, no `+` before. Through up to three
//! joiners (`-`, `.`, `/`, `,`, parentheses, `+`, ...) no digit: that is the middle of a longer
//! run (`2024-03-12`, `12-0312345678`, `5.(03)...`). Whitespace separates: a match may end where
//! whitespace parts it from further digits (`415 555 0100 24/7`), never inside a digit group
//! (`03-1234-56789`), and it may not start inside an international number (`+44 415 555 0100`).
//! Japanese text right next to a number (`電話03-1234-5678まで`, `℡`, `☎`) is fine, and so are
//! the labels `TEL`, `Tel`, `tel`, `PHONE`, `Phone` (optionally with `.`) right before it
//! (`TEL03-1234-5678`; not `HOTEL03...`, `ID03...`). Where two text nodes of a run meet
//! ([`Finder::find_in_run`]) a letter may follow a number, and two digit runs of phone-number
//! length may touch. These rules are symmetric on purpose: swapping one number never changes
//! whether its neighbour matches.

use crate::prelude::*;
/// A country whose national number formats the snippet understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    /// Japan (+81, trunk 0).
    JP,
    /// United States (+1, NANP).
    US,
    /// Canada (+1, NANP).
    CA,
    /// United Kingdom (+44, trunk 0).
    GB,
    /// France (+33, trunk 0).
    FR,
    /// Germany (+49, trunk 0).
    DE,
}

/// ISO codes, in the order of [`Region`]'s variants ([`Region::code`] indexes it), then
/// aliases.
const CODES: [(&str, Region); 7] = [
    ("JP", Region::JP),
    ("US", Region::US),
    ("CA", Region::CA),
    ("GB", Region::GB),
    ("FR", Region::FR),
    ("DE", Region::DE),
    ("UK", Region::GB),
];

/// Calling codes of the supported regions; no code is a prefix of another.
const CALLING_CODES: [u16; 5] = [1, 33, 44, 49, 81];

impl Region {
    /// Parses an ISO 3166 alpha-2 code, case-insensitively (`UK` is accepted for `GB`).
    pub fn from_code(code: &str) -> Option<Region> {
        // A table and `eq_ignore_ascii_case`: no uppercased copy, no string `match`.
        CODES
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(code))
            .map(|&(_, r)| r)
    }

    /// The ISO code.
    pub fn code(self) -> &'static str {
        CODES[self as usize].0
    }

    /// The country calling code.
    pub fn calling_code(self) -> u16 {
        match self {
            Region::JP => 81,
            Region::US | Region::CA => 1,
            Region::GB => 44,
            Region::FR => 33,
            Region::DE => 49,
        }
    }

    /// The region whose number rules apply to a calling code (`1` → [`Region::US`], whose
    /// rules Canada shares).
    pub fn for_calling_code(cc: u16) -> Option<Region> {
        match cc {
            1 => Some(Region::US),
            33 => Some(Region::FR),
            44 => Some(Region::GB),
            49 => Some(Region::DE),
            81 => Some(Region::JP),
            _ => None,
        }
    }

    /// Lengths a national significant number (no trunk prefix) may have.
    fn nsn_len(self) -> (usize, usize) {
        match self {
            Region::JP | Region::GB => (9, 10),
            Region::US | Region::CA => (10, 10),
            Region::FR => (9, 9),
            Region::DE => (6, 11),
        }
    }

    /// The international call prefixes dialled from this region, besides `00`.
    fn exit_code(self) -> Option<&'static [u8]> {
        match self {
            Region::US | Region::CA => Some(b"011"),
            Region::JP => Some(b"010"),
            _ => None,
        }
    }
}

/// Why a text is not a phone number; [`PhoneError::describe`] (and `Display`) say it in words.
/// A code rather than the words: the snippet only needs to know, and leaves the texts out
/// (they are reached only through `describe`, which the collector's config checker calls).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneError {
    /// Too few or too many digits, or none at all.
    Digits,
    /// Something other than an extension after the number.
    Extension,
    /// The wrong shape for a number of this region (length, trunk `0`).
    Shape(Region),
    /// A NANP area code or exchange starting with 0 or 1.
    NanpCode,
    /// A calling code after `+` or `00` that is not one of the supported regions'.
    CallingCode,
}

impl PhoneError {
    /// The problem in words (`expected 10 or 11 digits starting with 0 for a JP number`).
    pub fn describe(self) -> &'static str {
        match self {
            PhoneError::Digits => "expected 7 to 13 digits",
            PhoneError::Extension => {
                "unexpected character (write an extension as x123 or ext. 123)"
            }
            PhoneError::Shape(Region::JP) => {
                "expected 10 or 11 digits starting with 0 for a JP number"
            }
            PhoneError::Shape(Region::US | Region::CA) => {
                "expected 10 digits (area code and number) for a US/CA number"
            }
            PhoneError::Shape(Region::GB) => {
                "expected 10 or 11 digits starting with 0 for a GB number"
            }
            PhoneError::Shape(Region::FR) => "expected 10 digits starting with 0 for a FR number",
            PhoneError::Shape(Region::DE) => {
                "expected 7 to 12 digits starting with 0 for a DE number"
            }
            PhoneError::NanpCode => "a US/CA area code and exchange cannot start with 0 or 1",
            PhoneError::CallingCode => "unknown or unsupported country calling code",
        }
    }
}

impl core::fmt::Display for PhoneError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.describe())
    }
}

/// A parsed phone number: country calling code, national significant number, extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber {
    /// Country calling code (81, 1, 44).
    pub country_code: u16,
    /// National significant number: ASCII digits, without trunk prefix.
    pub national: String,
    /// Extension digits, if written.
    pub extension: Option<String>,
}

impl PhoneNumber {
    /// Parses a number as a marketer writes it: `03-1234-5678`, `(03)1234-5678`,
    /// `+1 (415) 555-0100 x12`, `+44 (0)20 7946 0018`, `0044 20 7946 0018`, `1-415-555-0100`,
    /// `０３－１２３４－５６７８`, `03-1234-5678 内線123`. `region` gives the country of
    /// national forms; `+CC` and `00CC` forms may be of any supported country.
    ///
    /// # Errors
    /// Why it is not a phone number of `region` or an international number.
    pub fn parse(written: &str, region: Region) -> Result<PhoneNumber, PhoneError> {
        let b = written.as_bytes();
        let mut i = skip_spaces(b, 0);
        if starts_ci(&b[i..], b"tel:") {
            i += 4;
        }
        // The number as a shape (the same scan that reads displayed numbers); it stops at the
        // first character that is no digit, separator or leading `+`.
        let w = sub(written, i, b.len());
        let sh = Shape::of(w);
        if sh.two_plus {
            return Err(PhoneError::Digits);
        }
        let mut extension = None;
        if sh.stop < w.len() {
            if sh.digits.is_empty() {
                return Err(PhoneError::Digits);
            }
            // Only an extension may follow, then spaces or parentheses.
            let (ds, mut e) = ext_at(w, sh.main_end).ok_or(PhoneError::Extension)?;
            extension = Some(ascii_digits(w, ds, e));
            let wb = w.as_bytes();
            while e < wb.len() {
                let (c, l) = class_at(wb, e);
                if c != SPACE && c != OPEN && c != CLOSE {
                    return Err(PhoneError::Extension);
                }
                e += l;
            }
        }
        let (d, plus) = (&sh.ascii[..], sh.plus);
        if d.len() < 6 {
            return Err(PhoneError::Digits);
        }
        let (cc, nsn): (u16, &[u8]) = match exit_len(d, plus, region) {
            Some(x) => intl_parts(&d[x..])?,
            None if region.calling_code() == 1 => {
                let nsn = if d.len() == 11 && d[0] == b'1' {
                    &d[1..]
                } else {
                    d
                };
                (1, nsn)
            }
            None => match d.split_first() {
                Some((b'0', nsn)) => (region.calling_code(), nsn),
                _ => return Err(PhoneError::Shape(region)),
            },
        };
        let rules = Region::for_calling_code(cc).unwrap_or(region);
        let (lo, hi) = rules.nsn_len();
        if nsn.len() < lo || nsn.len() > hi {
            return Err(PhoneError::Shape(rules));
        }
        if cc == 1 {
            if nsn[0] < b'2' || nsn[3] < b'2' {
                return Err(PhoneError::NanpCode);
            }
        } else if nsn[0] == b'0' {
            return Err(PhoneError::Shape(rules));
        } else if cc == 81
            && nsn.len() == 10
            && (nsn[1] != b'0' || !matches!(nsn[0], b'2' | b'5'..=b'9'))
        {
            // Ten digits only for 020, 050, 060, 070, 080, 090 and 0800; landlines have nine.
            return Err(PhoneError::Shape(rules));
        }
        let mut national = String::with_capacity(nsn.len());
        for &x in nsn {
            push_digit(&mut national, x, false);
        }
        Ok(PhoneNumber {
            country_code: cc,
            national,
            extension,
        })
    }

    /// The number in E.164 (`+81312345678`), without extension.
    pub fn e164(&self) -> String {
        let mut s = String::from("+");
        push_number(&mut s, self.country_code, false);
        s.push_str(&self.national);
        s
    }

    fn trunk_zero(&self) -> bool {
        self.country_code != 1
    }
}

/// Digits before the calling code of a number whose digits are `d`: none after `+`, two
/// after `00`, or the region's exit code (`00` and `01x` exclude each other); `None` for a
/// national number.
fn exit_len(d: &[u8], plus: bool, region: Region) -> Option<usize> {
    if plus {
        Some(0)
    } else if d.starts_with(b"00") {
        Some(2)
    } else {
        region
            .exit_code()
            .filter(|x| d.starts_with(x))
            .map(|x| x.len())
    }
}

/// Splits `CC NSN` (after `+` or an international prefix); a trunk `0` after the code, as in
/// `+44 (0)20` or the common `+81 03-...`, is dropped.
fn intl_parts(d: &[u8]) -> Result<(u16, &[u8]), PhoneError> {
    let (cc, l) = cc_prefix(d, &CALLING_CODES).ok_or(PhoneError::CallingCode)?;
    let rest = &d[l..];
    match rest.split_first() {
        Some((b'0', nsn)) if cc != 1 => Ok((cc, nsn)),
        _ => Ok((cc, rest)),
    }
}

// ---------------------------------------------------------------------------------------------
// Characters
//
// Scanning is byte-level: every character these rules care about is ASCII or one of a few 2-
// and 3-byte UTF-8 sequences, so one classifier over bytes ([`class_at`]) stands in for `char`
// decoding and a dozen `matches!` helpers, which cost wasm in every loop that used them.
// Offsets always stay on character boundaries; substrings are taken with [`sub`], which cannot
// panic (a `&s[a..b]` drags in `core::fmt` panic code).

/// Character classes; `0..=9` is a digit's value (ASCII or full-width `０`-`９`). The order
/// matters: separators are `SPACE..=CLOSE`, joiners `CONN..=COMMA`, parentheses `OPEN..=CLOSE`.
/// Spaces, also no-break, thin and ideographic.
const SPACE: u8 = 10;
/// `-` `.` `/`, dashes and minus signs, full-width `－` `．` `／`, the prolonged sound mark `ー`.
const CONN: u8 = 11;
/// `(` `（`.
const OPEN: u8 = 12;
/// `)` `）`.
const CLOSE: u8 = 13;
/// `+` `＋`.
const PLUS: u8 = 14;
/// `,` `，`.
const COMMA: u8 = 15;
/// ASCII and full-width letters, `_`: a number must not touch them (CJK text may).
const WORD: u8 = 16;
/// Currency signs: no number right after one (`¥3,123,...`).
const MONEY: u8 = 17;
/// `円` `%` `％`: no number right before one.
const UNIT: u8 = 18;
const OTHER: u8 = 19;

/// [`class_at`] for ASCII, as a table built at compile time: one load instead of a branch
/// tree in the hottest function.
const ASCII_CLASS: [u8; 128] = {
    let mut t = [OTHER; 128];
    let mut i = 0;
    while i < 128 {
        let x = i as u8;
        t[i] = match x {
            b'0'..=b'9' => x - b'0',
            b' ' | b'\t' | b'\n' | b'\r' => SPACE,
            b'-' | b'.' | b'/' => CONN,
            b'(' => OPEN,
            b')' => CLOSE,
            b'+' => PLUS,
            b',' => COMMA,
            b'$' => MONEY,
            b'%' => UNIT,
            b'_' | b'a'..=b'z' | b'A'..=b'Z' => WORD,
            _ => OTHER,
        };
        i += 1;
    }
    t
};

/// [`class_at`] for the other characters it knows, as UTF-8 sequences read as numbers (U+FF10
/// `０` is 0xEFBC90): `(first, how many more, class)`; class 0 is the full-width digits, whose
/// value is their offset. A table scan is smaller than the branch tree of a `match`.
const NON_ASCII: [(u32, u8, u8); 24] = [
    (0xefbc90, 9, 0),
    (0xefbca1, 25, WORD),
    (0xefbd81, 25, WORD),
    (0xc2a0, 0, SPACE),
    (0xe28089, 0, SPACE),
    (0xe280af, 0, SPACE),
    (0xe38080, 0, SPACE),
    (0xe28090, 5, CONN),
    (0xe28892, 0, CONN),
    (0xefbc8d, 2, CONN),
    (0xe383bc, 0, CONN),
    (0xefbdb0, 0, CONN),
    (0xefbc88, 0, OPEN),
    (0xefbc89, 0, CLOSE),
    (0xefbc8b, 0, PLUS),
    (0xefbc8c, 0, COMMA),
    (0xc2a3, 0, MONEY),
    (0xc2a5, 0, MONEY),
    (0xe282ac, 0, MONEY),
    (0xefbfa5, 0, MONEY),
    (0xefbc84, 0, MONEY),
    (0xefbfa1, 0, MONEY),
    (0xe58686, 0, UNIT),
    (0xefbc85, 0, UNIT),
];

/// The class of the character at byte `i` of `b` and its length in bytes; `(OTHER, 1)` past
/// the end.
#[inline(never)]
fn class_at(b: &[u8], i: usize) -> (u8, usize) {
    let Some(&x) = b.get(i) else {
        return (OTHER, 1);
    };
    if let Some(&c) = ASCII_CLASS.get(usize::from(x)) {
        return (c, 1);
    }
    let len = if x >= 0xf0 {
        4
    } else if x >= 0xe0 {
        3
    } else {
        2
    };
    // The sequence as a number: U+FF10 `０` is 0xEFBC90.
    let mut k: u32 = 0;
    for j in i..i + len {
        k = k << 8 | u32::from(b.get(j).copied().unwrap_or(0));
    }
    let mut c = OTHER;
    for &(lo, span, class) in &NON_ASCII {
        if k >= lo && k - lo <= u32::from(span) {
            c = if class == 0 { (k - lo) as u8 } else { class };
            break;
        }
    }
    (c, len)
}

/// The byte offset where the character before byte `i` starts (`i > 0`).
fn prev_start(b: &[u8], i: usize) -> usize {
    let mut j = i - 1;
    while j > 0 && b[j] & 0xc0 == 0x80 {
        j -= 1;
    }
    j
}

fn is_sep(c: u8) -> bool {
    (SPACE..=CLOSE).contains(&c)
}

/// Between two digits, these make one longer run (`2024-03-12`, `3,123,456`, `0100(415)`,
/// `0100+44`). Parentheses and `+` count too, so that a swap, which may turn `(` into `+`,
/// never changes whether a neighbouring number stands alone (swaps stay idempotent).
fn is_joiner(c: u8) -> bool {
    (CONN..=COMMA).contains(&c)
}

/// `s[a..b]`, or `""` when that is not a substring (never, for offsets found by scanning).
pub(crate) fn sub(s: &str, a: usize, b: usize) -> &str {
    s.get(a..b).unwrap_or("")
}

/// Whether `s` holds a character of class `class`.
fn has_class(s: &str, class: u8) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let (c, l) = class_at(b, i);
        if c == class {
            return true;
        }
        i += l;
    }
    false
}

/// Appends `s` without its digits and parentheses.
fn push_without_digits_parens(out: &mut String, s: &str) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let (c, l) = class_at(b, i);
        if c > 9 && c != OPEN && c != CLOSE {
            out.push_str(sub(s, i, i + l));
        }
        i += l;
    }
}

/// The digits of `s[a..e]` as an ASCII string.
fn ascii_digits(s: &str, a: usize, e: usize) -> String {
    let mut out = String::with_capacity(e - a);
    let b = s.as_bytes();
    let mut i = a;
    while i < e {
        let (c, l) = class_at(b, i);
        if c <= 9 {
            push_digit(&mut out, b'0' + c, false);
        }
        i += l;
    }
    out
}

/// ASCII digits `0`-`9`, then full-width `０`-`９` (3 bytes each).
const DIGITS: &str =
    "0123456789\u{ff10}\u{ff11}\u{ff12}\u{ff13}\u{ff14}\u{ff15}\u{ff16}\u{ff17}\u{ff18}\u{ff19}";

fn push_digit(out: &mut String, ascii: u8, wide: bool) {
    let v = usize::from(ascii.wrapping_sub(b'0') % 10);
    out.push_str(if wide {
        sub(DIGITS, 10 + 3 * v, 13 + 3 * v)
    } else {
        sub(DIGITS, v, v + 1)
    });
}

/// Pushes `n` in decimal without `core::fmt`.
fn push_number(out: &mut String, n: u16, wide: bool) {
    let (b, i) = ascii_number(n);
    for &x in &b[i..] {
        push_digit(out, x, wide);
    }
}

/// `n` in ASCII decimal: the digits are `b[i..]` of the returned `(b, i)`. Written from the
/// end, so no reversal (and u16 has at most five digits).
fn ascii_number(mut n: u16) -> ([u8; 5], usize) {
    let mut b = [0u8; 5];
    let mut i = 5;
    loop {
        i -= 1;
        b[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 || i == 0 {
            return (b, i);
        }
    }
}

/// The calling code of `codes` that `d` starts with, and its digit count. One routine for a
/// known code (a one-element list) and for any supported one.
fn cc_prefix(d: &[u8], codes: &[u16]) -> Option<(u16, usize)> {
    codes.iter().find_map(|&cc| {
        let (b, i) = ascii_number(cc);
        d.starts_with(&b[i..]).then_some((cc, 5 - i))
    })
}

/// An extension right after a number's last digit (byte `i`): `x12`, ` ext. 12`, `#12`,
/// ` 内線12`, `;ext=12`, ` (内線12`. Returns the byte range of its digits.
fn ext_at(s: &str, i: usize) -> Option<(usize, usize)> {
    const MARKERS: [&str; 6] = ["extension", "ext", "\u{5185}\u{7dda}", "x", "#", "\u{5185}"];
    let b = s.as_bytes();
    let mut j = i;
    for _ in 0..3 {
        let (c, l) = class_at(b, j);
        if c == SPACE || c == OPEN || matches!(b.get(j), Some(b',' | b';')) {
            j += l;
        } else {
            break;
        }
    }
    let rest = b.get(j..).unwrap_or_default();
    let m = MARKERS.iter().find(|m| starts_ci(rest, m.as_bytes()))?;
    j += m.len();
    for _ in 0..2 {
        let (c, l) = class_at(b, j);
        let r = b.get(j..).unwrap_or_default();
        if c == SPACE
            || matches!(r.first(), Some(b'.' | b':' | b'='))
            || r.starts_with("\u{ff1a}".as_bytes())
            || r.starts_with("\u{ff0e}".as_bytes())
        {
            j += l;
        } else {
            break;
        }
    }
    let ds = j;
    let mut n = 0;
    loop {
        let (c, l) = class_at(b, j);
        if c > 9 {
            break;
        }
        n += 1;
        j += l;
    }
    (1..=6).contains(&n).then_some((ds, j))
}

/// Whether `b` starts with `p`, ASCII case-insensitively. Out of line: `tel:`, `ext=` and the
/// extension markers share one comparison loop.
#[inline(never)]
fn starts_ci(b: &[u8], p: &[u8]) -> bool {
    b.get(..p.len()).is_some_and(|r| r.eq_ignore_ascii_case(p))
}

/// Whether the digits of `s[a..e]` equal `ascii`.
fn digits_eq(s: &str, a: usize, e: usize, ascii: &str) -> bool {
    ascii_digits(s, a, e) == ascii
}

// ---------------------------------------------------------------------------------------------
// Finding

/// One displayed number found in text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    /// Byte offset of its first character (a digit, `+`, or an opening parenthesis that is
    /// closed inside the number).
    pub start: usize,
    /// Byte offset just past its last digit, or past its extension's last digit.
    pub end: usize,
    /// Byte offset just past the last digit of the number itself (`end` without an
    /// extension): where [`tel_href`] reads the extension, with no second scan of the number.
    pub main_end: usize,
    /// Index of the target (in the list given to [`Finder::new`]).
    pub target: usize,
}

/// Finds the site's own numbers (the targets) wherever and however text displays them.
///
/// A target written with an extension matches only where that extension is displayed (and wins
/// over the same number without one); a target without an extension matches with any displayed
/// extension or none. Built once per config; [`Finder::find`] allocates nothing per character.
#[derive(Debug, Clone)]
pub struct Finder {
    targets: Vec<PhoneNumber>,
    region: Region,
}

/// The most digits one candidate collects; the longest form (`011 44 0 20 7946 0018`) has 16.
const MAX_DIGITS: usize = 24;

impl Finder {
    /// A finder for `targets`; `region` is the site's country (its international call prefix,
    /// such as `011` or `010`, is recognised besides `00` and `+`).
    pub fn new(targets: &[PhoneNumber], region: Region) -> Finder {
        Finder {
            targets: targets.to_vec(),
            region,
        }
    }

    /// The targets, in the order given to [`Finder::new`].
    pub fn targets(&self) -> &[PhoneNumber] {
        &self.targets
    }

    /// The site's region.
    pub fn region(&self) -> Region {
        self.region
    }

    /// Quick reject: false when `text` has fewer digits (ASCII or full-width) than the shortest
    /// target can be displayed with, so it cannot hold a target.
    pub fn might_contain(&self, text: &str) -> bool {
        let min_digits = self
            .targets
            .iter()
            .map(|t| t.national.len() + usize::from(t.trunk_zero()))
            .min()
            .unwrap_or(usize::MAX)
            .max(1);
        let b = text.as_bytes();
        let mut n = 0;
        let mut i = 0;
        while i < b.len() {
            let (c, l) = class_at(b, i);
            if c <= 9 {
                n += 1;
                if n >= min_digits {
                    return true;
                }
            }
            i += l;
        }
        false
    }

    /// Every displayed target in `text`, left to right, not overlapping.
    pub fn find(&self, text: &str) -> Vec<Found> {
        self.find_in_run(text, &[])
    }

    /// [`Finder::find`] over the joined text of an inline run whose pieces (text nodes) start
    /// at the byte offsets `breaks` (ascending). Where two pieces meet, the element boundary
    /// lets a number touch a letter after it (`(03) 1234-5678</span><span>Free dial`) and
    /// another digit run of phone-number length on either side
    /// (`03-1234-5678</span><span>0120-111-222`); a shorter digit run across it still
    /// continues the number, and a number may still span pieces (`03-<b>1234</b>-5678`).
    pub fn find_in_run(&self, text: &str, breaks: &[usize]) -> Vec<Found> {
        // No quick reject here: a match holds at least as many digits as `might_contain` asks
        // for, and the runtime rejects such text before it reaches the wasm.
        let mut out = Vec::new();
        let b = text.as_bytes();
        let mut skip_to = 0;
        // Digits since a `+` with only separators between: a candidate after `+44 ` or
        // `+81 (0)` is the rest of that international number, not a number of its own.
        // 5 or more: no `+` before (or too many digits since).
        let mut after_plus: u8 = 5;
        let mut i = 0;
        while i < b.len() {
            let (c, l) = class_at(b, i);
            if i >= skip_to
                && (c <= 9 || c == PLUS || c == OPEN)
                && !(1..=4).contains(&after_plus)
                && left_ok(b, i, breaks.contains(&i))
            {
                if let Some(f) = self.try_at(text, i, breaks) {
                    skip_to = f.end;
                    out.push(f);
                }
            }
            after_plus = if c == PLUS {
                0
            } else if i < skip_to {
                5
            } else if c <= 9 {
                after_plus.saturating_add(1)
            } else if is_sep(c) {
                after_plus
            } else {
                5
            };
            i += l;
        }
        out
    }

    /// The target displayed by a candidate starting at byte `start`, if any.
    fn try_at(&self, text: &str, start: usize, breaks: &[usize]) -> Option<Found> {
        let b = text.as_bytes();
        let mut digits = [0u8; MAX_DIGITS];
        let mut ends = [0usize; MAX_DIGITS];
        // Whether a match may end after digit k: only where whitespace (or a piece boundary
        // before a phone-length run) separates more digits.
        let mut can_end = [false; MAX_DIGITS];
        let mut n = 0;
        let mut first = start;
        let mut plus = false;
        let mut seps = 0;
        let mut ws = false;
        let mut digit_follows = false;
        let mut at = start;
        while at < b.len() {
            let (c, l) = class_at(b, at);
            if c <= 9 {
                if n > 0 {
                    can_end[n - 1] = ws || piece_gap(b, ends[n - 1], breaks);
                } else {
                    first = at;
                }
                if n == MAX_DIGITS {
                    digit_follows = true;
                    break;
                }
                digits[n] = b'0' + c;
                ends[n] = at + l;
                n += 1;
                seps = 0;
                ws = false;
            } else if at == start && c == PLUS {
                plus = true;
            } else if seps < 3 && is_sep(c) {
                seps += 1;
                ws |= c == SPACE;
            } else {
                break;
            }
            at += l;
        }
        if n == 0 {
            return None;
        }
        if !digit_follows {
            can_end[n - 1] = true;
        }
        let d = &digits[..n];
        let mut best: Option<(usize, u8, usize, usize)> = None; // (len, rank, target, end)
        for (ti, t) in self.targets.iter().enumerate() {
            let Some(l) = self.match_len(t, d, plus) else {
                continue;
            };
            if !can_end[l - 1] {
                continue;
            }
            let mut end = ends[l - 1];
            let ext = ext_at(text, end);
            let rank = match (&t.extension, ext) {
                (Some(want), Some((ds, de))) if digits_eq(text, ds, de, want) => 2,
                (Some(_), _) => continue,
                (None, _) => 1,
            };
            if let Some((_, de)) = ext {
                end = de;
            }
            if !right_ok(b, end, breaks.contains(&end)) {
                continue;
            }
            if best.is_none_or(|(bl, br, _, _)| (l, rank) > (bl, br)) {
                best = Some((l, rank, ti, end));
            }
        }
        let (l, _, target, end) = best?;
        let mut start = start;
        // An opening parenthesis belongs to the number only if it is closed inside it.
        if class_at(b, start).0 == OPEN && !has_class(sub(text, start, end), CLOSE) {
            start = first;
        }
        Some(Found {
            start,
            end,
            main_end: ends[l - 1],
            target,
        })
    }

    /// How many of the digits `d` display target `t`, the longest form first.
    fn match_len(&self, t: &PhoneNumber, d: &[u8], plus: bool) -> Option<usize> {
        let mut best = exit_len(d, plus, self.region).and_then(|x| intl_len(t, d, x));
        if plus {
            return best;
        }
        let nsn = t.national.as_bytes();
        let trunk = if t.country_code == 1 {
            // NANP: an optional leading 1.
            if d.starts_with(nsn) {
                best = best.max(Some(nsn.len()));
            }
            b'1'
        } else {
            b'0'
        };
        if d.first() == Some(&trunk) && d.get(1..).is_some_and(|r| r.starts_with(nsn)) {
            best = best.max(Some(1 + nsn.len()));
        }
        best
    }
}

/// Digits of `CC [0] NSN` from `d[off..]`.
fn intl_len(t: &PhoneNumber, d: &[u8], off: usize) -> Option<usize> {
    // The known code as a one-element list: cc_prefix serves parse and read too.
    let rest = d.get(off..)?;
    let (_, l) = cc_prefix(rest, &[t.country_code])?;
    let nsn = t.national.as_bytes();
    let rest = &rest[l..];
    let at = off + l;
    if rest.starts_with(nsn) {
        Some(at + nsn.len())
    } else if t.country_code != 1 && rest.first() == Some(&b'0') && rest[1..].starts_with(nsn) {
        Some(at + 1 + nsn.len())
    } else {
        None
    }
}

/// The fewest digits a phone number is displayed with (a 7-digit German number). A digit run
/// this long across a piece boundary is a number of its own, not the rest of this one; since a
/// swap puts a number in place of a number, it never changes that for a neighbour.
const MIN_NUMBER_DIGITS: usize = 7;

/// Whether a piece boundary at byte `i` parts the digits before it from a run of at least
/// [`MIN_NUMBER_DIGITS`] digits after it (through joiners and spaces).
fn piece_gap(b: &[u8], i: usize, breaks: &[usize]) -> bool {
    breaks.contains(&i) && run_digits(b, i, false) >= MIN_NUMBER_DIGITS
}

/// Digits in the run that starts at byte `i` (or, `back`, ends there): digits joined by at
/// most three joiners or spaces.
fn run_digits(b: &[u8], mut i: usize, back: bool) -> usize {
    let (mut n, mut seps) = (0, 0);
    loop {
        let c = if back {
            if i == 0 {
                break;
            }
            i = prev_start(b, i);
            class_at(b, i).0
        } else {
            let (c, l) = class_at(b, i);
            i += l;
            c
        };
        if c <= 9 {
            n += 1;
            seps = 0;
        } else if seps < 3 && (is_joiner(c) || c == SPACE) {
            seps += 1;
        } else {
            break;
        }
    }
    n
}

/// Labels a number may follow with no space (`TEL03-1234-5678`, `Tel.0120-...`), when they are
/// not the end of a longer word (`HOTEL03...`). `℡`, `☎` and `電話` need no list: they are
/// not letters a number must not touch.
const LABELS: [&str; 6] = [
    "TEL",
    "Tel",
    "tel",
    "PHONE",
    "Phone",
    "\u{ff34}\u{ff25}\u{ff2c}",
];

fn after_label(b: &[u8], i: usize) -> bool {
    let b = b.get(..i).unwrap_or_default();
    let b = crate::url::strip_suffix(b, b".").unwrap_or(b);
    LABELS.iter().any(|l| {
        crate::url::strip_suffix(b, l.as_bytes())
            .is_some_and(|rest| !rest.last().is_some_and(|&x| x.is_ascii_alphanumeric()))
    })
}

/// May a number start at byte `i` of `b`? Not right after a letter (but see [`LABELS`]),
/// digit, currency sign or `+`, nor after up to three joiners (`-`, `.`, `(`, `,`, ...) that
/// follow a digit: that would be the middle of a longer run (`2024-03-12`, `5.(03)`).
/// Whitespace separates, and so does a piece boundary (`at_break`) after a run of phone-number
/// length.
fn left_ok(b: &[u8], i: usize, at_break: bool) -> bool {
    if after_label(b, i) || at_break && run_digits(b, i, true) >= MIN_NUMBER_DIGITS {
        return true;
    }
    let mut j = i;
    // `k`: characters looked at so far, all joiners.
    for k in 0..4 {
        if j == 0 {
            break;
        }
        j = prev_start(b, j);
        let c = class_at(b, j).0;
        if k == 0 && (c == WORD || c == MONEY || c == PLUS) || c <= 9 {
            return false;
        }
        if !is_joiner(c) {
            break;
        }
    }
    true
}

/// May a number end at byte `end` of `b`? The mirror of [`left_ok`]; a `+` after it (beyond
/// joiners) also joins, so that swapping a neighbour from `(415)` to `+81 (3)` changes nothing.
/// At a piece boundary (`at_break`), a letter may follow (the next element's text).
fn right_ok(b: &[u8], end: usize, at_break: bool) -> bool {
    if at_break && (class_at(b, end).0 == WORD || run_digits(b, end, false) >= MIN_NUMBER_DIGITS) {
        return true;
    }
    let mut j = end;
    for k in 0..4 {
        if j >= b.len() {
            break;
        }
        let (c, l) = class_at(b, j);
        if k == 0 && (c == WORD || c == UNIT) || c <= 9 || c == PLUS {
            return false;
        }
        if !is_joiner(c) {
            break;
        }
        j += l;
    }
    true
}

// ---------------------------------------------------------------------------------------------
// Shapes: how a number is written

/// The digits of a written or displayed number's main part (its extension excluded).
#[derive(Debug, Default)]
pub(crate) struct Shape {
    /// Byte range of each digit.
    pub(crate) digits: Vec<(usize, usize)>,
    /// Each digit as ASCII.
    pub(crate) ascii: Vec<u8>,
    /// Byte offset where the main part ends (the extension, if any, follows).
    pub(crate) main_end: usize,
    /// Byte offset where the scan stopped: the first character that is not part of the number
    /// (the length when there is none).
    stop: usize,
    plus: bool,
    /// A second `+` came before the first digit (which [`PhoneNumber::parse`] refuses).
    two_plus: bool,
    wide: bool,
}

impl Shape {
    pub(crate) fn of(s: &str) -> Shape {
        let mut sh = Shape::default();
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let (c, l) = class_at(b, i);
            if c <= 9 {
                if sh.digits.is_empty() {
                    sh.wide = l > 1;
                }
                sh.digits.push((i, i + l));
                sh.ascii.push(b'0' + c);
                sh.main_end = i + l;
            } else if c == PLUS && sh.digits.is_empty() {
                sh.two_plus |= sh.plus;
                sh.plus = true;
            } else if !is_sep(c) {
                break;
            }
            i += l;
        }
        sh.stop = i;
        sh
    }

    /// Whether a digit group ends after digit `k - 1` (or `k` is 0 or past the end).
    pub(crate) fn boundary(&self, k: usize) -> bool {
        match (
            k.checked_sub(1).and_then(|p| self.digits.get(p)),
            self.digits.get(k),
        ) {
            (Some(a), Some(b)) => a.1 != b.0,
            _ => true,
        }
    }

    /// How many digit groups there are.
    pub(crate) fn group_count(&self) -> usize {
        (0..self.digits.len()).filter(|&k| self.boundary(k)).count()
    }
}

/// The separators between the digit groups of `sh` (the shape of `s`) after digit `from`:
/// how many there are, and the one at index `i` (or, past the end, the last; `""` if none).
fn group_sep<'a>(sh: &Shape, s: &'a str, from: usize, i: usize) -> (usize, &'a str) {
    let (mut n, mut found) = (0, "");
    for k in from + 1..sh.digits.len() {
        if sh.boundary(k) {
            if n <= i {
                found = sub(s, sh.digits[k - 1].1, sh.digits[k].0);
            }
            n += 1;
        }
    }
    (n, found)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// `+CC ...` or `00 CC ...`.
    Intl,
    /// NANP with its leading `1`: `1-415-555-0100`.
    NanpOne,
    /// National: `03-1234-5678`, `(415) 555-0100`.
    National,
}

/// How a shape reads: its style and where its body (the digits grouped like a national number)
/// starts.
#[derive(Debug, Clone, Copy)]
struct Reading {
    style: Style,
    cc: Option<u16>,
    /// Digits before the calling code (`00`, `011`).
    exit_len: usize,
    cc_len: usize,
    /// Digits before the body.
    pre: usize,
    /// `(0)` is part of the prefix.
    paren_trunk: bool,
    /// The body starts with a trunk `0` (`03-...` or `+81 03-...`).
    body_trunk: bool,
}

fn read(sh: &Shape, known: Option<u16>) -> Reading {
    let d = &sh.ascii[..];
    let intl = |exit_len: usize| -> Option<Reading> {
        let rest = &d[exit_len..];
        let codes = if known.is_some() {
            known.as_slice()
        } else {
            &CALLING_CODES
        };
        let (cc, cc_len) = cc_prefix(rest, codes)?;
        let mut pre = exit_len + cc_len;
        let (mut paren_trunk, mut body_trunk) = (false, false);
        if cc != 1 && d.get(pre) == Some(&b'0') {
            let own = sh.boundary(pre) && sh.boundary(pre + 1) && pre + 1 < d.len();
            if own {
                paren_trunk = true;
                pre += 1;
            } else {
                body_trunk = true;
            }
        }
        Some(Reading {
            style: Style::Intl,
            cc: Some(cc),
            exit_len,
            cc_len,
            pre,
            paren_trunk,
            body_trunk,
        })
    };
    // The international prefix, if any (`00` and `01x` exclude each other): one call site, so
    // `intl` is inlined.
    let exit = if sh.plus {
        Some(0)
    } else if d.starts_with(b"00") {
        Some(2)
    } else if (d.starts_with(b"011") || d.starts_with(b"010")) && sh.boundary(3) {
        Some(3)
    } else {
        None
    };
    if let Some(r) = exit.and_then(intl) {
        return r;
    }
    let national = Reading {
        style: Style::National,
        cc: known,
        exit_len: 0,
        cc_len: 0,
        pre: 0,
        paren_trunk: false,
        body_trunk: d.first() == Some(&b'0'),
    };
    if d.len() == 11 && d[0] == b'1' && known.is_none_or(|k| k == 1) {
        return Reading {
            style: Style::NanpOne,
            cc: Some(1),
            pre: 1,
            body_trunk: false,
            ..national
        };
    }
    national
}

// ---------------------------------------------------------------------------------------------
// Rendering

/// The replacement as `displayed` writes numbers: same prefix style (`+81 3-...` stays
/// international, `03-...` national, `+44 (0)20` keeps `(0)`, `1-415-...` keeps the `1`), same
/// separators, parentheses and digit width (full-width stays full-width). The displayed digit
/// grouping is kept when it fits the replacement; otherwise the grouping of
/// `replacement_written` (as the marketer wrote it) is used, in the displayed style. An
/// extension displayed after the number is kept as it is (its digits become the replacement's
/// extension if it has one).
///
/// # Example
/// ```
/// use ringtrail::phone::{render, PhoneNumber, Region};
/// let r = PhoneNumber::parse("0120-123-456", Region::JP).unwrap();
/// assert_eq!(render("(03)1234-5678", "0120-123-456", &r), "(0120)123-456");
/// assert_eq!(render("+81 3-1234-5678", "0120-123-456", &r), "+81 120-123-456");
/// assert_eq!(render("０３－１２３４－５６７８", "0120-123-456", &r), "０１２０－１２３－４５６");
/// ```
pub fn render(displayed: &str, replacement_written: &str, replacement: &PhoneNumber) -> String {
    render_known(displayed, None, replacement_written, replacement)
}

/// [`render`] when the displayed number's calling code is known (the matched target's).
pub(crate) fn render_known(
    displayed: &str,
    known: Option<u16>,
    written: &str,
    repl: &PhoneNumber,
) -> String {
    let sh = Shape::of(displayed);
    let rd = read(&sh, known);
    // Also when nothing is displayed: no digits read as a national number with no body.
    if rd.pre >= sh.digits.len() {
        return String::from(written);
    }
    let wide = sh.wide;
    let trunk0 = repl.trunk_zero();
    let shown_cc = rd.cc.unwrap_or(match (rd.body_trunk, trunk0) {
        (true, true) => repl.country_code,
        (true, false) => 0,
        (false, _) => 1,
    });
    let body_start = sh.digits[rd.pre].0;
    let mut out = String::with_capacity(displayed.len() + 8);
    // The replacement's body: a trunk `0` (when displayed) and the national number.
    let mut lead0 = 0;
    match rd.style {
        Style::Intl => {
            let cc_start = sh.digits[rd.exit_len].0;
            let cc_end = sh.digits[rd.exit_len + rd.cc_len - 1].1;
            out.push_str(sub(displayed, 0, cc_start));
            push_number(&mut out, repl.country_code, wide);
            let between = sub(displayed, cc_end, body_start);
            if rd.paren_trunk && !trunk0 {
                // `+44 (0)20` becomes `+1 415`: the `(0)` goes.
                push_without_digits_parens(&mut out, between);
            } else {
                out.push_str(between);
            }
            if rd.body_trunk && trunk0 {
                lead0 = 1;
            }
        }
        _ if shown_cc != repl.country_code => {
            // A national display cannot show another country's number: go international.
            out.push_str(if wide { "\u{ff0b}" } else { "+" });
            push_number(&mut out, repl.country_code, wide);
            out.push_str(if wide { "\u{3000}" } else { " " });
            out.push_str(sub(displayed, 0, sh.digits[0].0));
        }
        Style::NanpOne => out.push_str(sub(displayed, 0, body_start)),
        Style::National => {
            out.push_str(sub(displayed, 0, body_start));
            if trunk0 {
                lead0 = 1;
            }
        }
    }
    let nat = repl.national.as_bytes();
    let len = lead0 + nat.len();

    // Digit groups, as cuts: a group ends before body digit `c` (`0 < c < len`). Deciding
    // cut by cut needs no group lists (a `Vec` of sizes per grouping cost ~0.7 KB of wasm).
    // Displayed: the separators between its groups (no list of them either).
    let (n_seps, last_sep) = group_sep(&sh, displayed, rd.pre, usize::MAX);
    let shown_cut = |c: usize| rd.pre + c < sh.digits.len() && sh.boundary(rd.pre + c);
    // Written: the marketer's grouping, when its body has this many digits once a trunk 0 is
    // added to or dropped from its first group.
    let wsh = Shape::of(written);
    let wrd = read(&wsh, Some(repl.country_code));
    let has_trunk = usize::from(match wrd.style {
        Style::National => trunk0 && wrd.body_trunk,
        Style::Intl => wrd.body_trunk,
        Style::NanpOne => false,
    });
    let with_trunk = usize::from(trunk0 && (lead0 == 1 || nat.first() == Some(&b'0')));
    let written_cut = |c: usize| {
        let w = c + has_trunk - with_trunk;
        w > 0 && wsh.boundary(wrd.pre + w)
    };
    let own = wsh.digits.len().saturating_sub(wrd.pre) + with_trunk == len + has_trunk
        && (1..len).any(written_cut);
    // Chosen: one group if displayed as one; else the written grouping if it fits; else the
    // displayed one, its last group grown or groups dropped from the end to hold `len`.
    let cut = |c: usize| n_seps > 0 && if own { written_cut(c) } else { shown_cut(c) };
    // With the displayed grouping, its separators; otherwise the displayed main separator
    // (the last), parentheses dropped, except that `(03) ...` keeps its first pair.
    let same = (1..len).filter(|&c| cut(c)).count() == n_seps;
    let ob = out.as_bytes();
    let paren_first = (ob.ends_with(b"(") || ob.ends_with("\u{ff08}".as_bytes()))
        && has_class(group_sep(&sh, displayed, rd.pre, 0).1, CLOSE);
    let mut i = 0;
    for c in 0..len {
        if c > 0 && cut(c) {
            if same || i == 0 && paren_first {
                out.push_str(group_sep(&sh, displayed, rd.pre, i).1);
            } else {
                // The main separator, or a dash when it is only parentheses.
                let at = out.len();
                push_without_digits_parens(&mut out, last_sep);
                if out.len() == at {
                    out.push_str(if wide { "\u{ff0d}" } else { "-" });
                }
            }
            i += 1;
        }
        push_digit(
            &mut out,
            if c < lead0 { b'0' } else { nat[c - lead0] },
            wide,
        );
    }

    // Extension: kept as displayed; the replacement's own digits replace the displayed ones,
    // or follow a label when none is displayed.
    let tail = sub(displayed, sh.main_end, displayed.len());
    let Some(e) = &repl.extension else {
        out.push_str(tail);
        return out;
    };
    let found = ext_at(tail, 0);
    let (ds, de) = found.unwrap_or((tail.len(), tail.len()));
    out.push_str(sub(tail, 0, ds));
    if found.is_none() {
        out.push_str(if repl.country_code == 81 {
            " \u{5185}\u{7dda}"
        } else {
            " ext. "
        });
    }
    // In the displayed extension's width, else the number's.
    let ext_wide = tail.as_bytes().get(ds).map_or(wide, |&x| x >= 0x80);
    for b in e.bytes() {
        push_digit(&mut out, b, ext_wide);
    }
    out.push_str(sub(tail, de, tail.len()));
    out
}

// ---------------------------------------------------------------------------------------------
// tel: links

/// Rewrites a `tel:` href that dials a target to its replacement in E.164
/// (`tel:03-1234-5678` → `tel:+81355550001`), keeping an extension (`;ext=12`, or `x12` in the
/// number) as `;ext=`; other parameters (`phone-context`) are dropped, since E.164 is global.
/// `replacements[i]` is what target `i` becomes: `(as written, parsed)`.
///
/// Returns `None` when the href is not a `tel:` link to a target, or the target has no
/// replacement.
pub fn tel_href(
    href: &str,
    finder: &Finder,
    replacements: &[Option<(&str, &PhoneNumber)>],
) -> Option<String> {
    let h = href.trim_ascii();
    if !starts_ci(h.as_bytes(), b"tel:") {
        return None;
    }
    let rest = percent_decode(sub(h, 4, h.len()));
    let f = *finder.find(&rest).first()?;
    // Only spaces before the number, and spaces or `;` parameters after it.
    let b = rest.as_bytes();
    let after = sub(&rest, skip_spaces(b, f.end), rest.len());
    if skip_spaces(b, 0) < f.start || !(after.is_empty() || after.starts_with(';')) {
        return None;
    }
    let (_, repl) = replacements.get(f.target).copied().flatten()?;
    // The same extension the finder took into the match (it ends at `f.end`), if any.
    let shown_ext = ext_at(&rest, f.main_end).map(|(ds, de)| ascii_digits(&rest, ds, de));
    let ext = repl
        .extension
        .clone()
        .or(shown_ext)
        .or_else(|| ext_param(after));
    let mut out = String::from("tel:");
    out.push_str(&repl.e164());
    if let Some(e) = ext {
        out.push_str(";ext=");
        out.push_str(&e);
    }
    Some(out)
}

/// The offset of the first non-space at or after byte `i`.
fn skip_spaces(b: &[u8], mut i: usize) -> usize {
    while class_at(b, i).0 == SPACE {
        i += class_at(b, i).1;
    }
    i
}

/// The `ext=` parameter of `;a=b;ext=12`. A byte loop: `str::split` with a `char` pattern
/// was the snippet's only one and brought its searcher code along.
fn ext_param(params: &str) -> Option<String> {
    let b = params.as_bytes();
    let mut i = 0;
    while i <= b.len() {
        let mut end = i;
        while end < b.len() && b[end] != b';' {
            end += 1;
        }
        let p = sub(params, i, end).trim_ascii();
        if p.len() > 4 && starts_ci(p.as_bytes(), b"ext=") {
            return Some(ascii_digits(p, 4, p.len()));
        }
        i = end + 1;
    }
    None
}

/// Decodes `%XX` escapes (UTF-8); a malformed escape is kept as written. The URL module's
/// decoder, which the snippet ships anyway (a second copy here cost ~0.5 KB of wasm); its
/// out-of-line owned form, so the `Cow` handling is not inlined here once more.
fn percent_decode(s: &str) -> String {
    crate::url::decoded(s, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(written: &str, region: Region) -> PhoneNumber {
        PhoneNumber::parse(written, region).unwrap_or_else(|e| panic!("{written}: {e}"))
    }

    #[test]
    fn parse_table() {
        use Region::*;
        // (written, region, Ok((cc, national, ext)) | Err(hint fragment))
        type Want = Result<(u16, &'static str, Option<&'static str>), &'static str>;
        let cases: &[(&str, Region, Want)] = &[
            ("03-1234-5678", JP, Ok((81, "312345678", None))),
            ("(03)1234-5678", JP, Ok((81, "312345678", None))),
            ("03(1234)5678", JP, Ok((81, "312345678", None))),
            ("0312345678", JP, Ok((81, "312345678", None))),
            ("+81 3-1234-5678", JP, Ok((81, "312345678", None))),
            ("+81-3-1234-5678", US, Ok((81, "312345678", None))),
            ("+81 (0)3-1234-5678", GB, Ok((81, "312345678", None))),
            ("+81 03-1234-5678", JP, Ok((81, "312345678", None))),
            ("0081 3 1234 5678", US, Ok((81, "312345678", None))),
            ("010 81 3 1234 5678", JP, Ok((81, "312345678", None))),
            ("０３－１２３４－５６７８", JP, Ok((81, "312345678", None))),
            (
                "＋８１　３－１２３４－５６７８",
                JP,
                Ok((81, "312345678", None)),
            ),
            ("03ー1234ー5678", JP, Ok((81, "312345678", None))),
            ("0120-123-456", JP, Ok((81, "120123456", None))),
            ("090-1234-5678", JP, Ok((81, "9012345678", None))),
            (
                "03-1234-5678 内線123",
                JP,
                Ok((81, "312345678", Some("123"))),
            ),
            (
                "03-1234-5678（内線１２３）",
                JP,
                Ok((81, "312345678", Some("123"))),
            ),
            ("tel:+81312345678", JP, Ok((81, "312345678", None))),
            ("(415) 555-0100", US, Ok((1, "4155550100", None))),
            ("415.555.0100", CA, Ok((1, "4155550100", None))),
            ("+1 415 555 0100", JP, Ok((1, "4155550100", None))),
            ("1-415-555-0100", US, Ok((1, "4155550100", None))),
            ("4155550100", US, Ok((1, "4155550100", None))),
            ("415-555-0100 x12", US, Ok((1, "4155550100", Some("12")))),
            (
                "415-555-0100 ext. 12",
                US,
                Ok((1, "4155550100", Some("12"))),
            ),
            (
                "+1 (415) 555-0100 Ext 7",
                US,
                Ok((1, "4155550100", Some("7"))),
            ),
            ("415-555-0100#12", US, Ok((1, "4155550100", Some("12")))),
            ("011 44 20 7946 0018", US, Ok((44, "2079460018", None))),
            ("020 7946 0018", GB, Ok((44, "2079460018", None))),
            ("+44 20 7946 0018", GB, Ok((44, "2079460018", None))),
            ("+44 (0)20 7946 0018", JP, Ok((44, "2079460018", None))),
            ("0044 20 7946 0018", GB, Ok((44, "2079460018", None))),
            ("07700 900123", GB, Ok((44, "7700900123", None))),
            ("01 23 45 67 89", FR, Ok((33, "123456789", None))),
            ("+33 1 23 45 67 89", GB, Ok((33, "123456789", None))),
            ("030 1234567", DE, Ok((49, "301234567", None))),
            ("+49 30 1234567", DE, Ok((49, "301234567", None))),
            ("", JP, Err("expected 7 to 13 digits")),
            ("hello", JP, Err("expected 7 to 13 digits")),
            ("12345", JP, Err("expected 7 to 13 digits")),
            ("3-1234-5678", JP, Err("for a JP number")),
            (
                "03-1234-567",
                JP,
                Err("expected 10 or 11 digits starting with 0 for a JP number"),
            ),
            ("03-1234-56789", JP, Err("for a JP number")),
            ("415-555-010", US, Err("expected 10 digits")),
            ("015-555-0100", US, Err("cannot start with 0 or 1")),
            ("415-155-0100", US, Err("cannot start with 0 or 1")),
            (
                "+7 495 123 4567",
                JP,
                Err("unsupported country calling code"),
            ),
            ("020 7946 00", GB, Err("for a GB number")),
            ("+44 20 7946 0018 9", GB, Err("for a GB number")),
            ("1-800-FLOWERS", US, Err("unexpected character")),
            ("03-1234-5678 x1234567", JP, Err("unexpected character")),
            ("0000000000", JP, Err("unsupported country calling code")),
        ];
        let mut bad = Vec::new();
        for (written, region, want) in cases {
            let got = PhoneNumber::parse(written, *region);
            let ok = match (&got, want) {
                (Ok(n), Ok((cc, nat, ext))) => {
                    n.country_code == *cc && n.national == *nat && n.extension.as_deref() == *ext
                }
                (Err(e), Err(frag)) => e.describe().contains(frag),
                _ => false,
            };
            if !ok {
                bad.push((*written, got, want));
            }
        }
        assert!(bad.is_empty(), "{bad:#?}");
    }

    #[test]
    fn e164() {
        assert_eq!(p("03-1234-5678", Region::JP).e164(), "+81312345678");
        assert_eq!(p("(415) 555-0100 x12", Region::US).e164(), "+14155550100");
        assert_eq!(p("+44 (0)20 7946 0018", Region::JP).e164(), "+442079460018");
    }

    #[test]
    fn regions() {
        for r in [
            Region::JP,
            Region::US,
            Region::CA,
            Region::GB,
            Region::FR,
            Region::DE,
        ] {
            assert_eq!(Region::from_code(&r.code().to_ascii_lowercase()), Some(r));
            let back = Region::for_calling_code(r.calling_code()).unwrap();
            assert_eq!(back.calling_code(), r.calling_code());
        }
        assert_eq!(Region::from_code("uk"), Some(Region::GB));
        assert_eq!(Region::from_code("XX"), None);
    }

    /// Targets of the find tables, by index.
    fn targets() -> Vec<PhoneNumber> {
        vec![
            p("03-1234-5678", Region::JP),         // 0
            p("0120-123-456", Region::JP),         // 1
            p("090-1234-5678", Region::JP),        // 2
            p("(415) 555-0100", Region::US),       // 3
            p("020 7946 0018", Region::GB),        // 4
            p("07700 900123", Region::GB),         // 5
            p("415-555-0199 ext. 12", Region::US), // 6: only with its extension
        ]
    }

    fn check_find(region: Region, cases: &[(&str, &[(&str, usize)])]) {
        let f = Finder::new(&targets(), region);
        let mut bad = Vec::new();
        for (text, want) in cases {
            let got: Vec<(&str, usize)> = f
                .find(text)
                .iter()
                .map(|m| (&text[m.start..m.end], m.target))
                .collect();
            if got != *want {
                bad.push((*text, got, *want));
            }
        }
        assert!(
            bad.is_empty(),
            "{} of {} failed: {bad:#?}",
            bad.len(),
            cases.len()
        );
    }

    #[test]
    fn find_nanp() {
        check_find(
            Region::JP,
            &[
                ("(415) 555-0100", &[("(415) 555-0100", 3)]),
                ("415.555.0100", &[("415.555.0100", 3)]),
                ("415-555-0100", &[("415-555-0100", 3)]),
                ("415 555 0100", &[("415 555 0100", 3)]),
                ("415/555-0100", &[("415/555-0100", 3)]),
                ("+1 415 555 0100", &[("+1 415 555 0100", 3)]),
                ("+1 (415) 555-0100", &[("+1 (415) 555-0100", 3)]),
                ("+1-415-555-0100", &[("+1-415-555-0100", 3)]),
                ("+14155550100", &[("+14155550100", 3)]),
                ("1-415-555-0100", &[("1-415-555-0100", 3)]),
                ("1 (415) 555-0100", &[("1 (415) 555-0100", 3)]),
                ("4155550100", &[("4155550100", 3)]),
                ("001 415 555 0100", &[("001 415 555 0100", 3)]),
                ("415-555-0100 x12", &[("415-555-0100 x12", 3)]),
                ("415-555-0100 ext. 12", &[("415-555-0100 ext. 12", 3)]),
                ("415-555-0100 Ext 12", &[("415-555-0100 Ext 12", 3)]),
                ("415-555-0100x12", &[("415-555-0100x12", 3)]),
                ("415-555-0100 #12", &[("415-555-0100 #12", 3)]),
                ("Call 415-555-0100, 24/7.", &[("415-555-0100", 3)]),
                ("Call us at (415) 555-0100.", &[("(415) 555-0100", 3)]),
                ("Call (415-555-0100) today", &[("415-555-0100", 3)]),
                ("415 555 0100 24 hours", &[("415 555 0100", 3)]),
                ("(415)555-0100", &[("(415)555-0100", 3)]),
                ("415–555–0100", &[("415–555–0100", 3)]),
                ("415 - 555 - 0100", &[("415 - 555 - 0100", 3)]),
                ("+1.415.555.0100", &[("+1.415.555.0100", 3)]),
                ("Phone: +1 415-555-0100 (main)", &[("+1 415-555-0100", 3)]),
                ("415-555-0100 x1234567", &[("415-555-0100", 3)]),
                ("415-555-0199 ext. 12", &[("415-555-0199 ext. 12", 6)]),
                ("415-555-0199 x 12", &[("415-555-0199 x 12", 6)]),
                // Negatives.
                ("415-555-0199", &[]),
                ("415-555-0199 x13", &[]),
                ("4155550100123", &[]),
                ("14155550100", &[("14155550100", 3)]),
                ("214155550100", &[]),
                ("(415) 555-0100-2", &[]),
                ("version 4.415.555.0100", &[]),
                ("$415-555-0100", &[]),
                ("99+4155550100", &[]),
                ("415-555-0100xyz", &[]),
                ("Cell4155550100", &[]),
                ("+44 415 555 0100", &[]),
                ("+353 415 555 0100", &[]),
                (
                    "+1 415 555 0100 / 415 555 0100",
                    &[("+1 415 555 0100", 3), ("415 555 0100", 3)],
                ),
                ("415-555-0101", &[]),
                ("415-555-010", &[]),
                // Labels written right before the number.
                ("Tel4155550100", &[("4155550100", 3)]),
                ("Phone415-555-0100", &[("415-555-0100", 3)]),
                ("PHONE.(415) 555-0100", &[("(415) 555-0100", 3)]),
                ("Fax4155550100", &[]),
                ("Hotel4155550100", &[]),
            ],
        );
    }

    #[test]
    fn find_uk() {
        check_find(
            Region::GB,
            &[
                ("020 7946 0018", &[("020 7946 0018", 4)]),
                ("+44 20 7946 0018", &[("+44 20 7946 0018", 4)]),
                ("+44 (0)20 7946 0018", &[("+44 (0)20 7946 0018", 4)]),
                ("+44 (0) 20 7946 0018", &[("+44 (0) 20 7946 0018", 4)]),
                ("+44 020 7946 0018", &[("+44 020 7946 0018", 4)]),
                ("0044 20 7946 0018", &[("0044 20 7946 0018", 4)]),
                ("00 44 20 7946 0018", &[("00 44 20 7946 0018", 4)]),
                ("(020) 7946 0018", &[("(020) 7946 0018", 4)]),
                ("02079460018", &[("02079460018", 4)]),
                ("+442079460018", &[("+442079460018", 4)]),
                ("020-7946-0018", &[("020-7946-0018", 4)]),
                ("020\u{a0}7946\u{a0}0018", &[("020\u{a0}7946\u{a0}0018", 4)]),
                ("07700 900123", &[("07700 900123", 5)]),
                ("+44 7700 900123", &[("+44 7700 900123", 5)]),
                ("+44 (0)7700 900 123", &[("+44 (0)7700 900 123", 5)]),
                ("07700 900 123", &[("07700 900 123", 5)]),
                ("07700900123", &[("07700900123", 5)]),
                ("Phone: 020 7946 0018 (24h)", &[("020 7946 0018", 4)]),
                ("020 7946 0018 9", &[("020 7946 0018", 4)]),
                // Negatives.
                ("020 7946 00189", &[]),
                ("+44 20 7946 00189", &[]),
                ("£020 7946 0018", &[]),
                ("0207 946 0019", &[]),
                ("+1 20 7946 0018", &[]),
                ("44 20 7946 0018", &[]),
                ("9020 7946 0018", &[]),
            ],
        );
    }

    #[test]
    fn find_jp() {
        check_find(
            Region::JP,
            &[
                ("03-1234-5678", &[("03-1234-5678", 0)]),
                ("(03)1234-5678", &[("(03)1234-5678", 0)]),
                ("(03) 1234-5678", &[("(03) 1234-5678", 0)]),
                ("03(1234)5678", &[("03(1234)5678", 0)]),
                ("+81 3-1234-5678", &[("+81 3-1234-5678", 0)]),
                ("+81-3-1234-5678", &[("+81-3-1234-5678", 0)]),
                ("+81 (0)3-1234-5678", &[("+81 (0)3-1234-5678", 0)]),
                ("+81 03-1234-5678", &[("+81 03-1234-5678", 0)]),
                ("+81312345678", &[("+81312345678", 0)]),
                ("0081-3-1234-5678", &[("0081-3-1234-5678", 0)]),
                ("010-81-3-1234-5678", &[("010-81-3-1234-5678", 0)]),
                ("0312345678", &[("0312345678", 0)]),
                ("03 1234 5678", &[("03 1234 5678", 0)]),
                ("03.1234.5678", &[("03.1234.5678", 0)]),
                ("03/1234/5678", &[("03/1234/5678", 0)]),
                ("03–1234–5678", &[("03–1234–5678", 0)]),
                ("03−1234−5678", &[("03−1234−5678", 0)]),
                (
                    "０３－１２３４－５６７８",
                    &[("０３－１２３４－５６７８", 0)],
                ),
                ("03ー1234ー5678", &[("03ー1234ー5678", 0)]),
                (
                    "０３ー１２３４ー５６７８",
                    &[("０３ー１２３４ー５６７８", 0)],
                ),
                (
                    "（０３）１２３４－５６７８",
                    &[("（０３）１２３４－５６７８", 0)],
                ),
                (
                    "＋８１ ３－１２３４－５６７８",
                    &[("＋８１ ３－１２３４－５６７８", 0)],
                ),
                ("０３１２３４５６７８", &[("０３１２３４５６７８", 0)]),
                ("0120-123-456", &[("0120-123-456", 1)]),
                ("0120123456", &[("0120123456", 1)]),
                ("(0120)123-456", &[("(0120)123-456", 1)]),
                ("090-1234-5678", &[("090-1234-5678", 2)]),
                ("+81 90-1234-5678", &[("+81 90-1234-5678", 2)]),
                ("03-1234-5678 内線123", &[("03-1234-5678 内線123", 0)]),
                ("03-1234-5678内線１２３", &[("03-1234-5678内線１２３", 0)]),
                ("03-1234-5678（内線123）", &[("03-1234-5678（内線123", 0)]),
                ("電話：03-1234-5678まで", &[("03-1234-5678", 0)]),
                ("電話03-1234-5678まで", &[("03-1234-5678", 0)]),
                ("TEL:03-1234-5678", &[("03-1234-5678", 0)]),
                ("TEL.03-1234-5678", &[("03-1234-5678", 0)]),
                ("TEL 03-1234-5678", &[("03-1234-5678", 0)]),
                // Labels a number may touch (common on Japanese sites).
                ("TEL03-1234-5678", &[("03-1234-5678", 0)]),
                ("Tel03-1234-5678", &[("03-1234-5678", 0)]),
                ("tel03-1234-5678", &[("03-1234-5678", 0)]),
                ("Tel.0120-123-456", &[("0120-123-456", 1)]),
                ("tel.0312345678", &[("0312345678", 0)]),
                ("TEL(03)1234-5678", &[("(03)1234-5678", 0)]),
                ("TEL+81-3-1234-5678", &[("+81-3-1234-5678", 0)]),
                ("PHONE03-1234-5678", &[("03-1234-5678", 0)]),
                ("Phone.090-1234-5678", &[("090-1234-5678", 2)]),
                ("℡03-1234-5678", &[("03-1234-5678", 0)]),
                ("☎0120-123-456", &[("0120-123-456", 1)]),
                ("電話0120-123-456", &[("0120-123-456", 1)]),
                ("お店(TEL03-1234-5678)", &[("03-1234-5678", 0)]),
                (
                    "ＴＥＬ０３－１２３４－５６７８",
                    &[("０３－１２３４－５６７８", 0)],
                ),
                ("【03-1234-5678】", &[("03-1234-5678", 0)]),
                ("「0120-123-456」へ", &[("0120-123-456", 1)]),
                (
                    "お問い合わせは03-1234-5678（平日9:00-18:00）",
                    &[("03-1234-5678", 0)],
                ),
                (
                    "03-1234-5678、090-1234-5678",
                    &[("03-1234-5678", 0), ("090-1234-5678", 2)],
                ),
                (
                    "03-1234-5678 / 0120-123-456",
                    &[("03-1234-5678", 0), ("0120-123-456", 1)],
                ),
                (
                    "Tokyo 03-1234-5678, London +44 20 7946 0018, SF (415) 555-0100",
                    &[
                        ("03-1234-5678", 0),
                        ("+44 20 7946 0018", 4),
                        ("(415) 555-0100", 3),
                    ],
                ),
                ("0120-123-456 9:00-18:00", &[("0120-123-456", 1)]),
                (
                    "０１２０－１２３－４５６",
                    &[("０１２０－１２３－４５６", 1)],
                ),
                ("0120 - 123 - 456", &[("0120 - 123 - 456", 1)]),
                ("03-1234-5678 (内線 123)", &[("03-1234-5678 (内線 123", 0)]),
                (
                    "ＴＥＬ：０３－１２３４－５６７８",
                    &[("０３－１２３４－５６７８", 0)],
                ),
                ("フリーダイヤル0120-123-456", &[("0120-123-456", 1)]),
                ("携帯090-1234-5678へ", &[("090-1234-5678", 2)]),
                ("\n03-1234-5678\n", &[("03-1234-5678", 0)]),
                ("03-\n1234-5678", &[("03-\n1234-5678", 0)]),
                // Negatives: longer runs, letters, prices, dates, other numbers.
                ("1203123456789", &[]),
                ("注文番号1203123456789", &[]),
                ("ID0312345678", &[]),
                ("ＩＤ０３１２３４５６７８", &[]),
                ("HOTEL03-1234-5678", &[]),
                ("FAX03-1234-5678", &[]),
                ("TELL03-1234-5678", &[]),
                ("No0312345678", &[]),
                ("No1203-1234-5678", &[]),
                ("TEL03-1234-56789", &[]),
                ("TEL1203-1234-5678", &[]),
                ("x03-1234-5678", &[]),
                ("0312345678A", &[]),
                ("03-1234-56789", &[]),
                ("03-1234-5678-9", &[]),
                ("03-1234-5678.5", &[]),
                ("003-1234-5678", &[]),
                ("12-03-1234-5678", &[]),
                ("3.03-1234-5678", &[]),
                ("5,0312345678", &[]),
                ("¥3,123,456,78", &[]),
                ("¥03-1234-5678", &[]),
                ("￥0312345678", &[]),
                ("03-1234-5678円", &[]),
                ("2024-03-12 3456", &[]),
                ("2024-03-1234-5678", &[]),
                ("03-1234-5679", &[]),
                ("03-1234-567", &[]),
                ("06-1234-5678", &[]),
                ("0120-123-457", &[]),
                ("3-1234-5678", &[]),
                ("+82 3-1234-5678", &[]),
                ("+1 03-1234-5678", &[]),
                ("03-1234-5678(03-1234-5678)", &[]),
                ("5(03)1234-5678", &[]),
                ("03-1234-5678+1", &[]),
                ("03-1234-5678.(415) 555-0100", &[]),
                ("5.(03)1234-5678", &[]),
                ("5 (03)1234-5678", &[("(03)1234-5678", 0)]),
                ("03-1234-5678.", &[("03-1234-5678", 0)]),
                ("03-1234-5678.)", &[("03-1234-5678", 0)]),
                (
                    "03-1234-5678 (03-1234-5678)",
                    &[("03-1234-5678", 0), ("03-1234-5678", 0)],
                ),
                ("+7 (0)3-1234-5678", &[]),
                (
                    "+81 3-1234-5678 / 03-1234-5678",
                    &[("+81 3-1234-5678", 0), ("03-1234-5678", 0)],
                ),
                ("０３－１２３４－５６７８９", &[]),
                ("03-1234-5678０", &[]),
                ("", &[]),
                ("no digits here", &[]),
                ("12345", &[]),
            ],
        );
    }

    #[test]
    fn find_with_nanp_exit_code() {
        check_find(
            Region::US,
            &[
                ("011 81 3 1234 5678", &[("011 81 3 1234 5678", 0)]),
                ("011-44-20-7946-0018", &[("011-44-20-7946-0018", 4)]),
                ("0114 496 0000", &[]),
            ],
        );
    }

    /// Text of several pieces (text nodes) joined: where pieces meet, a letter may follow a
    /// number, and two digit runs of phone-number length may touch.
    #[test]
    fn find_in_run_table() {
        let f = Finder::new(&targets(), Region::JP);
        // (pieces, matches as (text, target))
        type Case<'a> = (&'a [&'a str], &'a [(&'a str, usize)]);
        let cases: &[Case] = &[
            (&["(03) 1234-5678", "Free dial"], &[("(03) 1234-5678", 0)]),
            (
                &["(03)", " 1234-5678", "Free dial"],
                &[("(03) 1234-5678", 0)],
            ),
            (&["03-1234-5678", "ＦＡＸ"], &[("03-1234-5678", 0)]),
            (
                &["03-1234-5678", "0120-123-456"],
                &[("03-1234-5678", 0), ("0120-123-456", 1)],
            ),
            (
                &["0120-123-456", "03-1234-5678", "090-1234-5678"],
                &[
                    ("0120-123-456", 1),
                    ("03-1234-5678", 0),
                    ("090-1234-5678", 2),
                ],
            ),
            (
                &["03-1234-5678", "(0120)123-456"],
                &[("03-1234-5678", 0), ("(0120)123-456", 1)],
            ),
            (
                &["03-1234-", "5678", "0120-123-456"],
                &[("03-1234-5678", 0), ("0120-123-456", 1)],
            ),
            (
                &["03-1234-5678", "03-1234-5678"],
                &[("03-1234-5678", 0), ("03-1234-5678", 0)],
            ),
            // A neighbour that is not a target, or is one no longer (swapped).
            (&["0120-999-999", "03-1234-5678"], &[("03-1234-5678", 0)]),
            (&["03-1234-5678", "03-9999-0001"], &[("03-1234-5678", 0)]),
            (&["415-555-0100", "Call"], &[("415-555-0100", 3)]),
            // Digits split over pieces are still one number.
            (&["0", "3", "-1234-5678"], &[("03-1234-5678", 0)]),
            (&["03", "12345678"], &[("0312345678", 0)]),
            // Negatives: a short digit run across the boundary continues the number; letters
            // before it are still a word; currency and units still count.
            (&["03-1234-5678", "9"], &[]),
            (&["9", "03-1234-5678"], &[]),
            (&["5678", "03-1234-5678"], &[]),
            (&["03-1234-5678", "12345"], &[]),
            (&["order 1203", "123456789"], &[]),
            (&["ID", "0312345678"], &[]),
            (&["03-1234-5678", "円"], &[]),
            (&["¥", "0312345678"], &[]),
            (&["03-1234-5678", ""], &[("03-1234-5678", 0)]),
            (&["", "", ""], &[]),
        ];
        let mut bad = Vec::new();
        for (pieces, want) in cases {
            let text = pieces.concat();
            let mut breaks = Vec::new();
            let mut at = 0;
            for p in *pieces {
                breaks.push(at);
                at += p.len();
            }
            let got: Vec<(String, usize)> = f
                .find_in_run(&text, &breaks)
                .iter()
                .map(|m| (String::from(&text[m.start..m.end]), m.target))
                .collect();
            if got
                .iter()
                .map(|(t, i)| (t.as_str(), *i))
                .ne(want.iter().copied())
            {
                bad.push((*pieces, got, *want));
            }
        }
        assert!(
            bad.is_empty(),
            "{} of {} failed: {bad:#?}",
            bad.len(),
            cases.len()
        );
    }

    #[test]
    fn quick_reject() {
        let f = Finder::new(&targets(), Region::JP);
        assert!(!f.might_contain("abc 12345 def"));
        assert!(!f.might_contain("１２３４５"));
        assert!(!f.might_contain("０１２３４５６７８"));
        assert!(f.might_contain("０１２３４５６７８９"));
        assert!(f.might_contain("123 456 7890"));
        let none = Finder::new(&[], Region::JP);
        assert!(!none.might_contain("03-1234-5678"));
        assert!(none.find("03-1234-5678").is_empty());
    }

    #[test]
    fn render_table() {
        use Region::*;
        // (displayed, replacement as written, its region, expected)
        let cases: &[(&str, &str, Region, &str)] = &[
            // Same grouping: separators, parens, prefix style and width kept.
            ("03-1234-5678", "03-9999-0001", JP, "03-9999-0001"),
            ("(03)1234-5678", "03-9999-0001", JP, "(03)9999-0001"),
            ("(03) 1234-5678", "03-9999-0001", JP, "(03) 9999-0001"),
            ("03(1234)5678", "03-9999-0001", JP, "03(9999)0001"),
            ("0312345678", "03-9999-0001", JP, "0399990001"),
            ("03 1234 5678", "03-9999-0001", JP, "03 9999 0001"),
            ("03.1234.5678", "0399990001", JP, "03.9999.0001"),
            ("+81 3-1234-5678", "03-9999-0001", JP, "+81 3-9999-0001"),
            ("+81-3-1234-5678", "03-9999-0001", JP, "+81-3-9999-0001"),
            ("+81 03-1234-5678", "03-9999-0001", JP, "+81 03-9999-0001"),
            (
                "+81 (0)3-1234-5678",
                "03-9999-0001",
                JP,
                "+81 (0)3-9999-0001",
            ),
            ("+81312345678", "03-9999-0001", JP, "+81399990001"),
            ("0081-3-1234-5678", "03-9999-0001", JP, "0081-3-9999-0001"),
            (
                "０３－１２３４－５６７８",
                "03-9999-0001",
                JP,
                "０３－９９９９－０００１",
            ),
            (
                "（０３）１２３４－５６７８",
                "03-9999-0001",
                JP,
                "（０３）９９９９－０００１",
            ),
            (
                "＋８１ ３－１２３４－５６７８",
                "03-9999-0001",
                JP,
                "＋８１ ３－９９９９－０００１",
            ),
            ("03ー1234ー5678", "03-9999-0001", JP, "03ー9999ー0001"),
            (
                "03\u{a0}1234\u{a0}5678",
                "03-9999-0001",
                JP,
                "03\u{a0}9999\u{a0}0001",
            ),
            (
                "03-1234-5678（内線123）",
                "03-9999-0001",
                JP,
                "03-9999-0001（内線123）",
            ),
            (
                "03-1234-5678 内線123",
                "03-9999-0001",
                JP,
                "03-9999-0001 内線123",
            ),
            // Other grouping: the replacement's own, in the displayed style.
            ("03-1234-5678", "0120-999-001", JP, "0120-999-001"),
            ("(03)1234-5678", "0120-999-001", JP, "(0120)999-001"),
            ("03(1234)5678", "0120-999-001", JP, "0120(999)001"),
            ("0120-123-456", "03-9999-0001", JP, "03-9999-0001"),
            ("03-1234-5678", "050-1111-2222", JP, "050-1111-2222"),
            ("03-1234-5678", "+81 50-1111-2222", JP, "050-1111-2222"),
            ("+81 3-1234-5678", "050-1111-2222", JP, "+81 50-1111-2222"),
            (
                "+81 (0)3-1234-5678",
                "050-1111-2222",
                JP,
                "+81 (0)50-1111-2222",
            ),
            (
                "０３－１２３４－５６７８",
                "050-1111-2222",
                JP,
                "０５０－１１１１－２２２２",
            ),
            ("0312345678", "050-1111-2222", JP, "05011112222"),
            ("03 1234 5678", "0120-999-001", JP, "0120 999 001"),
            ("03-1234-5678", "05011112222", JP, "05-0111-12222"),
            ("090-1234-5678", "03-9999-0001", JP, "03-9999-0001"),
            // NANP.
            ("(415) 555-0100", "(650) 555-0199", US, "(650) 555-0199"),
            ("415.555.0100", "650-555-0199", US, "650.555.0199"),
            ("415/555-0100", "650-555-0199", US, "650/555-0199"),
            ("+1 415 555 0100", "650-555-0199", US, "+1 650 555 0199"),
            ("+1 (415) 555-0100", "650-555-0199", US, "+1 (650) 555-0199"),
            ("1-415-555-0100", "650-555-0199", US, "1-650-555-0199"),
            ("1 (415) 555-0100", "650.555.0199", US, "1 (650) 555-0199"),
            ("4155550100", "650-555-0199", US, "6505550199"),
            ("415-555-0100 x12", "650-555-0199", US, "650-555-0199 x12"),
            (
                "415-555-0100 ext. 12",
                "650-555-0199",
                US,
                "650-555-0199 ext. 12",
            ),
            // UK.
            ("020 7946 0018", "020 7946 0999", GB, "020 7946 0999"),
            ("020 7946 0018", "0161 496 0000", GB, "0161 496 0000"),
            ("+44 20 7946 0018", "0161 496 0000", GB, "+44 161 496 0000"),
            (
                "+44 (0)20 7946 0018",
                "0161 496 0000",
                GB,
                "+44 (0)161 496 0000",
            ),
            (
                "0044 20 7946 0018",
                "020 7946 0999",
                GB,
                "0044 20 7946 0999",
            ),
            ("07700 900123", "07700 900456", GB, "07700 900456"),
            ("020 7946 0018", "07700 900456", GB, "07700 900456"),
            ("(020) 7946 0018", "07700 900456", GB, "(07700) 900456"),
            ("02079460018", "07700 900456", GB, "07700900456"),
            // Another country than displayed: international.
            ("03-1234-5678", "+1 415 555 0100", US, "+1 415-555-0100"),
            ("(03)1234-5678", "+1 415 555 0100", US, "+1 (415)555-0100"),
            (
                "+44 (0)20 7946 0018",
                "+1 415 555 0100",
                US,
                "+1 415 555 0100",
            ),
            ("415-555-0100", "03-9999-0001", JP, "+81 3-9999-0001"),
            // Replacement with an extension.
            (
                "03-1234-5678",
                "03-9999-0001 内線5",
                JP,
                "03-9999-0001 内線5",
            ),
            (
                "415-555-0100 x12",
                "650-555-0199 x34",
                US,
                "650-555-0199 x34",
            ),
        ];
        let mut bad = Vec::new();
        for (shown, written, region, want) in cases {
            let got = render(shown, written, &p(written, *region));
            if got != *want {
                bad.push((*shown, *written, got, *want));
            }
        }
        assert!(
            bad.is_empty(),
            "{} of {} failed: {bad:#?}",
            bad.len(),
            cases.len()
        );
    }

    #[test]
    fn tel_hrefs() {
        let t = targets();
        let f = Finder::new(&t, Region::JP);
        let jp = p("03-9999-0001", Region::JP);
        let us = p("650-555-0199", Region::US);
        let mut repl: Vec<Option<(&str, &PhoneNumber)>> = vec![None; t.len()];
        repl[0] = Some(("03-9999-0001", &jp));
        repl[3] = Some(("650-555-0199", &us));
        let cases: &[(&str, Option<&str>)] = &[
            ("tel:03-1234-5678", Some("tel:+81399990001")),
            ("tel:+81312345678", Some("tel:+81399990001")),
            ("TEL:+81-3-1234-5678", Some("tel:+81399990001")),
            (" tel:0312345678 ", Some("tel:+81399990001")),
            ("tel:0312345678;phone-context=+81", Some("tel:+81399990001")),
            ("tel:03-1234-5678;ext=123", Some("tel:+81399990001;ext=123")),
            (
                "tel:+1-415-555-0100;ext=12",
                Some("tel:+16505550199;ext=12"),
            ),
            ("tel:%2B1%20415%20555%200100", Some("tel:+16505550199")),
            ("tel:(415)555-0100x9", Some("tel:+16505550199;ext=9")),
            ("tel:+81312345679", None),
            ("tel:03-1234-5678-9", None),
            ("tel:0120-123-456", None),
            ("mailto:a@example.com", None),
            ("tel:", None),
            ("03-1234-5678", None),
        ];
        let mut bad = Vec::new();
        for (href, want) in cases {
            let got = tel_href(href, &f, &repl);
            if got.as_deref() != *want {
                bad.push((*href, got, *want));
            }
        }
        assert!(bad.is_empty(), "{bad:#?}");
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("%2B81%20"), "+81 ");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz1"), "%zz1");
    }
}
