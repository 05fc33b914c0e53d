//! compel: a governance language for AI programs, and its toolchain.
//!
//! Policies written in `.compel` files are parsed ([`syntax`]), checked
//! ([`check`]), evaluated against metrics ([`eval`]), formatted ([`fmt`]) and
//! served to editors ([`ide`], and the language server in `lsp`).
//! Everything is a library first; the `compel` binary is a thin shell over
//! it.
//!
//! The front ends sit behind cargo features, both on by default: `cli` (the
//! `compel` command, with the Prometheus client) and `lsp` (the language
//! server). `default-features = false` builds the core alone, without
//! clap, tokio, tower-lsp, ureq or mimalloc.
//!
//! A host program embeds the language by handing sources to
//! [`analysis::analyze`] through a [`analysis::SourceLoader`]; the core does
//! no I/O, reads no clock and opens no socket:
//!
//! ```
//! use compel::analysis::{analyze, MemoryLoader};
//!
//! let mut sources = MemoryLoader::default();
//! sources.insert("org.compel", r#"
//!     import "std/policies"
//!     person lee { name "Lee" role manager }
//!     program p { sponsor lee  review_every 30d  last_review 2026-11-02 }
//! "#);
//! let analysis = analyze(&["org.compel".to_string()], &sources);
//! let codes: Vec<&str> = analysis.user_diagnostics().map(|d| d.code.as_str()).collect();
//! // `csuite_sponsor`: a manager cannot sponsor a program.
//! assert_eq!(codes, ["E0701"]);
//! ```
//!
//! Evaluation takes the checked model, a [`eval::metrics::MetricStore`] and
//! the time to evaluate at:
//!
//! ```
//! use compel::analysis::{analyze, MemoryLoader};
//! use compel::eval::{evaluate, sources, EvalOptions, Outcome, Ready};
//! use compel::eval::metrics::MetricStore;
//!
//! let mut files = MemoryLoader::default();
//! files.insert("p.compel", r#"
//!     kpi latency { metric "latency_ms" unit ms target <= 250ms }
//!     initiative i {
//!       owner "team@example.com"
//!       stage model
//!       gate model -> produce { require latency }
//!     }
//! "#);
//! let analysis = analyze(&["p.compel".to_string()], &files);
//! let now = 1_795_478_400 * 1_000_000_000; // 2026-11-24T00:00:00Z, in nanoseconds
//! let mut store = MetricStore::new();
//! let snapshot = r#"{"@time": "2026-11-24T00:00:00Z", "latency_ms": 199}"#;
//! store.add_all(sources::json::read_json(snapshot, None).unwrap());
//! let mut report = evaluate(&analysis.model, &analysis.files, &store, &EvalOptions::at(now));
//! // The gate is readiness: `i` may advance to `produce`.
//! assert!(report.initiatives[0].ready);
//! // Policies count in the outcome; a gate counts once it is asked (`--ready i`).
//! report.ask(&Ready::Only(vec!["i".to_string()]));
//! assert_eq!(report.outcome, Outcome::Pass);
//! ```

#![forbid(unsafe_code)]

pub mod analysis;
pub mod check;
#[cfg(feature = "cli")]
pub mod cli;
pub mod compile;
pub mod diag;
pub mod diff;
pub mod eval;
pub mod fmt;
pub mod ide;
#[cfg(feature = "prometheus")]
pub mod inputs;
pub mod junit;
#[cfg(feature = "lsp")]
pub mod lsp;
pub mod markdown;
pub mod project;
#[cfg(feature = "prometheus")]
pub mod prometheus;
#[cfg(feature = "cli")]
pub mod serve;
pub mod stdlib;
pub mod syntax;
pub mod testing;
pub mod text;
