//! A small RFC 4180 CSV writer for exports that marketers open in spreadsheets.
//!
//! Every text cell comes from the public internet (form fields, URLs), so two things matter:
//! - quoting: cells with a comma, quote, CR or LF (or spaces at either end) are quoted, quotes
//!   doubled;
//! - formula injection: a spreadsheet runs a cell starting with `=`, `+`, `-`, `@` (or a tab or
//!   CR, which some strip first) as a formula. Such text cells get a leading `'`, which
//!   spreadsheets show as text and hide (OWASP's advice). This includes E.164 numbers
//!   (`'+81...`), which would otherwise be read as numbers and lose their `+`.
//!
//! Numbers are written with [`Csv::number`] and are not guarded. Rows end with CRLF; the
//! document starts with a UTF-8 byte order mark so that Excel reads non-ASCII names right.

/// A CSV document being written.
#[derive(Debug, Clone, Default)]
pub struct Csv {
    out: String,
    row_started: bool,
}

impl Csv {
    /// A document with a header row.
    pub fn with_header(columns: &[&str]) -> Csv {
        let mut csv = Csv {
            out: String::from("\u{feff}"),
            row_started: false,
        };
        for c in columns {
            csv.text(c);
        }
        csv.end_row();
        csv
    }

    /// Appends a text cell.
    pub fn text(&mut self, value: &str) -> &mut Csv {
        self.separator();
        push_text_cell(&mut self.out, value);
        self
    }

    /// Appends a number cell.
    pub fn number(&mut self, value: impl std::fmt::Display) -> &mut Csv {
        self.separator();
        self.out.push_str(&value.to_string());
        self
    }

    /// Ends the current row.
    pub fn end_row(&mut self) {
        self.out.push_str("\r\n");
        self.row_started = false;
    }

    /// The document.
    pub fn finish(self) -> String {
        self.out
    }

    fn separator(&mut self) {
        if self.row_started {
            self.out.push(',');
        }
        self.row_started = true;
    }
}

/// Writes one text cell: guarded against formulas, quoted when needed.
fn push_text_cell(out: &mut String, value: &str) {
    let guard = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote =
        value.contains([',', '"', '\r', '\n']) || value.starts_with(' ') || value.ends_with(' ');
    if quote {
        out.push('"');
    }
    if guard {
        out.push('\'');
    }
    for c in value.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if quote {
        out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(value: &str) -> String {
        let mut out = String::new();
        push_text_cell(&mut out, value);
        out
    }

    #[test]
    fn quoting() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell(""), "");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(cell(" padded "), "\" padded \"");
        assert_eq!(cell("東京 太郎"), "東京 太郎");
    }

    #[test]
    fn formula_injection_is_guarded() {
        assert_eq!(cell("=1+1"), "'=1+1");
        assert_eq!(cell("+819012345678"), "'+819012345678");
        assert_eq!(cell("-2"), "'-2");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("\t=cmd"), "'\t=cmd");
        assert_eq!(
            cell("=HYPERLINK(\"http://x\",\"y\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""
        );
        assert_eq!(cell("a=b"), "a=b", "only a leading sign is a formula");
    }

    #[test]
    fn documents() {
        let mut csv = Csv::with_header(&["name", "n"]);
        csv.text("a,b").number(-3);
        csv.end_row();
        assert_eq!(csv.finish(), "\u{feff}name,n\r\n\"a,b\",-3\r\n");
    }
}
