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

use crate::phone::{render_known, Finder, PhoneNumber, Shape};

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

/// A change at a byte range of the joined run, made in one piece.
struct Op {
    piece: usize,
    start: usize,
    end: usize,
    text: String,
}

/// Plans the swaps in one inline run of text pieces.
pub fn plan(
    pieces: &[&str],
    finder: &Finder,
    replacements: &[Option<(&str, &PhoneNumber)>],
) -> Plan {
    let mut out = Plan::default();
    if !pieces.iter().any(|p| !p.is_empty()) {
        return out;
    }
    let joined: std::borrow::Cow<str> = if pieces.len() == 1 {
        pieces[0].into()
    } else {
        pieces.concat().into()
    };
    let found = finder.find(&joined);
    if found.is_empty() {
        return out;
    }
    let mut starts = Vec::with_capacity(pieces.len());
    let mut at = 0;
    for p in pieces {
        starts.push(at);
        at += p.len();
    }
    // The piece holding byte `b` (the last piece starting at or before it: empty pieces lose).
    let piece_of = |b: usize| starts.partition_point(|&s| s <= b) - 1;

    let mut ops: Vec<Op> = Vec::new();
    for f in found {
        let Some((written, repl)) = replacements.get(f.target).copied().flatten() else {
            continue;
        };
        let shown = &joined[f.start..f.end];
        let cc = finder.targets()[f.target].country_code;
        let rendered = render_known(shown, Some(cc), written, repl);
        if rendered == shown {
            continue;
        }
        let first = ops.len();
        let p0 = piece_of(f.start);
        if p0 == piece_of(f.end - 1) {
            ops.push(Op {
                piece: p0,
                start: f.start,
                end: f.end,
                text: rendered,
            });
        } else {
            split_ops(shown, f.start, &rendered, &piece_of, &mut ops);
        }
        out.swaps.push(Swap {
            target: f.target,
            before: String::from(shown),
            after: apply(shown, f.start, &ops[first..]),
        });
    }
    ops.sort_by_key(|o| (o.piece, o.start));
    let mut i = 0;
    while i < ops.len() {
        let piece = ops[i].piece;
        let end = starts[piece] + pieces[piece].len();
        let mut text = String::with_capacity(pieces[piece].len() + 8);
        let mut at = starts[piece];
        while i < ops.len() && ops[i].piece == piece {
            text.push_str(&joined[at..ops[i].start]);
            text.push_str(&ops[i].text);
            at = ops[i].end;
            i += 1;
        }
        text.push_str(&joined[at..end]);
        out.edits.push(Edit { piece, text });
    }
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

/// Digit-by-digit ops for a number `shown` (at byte `base` of the run) split over pieces.
fn split_ops(
    shown: &str,
    base: usize,
    rendered: &str,
    piece_of: &dyn Fn(usize) -> usize,
    ops: &mut Vec<Op>,
) {
    let a = Shape::of(shown);
    let b = Shape::of(rendered);
    let (ga, gb) = (a.groups(0), b.groups(0));
    // Same number of groups: group by group (the same grouping is a pure digit substitution).
    // Otherwise the whole number as one group.
    let groups = if ga.len() == gb.len() {
        (ga, gb)
    } else {
        (vec![a.digits.len()], vec![b.digits.len()])
    };
    let (mut ia, mut ib) = (0, 0);
    for (&na, &nb) in groups.0.iter().zip(&groups.1) {
        let slots = &a.digits[ia..ia + na];
        let digits = &b.digits[ib..ib + nb];
        let common = na.min(nb);
        for k in 0..common {
            let (s, e) = slots[k];
            let (rs, re) = digits[k];
            if shown[s..e] != rendered[rs..re] {
                ops.push(Op {
                    piece: piece_of(base + s),
                    start: base + s,
                    end: base + e,
                    text: String::from(&rendered[rs..re]),
                });
            }
        }
        if nb > na {
            let (s, e) = slots[na - 1];
            let extra: String = digits[na..]
                .iter()
                .map(|&(rs, re)| &rendered[rs..re])
                .collect();
            ops.push(Op {
                piece: piece_of(base + s),
                start: base + e,
                end: base + e,
                text: extra,
            });
        }
        for &(s, e) in &slots[common..] {
            ops.push(Op {
                piece: piece_of(base + s),
                start: base + s,
                end: base + e,
                text: String::new(),
            });
        }
        ia += na;
        ib += nb;
    }
}

/// `shown` (at byte `base` of the run) with `ops` applied.
fn apply(shown: &str, base: usize, ops: &[Op]) -> String {
    let mut sorted: Vec<&Op> = ops.iter().collect();
    sorted.sort_by_key(|o| (o.start, o.end));
    let mut out = String::with_capacity(shown.len() + 8);
    let mut at = 0;
    for o in sorted {
        out.push_str(&shown[at..o.start - base]);
        out.push_str(&o.text);
        at = o.end - base;
    }
    out.push_str(&shown[at..]);
    out
}
