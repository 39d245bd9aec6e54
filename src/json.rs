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

/// What `Parser::peek` returns at the end of the text: no byte maps to it, so a NUL byte in the
/// text is still reported as the byte it is.
const END: char = '\u{100}';

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
        text,
        pos: 0,
        path: String::new(),
        message: "",
    };
    match p.document() {
        Some(v) => Ok(v),
        None => Err(p.error()),
    }
}

/// Recursive descent over the bytes of a `&str`.
///
/// Why this shape (it is shipped in the wasm, so bytes count):
/// - A failing step records its message in `message` and returns `None`; the position and path
///   it leaves behind say where. `parse` turns them into a [`SyntaxError`] once, so each error
///   site is a store and a return instead of building a large `Result` in place.
/// - The path is one `String` that members and items append to and truncate after their value;
///   on an error the `?` skips the truncation, so the path still names the failing value.
/// - Strings copy the `&str` runs between escapes (they always end on an ASCII byte, so they are
///   char boundaries) and push chars only for escapes: no UTF-8 re-validation or lossy decoding.
/// - Slices use `get`, never indexing, so no panic and formatting code is linked.
struct Parser<'a> {
    text: &'a str,
    pos: usize,
    /// JSON path of the value being read.
    path: String,
    /// Why parsing stopped (set by `fail`).
    message: &'static str,
}

impl Parser<'_> {
    #[cold]
    fn fail<T>(&mut self, message: &'static str) -> Option<T> {
        self.message = message;
        None
    }

    /// The error where parsing stopped: line and column (in characters, as an editor shows them)
    /// are counted only now.
    #[cold]
    fn error(&mut self) -> SyntaxError {
        let (mut line, mut column) = (1, 1);
        for &b in self.text.as_bytes().iter().take(self.pos) {
            if b == b'\n' {
                line += 1;
                column = 1;
            } else if b & 0xC0 != 0x80 {
                column += 1;
            }
        }
        SyntaxError {
            path: core::mem::take(&mut self.path),
            line,
            column,
            message: self.message,
        }
    }

    /// The byte at `pos` as a char (so matches read like the grammar), or [`END`]. A char, not an
    /// `Option<u8>`: wasm returns it in a register instead of through memory.
    fn peek(&self) -> char {
        self.text
            .as_bytes()
            .get(self.pos)
            .map_or(END, |&b| char::from(b))
    }

    /// Skips whitespace and peeks at the byte after it.
    fn peek_ws(&mut self) -> char {
        while let ' ' | '\t' | '\n' | '\r' = self.peek() {
            self.pos += 1;
        }
        self.peek()
    }

    fn eat(&mut self, lit: &str) -> bool {
        let found = self
            .text
            .as_bytes()
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(lit.as_bytes()));
        if found {
            self.pos += lit.len();
        }
        found
    }

    fn document(&mut self) -> Option<Value> {
        let v = self.value(0)?;
        if self.peek_ws() != END {
            return self.fail("unexpected text after the end of the document");
        }
        Some(v)
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return self.fail("nested too deeply");
        }
        Some(match self.peek_ws() {
            END => return self.fail("unexpected end of the document"),
            '{' => Value::Object(self.object(depth)?),
            '[' => Value::Array(self.array(depth)?),
            '"' => Value::String(self.string()?),
            '-' | '0'..='9' => Value::Number(self.number()?),
            _ if self.eat("true") => Value::Bool(true),
            _ if self.eat("false") => Value::Bool(false),
            _ if self.eat("null") => Value::Null,
            '\'' => return self.fail("strings take double quotes"),
            _ => return self.fail("expected a value"),
        })
    }

    fn object(&mut self, depth: usize) -> Option<Vec<(String, Value)>> {
        self.pos += 1;
        let mut fields: Vec<(String, Value)> = Vec::new();
        loop {
            match self.peek_ws() {
                '"' => {}
                // Only a comma leads back here with members read, so `{}` is the empty case.
                '}' if fields.is_empty() => break,
                '}' => return self.fail("trailing comma before '}'"),
                _ => return self.fail("expected a key in double quotes"),
            }
            let key_pos = self.pos;
            let key = self.string()?;
            let len = self.path.len();
            if fields.iter().any(|(k, _)| *k == key) {
                self.pos = key_pos;
                push_key(&mut self.path, &key);
                return self.fail("duplicate key");
            }
            if self.peek_ws() != ':' {
                return self.fail("expected ':' after the key");
            }
            self.pos += 1;
            push_key(&mut self.path, &key);
            let v = self.value(depth + 1)?;
            self.path.truncate(len);
            fields.push((key, v));
            match self.peek_ws() {
                ',' => self.pos += 1,
                '}' => break,
                _ => return self.fail("expected ',' or '}'"),
            }
        }
        self.pos += 1;
        Some(fields)
    }

    fn array(&mut self, depth: usize) -> Option<Vec<Value>> {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            match self.peek_ws() {
                ']' if items.is_empty() => break,
                ']' => return self.fail("trailing comma before ']'"),
                _ => {}
            }
            let len = self.path.len();
            push_index(&mut self.path, items.len());
            items.push(self.value(depth + 1)?);
            self.path.truncate(len);
            match self.peek_ws() {
                ',' => self.pos += 1,
                ']' => break,
                _ => return self.fail("expected ',' or ']'"),
            }
        }
        self.pos += 1;
        Some(items)
    }

    fn number(&mut self) -> Option<String> {
        let start = self.pos;
        self.eat("-");
        match self.peek() {
            '0' => self.pos += 1,
            '1'..='9' => _ = self.digits(),
            _ => return self.fail("expected a digit"),
        }
        if self.eat(".") && !self.digits() {
            return self.fail("expected a digit after '.'");
        }
        if self.eat("e") || self.eat("E") {
            if !self.eat("+") {
                self.eat("-");
            }
            if !self.digits() {
                return self.fail("expected a digit in the exponent");
            }
        }
        Some(self.text.get(start..self.pos).unwrap_or_default().into())
    }

    /// Skips digits; whether there was one.
    fn digits(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_ascii_digit() {
            self.pos += 1;
        }
        self.pos > start
    }

    fn string(&mut self) -> Option<String> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        let mut run = self.pos;
        loop {
            match self.peek() {
                END => return self.fail("unterminated string"),
                '\0'..='\u{1f}' => return self.fail("control character in string"),
                '"' | '\\' => {}
                _ => {
                    self.pos += 1;
                    continue;
                }
            }
            out.push_str(self.text.get(run..self.pos).unwrap_or_default());
            self.pos += 1;
            if self.text.as_bytes().get(self.pos - 1) == Some(&b'"') {
                return Some(out);
            }
            let c = match self.peek() {
                END => return self.fail("unterminated string"),
                'u' => {
                    self.pos += 1;
                    self.unicode_escape()?
                }
                e => {
                    let Some(i) = b"\"\\/bfnrt".iter().position(|&c| char::from(c) == e) else {
                        self.pos -= 1;
                        return self.fail("invalid escape in string");
                    };
                    self.pos += 1;
                    char::from(b"\"\\/\x08\x0c\n\r\t".get(i).copied().unwrap_or_default())
                }
            };
            out.push(c);
            run = self.pos;
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..4 {
            let Some(d) = self.peek().to_digit(16) else {
                return self.fail("expected 4 hex digits after \\u");
            };
            v = v * 16 + d;
            self.pos += 1;
        }
        Some(v)
    }

    fn unicode_escape(&mut self) -> Option<char> {
        let hi = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&hi) {
            if !self.eat("\\u") {
                return self.fail("unpaired surrogate in \\u escape");
            }
            let lo = self.hex4()?;
            if !(0xDC00..0xE000).contains(&lo) {
                return self.fail("unpaired surrogate in \\u escape");
            }
            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
        } else {
            hi
        };
        match char::from_u32(code) {
            Some(c) => Some(c),
            None => self.fail("invalid \\u escape"),
        }
    }
}

/// Appends `.key` (or `["odd key"]` when it is not a plain identifier) to a JSON path.
pub fn push_key(path: &mut String, key: &str) {
    let plain = key
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && key.bytes().next().is_some_and(|b| !b.is_ascii_digit());
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

/// Appends a number in decimal without `core::fmt` (recursion: the smallest code for it).
pub fn push_u64(out: &mut String, n: u64) {
    if n >= 10 {
        push_u64(out, n / 10);
    }
    out.push(char::from(b'0' + (n % 10) as u8));
}

/// Appends `s` as a JSON string literal, quotes included.
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        // U+2028/2029 are valid JSON but break older JS string literals; escape them too.
        if c >= ' ' && c != '"' && c != '\\' && c != '\u{2028}' && c != '\u{2029}' {
            out.push(c);
            continue;
        }
        out.push('\\');
        match ['"', '\\', '\n', '\r', '\t'].iter().position(|&e| e == c) {
            Some(k) => out.push(char::from(b"\"\\nrt".get(k).copied().unwrap_or_default())),
            None => {
                out.push('u');
                let v = c as u32;
                for shift in [12, 8, 4, 0] {
                    out.push(char::from(
                        b"0123456789abcdef"[((v >> shift) & 0xF) as usize],
                    ));
                }
            }
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
    fn writer_escapes_exactly() {
        let mut out = String::new();
        write_str(&mut out, "a\u{1}\u{2028}\u{2029}\"\\\n\r\t\u{8}é\u{7f}");
        assert_eq!(
            out,
            "\"a\\u0001\\u2028\\u2029\\\"\\\\\\n\\r\\t\\u0008é\u{7f}\""
        );
        let mut path = String::new();
        push_key(&mut path, "sources");
        push_index(&mut path, 12);
        push_key(&mut path, "utm_source");
        push_key(&mut path, "03-1234 5678");
        push_key(&mut path, "9lives");
        assert_eq!(path, r#"sources[12].utm_source["03-1234 5678"]["9lives"]"#);
    }

    #[test]
    fn nul_byte_is_not_the_end() {
        let e = parse("[1,\u{0}]").unwrap_err();
        assert_eq!((e.message, e.column), ("expected a value", 4));
        let e = parse("1\u{0}").unwrap_err();
        assert_eq!(e.message, "unexpected text after the end of the document");
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
