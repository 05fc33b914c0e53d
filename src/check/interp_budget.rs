//! The evaluation budget: the steps one run may take, grown with the
//! project, and shared by the threads that evaluate over one model (an
//! atomic decrement; only one from above zero is a step).

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

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
/// The count is signed: a step is one atomic decrement, taken when the
/// count was above zero before it, so exactly as many steps are taken as
/// the budget had, whatever the threads; a step refused leaves the count
/// below zero, which reads as none left. A budget [for one
/// thread](Budget::for_one_thread) takes its steps with a plain read and
/// write instead: on the evaluation's hot path the locked instruction cost
/// a few percent of `compel eval`.
#[derive(Debug)]
pub struct Budget {
    left: AtomicI64,
    limit: AtomicU64,
    one_thread: bool,
}

/// `steps` as a count, at most `i64::MAX` (more than any run takes).
fn count(steps: u64) -> i64 {
    i64::try_from(steps).unwrap_or(i64::MAX)
}

impl Default for Budget {
    fn default() -> Budget {
        Budget::with(count(MAX_EVAL_STEPS), MAX_EVAL_STEPS, false)
    }
}

impl Clone for Budget {
    fn clone(&self) -> Budget {
        Budget::with(self.left.load(Ordering::Relaxed), self.limit.load(Ordering::Relaxed), self.one_thread)
    }
}

impl Budget {
    fn with(left: i64, limit: u64, one_thread: bool) -> Budget {
        Budget { left: AtomicI64::new(left), limit: AtomicU64::new(limit), one_thread }
    }

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
        self.left.store(count(limit), Ordering::Relaxed);
    }

    /// Whether every step has been taken.
    pub fn exhausted(&self) -> bool {
        self.left.load(Ordering::Relaxed) <= 0
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
        u64::try_from(self.left.load(Ordering::Relaxed)).unwrap_or(0)
    }

    /// Changes what is left by `change` (of what is left, none below
    /// zero), in one atomic step; gives what was left before.
    fn update(&self, change: impl Fn(i64) -> i64) -> i64 {
        let before = self.left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| Some(change(left.max(0))));
        before.unwrap_or_else(|left| left).max(0)
    }

    /// Takes `steps` steps at once (what an evaluation the editor's check
    /// replays took), stopping at zero.
    pub fn charge(&self, steps: u64) {
        self.update(|left| left.saturating_sub(count(steps)).max(0));
    }

    /// A budget of half the steps left, taken from this one: for a second
    /// thread, so that the two never take more than this one had (the
    /// limit shown stays the run's).
    pub fn split(&self) -> Budget {
        let before = self.update(|left| left - left / 2);
        Budget::with(before / 2, self.limit.load(Ordering::Relaxed), self.one_thread)
    }

    /// Takes back `steps` a [split](Budget::split) budget did not take,
    /// once its thread is done: what is left is then what one budget
    /// would have left after both threads' steps.
    pub fn give_back(&self, steps: u64) {
        self.update(|left| left.saturating_add(count(steps)));
    }

    /// Takes one step, or says the budget is spent. Threads evaluating over
    /// one model share the budget: the decrement is one atomic
    /// read-modify-write, and only a decrement from above zero is a step,
    /// so no step is lost between a read and a write and the limit holds
    /// across threads.
    pub fn step(&self) -> Result<(), Undecided> {
        let before = if self.one_thread {
            // No other thread takes steps of it meanwhile: the read and
            // the write need not be one instruction.
            let left = self.left.load(Ordering::Relaxed);
            if left > 0 {
                self.left.store(left - 1, Ordering::Relaxed);
            }
            left
        } else {
            self.left.fetch_sub(1, Ordering::Relaxed)
        };
        if before > 0 {
            Ok(())
        } else {
            Err(Undecided::Unknown(self.message()))
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

    /// Steps refused leave nothing owed: what is given back afterwards is
    /// all there is; the largest counts saturate; and threads sharing a
    /// budget take exactly its steps between them.
    #[test]
    fn refused_steps_owe_nothing_and_shared_steps_add_up() {
        let taken = |b: &Budget, most: usize| std::iter::from_fn(|| b.step().ok()).take(most).count();
        for b in [Budget::default(), Budget::default().for_one_thread()] {
            b.reset(3);
            assert_eq!(taken(&b, 10), 3);
            assert!((0..100).all(|_| b.step().is_err()) && b.left() == 0 && b.spent() == 3);
            b.give_back(2);
            assert_eq!((b.left(), taken(&b, 10)), (2, 2));
            b.reset(u64::MAX);
            assert_eq!(b.left(), i64::MAX as u64);
            b.give_back(u64::MAX);
            assert_eq!(b.left(), i64::MAX as u64);
            b.charge(u64::MAX);
            assert!(b.exhausted() && b.left() == 0);
            b.charge(1);
            assert_eq!(b.split().left(), 0);
        }
        let shared = Budget::default();
        shared.reset(100_000);
        let counts: Vec<usize> = std::thread::scope(|s| {
            let threads: Vec<_> = (0..4).map(|_| s.spawn(|| taken(&shared, usize::MAX))).collect();
            threads.into_iter().map(|t| t.join().unwrap_or(0)).collect()
        });
        assert_eq!(counts.iter().sum::<usize>(), 100_000, "{counts:?}");
        assert!(shared.exhausted() && shared.spent() == 100_000);
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
