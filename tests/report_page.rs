//! What the `compel report` page says, through the real binary: the
//! programs' runway and reviews in their three states (green, amber, red),
//! red reviews when the `executive_attention` obligation lapsed, KPI
//! sparklines with target and warn lines, the header's facts, and a footer
//! command that reproduces the page byte for byte.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/binary.rs"]
mod common;
use common::compel;

use std::path::{Path, PathBuf};

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/examples");
const NOW: &str = "2026-11-24T00:00:00Z";

fn tempdir(name: &str) -> PathBuf {
    common::tempdir("report-page", name)
}

/// A program per runway state; `late` also lapsed its reviews.
const PROGRAMS: &str = r#"import "std/policies"

person ceo {
  name "Ada Chief"
  role CEO
}

kpi k1 {
  metric "m1"
  target >= 5
  warn   < 6
}

program fine {
  title          "Fine program"
  sponsor        ceo
  budget         2_500_000 EUR
  approved_until 2027-11-24
  review_every   30d
  last_review    2026-11-10
  objectives     [k1]
}

program short {
  title          "Short program"
  sponsor        ceo
  budget         10 USD
  approved_until 2027-01-02
  review_every   30d
  last_review    2026-10-25
  objectives     [k1]
}

program late {
  title          "Late program"
  sponsor        ceo
  budget         10 USD
  approved_until 2026-11-20
  review_every   30d
  last_review    2026-08-01
  objectives     [k1]
}
"#;

const METRICS: &str = r#"{"series":[{"metric":"m1","samples":[
  ["2026-11-20T00:00:00Z",7],["2026-11-21T00:00:00Z",6.5],["2026-11-22T00:00:00Z",5.5],["2026-11-23T00:00:00Z",5.8]]}]}"#;

/// The `<article>` of the program titled `title`.
fn program<'a>(page: &'a str, title: &str) -> &'a str {
    let start = page.find(&format!("<article class=\"program\"><h3>{title}</h3>")).expect("the program is shown");
    let end = page[start..].find("</article>").unwrap();
    &page[start..start + end]
}

fn mark(class: &str, word: &str) -> String {
    format!("<span class=\"mark {class}\">{word}</span>")
}

#[test]
fn runway_and_reviews_in_each_state() {
    let dir = tempdir("programs");
    std::fs::write(dir.join("p.compel"), PROGRAMS).unwrap();
    std::fs::write(dir.join("m.json"), METRICS).unwrap();
    let o = compel(&dir, &["report", "p.compel", "--metrics", "m.json", "--now", NOW, "-o", "out.html"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let page = std::fs::read_to_string(dir.join("out.html")).unwrap();

    let fine = program(&page, "Fine program");
    assert!(fine.contains("<dd>Ada Chief (Chief Executive Officer)</dd>"), "{fine}");
    assert!(fine.contains("<dd>2,500,000 EUR</dd>"), "{fine}");
    assert!(fine.contains(&format!("2027-11-24 {}", mark("s-green", "365 days left"))), "{fine}");
    assert!(fine.contains("2026-11-10 <span class=\"muted\">14 days ago</span>"), "{fine}");
    assert!(fine.contains(&format!("2026-12-10 {}", mark("s-green", "due in 16 days"))), "{fine}");
    assert!(fine.contains(&format!("k1 {}", mark("s-amber", "at risk"))), "objective with its KPI status: {fine}");

    // Under 90 days: amber; the review due today.
    let short = program(&page, "Short program");
    assert!(short.contains(&format!("2027-01-02 {}", mark("s-amber", "39 days left"))), "{short}");
    assert!(short.contains(&format!("2026-11-24 {}", mark("s-amber", "due today"))), "{short}");

    // Past: red; `executive_attention` failed: both review rows red.
    let late = program(&page, "Late program");
    assert!(late.contains(&format!("2026-11-20 {}", mark("s-red", "approval lapsed 4 days ago"))), "{late}");
    assert!(late.contains(&format!("2026-08-01 {}", mark("s-red", "executive attention lapsed: 115 days ago"))));
    assert!(late.contains(&format!("2026-08-31 {}", mark("s-red", "overdue by 85 days"))), "{late}");
    assert!(late.contains(&format!("{} executive_attention", mark("s-red", "fail"))), "violated: {late}");
    let _ = std::fs::remove_dir_all(dir);
}

/// The `<article>` of the KPI `name`.
fn kpi<'a>(page: &'a str, name: &str) -> &'a str {
    let start = page.find(&format!("<article class=\"kpi\" id=\"kpi-{name}\">")).expect("the KPI is shown");
    let end = page[start..].find("</article>").unwrap();
    &page[start..start + end]
}

/// The y coordinate of the line of `class` in a KPI's sparkline.
fn line_y(kpi: &str, class: &str) -> f64 {
    let at = kpi.find(&format!("<line class=\"{class}\"")).unwrap_or_else(|| panic!("no {class} line in {kpi}"));
    let y1 = &kpi[at..][kpi[at..].find("y1=\"").unwrap() + 4..];
    y1[..y1.find('"').unwrap()].parse().unwrap()
}

#[test]
fn sparklines_draw_target_and_warn_lines() {
    let dir = tempdir("sparklines");
    std::fs::write(dir.join("p.compel"), PROGRAMS).unwrap();
    std::fs::write(dir.join("m.json"), METRICS).unwrap();
    let o = compel(&dir, &["report", "p.compel", "--metrics", "m.json", "--now", NOW, "-o", "out.html"]);
    assert_eq!(o.status.code(), Some(0));
    let page = std::fs::read_to_string(dir.join("out.html")).unwrap();
    let k1 = kpi(&page, "k1");
    assert!(k1.contains("target &gt;= 5, at risk when &lt; 6"), "{k1}");
    assert!(k1.contains("aria-label=\"trend of k1: 4 samples from 2026-11-20T00:00:00Z to 2026-11-23T00:00:00Z\""));
    // Higher values are drawn higher: the target (5) below the warn bound
    // (6), both inside the 40-unit-high box, the samples between them and 7.
    let (target, warn) = (line_y(k1, "target"), line_y(k1, "warn"));
    assert!(0.0 < warn && warn < target && target < 40.0, "target at {target}, warn at {warn}");
    assert!(page.contains("the target as a dashed line and the at-risk bound as a dotted one"));
    // The latest sample (5.8) is the dot, between the two lines.
    let cy = &k1[k1.find("<circle cx=").unwrap()..];
    let cy: f64 = cy[cy.find("cy=\"").unwrap() + 4..].split('"').next().unwrap().parse().unwrap();
    assert!(warn < cy && cy < target, "latest at {cy}");

    // acme: accuracy (at risk) has both lines, latency only its target.
    let acme = dir.join("acme.html");
    let o = compel(
        Path::new(EXAMPLES),
        &["report", "acme", "--metrics", "acme/metrics/latency-spike.json", "--now", NOW, "-o", acme.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0));
    let page = std::fs::read_to_string(&acme).unwrap();
    let accuracy = kpi(&page, "accuracy");
    assert!(line_y(accuracy, "warn") < line_y(accuracy, "target"));
    assert!(!kpi(&page, "latency_p95").contains("class=\"warn\""));
    line_y(kpi(&page, "latency_p95"), "target");
    let _ = std::fs::remove_dir_all(dir);
}

/// The footer's command, as the shell reads it: single-quoted words only.
fn shell_words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in command.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                any = false;
            }
            c => word.push(c),
        }
    }
    if any || !word.is_empty() {
        words.push(word);
    }
    words
}

fn unescape(html: &str) -> String {
    html.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

#[test]
fn header_facts_and_a_footer_that_reproduces_the_page() {
    let dir = tempdir("footer");
    std::fs::write(dir.join("p.compel"), PROGRAMS).unwrap();
    std::fs::write(dir.join("my metrics.json"), METRICS).unwrap();
    // No --now: the page is made at the clock's time, and the footer names it.
    let o = compel(&dir, &["report", "p.compel", "--metrics", "my metrics.json", "-o", "first.html"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let first = std::fs::read(dir.join("first.html")).unwrap();
    let page = String::from_utf8(first.clone()).unwrap();
    assert!(page.contains("<li>Policy: <b>p.compel</b></li>"));
    assert!(page.contains("<li>Metrics: <b>my metrics.json</b></li>"));
    assert!(page.contains(&format!("<li>compel <b>{}</b></li>", env!("CARGO_PKG_VERSION"))));
    let now = &page[page.find("<li>Evaluated at <b>").unwrap() + 20..];
    let now = &now[..now.find("</b>").unwrap()];
    assert!(now.len() == 20 && now.ends_with('Z'), "evaluation time `{now}`");

    let command = &page[page.find("<footer>").unwrap()..];
    let command = &command[command.find("<code>").unwrap() + 6..command.find("</code>").unwrap()];
    let words = shell_words(&unescape(command));
    assert_eq!(
        words,
        ["compel", "report", "p.compel", "--metrics", "my metrics.json", "--now", now, "-o", "first.html"],
        "footer `{command}`"
    );
    // Run the footer's command (into another file) a while later: the same bytes.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let mut args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
    let last = args.len() - 1;
    args[last] = "second.html";
    let o = compel(&dir, &args);
    assert_eq!(o.status.code(), Some(0));
    let second = std::fs::read_to_string(dir.join("second.html")).unwrap();
    assert_eq!(second.replace("-o second.html", "-o first.html").into_bytes(), first);
    let _ = std::fs::remove_dir_all(dir);
}

/// The bank example: a KPI family lists its members, worst first, each with
/// its labels and status; the details list each initiative's evidence with
/// its state at `now`.
#[test]
fn families_show_members_and_details_show_evidence() {
    let dir = tempdir("bank");
    let out = dir.join("bank.html");
    let o = compel(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &[
            "report",
            "examples/bank",
            "--metrics",
            "examples/bank/metrics/group-drifting.json",
            "--now",
            "2026-12-01T00:00:00Z",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let page = std::fs::read_to_string(&out).unwrap();
    let family = kpi(&page, "approval_auc_by_group");
    assert!(family.contains(&mark("s-red", "missed")), "{family}");
    assert!(
        family.contains(&format!(
            "<ul class=\"members\" aria-label=\"members of approval_auc_by_group\"><li><code>age_band=65+, sex=female</code> {}",
            mark("s-red", "missed")
        )),
        "the drifting group first: {family}"
    );
    assert!(family.matches("<li>").count() > 1, "{family}");
    assert!(page.contains("<h4>Evidence</h4>"));
    assert!(page.contains("human_review review_2026: current by ruth on 2026-06-01, expires 2026-12-20"), "{page}");
    let _ = std::fs::remove_dir_all(dir);
}
