//! The fast path against pest, both ways explicitly
//! ([`crate::syntax::check_fast_path`]): fixtures-like declarations,
//! and random token soup that hits the corners of the grammar (units,
//! dates, money, escapes, keywords used as names, operators, comments,
//! unclosed brackets).

use super::*;
use crate::syntax::{check_fast_path, parse};
use crate::text::FileId;
use proptest::prelude::*;

/// Both ways, on every piece: no disagreement.
fn agree(text: &str) -> Result<(), TestCaseError> {
    let check = check_fast_path(text, ParseLimits::default());
    prop_assert!(check.disagreements.is_empty(), "{}", check.disagreements.join("\n"));
    // And `parse` (fast path, pest, recovery) never panics.
    let _ = parse(FileId(0), text, ParseLimits::default());
    Ok(())
}

fn fast(src: &str) -> Option<Vec<Item>> {
    parse_piece(src, 0, &ParseLimits::default())
}

#[test]
fn the_common_case_takes_the_fast_path() {
    let src = "kpi acc {\n  metric \"m\" // the metric\n  labels { model \"m1\" }\n  target >= 92%\n  warn < 94%\n}\n";
    assert!(fast(src).is_some());
    let src = "initiative i {\n  kpis [a, b,]\n  gate model -> produce {\n    require a for 7d\n    require avg(b, 7d) < 0.1% because \"x\"\n    expect count(d in datasets: d.versioned) >= 1\n  }\n}\n";
    assert!(fast(src).is_some());
    assert!(fast("policy p for program where not x.y { require -a * b + 1_200 USD > 5 }").is_some());
    assert!(fast("builtin avg(kpi: kpi, window: duration) -> measure\n").is_some());
    assert!(fast("let d = [2026-11-24, 2026-11-24T00:00:00Z, today, now, true, (1)]").is_some());
}

#[test]
fn errors_and_tests_go_to_pest() {
    assert!(fast("kpi a {\n  target >=\n}\n").is_none());
    assert!(fast("kpi for { }").is_none());
    assert!(fast("let x = 2026-02-30").is_none());
    assert!(fast("let x = \"\\q\"").is_none());
    assert!(fast("test \"t\" { now 2026-11-24T00:00:00Z }").is_none());
    let short_lists = ParseLimits { max_list_len: 2, ..ParseLimits::default() };
    assert!(parse_piece("let x = [1, 2]", 0, &short_lists).is_some());
    assert!(parse_piece("let x = [1, 2, 3]", 0, &short_lists).is_none());
}

#[rustfmt::skip]
    const TOKENS: &[&str] = &[
        "kpi", "initiative", "gate", "policy", "let", "builtin", "import", "test", "for", "where", "require", "expect",
        "advise", "because", "and", "or", "not", "in", "true", "false", "today", "now", "x", "acc_1", "_y", "avg",
        "count", "all", "{", "}", "(", ")", "[", "]", ",", ":", ".", "->", "-", "+", "*", "/", "=", "==", "!=", "<",
        "<=", ">", ">=", "1", "92%", "0.5", "1_200", "250ms", "5m", "5min", "7d", "2w", "3h", "10s", "1.", "1.5.2",
        "2026-11-24", "2026-02-30", "2026-11-24T00:00:00Z", "2026-11-24T01:02:03.5+02:00", "2026-11-24Tx", "USD", "5 USD",
        "5\tEUR", "5 usd", "\"s\"", "\"a\\\"b\"", "\"a // b\"", "\"\\q\"", "\"open", "// c\n", "/// doc\n", "\n", " ",
        "\t", "\u{FEFF}", "\u{a0}", "\r\n", "é", "datasets", "versioned", "program.review_every", "\"\\\\\"",
    ];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec((0..TOKENS.len(), prop::sample::select(vec!["", " ", "\n", "  ", " // c\n"])), 0..40)
        .prop_map(|parts| parts.into_iter().map(|(i, ws)| format!("{}{ws}", TOKENS[i])).collect::<String>())
}

fn template() -> impl Strategy<Value = String> {
    (soup(), soup(), 0..6usize).prop_map(|(a, b, k)| match k {
        0 => format!("kpi k {{\n  target >= {a}\n  {b}\n}}\n"),
        1 => format!("initiative i {{\n  gate model -> produce {{\n    require {a}\n    expect {b}\n  }}\n}}\n"),
        2 => format!("policy p for program where {a} {{\n  advise {b} because \"r\"\n}}\n"),
        3 => format!("let c = {a} {b}\n"),
        4 => format!("kpi k {{ labels {{ {a} }} {b} }}"),
        _ => format!("{a}{b}"),
    })
}

/// Valid text from the grammar, with random spacing and comments, so
/// that most cases take the fast path (token soup mostly does not).
struct Gen(u64);

impl Gen {
    fn below(&mut self, n: usize) -> usize {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x % n.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }

    fn ws(&mut self) -> &'static str {
        self.pick(&[" ", " ", " ", "", "\n  ", "  ", " // note\n  ", "\t", "\r\n "])
    }

    fn primary(&mut self, depth: usize) -> String {
        let leaf = [
            "x",
            "acc_1",
            "datasets",
            "program",
            "1",
            "0",
            "92%",
            "0.08%",
            "250ms",
            "7d",
            "2w",
            "1_200",
            "3.25",
            "5 USD",
            "1_200_000\tEUR",
            "2026-11-24",
            "2026-11-24T00:00:00Z",
            "2026-11-24T01:02:03.25-05:30",
            "\"s\"",
            "\"a\\\"b // c\"",
            "\"\"",
            "true",
            "false",
            "today",
            "now",
            "todays",
            "nowhere",
            "notx",
            "in_x",
            "for_",
            "andy",
            "orx",
            "USD",
        ];
        if depth == 0 {
            return self.pick(&leaf).to_string();
        }
        match self.below(9) {
            0 => format!("({}{}{})", self.ws(), self.expr(depth - 1), self.ws()),
            1 => {
                let n = self.below(4);
                let items: Vec<String> = (0..n).map(|_| self.expr(depth - 1)).collect();
                let comma = self.pick(&["", ",", " ,"]);
                format!("[{}{}{comma}]", self.ws(), items.join(&format!(",{}", self.ws())))
            }
            2 => {
                let n = self.below(4);
                let args: Vec<String> = (0..n).map(|_| self.expr(depth - 1)).collect();
                let f = self.pick(&["avg", "count", "p95", "f", "last"]);
                let comma = if n > 0 { self.pick(&["", ","]) } else { "" };
                format!("{f}{}({}{comma})", self.pick(&["", " "]), args.join(", "))
            }
            3 => {
                let (q, v) = (self.pick(&["all", "any", "count"]), self.pick(&["d", "k", "x"]));
                format!("{q}({v} in {}{}:{}{})", self.expr(depth - 1), self.ws(), self.ws(), self.expr(depth - 1))
            }
            _ => self.pick(&leaf).to_string(),
        }
    }

    fn operand(&mut self, depth: usize) -> String {
        let mut s = self.primary(depth);
        for _ in 0..self.below(3).saturating_sub(1) {
            s = format!(
                "{s}{}.{}{}",
                self.pick(&["", " "]),
                self.pick(&["", " "]),
                self.pick(&["a", "review_every", "b1"])
            );
        }
        s
    }

    fn expr(&mut self, depth: usize) -> String {
        let mut s = String::new();
        for _ in 0..self.below(4).saturating_sub(2) {
            s.push_str(self.pick(&["not ", "-", "- ", "not("]));
            if s.ends_with('(') {
                s.push_str(&self.operand(depth));
                s.push(')');
                return s;
            }
        }
        s.push_str(&self.operand(depth));
        for _ in 0..self.below(4) {
            let op = self.pick(&["or", "and", "for", "==", "!=", "<", "<=", ">", ">=", "in", "+", "-", "*", "/"]);
            let ws = self.ws();
            s.push_str(&format!("{ws}{op}{}", self.ws()));
            if self.below(5) == 0 {
                s.push_str(self.pick(&["not ", "-"]));
            }
            s.push_str(&self.operand(depth));
        }
        s
    }

    fn criteria(&mut self) -> String {
        let mut s = String::from("{\n");
        for _ in 0..self.below(4) {
            let e = self.pick(&["require", "expect", "advise"]);
            let because = if self.below(3) == 0 { " because \"why\"" } else { "" };
            s.push_str(&format!("    {e} {}{because}\n", self.expr(2)));
        }
        s.push_str("  }");
        s
    }

    fn item(&mut self) -> String {
        match self.below(8) {
            0 => format!("let c{} = {}\n", self.below(9), self.expr(3)),
            1 => format!("gate model{}->{}produce {}\n", self.ws(), self.ws(), self.criteria()),
            2 => {
                let filter = if self.below(2) == 0 { format!(" where {}", self.expr(2)) } else { String::new() };
                format!("policy p for program{filter} {}\n", self.criteria())
            }
            3 => "builtin avg(kpi: kpi, window: duration,) -> [[measure]]\n".to_string(),
            4 => "import \"std/policies\"\n".to_string(),
            _ => {
                let mut s = format!("{} n{} {{\n", self.pick(&["kpi", "initiative", "gate", "x"]), self.below(9));
                for _ in 0..self.below(6) {
                    match self.below(6) {
                        0 => s.push_str(&format!("  labels {{ model \"m\"{}env \"p\" }}\n", self.ws())),
                        1 => {
                            s.push_str(&format!("  target {} {}\n", self.pick(&[">=", "<", "==", "!="]), self.expr(1)))
                        }
                        2 => s.push_str(&format!("  gate a -> b {}\n", self.criteria())),
                        3 => s.push_str("  dataset d {\n    versioned true\n  }\n"),
                        _ => {
                            s.push_str(&format!("  {} {}\n", self.pick(&["stage", "kpis", "owner", "a"]), self.expr(2)))
                        }
                    }
                }
                s.push_str("}\n");
                s
            }
        }
    }
}

/// A valid item, sometimes with one token dropped or doubled.
fn grammar_text(seed: u64) -> String {
    let mut g = Gen(seed | 1);
    let mut text: String = (0..1 + g.below(3)).map(|_| g.item()).collect();
    if g.below(4) == 0 && !text.is_empty() {
        let at = g.below(text.len());
        let at = (0..=at).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
        match g.below(3) {
            0 => text.insert_str(at, g.pick(&["(", ")", "-", "not ", ",", ".", "\"", "1", " USD", "T", "//"])),
            1 => {
                let end = (at + 1..=text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(text.len());
                text.replace_range(at..end, "");
            }
            _ => text.insert(at, '\n'),
        }
    }
    text
}

#[test]
fn most_generated_text_takes_the_fast_path() {
    let mut fast_items = 0;
    for seed in 0..400u64 {
        let text = grammar_text(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        for piece in crate::syntax::split::split(&text).0 {
            if fast(&text[piece.span.range()]).is_some() {
                fast_items += 1;
            }
        }
    }
    assert!(fast_items > 300, "only {fast_items} pieces took the fast path");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Token soup: mostly errors, which the fast path must leave to pest.
    #[test]
    fn agrees_with_pest_on_token_soup(text in template()) {
        agree(&text)?;
    }

    /// Text generated from the grammar, most of which the fast path
    /// accepts.
    #[test]
    fn agrees_with_pest_on_generated_text(seed in any::<u64>()) {
        agree(&grammar_text(seed))?;
    }
}
