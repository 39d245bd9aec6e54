//! Tiny HTML building blocks for the report pages.
//!
//! Everything shown in a report comes from the public internet (URLs, referrers, visitor ids), so
//! text only ever reaches the page through [`escape`]: [`Html`] values are built from escaped
//! text or from the fixed markup in this module, never from raw strings.

use std::fmt::Write as _;

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A fragment of markup that is safe to put on a page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Html(String);

impl Html {
    /// Escaped text.
    pub fn text(text: &str) -> Html {
        Html(escape(text))
    }

    /// Text in a `<p>`.
    pub fn paragraph(text: &str) -> Html {
        Html(format!("<p>{}</p>", escape(text)))
    }

    /// A row of links `label → href`; hrefs are built by the caller from escaped parts and are
    /// escaped again here as attribute values.
    pub fn links(items: &[(String, String)]) -> Html {
        let mut out = String::from("<p class=\"links\">");
        for (i, (label, href)) in items.iter().enumerate() {
            if i > 0 {
                out.push_str(" · ");
            }
            let _ = write!(out, "<a href=\"{}\">{}</a>", escape(href), escape(label));
        }
        out.push_str("</p>");
        Html(out)
    }

    /// A sub-heading (`<h3>`) inside a section.
    pub fn subheading(text: &str) -> Html {
        Html(format!("<h3>{}</h3>", escape(text)))
    }

    /// A horizontal bar chart as inline SVG: one bar per `(label, value, value_text)`, scaled
    /// to the largest value. Labels and value texts are escaped; negative values draw nothing.
    pub fn bars(rows: &[(String, f64, String)]) -> Html {
        if rows.is_empty() {
            return Html::default();
        }
        const ROW: usize = 22;
        const LABEL_W: f64 = 220.0;
        const BAR_W: f64 = 360.0;
        let max = rows
            .iter()
            .map(|(_, v, _)| *v)
            .filter(|v| v.is_finite())
            .fold(0.0_f64, f64::max);
        let height = rows.len() * ROW + 4;
        let mut out = format!(
            "<svg class=\"bars\" role=\"img\" viewBox=\"0 0 680 {height}\" width=\"680\" \
height=\"{height}\" xmlns=\"http://www.w3.org/2000/svg\">"
        );
        for (i, (label, value, text)) in rows.iter().enumerate() {
            let y = i * ROW + 2;
            let w = if max > 0.0 && value.is_finite() && *value > 0.0 {
                (value / max * BAR_W).max(1.0)
            } else {
                0.0
            };
            let label: String = label.chars().take(32).collect();
            let _ = write!(
                out,
                "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{label}</text>\
<rect x=\"{bx}\" y=\"{y}\" width=\"{w:.1}\" height=\"16\" fill=\"#4a7fd4\"></rect>\
<text x=\"{vx:.1}\" y=\"{ty}\">{text}</text>",
                lx = LABEL_W - 6.0,
                ty = y + 13,
                label = escape(&label),
                bx = LABEL_W,
                vx = LABEL_W + w + 6.0,
                text = escape(text),
            );
        }
        out.push_str("</svg>");
        Html(out)
    }

    /// Appends another fragment.
    pub fn push(&mut self, other: Html) {
        self.0.push_str(&other.0);
    }

    /// The markup.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A table whose every cell is text (escaped on render).
#[derive(Debug, Clone)]
pub struct Table {
    headers: Vec<&'static str>,
    numeric: Vec<bool>,
    rows: Vec<Vec<String>>,
    empty: &'static str,
}

impl Table {
    /// A table with these column headers; columns whose header starts with `#` or equals
    /// `Count` are right-aligned.
    pub fn new(headers: &[&'static str]) -> Table {
        Table {
            headers: headers.to_vec(),
            numeric: headers.iter().map(|h| *h == "Count").collect(),
            rows: Vec::new(),
            empty: "Nothing yet.",
        }
    }

    /// Right-aligns these columns (0-based), for numbers.
    pub fn numeric_columns(mut self, columns: &[usize]) -> Table {
        for &c in columns {
            if let Some(n) = self.numeric.get_mut(c) {
                *n = true;
            }
        }
        self
    }

    /// What to say when there are no rows.
    pub fn when_empty(mut self, text: &'static str) -> Table {
        self.empty = text;
        self
    }

    /// Adds a row of text cells.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Renders it.
    pub fn render(&self) -> Html {
        if self.rows.is_empty() {
            return Html::paragraph(self.empty);
        }
        let mut out = String::from("<table><thead><tr>");
        for h in &self.headers {
            let _ = write!(out, "<th>{}</th>", escape(h));
        }
        out.push_str("</tr></thead><tbody>");
        for row in &self.rows {
            out.push_str("<tr>");
            for (i, cell) in row.iter().enumerate() {
                let class = if self.numeric.get(i).copied().unwrap_or(false) {
                    " class=\"n\""
                } else {
                    ""
                };
                let _ = write!(out, "<td{class}>{}</td>", escape(cell));
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table>");
        Html(out)
    }
}

/// One titled part of a report page.
#[derive(Debug, Clone)]
pub struct Section {
    /// Heading.
    pub title: String,
    /// Content.
    pub body: Html,
}

impl Section {
    /// A section.
    pub fn new(title: impl Into<String>, body: Html) -> Section {
        Section {
            title: title.into(),
            body,
        }
    }
}

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;\
padding:0 1rem;color:#222}h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;\
border-bottom:1px solid #ddd;vertical-align:top;overflow-wrap:anywhere}th{background:#f4f4f4}\
td.n{text-align:right;font-variant-numeric:tabular-nums}.links a{margin-right:.2rem}\
p.meta{color:#666}\
svg.bars{max-width:100%;height:auto;font:12px system-ui,sans-serif;fill:#222}h3{font-size:1rem}";

/// A whole page: title, an intro fragment, then sections.
pub fn page(title: &str, intro: Html, sections: &[Section]) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<meta name=\"robots\" content=\"noindex\"><title>{title}</title><style>{STYLE}</style></head>\
<body><h1>{title}</h1>{intro}",
        title = escape(title),
        intro = intro.as_str(),
    );
    for section in sections {
        let _ = write!(
            out,
            "<section><h2>{}</h2>{}</section>",
            escape(&section.title),
            section.body.as_str()
        );
    }
    out.push_str("</body></html>");
    out
}

/// `2024-05-01 09:30:05 UTC` for ms since the epoch (no time-zone database needed).
pub fn format_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<script>alert("x")</script>&'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"
        );
    }

    #[test]
    fn table_cells_are_escaped() {
        let mut t = Table::new(&["Page", "Count"]);
        t.row(vec!["/<b>".into(), "3".into()]);
        let html = t.render();
        assert!(html
            .as_str()
            .contains("<td>/&lt;b&gt;</td><td class=\"n\">3</td>"));
    }

    #[test]
    fn links_escape_labels_and_hrefs() {
        let html = Html::links(&[("<a>".into(), "/?site=\"x".into())]);
        assert_eq!(
            html.as_str(),
            "<p class=\"links\"><a href=\"/?site=&quot;x\">&lt;a&gt;</a></p>"
        );
    }

    #[test]
    fn formats_times() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_time(1_700_000_000_123), "2023-11-14 22:13:20 UTC");
        assert_eq!(format_time(951_782_400_000), "2000-02-29 00:00:00 UTC");
        assert_eq!(format_time(-1000), "1969-12-31 23:59:59 UTC");
    }
}
