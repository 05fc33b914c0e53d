//! End-to-end tests of `compel report`, driving the real binary: the acme
//! example's page (latency spike and all green) holds every initiative,
//! KPI, obligation and readiness with its status word; the page is
//! self-contained (a strict Content-Security-Policy, no script, no URL);
//! hostile text from policy files creates no element or attribute; two runs
//! give the same bytes; and headless Chromium renders it (skipped without
//! `chromium` unless `CI` is set, where it is required).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/binary.rs"]
mod common;
use common::compel;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/examples");
const NOW: &str = "2026-11-24T00:00:00Z";
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

fn tempdir(name: &str) -> PathBuf {
    common::tempdir("report", name)
}

/// Writes the acme page for `metrics` into `out` and returns its text.
fn acme_page(metrics: &str, out: &Path) -> String {
    let examples = Path::new(EXAMPLES);
    let o = compel(
        examples,
        &[
            "report",
            "acme",
            "--metrics",
            &format!("acme/metrics/{metrics}.json"),
            "--now",
            NOW,
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&o.stderr));
    std::fs::read_to_string(out).expect("the page is written")
}

/// The acme page's facts as the binary's JSON report states them: each
/// initiative, KPI and policy with the word the page must show.
fn expected_words(metrics: &str) -> Vec<String> {
    let o = compel(
        Path::new(EXAMPLES),
        &["eval", "acme", "--metrics", &format!("acme/metrics/{metrics}.json"), "--now", NOW, "--format", "json"],
    );
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut words = Vec::new();
    for i in report["initiatives"].as_array().unwrap() {
        words.push(i["name"].as_str().unwrap().to_string());
        words.push(if i["ready"].as_bool().unwrap() { "ready for" } else { "not ready for" }.to_string());
    }
    for k in report["kpis"].as_array().unwrap() {
        words.push(k["name"].as_str().unwrap().to_string());
        words.push(k["status"].as_str().unwrap().replace('_', " "));
    }
    for p in report["policies"].as_array().unwrap() {
        words.push(p["name"].as_str().unwrap().to_string());
        words.push(p["subject"].as_str().unwrap().to_string());
        words.push(p["outcome"].as_str().unwrap().to_string());
    }
    words
}

/// Asserts the page is self-contained: the CSP meta, no script, no
/// reference to anything outside the file.
fn assert_self_contained(page: &str) {
    assert!(page.contains(&format!("<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">")), "no CSP meta");
    let lower = page.to_lowercase();
    for banned in
        ["<script", "http://", "https://", " src=", " href=", "url(", "@import", "<link", "<iframe", "<object"]
    {
        assert!(!lower.contains(banned), "the page holds `{banned}`");
    }
}

#[test]
fn latency_spike_page() {
    let dir = tempdir("spike");
    let page = acme_page("latency-spike", &dir.join("page.html"));
    assert_self_contained(&page);
    for w in expected_words("latency-spike") {
        assert!(page.contains(&w), "the page lacks `{w}`");
    }
    // The card: title, owner, status word and readiness in plain words.
    assert!(page.contains("Real-time fraud scoring v2"));
    assert!(page.contains("Owner: ml-platform@acme.example"));
    assert!(page.contains("not ready for Produce: latency_p95 for 7d: 260ms at 2026-11-19T00:00:00Z"), "{page}");
    // The program: sponsor with role, budget, runway, reviews.
    assert!(page.contains("Dana Whitfield (Chief Financial Officer)"));
    assert!(page.contains("1,200,000 USD"));
    assert!(page.contains("218 days left"));
    assert!(page.contains("Next review due</dt><dd>2026-12-02"));
    // Six columns, in order.
    let columns: Vec<usize> = ["Calibrate", "Organize", "Model", "Produce", "Evaluate", "Learn"]
        .iter()
        .map(|s| page.find(&format!("<h3>{s}</h3>")).unwrap_or_else(|| panic!("no column {s}")))
        .collect();
    assert!(columns.windows(2).all(|w| w[0] < w[1]), "columns out of order");
    // KPIs at risk before those met; a sparkline of the 7 samples.
    assert!(page.find("id=\"kpi-accuracy\"").unwrap() < page.find("id=\"kpi-latency_p95\"").unwrap());
    assert!(page.contains("trend of latency_p95: 7 samples from 2026-11-17T00:00:00Z to 2026-11-23T00:00:00Z"));
    assert!(page.contains("compel report acme --metrics acme/metrics/latency-spike.json --now 2026-11-24T00:00:00Z"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn all_green_page() {
    let dir = tempdir("green");
    let page = acme_page("all-green", &dir.join("page.html"));
    assert_self_contained(&page);
    for w in expected_words("all-green") {
        assert!(page.contains(&w), "the page lacks `{w}`");
    }
    assert!(page.contains("ready for Produce"));
    assert!(!page.contains("not ready"));
    assert!(page.contains("No obligation is violated"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn same_inputs_same_bytes() {
    let dir = tempdir("determinism");
    let out = dir.join("page.html");
    let first = acme_page("latency-spike", &out);
    let second = acme_page("latency-spike", &out);
    assert_eq!(first, second);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn unusable_input_is_exit_2_and_writes_nothing() {
    let dir = tempdir("unusable");
    let out = dir.join("page.html");
    let o = compel(Path::new(EXAMPLES), &["report", "acme", "--now", NOW, "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no metrics"));
    assert!(!out.exists());
    let _ = std::fs::remove_dir_all(dir);
}

const HOSTILE: &str = r#"import "std/policies"

/// Doc <img src=x onerror=alert(1)> comment
program p1 {
  title          "P <script>alert(1)</script>"
  sponsor        boss
  budget         10 USD
  approved_until 2026-12-01
  review_every   30d
  last_review    2026-09-01
  objectives     [k1]
}

person boss {
  name "Boss </style><b>x</b>"
  role CEO
}

/// KPI doc </style><script>bad()</script>
kpi k1 {
  metric "m1"
  target >= 5
}

initiative i1 {
  title   "Init \"onerror=alert(1) x=\" RLO evil"
  program p1
  owner   "o'wner <a href=http://evil.example>"
  stage   model
  kpis    [k1]
  contributes_to [k1]
  dataset d1 { versioned true }
  monitor m1 { kind drift  kpi k1 }
  gate model -> produce {
    require k1 because "</style><script>alert(2)</script> \"onerror=x RLO"
  }
}
"#;

/// The elements and attributes the renderer writes; anything else in the
/// page came from user text.
const ELEMENTS: &[&str] = &[
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "h4", "ul", "li", "b", "div", "main",
    "section", "article", "p", "dl", "dt", "dd", "span", "code", "svg", "path", "details", "summary", "table", "thead",
    "tbody", "tr", "th", "td", "footer",
];
const ATTRIBUTES: &[&str] = &[
    "lang",
    "charset",
    "http-equiv",
    "content",
    "name",
    "class",
    "id",
    "aria-label",
    "aria-labelledby",
    "viewbox",
    "role",
    "d",
];

/// The page as an HTML5 parser (html5ever, the WHATWG algorithm) reads
/// it: every element with its attribute names, in document order; every
/// text node; the parse errors.
struct Parsed {
    elements: Vec<(String, Vec<String>)>,
    texts: Vec<String>,
    errors: Vec<String>,
    doctype: Vec<String>,
}

fn parse_html5(page: &str) -> Parsed {
    use html5ever::tendril::TendrilSink;
    use markup5ever_rcdom::{Handle, NodeData, RcDom};
    fn walk(node: &Handle, out: &mut Parsed) {
        match &node.data {
            NodeData::Element { name, attrs, .. } => {
                let attrs = attrs.borrow().iter().map(|a| a.name.local.to_lowercase()).collect();
                out.elements.push((name.local.to_lowercase(), attrs));
            }
            NodeData::Text { contents } => out.texts.push(contents.borrow().to_string()),
            NodeData::Comment { contents } => out.elements.push((format!("!--{contents}"), Vec::new())),
            NodeData::Doctype { name, .. } => out.doctype.push(name.to_string()),
            NodeData::ProcessingInstruction { target, .. } => out.elements.push((format!("?{target}"), Vec::new())),
            NodeData::Document => {}
        }
        for child in node.children.borrow().iter() {
            walk(child, out);
        }
    }
    let dom = html5ever::parse_document(RcDom::default(), html5ever::ParseOpts::default())
        .from_utf8()
        .read_from(&mut page.as_bytes())
        .expect("the page reads");
    let mut parsed = Parsed { elements: Vec::new(), texts: Vec::new(), errors: Vec::new(), doctype: Vec::new() };
    parsed.errors = dom.errors.iter().map(ToString::to_string).collect();
    walk(&dom.document, &mut parsed);
    parsed
}

#[test]
fn hostile_text_creates_no_element_or_attribute() {
    let dir = tempdir("hostile");
    std::fs::write(dir.join("h.compel"), HOSTILE.replace("RLO", "\u{202E}")).unwrap();
    std::fs::write(
        dir.join("m.json"),
        r#"{"series":[{"metric":"m1","samples":[["2026-11-22T00:00:00Z",4],["2026-11-23T00:00:00Z",3]]}]}"#,
    )
    .unwrap();
    let o = compel(&dir, &["report", "h.compel", "--metrics", "m.json", "--now", NOW, "-o", "out.html"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&o.stderr));
    let page = std::fs::read_to_string(dir.join("out.html")).unwrap();
    let parsed = parse_html5(&page);
    assert_eq!(parsed.errors, Vec::<String>::new(), "the page is not clean HTML5");
    assert_eq!(parsed.doctype, ["html"]);
    for (name, attrs) in &parsed.elements {
        assert!(ELEMENTS.contains(&name.as_str()), "element <{name}> comes from user text");
        for a in attrs {
            assert!(ATTRIBUTES.contains(&a.as_str()), "attribute `{a}` on <{name}> comes from user text");
        }
    }
    let count = |tag: &str| parsed.elements.iter().filter(|(n, _)| n == tag).count();
    assert_eq!((count("style"), count("script"), count("img"), count("a")), (1, 0, 0, 0));
    // The hostile texts are text: whole, in text nodes, as written (a
    // direction control shown as its code point).
    let text = parsed.texts.concat();
    for hostile in [
        "</style><script>alert(2)</script> \"onerror=x [U+202E]",
        "Init \"onerror=alert(1) x=\" [U+202E] evil",
        "Boss </style><b>x</b>",
        "o'wner <a href=http://evil.example>",
        "P <script>alert(1)</script>",
        "KPI doc </style><script>bad()</script>",
    ] {
        assert!(text.contains(hostile), "the text `{hostile}` is not shown whole");
    }
    assert!(!page.contains('\u{202E}'), "a direction control reached the page");
    // The hostile texts are shown, escaped.
    assert!(page.contains("&lt;script&gt;alert(2)&lt;/script&gt; &quot;onerror=x [U+202E]"));
    assert!(page.contains("Init &quot;onerror=alert(1) x=&quot; [U+202E] evil"));
    assert!(page.contains("Boss &lt;/style&gt;&lt;b&gt;x&lt;/b&gt;"));
    assert!(page.contains("o&#39;wner &lt;a href=http://evil.example&gt;"));
    // Programme runway past 90 days' warning: amber; review overdue: red.
    assert!(page.contains("<b class=\"a\">7 days left</b>"), "{page}");
    assert!(page.contains("overdue by 54 days"));
    let _ = std::fs::remove_dir_all(dir);
}

/// The system Chromium, if installed.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n))).find(|p| p.is_file())
}

/// Chromium's DOM of the page, after layout, at a window `width` wide.
fn dump_dom(chromium: &Path, page: &Path, width: u32, profile: &Path) -> String {
    let o = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            &format!("--window-size={width},900"),
            &format!("--user-data-dir={}", profile.display()),
            "--dump-dom",
            &format!("file://{}", page.display()),
        ])
        .stdin(Stdio::null())
        .output()
        .expect("chromium runs");
    assert!(o.status.success(), "chromium failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn chromium_renders_every_status() {
    let Some(chromium) = chromium() else {
        assert!(std::env::var_os("CI").is_none(), "CI is set but `chromium` is not installed (.ci/run installs it)");
        eprintln!("skipped: `chromium` is not installed (apt-get install chromium); CI requires it");
        return;
    };
    let dir = tempdir("chromium");
    for metrics in ["latency-spike", "all-green"] {
        let out = dir.join(format!("{metrics}.html"));
        let page = acme_page(metrics, &out);
        for width in [1280, 390] {
            let dom = dump_dom(&chromium, &out, width, &dir.join(format!("profile-{metrics}-{width}")));
            assert!(dom.contains("<main>"), "no rendered body for {metrics}");
            // The DOM is the parsed page: the same elements, no element more
            // (a page that broke out of its markup would differ here).
            assert_eq!(dom.matches("<article").count(), page.matches("<article").count());
            assert_eq!(dom.matches("<details").count(), page.matches("<details").count());
            assert!(!dom.contains("<script"));
            for w in expected_words(metrics) {
                assert!(dom.contains(&w), "the rendered page ({metrics}, {width}px) lacks `{w}`");
            }
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}
