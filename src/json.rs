//! A small JSON reader and writer for the snippet.
//!
//! Why not serde: in the wasm build serde's derive and its `core::fmt` error messages cost about
//! 16 KB gzip (see `DESIGN.md`, size facts), more than the rest of the snippet. The config is a
//! few KB read once, and events are written by concatenation, so a ~300-line reader that keeps
//! object key order and reports *where* it failed is the better trade. Numbers are kept as their
//! source text and converted on demand (the config only has whole numbers), so no float parsing
//! or printing code is linked.

use crate::prelude::*;
/// A parsed JSON value. Objects keep their key order (error messages follow the author's order).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number, as written (validated JSON number syntax).
    Number(String),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object: key/value pairs in source order (duplicate keys are rejected by the parser).
    Object(Vec<(String, Value)>),
}

impl Value {
    /// The value as a string slice, if it is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value as a whole number that fits in `u32`, if it is one (`30`, not `30.5` or `-1`).
    pub fn as_u32(&self) -> Option<u32> {
        match self {
            Value::Number(n) => parse_u32(n),
            _ => None,
        }
    }

    /// The value as a boolean, if it is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Looks up a key in an object (first occurrence).
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A word for the kind of value, for error messages (`a string`, `an object`).
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
}

fn parse_u32(n: &str) -> Option<u32> {
    if n.is_empty() || n.len() > 10 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut v: u64 = 0;
    for b in n.bytes() {
        v = v * 10 + u64::from(b - b'0');
    }
    u32::try_from(v).ok()
}

/// Where and why a document is not valid JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// JSON path of the value being read when it failed (`sources[1].match`), empty at the root.
    pub path: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// What was expected.
    pub message: &'static str,
}

impl SyntaxError {
    /// `invalid JSON at line 3 column 5: expected ','`
    pub fn describe(&self) -> String {
        let mut s = String::from("invalid JSON at line ");
        push_u64(&mut s, u64::from(self.line));
        s.push_str(" column ");
        push_u64(&mut s, u64::from(self.column));
        s.push_str(": ");
        s.push_str(self.message);
        s
    }
}

/// Deepest nesting accepted; deeper documents are rejected rather than risking the stack.
const MAX_DEPTH: usize = 64;

/// Parses a JSON document.
///
/// # Errors
/// The first syntax error, with the path being read, its line and column.
///
/// # Example
/// ```
/// let v = ringtrail::json::parse(r#"{"site": "demo", "days": 30}"#).unwrap();
/// assert_eq!(v.get("days").and_then(|d| d.as_u32()), Some(30));
/// ```
pub fn parse(text: &str) -> Result<Value, SyntaxError> {
    let mut p = Parser {
        src: text.as_bytes(),
        pos: 0,
        path: Vec::new(),
    };
    p.skip_ws();
    let v = p.value(0)?;
    p.skip_ws();
    if p.pos < p.src.len() {
        return Err(p.error("unexpected text after the end of the document"));
    }
    Ok(v)
}

enum Seg {
    Key(String),
    Index(usize),
}

struct Parser<'a> {
    src: &'a [u8],
    pos: usize,
    path: Vec<Seg>,
}

impl Parser<'_> {
    fn error(&self, message: &'static str) -> SyntaxError {
        let before = &self.src[..self.pos.min(self.src.len())];
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        // Count characters, not bytes, so columns match what an editor shows.
        let column = 1 + before[line_start..]
            .iter()
            .filter(|&&b| (b & 0xC0) != 0x80)
            .count();
        let mut path = String::new();
        for seg in &self.path {
            match seg {
                Seg::Key(k) => push_key(&mut path, k),
                Seg::Index(i) => push_index(&mut path, *i),
            }
        }
        SyntaxError {
            path,
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
            message,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn eat(&mut self, lit: &[u8]) -> bool {
        if self.src[self.pos..].starts_with(lit) {
            self.pos += lit.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        match self.peek() {
            None => Err(self.error("unexpected end of the document")),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Value::String),
            Some(b't') if self.eat(b"true") => Ok(Value::Bool(true)),
            Some(b'f') if self.eat(b"false") => Ok(Value::Bool(false)),
            Some(b'n') if self.eat(b"null") => Ok(Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'\'') => Err(self.error("strings take double quotes")),
            Some(_) => Err(self.error("expected a value")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, SyntaxError> {
        self.pos += 1;
        let mut fields: Vec<(String, Value)> = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(fields));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.error(if self.peek() == Some(b'}') {
                    "trailing comma before '}'"
                } else {
                    "expected a key in double quotes"
                }));
            }
            let key_pos = self.pos;
            let key = self.string()?;
            if fields.iter().any(|(k, _)| *k == key) {
                self.pos = key_pos;
                self.path.push(Seg::Key(key));
                return Err(self.error("duplicate key"));
            }
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.error("expected ':' after the key"));
            }
            self.pos += 1;
            self.skip_ws();
            self.path.push(Seg::Key(key));
            let v = self.value(depth + 1)?;
            let Some(Seg::Key(key)) = self.path.pop() else {
                unreachable_path()
            };
            fields.push((key, v));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(fields));
                }
                _ => return Err(self.error("expected ',' or '}'")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, SyntaxError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            if self.peek() == Some(b']') {
                return Err(self.error("trailing comma before ']'"));
            }
            self.path.push(Seg::Index(items.len()));
            let v = self.value(depth + 1)?;
            self.path.pop();
            items.push(v);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.error("expected ',' or ']'")),
            }
        }
    }

    fn number(&mut self) -> Result<Value, SyntaxError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error("expected a digit")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error("expected a digit after '.'"));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error("expected a digit in the exponent"));
            }
            self.digits();
        }
        // The slice is ASCII by construction.
        let text = String::from_utf8_lossy(&self.src[start..self.pos]).into_owned();
        Ok(Value::Number(text))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    fn string(&mut self) -> Result<String, SyntaxError> {
        self.pos += 1; // opening quote
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(b) = self.peek() else {
                return Err(self.error("unterminated string"));
            };
            match b {
                b'"' => {
                    self.pos += 1;
                    // Input is &str and escapes produce valid UTF-8, so this never replaces.
                    return Ok(String::from_utf8_lossy(&out).into_owned());
                }
                b'\\' => {
                    self.pos += 1;
                    let Some(e) = self.peek() else {
                        return Err(self.error("unterminated string"));
                    };
                    self.pos += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => {
                            self.pos -= 2;
                            return Err(self.error("invalid escape in string"));
                        }
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                0..=0x1F => return Err(self.error("control character in string")),
                _ => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                _ => return Err(self.error("expected 4 hex digits after \\u")),
            };
            v = v * 16 + u32::from(d);
            self.pos += 1;
        }
        Ok(v)
    }

    fn unicode_escape(&mut self) -> Result<char, SyntaxError> {
        let hi = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&hi) {
            if !self.eat(b"\\u") {
                return Err(self.error("unpaired surrogate in \\u escape"));
            }
            let lo = self.hex4()?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(self.error("unpaired surrogate in \\u escape"));
            }
            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
        } else {
            hi
        };
        char::from_u32(code).ok_or_else(|| self.error("invalid \\u escape"))
    }
}

#[cold]
fn unreachable_path() -> ! {
    // The parser pushes a key before parsing a member's value and pops it right after.
    panic!("json path stack out of sync")
}

/// Appends `.key` (or `["odd key"]` when it is not a plain identifier) to a JSON path.
pub fn push_key(path: &mut String, key: &str) {
    let plain = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && !key.as_bytes()[0].is_ascii_digit();
    if plain {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    } else {
        path.push('[');
        write_str(path, key);
        path.push(']');
    }
}

/// Appends `[i]` to a JSON path.
pub fn push_index(path: &mut String, i: usize) {
    path.push('[');
    push_u64(path, i as u64);
    path.push(']');
}

/// Appends a number in decimal without `core::fmt`.
pub fn push_u64(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &b in &buf[i..] {
        out.push(char::from(b));
    }
}

/// Appends `s` as a JSON string literal, quotes included.
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // U+2028/2029 are valid JSON but break older JS string literals; escape them too.
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str("\\u");
                let v = c as u32;
                for shift in [12, 8, 4, 0] {
                    out.push(char::from(
                        b"0123456789abcdef"[((v >> shift) & 0xF) as usize],
                    ));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Builds a JSON object by appending members; keeps the snippet free of serde.
///
/// # Example
/// ```
/// let mut o = ringtrail::json::ObjectWriter::new();
/// o.str("type", "page_view").num("ts", 42).raw("data", "{}");
/// assert_eq!(o.finish(), r#"{"type":"page_view","ts":42,"data":{}}"#);
/// ```
#[derive(Debug, Default)]
pub struct ObjectWriter {
    buf: String,
}

impl ObjectWriter {
    /// An empty object.
    pub fn new() -> Self {
        ObjectWriter {
            buf: String::from("{"),
        }
    }

    fn key(&mut self, key: &str) {
        if self.buf.len() > 1 {
            self.buf.push(',');
        }
        write_str(&mut self.buf, key);
        self.buf.push(':');
    }

    /// Adds a string member.
    pub fn str(&mut self, key: &str, value: &str) -> &mut Self {
        self.key(key);
        write_str(&mut self.buf, value);
        self
    }

    /// Adds a string member only when `value` is `Some`.
    pub fn opt_str(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        if let Some(v) = value {
            self.str(key, v);
        }
        self
    }

    /// Adds a whole-number member.
    pub fn num(&mut self, key: &str, value: u64) -> &mut Self {
        self.key(key);
        push_u64(&mut self.buf, value);
        self
    }

    /// Adds a boolean member.
    pub fn bool(&mut self, key: &str, value: bool) -> &mut Self {
        self.key(key);
        self.buf.push_str(if value { "true" } else { "false" });
        self
    }

    /// Adds a member whose value is already JSON text (an object or array built elsewhere).
    pub fn raw(&mut self, key: &str, json: &str) -> &mut Self {
        self.key(key);
        self.buf.push_str(json);
        self
    }

    /// Closes the object and returns its text.
    pub fn finish(mut self) -> String {
        self.buf.push('}');
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_values_and_keeps_key_order() {
        let v = parse(r#" {"b": [1, -2.5e3, true, null], "a": "x\u00e9\ud83d\ude00\n"} "#).unwrap();
        let Value::Object(fields) = &v else { panic!() };
        assert_eq!(fields[0].0, "b");
        assert_eq!(fields[1].1, Value::String("xé😀\n".into()));
        assert_eq!(
            v.get("b").unwrap(),
            &Value::Array(vec![
                Value::Number("1".into()),
                Value::Number("-2.5e3".into()),
                Value::Bool(true),
                Value::Null,
            ])
        );
    }

    #[test]
    fn whole_numbers_only_for_u32() {
        for (text, want) in [
            ("30", Some(30)),
            ("0", Some(0)),
            ("4294967295", Some(u32::MAX)),
            ("4294967296", None),
            ("-1", None),
            ("1.5", None),
            ("1e3", None),
        ] {
            assert_eq!(parse(text).unwrap().as_u32(), want, "{text}");
        }
    }

    #[test]
    fn syntax_errors_name_path_line_and_column() {
        let cases: &[(&str, &str, u32, u32, &str)] = &[
            ("{\"a\": [1, 2,]}", "a", 1, 13, "trailing comma before ']'"),
            (
                "{\n  \"sources\": [{\"name\": 'x'}]\n}",
                "sources[0].name",
                2,
                24,
                "strings take double quotes",
            ),
            ("{\"a\": 1,}", "", 1, 9, "trailing comma before '}'"),
            ("{\"a\" 1}", "", 1, 6, "expected ':' after the key"),
            ("{\"a\": tru}", "a", 1, 7, "expected a value"),
            ("{\"a\": 1, \"a\": 2}", "a", 1, 10, "duplicate key"),
            ("[1 2]", "", 1, 4, "expected ',' or ']'"),
            ("\"abc", "", 1, 5, "unterminated string"),
            (
                "{} x",
                "",
                1,
                4,
                "unexpected text after the end of the document",
            ),
            ("", "", 1, 1, "unexpected end of the document"),
            ("\"\\x\"", "", 1, 2, "invalid escape in string"),
            ("\"\\ud800\"", "", 1, 8, "unpaired surrogate in \\u escape"),
            ("{\"é\": [01]}", "[\"é\"]", 1, 9, "expected ',' or ']'"),
        ];
        for &(text, path, line, column, message) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!(
                (e.path.as_str(), e.line, e.column, e.message),
                (path, line, column, message),
                "{text}"
            );
        }
    }

    #[test]
    fn rejects_deep_nesting_without_overflow() {
        let deep = "[".repeat(10_000);
        assert_eq!(parse(&deep).unwrap_err().message, "nested too deeply");
    }

    #[test]
    fn writer_escapes_and_round_trips() {
        let nasty = "a\"b\\c\n\u{1}\u{2028}</script>日本";
        let mut o = ObjectWriter::new();
        o.str("s", nasty)
            .num("n", u64::MAX)
            .bool("b", false)
            .opt_str("none", None);
        let text = o.finish();
        let v = parse(&text).unwrap();
        assert_eq!(v.get("s").unwrap().as_str(), Some(nasty));
        assert_eq!(
            v.get("n").unwrap(),
            &Value::Number("18446744073709551615".into())
        );
        assert!(v.get("none").is_none());
        assert!(!text.contains('\u{2028}'));
    }

    #[test]
    fn describe_reads_well() {
        let e = parse("{\"a\" 1}").unwrap_err();
        assert_eq!(
            e.describe(),
            "invalid JSON at line 1 column 6: expected ':' after the key"
        );
    }
}
