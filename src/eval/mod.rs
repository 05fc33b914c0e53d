//! Evaluation against metrics: the metric store, the metric file readers,
//! the drift statistics, the evaluator (KPI status, windows, `for`, gates,
//! policies), the report and its renderers, and the Prometheus fetch plan.
//! Pure: files, clocks and the network are given to it.

pub mod drift;
pub mod metrics;
pub mod sources;
pub mod time;

pub mod derived_report;
pub mod evaluate;
pub mod evidence;
mod family;
mod fast_hash;
pub mod html;
mod kept;
pub mod plan;
pub mod render;
pub mod report;

pub use evaluate::{evaluate, EvalOptions, StoreMetrics, DEFAULT_MAX_AGE};
pub use report::{KpiStatus, Outcome, Ready, Report};

/// Whether this process may run on a second core: a large evaluation and
/// its reports are then shared between two threads.
pub(crate) fn two_threads() -> bool {
    std::thread::available_parallelism().is_ok_and(|n| n.get() > 1)
}
