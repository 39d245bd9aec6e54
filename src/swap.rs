//! DOM-free swap planning: the text nodes of one inline run in, per-node edits out.
//!
//! # API
//! - [`plan`]`(pieces, finder, replacements) -> `[`Plan`]: `pieces` are the text nodes of one
//!   inline run in document order (`<span>(03)</span> 1234-5678` is `["(03)", " 1234-5678"]`);
//!   the plan says which pieces get which new text ([`Edit`]) and what was swapped ([`Swap`]).
//! - [`plan_attr`]: the same for one attribute value (`aria-label`, `title`).
//! - `replacements[i]` is what target `i` of the [`Finder`] becomes, `(as written, parsed)`, or
//!   `None` to leave it. Tel links: [`crate::phone::tel_href`].
//!
//! Where two pieces meet is an element boundary, which the finder knows
//! ([`Finder::find_in_run`]): `<span>03-1234-5678</span><span>0120-111-222</span>` is two
//! numbers and `<span>(03) 1234-5678</span><span>Free dial` one, although their joined text
//! runs together.
//!
//! A number inside one piece is rewritten whole with [`crate::phone::render`]. A number split
//! over pieces is rewritten digit by digit, each digit in its own piece, so markup between
//! digits stays where it is; when the replacement has another digit count, extra digits go
//! after the last displayed digit of a group (or of the number), missing ones are dropped from
//! the end. The replacement must not itself be a target: then a plan over its own output is
//! empty (swapping is idempotent).
//!
//! # Example
//! ```
//! use ringtrail::phone::{Finder, PhoneNumber, Region};
//! use ringtrail::swap::plan;
//! let target = PhoneNumber::parse("03-1234-5678", Region::JP).unwrap();
//! let finder = Finder::new(&[target], Region::JP);
//! let tracking = PhoneNumber::parse("050-1111-2222", Region::JP).unwrap();
//! let p = plan(&["(03)", " 1234-5678"], &finder, &[Some(("050-1111-2222", &tracking))]);
//! assert_eq!(p.edits.len(), 2);
//! assert_eq!(p.edits[0].text, "(050)");
//! assert_eq!(p.edits[1].text, " 1111-2222");
//! assert_eq!(p.swaps[0].after, "(050) 1111-2222");
//! ```

use crate::phone::{render_known, sub, Finder, PhoneNumber, Shape};
use crate::prelude::*;

/// New text for one piece.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// Index of the piece (text node) in the run.
    pub piece: usize,
    /// Its whole new text.
    pub text: String,
}

/// One number swapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Swap {
    /// Index of the target that was displayed.
    pub target: usize,
    /// The number as displayed before (with its extension, if one was displayed).
    pub before: String,
    /// The number as displayed after.
    pub after: String,
}

/// What to change in one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Pieces to rewrite, in piece order, at most one edit per piece.
    pub edits: Vec<Edit>,
    /// Numbers swapped, in text order.
    pub swaps: Vec<Swap>,
}

impl Plan {
    /// Nothing to change.
    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }
}

/// Plans the swaps in one inline run of text pieces.
pub fn plan(
    pieces: &[&str],
    finder: &Finder,
    replacements: &[Option<(&str, &PhoneNumber)>],
) -> Plan {
    let mut out = Plan::default();
    // The joined text and where each piece starts.
    let mut starts = Vec::with_capacity(pieces.len());
    let mut owned = String::new();
    for p in pieces {
        starts.push(owned.len());
        owned.push_str(p);
    }
    let joined: &str = &owned;
    // Where pieces meet is an element boundary: the finder may end or start a number there.
    let found = finder.find_in_run(joined, &starts);

    let mut ed = Editor {
        joined,
        starts: &starts,
        edits: Vec::new(),
        piece: None,
        at: 0,
        after: String::new(),
        after_at: 0,
    };
    for f in found {
        let Some((written, repl)) = replacements.get(f.target).copied().flatten() else {
            continue;
        };
        let shown = sub(joined, f.start, f.end);
        let cc = finder.targets()[f.target].country_code;
        let rendered = render_known(shown, Some(cc), written, repl);
        if rendered == shown {
            continue;
        }
        ed.after = String::with_capacity(rendered.len());
        ed.after_at = f.start;
        let split = Split {
            shown,
            base: f.start,
            rendered: &rendered,
        };
        if piece_of(&starts, f.start) == piece_of(&starts, f.end - 1) {
            split.replace(0, shown.len(), 0, rendered.len(), &mut ed);
        } else {
            split.chunks(&mut ed);
        }
        let mut after = core::mem::take(&mut ed.after);
        after.push_str(sub(joined, ed.after_at, f.end));
        out.swaps.push(Swap {
            target: f.target,
            before: String::from(shown),
            after,
        });
    }
    ed.finish();
    out.edits = ed.edits;
    out
}

/// Plans the swaps in one attribute value: its new value and the swaps, or `None` when it
/// stays as it is.
pub fn plan_attr(
    value: &str,
    finder: &Finder,
    replacements: &[Option<(&str, &PhoneNumber)>],
) -> Option<(String, Vec<Swap>)> {
    let mut p = plan(&[value], finder, replacements);
    let e = p.edits.pop()?;
    Some((e.text, p.swaps))
}

/// The piece holding byte `b` of the run: the last piece starting at or before it (empty
/// pieces lose).
fn piece_of(starts: &[usize], b: usize) -> usize {
    starts.partition_point(|&s| s <= b) - 1
}

/// A number `shown` (at byte `base` of the run) to be replaced by `rendered`.
struct Split<'a> {
    shown: &'a str,
    base: usize,
    rendered: &'a str,
}

impl Split<'_> {
    /// Replaces bytes `s..e` of `shown` by bytes `rs..re` of `rendered`, unless they are the
    /// same text. One routine for every change, so its code exists once.
    #[inline(never)]
    fn replace(&self, s: usize, e: usize, rs: usize, re: usize, ed: &mut Editor) {
        let text = sub(self.rendered, rs, re);
        if sub(self.shown, s, e) != text {
            ed.replace(self.base + s, self.base + e, text);
        }
    }

    /// Replacements for a number split over pieces, one displayed digit chunk at a time: displayed
    /// digits `k..k2` become rendered digits `r..r2`, separators between chunks stay.
    ///
    /// With as many digit groups as displayed, chunks are single digits, group by group (the
    /// same grouping is a pure digit substitution): extra rendered digits of a group go with
    /// its last displayed digit, displayed digits beyond the rendered group are dropped.
    ///
    /// With another group count, a chunk is a piece's digits: each piece keeps as many digits
    /// as it displayed (the last piece takes the rest), written with the replacement's own
    /// separators; a piece boundary between two displayed groups moves to the nearest group
    /// boundary of the replacement (`020 |7946 0018` → `07700 |900456`).
    fn chunks(&self, ed: &mut Editor) {
        let a = Shape::of(self.shown);
        let b = Shape::of(self.rendered);
        let same = a.group_count() == b.group_count();
        let (n, m) = (a.digits.len(), b.digits.len());
        let (mut k, mut r) = (0, 0);
        // Same grouping: the first rendered digit of digit `k`'s group, and `k`'s index in its
        // displayed group.
        let (mut ib, mut j) = (0, 0);
        while k < n {
            let (k2, r2);
            if same {
                k2 = k + 1;
                // The end of the rendered group (groups are found by their boundaries, as
                // everywhere: no lists of group sizes).
                let mut ie = ib + 1;
                while !b.boundary(ie) {
                    ie += 1;
                }
                if a.boundary(k2) {
                    r2 = ie;
                    ib = ie;
                    j = 0;
                } else {
                    j += 1;
                    r2 = (ib + j).min(ie);
                }
            } else {
                let piece = piece_of(ed.starts, self.base + a.digits[k].0);
                let mut e = k + 1;
                while e < n && piece_of(ed.starts, self.base + a.digits[e].0) == piece {
                    e += 1;
                }
                k2 = e;
                r2 = if k2 == n {
                    m
                } else if a.boundary(k2) {
                    // Between groups: the nearest group boundary of the replacement, if any.
                    let mut best: Option<usize> = None;
                    for at in 1..m {
                        if b.boundary(at)
                            && at >= r
                            && best.is_none_or(|y| at.abs_diff(k2) < y.abs_diff(k2))
                        {
                            best = Some(at);
                        }
                    }
                    best.unwrap_or(k2.max(r).min(m))
                } else {
                    k2.max(r).min(m)
                };
            }
            let (rs, re) = if r2 > r {
                (b.digits[r].0, b.digits[r2 - 1].1)
            } else {
                (0, 0)
            };
            self.replace(a.digits[k].0, a.digits[k2 - 1].1, rs, re, ed);
            r = r2;
            k = k2;
        }
    }
}

/// Writes the plan's edits and a swap's `after` while replacements arrive in text order
/// (matches left to right, digits left to right), hence in piece order: each piece's new text
/// is built once, with no list of changes to sort or replay.
struct Editor<'a> {
    joined: &'a str,
    /// Where each piece starts in `joined`.
    starts: &'a [usize],
    edits: Vec<Edit>,
    /// The piece being rewritten, its new text so far, and the byte of `joined` it is copied up
    /// to.
    piece: Option<(usize, String)>,
    at: usize,
    /// The current number as it will be displayed, and the byte of `joined` it is copied up to.
    after: String,
    after_at: usize,
}

impl Editor<'_> {
    /// Replaces bytes `start..end` of the run (inside one piece) by `text`.
    fn replace(&mut self, start: usize, end: usize, text: &str) {
        debug_assert!(start >= self.at && start >= self.after_at);
        // `end - 1` is inside the last replaced character (`start < end` always).
        let piece = piece_of(self.starts, end - 1);
        if self.piece.as_ref().is_none_or(|(p, _)| *p != piece) {
            self.finish();
            self.at = self.starts[piece];
            self.piece = Some((piece, String::new()));
        }
        if let Some((_, t)) = &mut self.piece {
            t.push_str(sub(self.joined, self.at, start));
            t.push_str(text);
        }
        self.at = end;
        self.after.push_str(sub(self.joined, self.after_at, start));
        self.after.push_str(text);
        self.after_at = end;
    }

    /// Ends the piece being rewritten: the rest of its text, and its edit.
    fn finish(&mut self) {
        if let Some((piece, mut text)) = self.piece.take() {
            // Pieces are contiguous: this one ends where the next starts.
            let end = self
                .starts
                .get(piece + 1)
                .copied()
                .unwrap_or(self.joined.len());
            text.push_str(sub(self.joined, self.at, end));
            self.edits.push(Edit { piece, text });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone::Region;

    fn p(written: &str, region: Region) -> PhoneNumber {
        PhoneNumber::parse(written, region).unwrap()
    }

    struct Site {
        finder: Finder,
        repl: Vec<(String, PhoneNumber)>,
    }

    impl Site {
        /// Targets 03-1234-5678, 0120-123-456, (415) 555-0100, 020 7946 0018, each mapped to
        /// the replacement written at the same index.
        fn new(replacements: [&str; 4]) -> Site {
            let targets = [
                p("03-1234-5678", Region::JP),
                p("0120-123-456", Region::JP),
                p("(415) 555-0100", Region::US),
                p("020 7946 0018", Region::GB),
            ];
            let regions = [Region::JP, Region::JP, Region::US, Region::GB];
            Site {
                finder: Finder::new(&targets, Region::JP),
                repl: replacements
                    .iter()
                    .zip(regions)
                    .map(|(w, r)| (String::from(*w), p(w, r)))
                    .collect(),
            }
        }

        fn lookup(&self) -> Vec<Option<(&str, &PhoneNumber)>> {
            self.repl
                .iter()
                .map(|(w, n)| Some((w.as_str(), n)))
                .collect()
        }

        fn plan(&self, pieces: &[&str]) -> Plan {
            plan(pieces, &self.finder, &self.lookup())
        }

        /// The pieces after applying the plan.
        fn run(&self, pieces: &[&str]) -> Vec<String> {
            let plan = self.plan(pieces);
            let mut out: Vec<String> = pieces.iter().map(|s| String::from(*s)).collect();
            for e in plan.edits {
                out[e.piece] = e.text;
            }
            out
        }
    }

    fn site() -> Site {
        Site::new([
            "03-9999-0001",
            "0120-999-001",
            "650-555-0199",
            "0161 496 0000",
        ])
    }

    #[test]
    fn runs_table() {
        let s = site();
        // (pieces in, pieces out)
        let cases: &[(&[&str], &[&str])] = &[
            // One piece: rendered whole.
            (&["Call 03-1234-5678 now"], &["Call 03-9999-0001 now"]),
            (&["電話：03-1234-5678まで"], &["電話：03-9999-0001まで"]),
            (&["(03)1234-5678"], &["(03)9999-0001"]),
            (&["03(1234)5678"], &["03(9999)0001"]),
            (&["TEL 0120-123-456"], &["TEL 0120-999-001"]),
            (&["+1 (415) 555-0100 x12"], &["+1 (650) 555-0199 x12"]),
            (&["０３－１２３４－５６７８"], &["０３－９９９９－０００１"]),
            (
                &["03-1234-5678 or 0120-123-456"],
                &["03-9999-0001 or 0120-999-001"],
            ),
            // Split across inline elements: digit by digit, markup stays.
            (&["(03)", " 1234-5678"], &["(03)", " 9999-0001"]),
            (&["03", "-1234-5678"], &["03", "-9999-0001"]),
            (
                &["0", "3", "-", "1", "2", "3", "4", "-5678"],
                &["0", "3", "-", "9", "9", "9", "9", "-0001"],
            ),
            (&["03-", "1234", "-5678"], &["03-", "9999", "-0001"]),
            (
                &["電話", "03-1234-", "5678", "まで"],
                &["電話", "03-9999-", "0001", "まで"],
            ),
            (&["03-", "", "1234-5678"], &["03-", "", "9999-0001"]),
            (&["+81 ", "3-1234-5678"], &["+81 ", "3-9999-0001"]),
            (
                &["０３－", "１２３４－５６７８"],
                &["０３－", "９９９９－０００１"],
            ),
            (&["03-12", "34-5678"], &["03-99", "99-0001"]),
            (&["(415) ", "555-0100"], &["(650) ", "555-0199"]),
            (&["020 ", "7946 0018"], &["0161 ", "496 0000"]),
            // Pieces meeting: the boundary separates a number from the next element's text.
            (
                &["(03)", " 1234-5678", "Free dial"],
                &["(03)", " 9999-0001", "Free dial"],
            ),
            (
                &["03-1234-5678", "0120-123-456"],
                &["03-9999-0001", "0120-999-001"],
            ),
            (
                &["03-1234-", "5678", "0120-123-456"],
                &["03-9999-", "0001", "0120-999-001"],
            ),
            (&["415-555-0100", "Call"], &["650-555-0199", "Call"]),
            // Labels a number may touch.
            (&["TEL03-1234-5678"], &["TEL03-9999-0001"]),
            (&["Tel.", "0120-123-456"], &["Tel.", "0120-999-001"]),
            (&["☎03-1234-5678"], &["☎03-9999-0001"]),
            // Not targets: untouched.
            (&["ID", "0312345678"], &["ID", "0312345678"]),
            (&["03-1234-5678", "9"], &["03-1234-5678", "9"]),
            (&["order 1203", "123456789"], &["order 1203", "123456789"]),
            (&["¥3,123,", "456,78"], &["¥3,123,", "456,78"]),
            (&["", ""], &["", ""]),
            (&[], &[]),
        ];
        let mut bad = Vec::new();
        for (pieces, want) in cases {
            let got = s.run(pieces);
            if got != *want {
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
    fn split_with_another_digit_count() {
        let s = Site::new([
            "0120-999-001",
            "03-9999-0001",
            "650-555-0199",
            "07700 900456",
        ]);
        let cases: &[(&[&str], &[&str])] = &[
            // Same number of groups: group by group, extra digits after a group's last digit.
            (&["(03)", " 1234-5678"], &["(0120)", " 999-001"]),
            (&["0120-", "123-456"], &["03-", "9999-0001"]),
            (&["0120", "-123-456"], &["03", "-9999-0001"]),
            (&["03-12", "34-5678"], &["0120-99", "9-001"]),
            // Another group count: pieces keep their share, boundaries move to group ends.
            (&["020 ", "7946 0018"], &["07700 ", "900456"]),
            (&["(", "020", ") 7946 0018"], &["(", "07700", ") 900456"]),
            (&["020 7946", " 0018"], &["07700", " 900456"]),
            (&["02", "0 7946 0018"], &["07", "700 900456"]),
        ];
        let mut bad = Vec::new();
        for (pieces, want) in cases {
            let got = s.run(pieces);
            if got != *want {
                bad.push((*pieces, got, *want));
            }
        }
        assert!(bad.is_empty(), "{bad:#?}");
    }

    #[test]
    fn swaps_report_before_and_after() {
        let s = site();
        let plan = s.plan(&["Tokyo (03)", " 1234-5678, free ", "0120-123-456 内線12"]);
        assert_eq!(
            plan.swaps,
            vec![
                Swap {
                    target: 0,
                    before: "(03) 1234-5678".into(),
                    after: "(03) 9999-0001".into(),
                },
                Swap {
                    target: 1,
                    before: "0120-123-456 内線12".into(),
                    after: "0120-999-001 内線12".into(),
                },
            ]
        );
        assert_eq!(
            plan.edits,
            vec![
                Edit {
                    piece: 1,
                    text: " 9999-0001, free ".into()
                },
                Edit {
                    piece: 2,
                    text: "0120-999-001 内線12".into()
                },
            ]
        );
    }

    #[test]
    fn idempotent() {
        let s = site();
        let runs: &[&[&str]] = &[
            &["Call 03-1234-5678 now"],
            &["(03)", " 1234-5678"],
            &["03-", "1234", "-5678"],
            &["+81 3-1234-5678 / ", "0120-123-456"],
            &["＋８１ ３－１２３４－５６７８"],
            &["+44 (0)20 ", "7946 0018"],
            &["1-415-555-0100 ext. 5"],
            &["(03) 1234-5678", "Free dial"],
            &["03-1234-5678", "0120-123-456"],
            &["0120-123-", "456", "03-1234-5678"],
            &["TEL03-1234-5678"],
        ];
        for pieces in runs {
            let once = s.run(pieces);
            assert_ne!(once.iter().map(String::as_str).collect::<Vec<_>>(), *pieces);
            let refs: Vec<&str> = once.iter().map(String::as_str).collect();
            let again = s.plan(&refs);
            assert!(again.is_empty(), "{pieces:?} → {once:?} → {again:?}");
        }
    }

    #[test]
    fn unmapped_or_same_number_is_left_alone() {
        let s = site();
        let mut lookup = s.lookup();
        lookup[0] = None;
        let p = plan(&["03-1234-5678 / 0120-123-456"], &s.finder, &lookup);
        assert_eq!(p.swaps.len(), 1);
        assert_eq!(p.edits[0].text, "03-1234-5678 / 0120-999-001");
        // A replacement equal to the target: nothing to do.
        let same = p_same();
        let q = plan(&["03-1234-5678"], &s.finder, &[Some(("0312345678", &same))]);
        assert!(q.is_empty() && q.swaps.is_empty());
        // A lookup shorter than the targets.
        assert!(plan(&["0120-123-456"], &s.finder, &[]).is_empty());
    }

    fn p_same() -> PhoneNumber {
        p("03-1234-5678", Region::JP)
    }

    #[test]
    fn attributes() {
        let s = site();
        let lookup = s.lookup();
        let (value, swaps) = plan_attr("Call 03-1234-5678", &s.finder, &lookup).unwrap();
        assert_eq!(value, "Call 03-9999-0001");
        assert_eq!(swaps.len(), 1);
        assert_eq!(plan_attr("Call us", &s.finder, &lookup), None);
        assert_eq!(plan_attr("Call 03-9999-0001", &s.finder, &lookup), None);
    }

    /// Random runs over an alphabet rich in number parts: plans never panic, edits name real
    /// pieces once each, and a plan over its own output is empty.
    #[test]
    fn fuzz_runs() {
        const PARTS: [&str; 39] = [
            "03-1234-5678",
            "(415) 555-0100",
            "0120-123-456",
            "020 7946 0018",
            "+81 3-1234-",
            "０３－１２３４－５６７８",
            "0",
            "3",
            "1234",
            "5678",
            "0120",
            "123",
            "456",
            "415",
            "555",
            "0100",
            "020",
            "7946",
            "0018",
            "+81",
            "+44 ",
            "+1 ",
            "(",
            ")",
            "-",
            " ",
            ".",
            "x12",
            " 内線5",
            "０３",
            "－",
            "１２３４",
            "ー",
            "ab",
            "電話",
            "¥",
            "TEL",
            "Free",
            "円",
        ];
        let sites = [
            site(),
            // Other digit counts and groupings, another country.
            Site::new([
                "0120-999-001",
                "050-1111-2222",
                "+81 3-9999-0001",
                "07700 900456",
            ]),
        ];
        // FUZZ_SEED / FUZZ_ROUNDS explore further without changing the default run.
        let env = |k: &str, d: u64| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(d)
        };
        let mut seed: u64 = env("FUZZ_SEED", 0x9e37_79b9_7f4a_7c15) | 1;
        let rounds = env("FUZZ_ROUNDS", 40_000) as usize;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut swapped = 0;
        for round in 0..rounds {
            let s = &sites[round % 2];
            let n_pieces = 1 + (next() % 4) as usize;
            let mut pieces: Vec<String> = Vec::new();
            for _ in 0..n_pieces {
                let mut piece = String::new();
                for _ in 0..(next() % 5) {
                    piece.push_str(PARTS[(next() % PARTS.len() as u64) as usize]);
                }
                pieces.push(piece);
            }
            let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
            let plan = s.plan(&refs);
            let mut seen = Vec::new();
            for e in &plan.edits {
                assert!(e.piece < refs.len() && !seen.contains(&e.piece), "{refs:?}");
                seen.push(e.piece);
            }
            for w in &plan.swaps {
                assert_ne!(w.before, w.after, "{refs:?}");
            }
            swapped += plan.swaps.len();
            let after = s.run(&refs);
            let refs2: Vec<&str> = after.iter().map(String::as_str).collect();
            let again = s.plan(&refs2);
            assert!(again.is_empty(), "{refs:?} → {after:?} → {again:?}");
            // The other entry points never panic either.
            let joined = refs.concat();
            let _ = crate::phone::tel_href(&joined, &s.finder, &s.lookup());
            let _ = PhoneNumber::parse(&joined, Region::JP);
            let _ = crate::phone::render(&joined, "03-9999-0001", &s.repl[0].1);
        }
        assert!(
            swapped > 100,
            "the alphabet should produce matches: {swapped}"
        );
    }
}
