//! The evaluation budget shared by threads: every step is counted once.
//!
//! `compel eval` evaluates on more than one thread over one model, and all
//! of them spend the model's one [`Budget`]. These tests charge it from
//! many threads at once and count: no step may be lost (a read followed by
//! a write would let two threads take the same step), and the limit holds
//! exactly.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Barrier;

use compel::check::interp::Budget;

const THREADS: u64 = 8;

#[test]
fn steps_taken_by_many_threads_are_all_counted() {
    let budget = Budget::default();
    let limit = 10_000_000;
    budget.reset(limit);
    let per_thread = 200_000;
    let start = Barrier::new(THREADS as usize);
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                start.wait();
                for _ in 0..per_thread {
                    budget.step().expect("the budget is far from spent");
                }
            });
        }
    });
    assert_eq!(budget.left(), limit - THREADS * per_thread);
    assert!(!budget.exhausted());
}

#[test]
fn threads_racing_to_the_limit_take_exactly_the_limit() {
    let budget = Budget::default();
    let limit = 500_000;
    budget.reset(limit);
    let taken = AtomicU64::new(0);
    let refused = AtomicU64::new(0);
    let start = Barrier::new(THREADS as usize);
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                start.wait();
                let mut mine = 0;
                while budget.step().is_ok() {
                    mine += 1;
                }
                taken.fetch_add(mine, Ordering::Relaxed);
                // Once spent, it stays spent and says why.
                let again = budget.step().expect_err("spent");
                assert!(format!("{again:?}").contains(&format!("after {limit} steps")), "{again:?}");
                refused.fetch_add(1, Ordering::Relaxed);
            });
        }
    });
    assert_eq!(taken.load(Ordering::Relaxed), limit, "every step of the limit taken exactly once");
    assert_eq!(refused.load(Ordering::Relaxed), THREADS);
    assert_eq!(budget.left(), 0);
    assert!(budget.exhausted());
}
