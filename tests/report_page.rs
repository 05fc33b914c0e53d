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

/// A status mark: `g` green, `a` amber, `u` unknown (grey), `r` red.
fn mark(class: &str, word: &str) -> String {
    format!("<b class=\"{class}\">{word}</b>")
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
    assert!(fine.contains(&format!("2027-11-24 {}", mark("g", "365 days left"))), "{fine}");
    assert!(fine.contains("2026-11-10 <span class=\"muted\">14 days ago</span>"), "{fine}");
    assert!(fine.contains(&format!("2026-12-10 {}", mark("g", "due in 16 days"))), "{fine}");
    assert!(fine.contains(&format!("k1 {}", mark("a", "at risk"))), "objective with its KPI status: {fine}");

    // Under 90 days: amber; the review due today.
    let short = program(&page, "Short program");
    assert!(short.contains(&format!("2027-01-02 {}", mark("a", "39 days left"))), "{short}");
    assert!(short.contains(&format!("2026-11-24 {}", mark("a", "due today"))), "{short}");

    // Past: red; `executive_attention` failed: both review rows red.
    let late = program(&page, "Late program");
    assert!(late.contains(&format!("2026-11-20 {}", mark("r", "approval lapsed 4 days ago"))), "{late}");
    assert!(late.contains(&format!("2026-08-01 {}", mark("r", "executive attention lapsed: 115 days ago"))));
    assert!(late.contains(&format!("2026-08-31 {}", mark("r", "overdue by 85 days"))), "{late}");
    assert!(late.contains(&format!("{} executive_attention", mark("r", "fail"))), "violated: {late}");
    let _ = std::fs::remove_dir_all(dir);
}

/// The KPI `name`: its card (`<article>`, a KPI not met) or its row in
/// the table of KPIs met (`<tr>`).
fn kpi<'a>(page: &'a str, name: &str) -> &'a str {
    let card = format!("<article class=\"kpi\" id=\"kpi-{name}\">");
    let row = format!("<tr id=\"kpi-{name}\">");
    let (start, close) = match (page.find(&card), page.find(&row)) {
        (Some(at), None) => (at, "</article>"),
        (None, Some(at)) => (at, "</tr>"),
        _ => panic!("the KPI {name} is not shown once"),
    };
    let end = page[start..].find(close).unwrap();
    &page[start..start + end]
}

/// The path `d` of `class` in a KPI's sparkline (the first path without a
/// class: the trend).
fn path_d<'a>(kpi: &'a str, class: Option<&str>) -> &'a str {
    let open = class.map_or_else(|| "<path d=\"".to_string(), |c| format!("<path class=\"{c}\" d=\""));
    let at = kpi.find(&open).unwrap_or_else(|| panic!("no `{open}` in {kpi}")) + open.len();
    &kpi[at..at + kpi[at..].find('"').unwrap()]
}

/// The y coordinate of the horizontal line of `class` (`t` target, `w`
/// warn) across a KPI's sparkline: `M0 Y H240`.
fn line_y(kpi: &str, class: &str) -> i64 {
    let d = path_d(kpi, Some(class));
    let y = d.strip_prefix("M0 ").and_then(|d| d.strip_suffix("H240")).unwrap_or_else(|| panic!("`{d}` is no line"));
    y.parse().unwrap()
}

/// The points of a path `M x y L x y x y ...`.
fn points(d: &str) -> Vec<(i64, i64)> {
    let numbers: Vec<i64> = d.replace(['M', 'L'], " ").split_whitespace().map(|n| n.parse().unwrap()).collect();
    numbers.chunks(2).map(|p| (p[0], p[1])).collect()
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
    let (target, warn) = (line_y(k1, "t"), line_y(k1, "w"));
    assert!(0 < warn && warn < target && target < 40, "target at {target}, warn at {warn}");
    assert!(page.contains("the target as a dashed line and the at-risk bound as a dotted one"));
    // One path through the 4 samples (7, 6.5, 5.5, 5.8 a day apart: the
    // times spread evenly across the box, 5 to 7 over the 4..36 band); the
    // latest sample (5.8) is the dot, between the two lines.
    assert_eq!(points(path_d(k1, None)), [(4, 4), (81, 12), (159, 28), (236, 23)]);
    assert_eq!(path_d(k1, Some("d")), "M236 23h0");
    assert!(warn < 23 && 23 < target);

    // acme: accuracy (at risk) has both lines, latency only its target.
    let acme = dir.join("acme.html");
    let o = compel(
        Path::new(EXAMPLES),
        &["report", "acme", "--metrics", "acme/metrics/latency-spike.json", "--now", NOW, "-o", acme.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0));
    let page = std::fs::read_to_string(&acme).unwrap();
    let accuracy = kpi(&page, "accuracy");
    assert!(line_y(accuracy, "w") < line_y(accuracy, "t"));
    assert!(!kpi(&page, "latency_p95").contains("class=\"w\""));
    line_y(kpi(&page, "latency_p95"), "t");
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
    assert!(family.contains(&mark("r", "missed")), "{family}");
    assert!(
        family.contains(&format!(
            "<ul class=\"members\" aria-label=\"members of approval_auc_by_group\"><li><code>age_band=65+, sex=female</code> {}",
            mark("r", "missed")
        )),
        "the drifting group first: {family}"
    );
    assert!(family.matches("<li>").count() > 1, "{family}");
    assert!(page.contains("<h4>Evidence</h4>"));
    assert!(page.contains("human_review review_2026: current by ruth on 2026-06-01, expires 2026-12-20"), "{page}");
    let _ = std::fs::remove_dir_all(dir);
}

/// One initiative whose gate passes with every criterion passing, one whose
/// gate fails; a KPI met (`k1`) and one missed (`k2`).
const CLEAN_AND_NOT: &str = r#"kpi k1 {
  metric "m1"
  target >= 5
}

kpi k2 {
  metric "m2"
  target <= 3
}

initiative good {
  owner "team@example.com"
  stage model
  kpis  [k1]
  gate model -> produce {
    require k1 because "the model must stay accurate"
    require k1 for 2d
  }
}

initiative bad {
  owner "team@example.com"
  stage model
  kpis  [k1, k2]
  gate model -> produce {
    require k1 because "the model must stay accurate"
    require k2 because "latency must stay low"
  }
}
"#;

/// The `<details>` whose summary starts with `title`.
fn details<'a>(page: &'a str, title: &str) -> &'a str {
    let start = page.find(&format!("<details><summary>{title} ")).expect("the initiative has details");
    let end = page[start..].find("</details>").unwrap();
    &page[start..start + end]
}

/// What passes cleanly is compact, what does not stays in full: a gate whose
/// criteria all pass is one line listing them (text and `because`), without
/// reasons or evidence; a failing gate shows every criterion, passing ones
/// included, with its outcome, reason and evidence. A KPI met is a table
/// row without the sentence that would repeat its value and target; a KPI
/// missed is a card with that sentence.
#[test]
fn compact_when_clean_in_full_otherwise() {
    let dir = tempdir("compact");
    std::fs::write(dir.join("p.compel"), CLEAN_AND_NOT).unwrap();
    std::fs::write(
        dir.join("m.json"),
        r#"{"series":[{"metric":"m1","samples":[["2026-11-22T00:00:00Z",6],["2026-11-23T00:00:00Z",7]]},
            {"metric":"m2","samples":[["2026-11-22T00:00:00Z",2],["2026-11-23T00:00:00Z",4]]}]}"#,
    )
    .unwrap();
    let o = compel(&dir, &["report", "p.compel", "--metrics", "m.json", "--now", NOW, "-o", "out.html"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let page = std::fs::read_to_string(dir.join("out.html")).unwrap();

    let good = details(&page, "good");
    assert!(
        good.contains(&format!(
            "<h4>Gate Model \u{2192} Produce {}: all 2 criteria pass</h4><ul class=\"pass\">\
             <li><code>require k1</code> the model must stay accurate</li><li><code>require k1 for 2d</code></li></ul>",
            mark("g", "pass")
        )),
        "{good}"
    );
    assert!(!good.contains("<table") && !good.contains("status of m1"), "{good}");

    let bad = details(&page, "bad");
    assert!(bad.contains("<p class=\"muted\">blocked: 1 blocking criterion failed: `require k2`</p><table"), "{bad}");
    for (criterion, outcome, because, reason, evidence) in [
        ("require k1", mark("g", "pass"), "the model must stay accurate", "`k1` is met: latest 7", "status of m1 = 7"),
        (
            "require k2",
            mark("r", "fail"),
            "latency must stay low",
            "`k2` misses its target: latest 4",
            "status of m2 = 4",
        ),
    ] {
        let row = format!(
            "<tr><td><code>{criterion}</code></td><td>{outcome}</td><td><div>{because}</div><div class=\"muted\">{reason}"
        );
        assert!(bad.contains(&row), "no `{row}` in {bad}");
        assert!(bad.contains(&format!("<div><code>{evidence} number; 1 sample</code></div>")), "{bad}");
    }

    let k1 = kpi(&page, "k1");
    assert!(
        k1.starts_with("<tr id=\"kpi-k1\"><td>k1</td><td><b class=\"g\">met</b></td><td>7</td><td>target &gt;= 5</td>")
    );
    assert!(!k1.contains("meets"), "{k1}");
    let k2 = kpi(&page, "k2");
    assert!(k2.starts_with("<article class=\"kpi\" id=\"kpi-k2\">"), "{k2}");
    assert!(k2.contains("latest 4 at 2026-11-23T00:00:00Z misses `&lt;= 3`"), "{k2}");
    let _ = std::fs::remove_dir_all(dir);
}

/// A KPI met whose target is computed (the bank's approval rate, against
/// its own average of the 30 days before) has no plain threshold to show:
/// its row gives the decision's sentence with the computed bound. A family
/// met says its value is per member and lists them.
#[test]
fn met_kpi_with_a_computed_target_keeps_its_sentence() {
    let dir = tempdir("computed");
    let out = dir.join("bank.html");
    let o = compel(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &[
            "report",
            "examples/bank",
            "--metrics",
            "examples/bank/metrics/healthy.json",
            "--now",
            "2026-12-01T00:00:00Z",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let page = std::fs::read_to_string(&out).unwrap();
    let rate = kpi(&page, "approval_rate");
    assert!(
        rate.contains(
            "<td>40.4%</td><td><span class=\"muted\">latest 40.4% at 2026-11-30T00:00:00Z meets \
             `&gt;= 39.00645161%` (a bound computed at now)</span></td>"
        ),
        "{rate}"
    );
    let family = kpi(&page, "approval_auc_by_group");
    assert!(family.starts_with("<tr "), "{family}");
    assert!(family.contains("</ul></td><td><b class=\"g\">met</b></td><td>per member</td><td>target &gt;= 75%</td>"));
    let _ = std::fs::remove_dir_all(dir);
}
