//! The pull-request Markdown of `compel diff` and `compel eval` is safe for
//! untrusted policy text: rendered by a real CommonMark + GFM renderer
//! (pulldown-cmark), hostile strings (HTML, `@mentions`, backticks, pipes)
//! never become an HTML element, a live mention, a broken code span or a
//! broken table. The comment stays under GitHub's 65,536 characters on a
//! change of 1,000 initiatives.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use compel::analysis::{analyze, Analysis, MemoryLoader};
use compel::diff::{self, Side};
use compel::eval::metrics::MetricStore;
use compel::eval::{evaluate, render, EvalOptions, Ready};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

const HOSTILE_BECAUSE: &str = "<img src=x onerror=alert(1)> @octocat please review | a ``` b ` c";
const HOSTILE_TEXT: &str = "a`|`b @admin <b>x</b>";

fn source(because: &str, owner: &str, bound: &str, stage: &str) -> String {
    format!(
        r#"
person lee {{ name "Lee" role CEO }}
kpi acc {{ metric "acc" unit percent target {bound} }}
initiative i {{
  title "<img src=x onerror=alert(1)>"
  owner "{owner}"
  stage {stage}
  kpis [acc]
  gate model -> produce {{
    require acc
      because "{because}"
    require owner == "{owner}"
      because "{because}"
  }}
}}
policy named for initiative {{
  require title != "" because "{because}"
}}
"#
    )
}

fn analysis(text: &str) -> Analysis {
    let mut files = MemoryLoader::default();
    files.insert("p.compel", text);
    let a = analyze(&["p.compel".to_string()], &files);
    let errors: Vec<String> =
        a.user_diagnostics().filter(|d| d.is_compile_error()).map(|d| d.message.clone()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    a
}

/// What a Markdown document renders to, as a renderer sees it.
struct Rendered {
    html: Vec<String>,
    /// Every text and code span, in order, joined.
    flat: String,
    /// Text outside code spans.
    texts: Vec<String>,
    codes: Vec<String>,
    /// Each table cell's text (text and code).
    cells: Vec<String>,
    /// (header cells, cells of each body row) per table.
    tables: Vec<(usize, Vec<usize>)>,
}

fn render(md: &str) -> Rendered {
    let mut r =
        Rendered { html: vec![], flat: String::new(), texts: vec![], codes: vec![], cells: vec![], tables: vec![] };
    let mut cell: Option<String> = None;
    let mut row = 0usize;
    let mut in_head = false;
    for event in Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Html(h) | Event::InlineHtml(h) => r.html.push(h.to_string()),
            Event::Text(t) => {
                r.flat.push_str(&t);
                r.texts.push(t.to_string());
                if let Some(c) = cell.as_mut() {
                    c.push_str(&t);
                }
            }
            Event::Code(t) => {
                r.flat.push_str(&t);
                r.codes.push(t.to_string());
                if let Some(c) = cell.as_mut() {
                    c.push_str(&t);
                }
            }
            Event::Start(Tag::Table(_)) => r.tables.push((0, vec![])),
            Event::Start(Tag::TableHead) => {
                in_head = true;
                row = 0;
            }
            Event::End(TagEnd::TableHead) => {
                in_head = false;
                r.tables.last_mut().unwrap().0 = row;
            }
            Event::Start(Tag::TableRow) => row = 0,
            Event::End(TagEnd::TableRow) => r.tables.last_mut().unwrap().1.push(row),
            Event::Start(Tag::TableCell) => {
                row += 1;
                cell = Some(String::new());
            }
            Event::End(TagEnd::TableCell) => r.cells.extend(cell.take()),
            _ => {}
        }
    }
    let _ = in_head;
    r
}

/// No HTML but compel's own folding, no live mention, hostile text whole.
fn assert_safe(md: &str) -> Rendered {
    let r = render(md);
    for h in &r.html {
        let t = h.trim();
        let ours = t == "<details>" || t == "</details>" || (t.starts_with("<summary>") && t.ends_with("</summary>"));
        assert!(ours, "raw HTML {h:?} in:\n{md}");
        assert!(!t.contains("<img") && !t.contains("<b>"), "{h:?}");
    }
    for t in &r.texts {
        let chars: Vec<char> = t.chars().collect();
        for w in chars.windows(2) {
            assert!(!(w[0] == '@' && w[1].is_ascii_alphanumeric()), "live mention in {t:?}:\n{md}");
        }
    }
    for (header, rows) in &r.tables {
        assert!(rows.iter().all(|n| n == header), "a row with the wrong number of cells: {header} {rows:?}\n{md}");
    }
    r
}

#[test]
fn hostile_strings_stay_text_in_the_diff_comment() {
    let base = analysis(&source("ok", "team", ">= 92%", "model"));
    // The change's criterion on `owner` carries the hostile text.
    let change = analysis(&source(HOSTILE_BECAUSE, HOSTILE_TEXT, ">= 90%", "produce"));
    let mut d = diff::compare(&Side { analysis: &base, root: "" }, &Side { analysis: &change, root: "" });
    let store = MetricStore::new();
    let now = 1_795_478_400 * 1_000_000_000;
    diff::judge::judge(
        &mut d,
        &Side { analysis: &base, root: "" },
        &Side { analysis: &change, root: "" },
        &store,
        &EvalOptions::at(now),
    );
    assert!(d.blocks(false), "no metrics: the gate is unknown, which blocks");
    let md = diff::render::markdown(&d, true);
    let r = assert_safe(&md);
    // The hostile because shows whole, in one cell or item, as text.
    let shown = HOSTILE_BECAUSE.replace('@', "@\u{2060}");
    assert!(r.flat.contains(&shown), "{md}");
    // The criterion with backticks and a pipe is one code span, whole.
    let criterion = format!("require owner == \"{HOSTILE_TEXT}\"");
    assert!(r.codes.iter().any(|c| c.contains(&criterion)), "{:?}\n{md}", r.codes);
    assert!(!md.contains("<img"), "{md}");
}

#[test]
fn hostile_strings_stay_text_in_the_eval_comment() {
    let a = analysis(&source(HOSTILE_BECAUSE, HOSTILE_TEXT, ">= 90%", "model"));
    let mut report = evaluate(&a.model, &a.files, &MetricStore::new(), &EvalOptions::at(1_795_478_400 * 1_000_000_000));
    report.ask(&Ready::All);
    let md = render::markdown(&report);
    let r = assert_safe(&md);
    assert!(!md.contains("<img"), "{md}");
    let shown = HOSTILE_BECAUSE.replace('@', "@\u{2060}");
    assert!(r.cells.iter().any(|c| c.contains(&shown)), "eval's Markdown gives the because texts:\n{md}");
    let criterion = format!("require owner == \"{HOSTILE_TEXT}\"");
    assert!(r.codes.iter().any(|c| c == &criterion), "{:?}", r.codes);
}

#[test]
fn the_comment_stays_under_githubs_limit_on_a_thousand_initiatives() {
    let program = |stage: &str, bound: &str| {
        let mut s = String::from("kpi acc { metric \"acc\" unit percent target >= 90% }\n");
        for i in 0..1000 {
            s.push_str(&format!(
                "initiative initiative_with_a_long_name_{i} {{\n  owner \"t\"\n  stage {stage}\n  kpis [acc]\n  gate model -> produce {{\n    require acc because \"{HOSTILE_BECAUSE}\"\n    require count(kpis) >= {bound}\n  }}\n}}\n"
            ));
        }
        s
    };
    let base = analysis(&program("model", "1"));
    let change = analysis(&program("evaluate", "0"));
    let d = diff::compare(&Side { analysis: &base, root: "" }, &Side { analysis: &change, root: "" });
    assert_eq!(d.changes.iter().filter(|c| c.blocks).count(), 1000, "1000 jumps");
    let md = diff::render::markdown(&d, true);
    let n = md.chars().count();
    assert!(n < diff::render::GITHUB_COMMENT_LIMIT, "{n} characters");
    assert!(md.contains("not shown: a comment holds at most 65536 characters"), "{}", &md[md.len() - 400..]);
    let r = assert_safe(&md);
    let open = r.html.iter().filter(|h| h.trim() == "<details>").count();
    let close = r.html.iter().filter(|h| h.trim() == "</details>").count();
    assert_eq!(open, close);
}
