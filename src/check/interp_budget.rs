//! The evaluation budget: the steps one run may take, grown with the
//! project, and shared by the threads that evaluate over one model (an
//! atomic decrement that stops at zero).

use std::sync::atomic::{AtomicU64, Ordering};

use super::super::Model;
use super::Undecided;

/// How many expression nodes one `compel check` may evaluate. Real
/// policies take a few hundred steps per subject; a debug build does about
/// ten million steps a second, a release build many times that.
pub const MAX_EVAL_STEPS: u64 = 10_000_000;

/// How many one `compel eval` may: it evaluates each decided criterion a
/// second time (quantifiers a third) to explain it.
pub const MAX_EVAL_STEPS_EVAL: u64 = 3 * MAX_EVAL_STEPS;

/// The steps added to a run's budget for every declaration of the model.
pub const STEPS_PER_DECL: u64 = 1_000;

/// The budget of one run over `model`: `base` ([`MAX_EVAL_STEPS`] or
/// [`MAX_EVAL_STEPS_EVAL`]) plus [`STEPS_PER_DECL`] per declaration, scaled
/// like `base` (so eval keeps three times check's budget).
pub fn step_limit(model: &Model, base: u64) -> u64 {
    let per_decl = STEPS_PER_DECL.saturating_mul(base / MAX_EVAL_STEPS.max(1)).max(STEPS_PER_DECL);
    base.saturating_add(per_decl.saturating_mul(model.decls.len() as u64))
}

/// The steps left to one run; shared by every evaluation over one
/// [`Model`]. The checker spends it; the evaluator [`resets`](Budget::reset)
/// it first.
///
/// A budget [for one thread](Budget::for_one_thread) takes its steps with
/// a plain read and write instead of a read-modify-write: on the
/// evaluation's hot path the locked instruction cost more than a few
/// percent of `compel eval`.
#[derive(Debug)]
pub struct Budget {
    left: AtomicU64,
    limit: AtomicU64,
    one_thread: bool,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget { left: AtomicU64::new(MAX_EVAL_STEPS), limit: AtomicU64::new(MAX_EVAL_STEPS), one_thread: false }
    }
}

impl Clone for Budget {
    fn clone(&self) -> Budget {
        Budget {
            left: AtomicU64::new(self.left.load(Ordering::Relaxed)),
            limit: AtomicU64::new(self.limit.load(Ordering::Relaxed)),
            one_thread: self.one_thread,
        }
    }
}

impl Budget {
    /// A copy of this budget whose steps only one thread takes at a time:
    /// for the owner of a reader's caches, which are not shared between
    /// threads (a [split](Budget::split) of it, for a second thread, is
    /// too). Shared by two threads at once, such a budget could lose
    /// steps taken at the same moment (each thread could then take up to
    /// all of them), which is why the model's own budget is not one.
    pub fn for_one_thread(&self) -> Budget {
        Budget { one_thread: true, ..self.clone() }
    }

    /// A full budget of `limit` steps.
    pub fn reset(&self, limit: u64) {
        self.limit.store(limit, Ordering::Relaxed);
        self.left.store(limit, Ordering::Relaxed);
    }

    /// Whether every step has been taken.
    pub fn exhausted(&self) -> bool {
        self.left.load(Ordering::Relaxed) == 0
    }

    /// The reason given for whatever is left undecided once the budget is
    /// spent.
    pub fn message(&self) -> String {
        format!(
            "evaluation stopped after {} steps, the limit for one run \
             (nested quantifiers over long lists, or `let`s that double at each link?)",
            self.limit.load(Ordering::Relaxed)
        )
    }

    /// The steps taken (of the limit).
    pub fn spent(&self) -> u64 {
        self.limit.load(Ordering::Relaxed).saturating_sub(self.left())
    }

    /// The steps not yet taken.
    pub fn left(&self) -> u64 {
        self.left.load(Ordering::Relaxed)
    }

    /// Takes `steps` steps at once (what an evaluation the editor's check
    /// replays took), stopping at zero.
    pub fn charge(&self, steps: u64) {
        let _ = self.left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| Some(left.saturating_sub(steps)));
    }

    /// A budget of half the steps left, taken from this one: for a second
    /// thread, so that the two never take more than this one had (the
    /// limit shown stays the run's).
    pub fn split(&self) -> Budget {
        let mut given = 0;
        let _ = self.left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
            given = left / 2;
            Some(left - given)
        });
        Budget {
            left: AtomicU64::new(given),
            limit: AtomicU64::new(self.limit.load(Ordering::Relaxed)),
            one_thread: self.one_thread,
        }
    }

    /// Takes back `steps` a [split](Budget::split) budget did not take,
    /// once its thread is done: what is left is then what one budget
    /// would have left after both threads' steps.
    pub fn give_back(&self, steps: u64) {
        let _ = self.left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| Some(left.saturating_add(steps)));
    }

    /// Takes one step, or says the budget is spent. Threads evaluating over
    /// one model share the budget: the decrement is one atomic
    /// read-modify-write that never goes below zero, so no step is lost
    /// between a read and a write and the limit holds across threads.
    pub fn step(&self) -> Result<(), Undecided> {
        if self.one_thread {
            // No other thread takes steps of it meanwhile: the read and
            // the write need not be one instruction.
            return match self.left.load(Ordering::Relaxed).checked_sub(1) {
                Some(left) => {
                    self.left.store(left, Ordering::Relaxed);
                    Ok(())
                }
                None => Err(Undecided::Unknown(self.message())),
            };
        }
        match self.left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| left.checked_sub(1)) {
            Ok(_) => Ok(()),
            Err(_) => Err(Undecided::Unknown(self.message())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Budget;

    /// A budget for one thread takes exactly the steps a shared one
    /// takes, stops at zero as it does, and splits and takes back alike.
    #[test]
    fn a_budget_for_one_thread_counts_as_a_shared_one() {
        let taken = |b: &Budget, most: usize| std::iter::from_fn(|| b.step().ok()).take(most).count();
        let (shared, one) = (Budget::default(), Budget::default().for_one_thread());
        for b in [&shared, &one] {
            b.reset(101);
            assert_eq!(taken(b, 30), 30);
            let theirs = b.split();
            assert_eq!((b.left(), theirs.left()), (36, 35));
            assert_eq!((taken(b, 1000), taken(&theirs, 5)), (36, 5));
            assert!(b.exhausted() && b.step().is_err() && b.left() == 0 && b.spent() == 101);
            b.give_back(theirs.left());
            assert_eq!((b.left(), b.spent()), (30, 71));
            b.charge(7);
            assert_eq!(taken(b, 1000), 23);
            assert!(b.message().contains("after 101 steps"));
        }
        assert!(one.one_thread && one.split().one_thread && one.clone().one_thread && !shared.one_thread);
    }

    /// A split budget never lets the two threads take more than the one
    /// had, and once the second thread's unused steps are given back,
    /// what is left is what one budget would have left after the same
    /// steps; the limit shown stays the run's.
    #[test]
    fn a_split_budget_takes_no_more_and_gives_the_rest_back() {
        let taken = |b: &Budget, most: usize| std::iter::from_fn(|| b.step().ok()).take(most).count();
        let budget = Budget::default();
        budget.reset(101);
        let theirs = budget.split();
        assert_eq!((budget.left(), theirs.left()), (51, 50));
        assert_eq!((taken(&budget, 20), taken(&theirs, 7)), (20, 7));
        budget.give_back(theirs.left());
        assert_eq!(budget.left(), 101 - 20 - 7, "as one budget after both threads' steps");
        // Neither half lends to the other: one runs out at its half.
        let theirs = budget.split();
        assert_eq!(taken(&theirs, 1000), 37);
        assert!(theirs.exhausted() && theirs.message().contains("after 101 steps"));
        assert_eq!(taken(&budget, 1000), 37, "{} left", budget.left());
    }
}
