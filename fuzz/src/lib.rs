//! The bodies of compel's fuzz targets.
//!
//! Each `fuzz_targets/*.rs` binary calls one function here, and
//! `tests/fuzz_regressions.rs` in the main crate includes this file
//! (`#[path]`) to replay every saved input in `tests/fixtures/fuzz/<target>/`
//! through exactly the same code. Each function panics when its property
//! does not hold; a return means the input is fine.

use compel::analysis::{analyze, MemoryLoader};
use compel::eval::metrics::{Labels, MetricStore, Sample, Series};
use compel::eval::{evaluate, render, sources, EvalOptions};
use compel::syntax::{ast::File, check_fast_path, parse, ParseLimits};
use compel::text::FileId;

/// 2026-11-24T00:00:00Z, the `now` of the examples.
pub const NOW: i64 = 1_795_478_400 * SEC;

/// Nanoseconds in a second (times are Unix nanoseconds).
pub const SEC: i64 = 1_000_000_000;

/// Arbitrary bytes, read as (lossy) UTF-8, through the parser.
pub fn parse_target(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (file, _diags) = parse(FileId(0), &text, ParseLimits::default());
    // Every span must lie inside the text, on character boundaries: the
    // renderers and the language server slice with them.
    for comment in &file.comments {
        assert!(text.get(comment.span.range()).is_some(), "comment span {:?} out of the text", comment.span);
    }
    // The parser's fast path gives pest's tree or gives up.
    let check = check_fast_path(&text, ParseLimits::default());
    assert!(check.disagreements.is_empty(), "{}", check.disagreements.join("\n"));
}

/// Splits `data` at the first NUL byte into two files, `main.compel` and
/// `lib.compel`, so imports between user files get exercised too.
fn two_files(data: &[u8]) -> MemoryLoader {
    let (main, lib) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let mut loader = MemoryLoader::default();
    loader.insert("main.compel", String::from_utf8_lossy(main).into_owned());
    loader.insert("lib.compel", String::from_utf8_lossy(lib).into_owned());
    loader
}

/// Arbitrary bytes through the whole analysis (parse, imports, check); a
/// model that compiles is then evaluated against no metrics and its tests
/// are run, as `compel eval` and `compel test` would.
pub fn check_target(data: &[u8]) {
    let loader = two_files(data);
    let analysis = analyze(&["main.compel".to_string()], &loader);
    for d in &analysis.diagnostics {
        let file = analysis.files.get(d.primary.file);
        assert!(file.text.get(d.primary.span.range()).is_some(), "diagnostic span out of its file: {d:?}");
    }
    if analysis.diagnostics.iter().any(compel::testing::is_compile_error) {
        return;
    }
    let store = MetricStore::new();
    let a = evaluate(&analysis.model, &analysis.files, &store, &EvalOptions::at(NOW));
    let b = evaluate(&analysis.model, &analysis.files, &store, &EvalOptions::at(NOW));
    assert_eq!(a.to_json(), b.to_json(), "evaluation is not deterministic");
    let _ = compel::testing::run_tests(&analysis, &loader, None);
}

/// The tree's debug text with every span (`12..34`) replaced by `_`, so two
/// trees that differ only in positions compare equal.
pub fn erase_spans(debug: &str) -> String {
    let chars: Vec<char> = debug.chars().collect();
    let mut out = String::with_capacity(debug.len());
    let mut i = 0;
    while i < chars.len() {
        let starts_number = chars[i].is_ascii_digit()
            && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_' || chars[i - 1] == '.'));
        if starts_number {
            let mut j = i;
            while j < chars.len() && chars[j].is_ascii_digit() {
                j += 1;
            }
            if chars.get(j) == Some(&'.') && chars.get(j + 1) == Some(&'.') {
                let mut k = j + 2;
                while k < chars.len() && chars[k].is_ascii_digit() {
                    k += 1;
                }
                if k > j + 2 {
                    out.push('_');
                    i = k;
                    continue;
                }
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

fn tree(file: &File) -> String {
    erase_spans(&format!("{:?}", file.items))
}

fn comments<'a>(file: &File, text: &'a str) -> Vec<&'a str> {
    file.comments.iter().map(|c| text[c.span.range()].trim_end()).collect()
}

/// Formats arbitrary text; when that succeeds, the output parses without
/// errors to the same tree (spans aside) with the same comments, and
/// formatting it again changes nothing.
pub fn fmt_roundtrip_target(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(out) = compel::fmt::format_source(&text) else { return };
    let (before, _) = parse(FileId(0), &text, ParseLimits::default());
    let (after, diags) = parse(FileId(0), &out, ParseLimits::default());
    assert!(
        diags.iter().all(|d| !d.is_error()),
        "the formatted text does not parse: {diags:?}\n--- input\n{text}\n--- output\n{out}"
    );
    assert_eq!(tree(&after), tree(&before), "the tree changed\n--- input\n{text}\n--- output\n{out}");
    assert_eq!(comments(&after, &out), comments(&before, &text), "comments changed\n--- output\n{out}");
    let again = compel::fmt::format_source(&out);
    assert_eq!(again.as_deref().ok(), Some(out.as_str()), "not idempotent\n--- input\n{text}\n--- output\n{out}");
}

/// The invariants every reader promises about the series it returns.
fn check_series(series: &[Series]) {
    for s in series {
        assert!(s.samples.windows(2).all(|w| w[0].time < w[1].time), "samples not normalised: {s:?}");
    }
}

/// Arbitrary bytes through every metrics reader and the selector parser.
pub fn metrics_target(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for format in [sources::Format::Json, sources::Format::Csv, sources::Format::OpenMetrics] {
        if let Ok(series) = sources::read_as(format, &text, Some(NOW)) {
            check_series(&series);
            let mut store = MetricStore::new();
            store.add_all(series);
        }
    }
    for name in ["fuzz", "fuzz.json", "fuzz.csv", "fuzz.prom"] {
        if let Ok(series) = sources::read_metrics(name, &text, Some(NOW)) {
            check_series(&series);
        }
    }
    let _ = sources::parse_selector(&text);
}

const ACME: &str = include_str!("../../../shared/examples/acme/acme.compel");
const PEOPLE: &str = include_str!("../../../shared/examples/acme/people.compel");

/// A second initiative over the acme KPIs that reads them every way a
/// criterion can: window functions, drift, `for`, comparisons.
const WINDOWS: &str = r#"
import "acme.compel"

initiative fuzz_windows {
  owner "fuzz@acme.example"
  stage model
  kpis  [accuracy, latency_p95, feature_psi, fraud_loss_rate]

  gate model -> produce {
    require accuracy for 3d
    require fraud_loss_rate
    advise  last(latency_p95, 2d) < 250ms
    advise  min(accuracy, 7d) > 90%
    advise  max(accuracy, 7d) < 100%
    advise  sum(feature_psi, 7d) < 10
    advise  count(feature_psi, 7d) >= 3
    advise  p50(latency_p95, 7d) < 200ms
    advise  p90(latency_p95, 7d) < 300ms
    advise  p99(latency_p95, 7d) < 400ms
    advise  delta(accuracy, 7d) > -2%
    advise  psi(feature_psi, 2d, 5d) < 0.2
    advise  ks(latency_p95, 2d, 5d) < 0.5
    advise  wasserstein(accuracy, 2d, 5d) < 1
    expect  accuracy > 93% or latency_p95 < 100ms
  }
}
"#;

/// The acme example, checked once.
fn acme() -> &'static compel::analysis::Analysis {
    static ANALYSIS: std::sync::OnceLock<compel::analysis::Analysis> = std::sync::OnceLock::new();
    ANALYSIS.get_or_init(|| {
        let mut loader = MemoryLoader::default();
        loader.insert("acme.compel", ACME);
        loader.insert("people.compel", PEOPLE);
        loader.insert("windows.compel", WINDOWS);
        let analysis = analyze(&["acme.compel".to_string(), "windows.compel".to_string()], &loader);
        let errors: Vec<_> = analysis.diagnostics.iter().filter(|d| compel::testing::is_compile_error(d)).collect();
        assert!(errors.is_empty(), "the fuzz model does not compile: {errors:?}");
        analysis
    })
}

/// A little reader of fuzz bytes: every read succeeds (zeros past the end).
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    fn u16(&mut self) -> u16 {
        u16::from(self.u8()) << 8 | u16::from(self.u8())
    }
    fn u64(&mut self) -> u64 {
        (0..8).fold(0, |acc, _| acc << 8 | u64::from(self.u8()))
    }
    fn pick<'s>(&mut self, xs: &[&'s str]) -> &'s str {
        xs[usize::from(self.u8()) % xs.len()]
    }
    fn value(&mut self) -> f64 {
        match self.u8() % 12 {
            0 => f64::NAN,
            1 => f64::INFINITY,
            2 => f64::NEG_INFINITY,
            3 => 0.0,
            4 => -0.0,
            5 => f64::MAX,
            6 => f64::MIN_POSITIVE,
            7 => f64::from_bits(self.u64()),
            8 => f64::from(self.u16()) / 100.0,
            9 => -f64::from(self.u16()),
            _ => f64::from(self.u8()) / 1000.0,
        }
    }
    fn time(&mut self, now: i64) -> i64 {
        match self.u8() % 8 {
            0 => now,
            1 => now.saturating_add(i64::from(self.u16()) * SEC),
            2 => i64::MIN + i64::from(self.u8()),
            3 => i64::MAX - i64::from(self.u8()),
            4 => self.u64() as i64,
            5 => now.saturating_sub(i64::from(self.u16())),
            _ => now.saturating_sub(i64::from(self.u16()) * 60 * SEC),
        }
    }
}

/// Random metrics (a metrics file in any format, or series built from the
/// bytes, NaN, infinities and extreme times included) against the acme
/// example: evaluation must not panic, and must be deterministic.
pub fn eval_target(data: &[u8]) {
    let analysis = acme();
    let mut bytes = Bytes(data);
    let mut store = MetricStore::new();
    let now = match bytes.u8() % 4 {
        0 => NOW + (i64::from(bytes.u16()) * 3600 - 32_768 * 3600) * SEC,
        1 => bytes.u64() as i64,
        _ => NOW,
    };
    if bytes.u8() % 4 == 0 {
        let text = String::from_utf8_lossy(bytes.0);
        if let Ok(series) = sources::read_metrics("fuzz", &text, Some(now)) {
            store.add_all(series);
        }
    } else {
        let metrics =
            ["fraud_model_accuracy", "fraud_scoring_latency_p95", "fraud_feature_psi", "fraud_loss_rate", "other"];
        let n_series = bytes.u8() % 12;
        for _ in 0..n_series {
            let metric = bytes.pick(&metrics);
            let mut labels = Labels::new();
            match bytes.u8() % 4 {
                0 => {}
                1 => {
                    labels.insert("model".into(), "scoring-v2".into());
                }
                2 => {
                    labels.insert("model".into(), "scoring-v1".into());
                }
                _ => {
                    labels.insert("model".into(), "scoring-v2".into());
                    labels.insert("region".into(), bytes.pick(&["eu", "us", ""]).into());
                }
            }
            if bytes.u8() % 16 == 0 {
                store.add_source_error(metric, "fuzzed source error");
                continue;
            }
            let n_samples = usize::from(bytes.u8());
            let samples = (0..n_samples).map(|_| Sample { time: bytes.time(now), value: bytes.value() }).collect();
            store.add_series(Series::with_samples(metric, labels, samples));
        }
    }
    let default_max_age = match bytes.u8() % 3 {
        0 => compel::check::rational::Rational::ZERO,
        1 => compel::check::rational::Rational::int(i64::from(bytes.u16()) * 60),
        _ => compel::eval::DEFAULT_MAX_AGE,
    };
    let opts = EvalOptions { now, default_max_age };
    let a = evaluate(&analysis.model, &analysis.files, &store, &opts);
    let b = evaluate(&analysis.model, &analysis.files, &store, &opts);
    let json = a.to_json();
    assert_eq!(json, b.to_json(), "evaluation is not deterministic");
    assert_eq!(render::json(&a), render::json(&b));
    let _ = render::human(&a, false);
    let _ = render::markdown(&a);
    let _ = render::junit(&a, &compel::junit::JunitRun::default());
}
