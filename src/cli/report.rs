//! `compel report PATH... (--metrics FILE... | --prometheus URL) [--now
//! RFC3339] -o FILE.html`: the executive portfolio page.
//!
//! Evaluates exactly as `compel eval` does ([`super::eval::evaluate_inputs`])
//! and renders the result with [`crate::eval::html::render`] into one
//! self-contained HTML file. Exit 0 when the page is written (whatever the
//! policy decided: `compel eval` is the gate), 2 when an input is unusable
//! or the page cannot be written.

use std::path::PathBuf;

use super::eval::{evaluate_inputs, Inputs};
use super::Exit;
use crate::eval::html::{self, Page};
use crate::eval::metrics::{Selection, NANOS};
use crate::eval::report::{Num, SampleRecord, Time};

/// How far back a KPI's trend reaches, in seconds.
pub const TREND_WINDOW_SECS: i64 = 30 * 86_400;

/// The most points a trend draws (the latest ones).
pub const TREND_POINTS: usize = 400;

/// Arguments of `compel report`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The policy, the metrics and the evaluation's settings (as `compel eval`).
    #[command(flatten)]
    pub inputs: Inputs,
    /// The HTML file to write.
    #[arg(short = 'o', long = "output", value_name = "FILE.html", required = true)]
    pub output: PathBuf,
}

/// Runs `compel report`.
pub fn run(args: Args) -> Exit {
    let evaluated = match evaluate_inputs(&args.inputs) {
        Ok(e) => e,
        Err(unusable) => {
            if !unusable.message.is_empty() {
                eprintln!("{unusable}");
            }
            return Exit::Error;
        }
    };
    let page = Page {
        paths: args.inputs.paths.iter().map(|p| p.display().to_string()).collect(),
        sources: evaluated.sources.clone(),
        command: command_line(&args, &evaluated.report.now),
        version: env!("CARGO_PKG_VERSION").to_string(),
        trends: trends(&evaluated),
    };
    let text = html::render(&evaluated.report, &evaluated.analysis.model, &evaluated.analysis.files, &page);
    let exit = match std::fs::write(&args.output, text) {
        Ok(()) => Exit::Success,
        Err(e) => {
            eprintln!("error: cannot write `{}`: {}", args.output.display(), super::io_reason(&e));
            Exit::Error
        }
    };
    std::mem::forget(evaluated);
    exit
}

/// Each KPI's samples over the trend window ending at `now`, from the
/// series its `metric` and `labels` select (when they select exactly one).
fn trends(e: &super::eval::Evaluated) -> Vec<(String, Vec<SampleRecord>)> {
    let Some(now) = crate::eval::metrics::parse_rfc3339(&e.report.now) else {
        return Vec::new();
    };
    let from = now.saturating_sub(TREND_WINDOW_SECS.saturating_mul(NANOS));
    let model = &e.analysis.model;
    let mut kpis = std::collections::HashMap::new();
    for d in model.decls.iter().filter(|d| d.kind == crate::check::Kind::Kpi) {
        kpis.entry(d.name.as_str()).or_insert(d);
    }
    let index = crate::eval::evaluate::SeriesIndex::new(&e.store);
    let mut out = Vec::new();
    for k in &e.report.kpis {
        let Some(d) = kpis.get(k.name.as_str()) else {
            continue;
        };
        let Some(metric) = d.str_attr("metric") else {
            continue;
        };
        if let Selection::One(series) = index.select_one_pairs(metric, d.label_pairs()) {
            let samples = series.samples_in(from, now);
            let start = samples.len().saturating_sub(TREND_POINTS);
            let records =
                samples[start..].iter().map(|s| SampleRecord { time: Time(s.time), value: Num(s.value) }).collect();
            out.push((k.name.clone(), records));
        }
    }
    out
}

/// The command that reproduces the page: the same paths, sources and
/// flags, with the evaluation time made explicit.
fn command_line(args: &Args, now: &str) -> String {
    let i = &args.inputs;
    let mut words: Vec<String> = vec!["compel".into(), "report".into()];
    words.extend(i.paths.iter().map(|p| quote(&p.display().to_string())));
    for m in &i.metrics {
        words.push("--metrics".into());
        words.push(quote(&m.display().to_string()));
    }
    if let Some(url) = &i.prometheus {
        words.push("--prometheus".into());
        words.push(quote(&super::eval::without_credentials(url)));
    }
    words.push("--now".into());
    words.push(quote(now));
    let flags = [("--sample-time", &i.sample_time), ("--max-age", &i.max_age)];
    for (flag, value) in flags {
        if let Some(v) = value {
            words.push(flag.into());
            words.push(quote(v));
        }
    }
    for r in &i.ready {
        words.push("--ready".into());
        words.push(quote(r));
    }
    if let Some(c) = &i.config {
        words.push("--config".into());
        words.push(quote(&c.display().to_string()));
    }
    words.push("-o".into());
    words.push(quote(&args.output.display().to_string()));
    words.join(" ")
}

/// A word as a POSIX shell reads it back.
fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':' | '=' | '+' | ',' | '@'));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_shell_words() {
        assert_eq!(quote("examples/acme"), "examples/acme");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote(""), "''");
    }
}
