//! [`Criteria`]: the criteria of a gate or policy, shared between the
//! syntax tree and the checked model.
//!
//! Every initiative of a large policy set declares its own gate, and the
//! model keeps each gate's criteria for the evaluator. They are written
//! once in the tree and read in place by the model (a reference count, not
//! a copy of every expression). Reading is a slice; writing (the language
//! server shifting a moved piece's spans) copies first when the model of
//! an earlier analysis still holds them.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::ast::Criterion;

/// The criteria of a gate or policy, in order.
#[derive(Clone, PartialEq, Default)]
pub struct Criteria(Arc<[Criterion]>);

impl Criteria {
    /// Whether `self` and `other` are the same criteria in memory (not a
    /// copy).
    pub fn shares(&self, other: &Criteria) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl From<Vec<Criterion>> for Criteria {
    fn from(v: Vec<Criterion>) -> Self {
        Criteria(v.into())
    }
}

impl Deref for Criteria {
    type Target = [Criterion];
    fn deref(&self) -> &[Criterion] {
        &self.0
    }
}

impl DerefMut for Criteria {
    fn deref_mut(&mut self) -> &mut [Criterion] {
        Arc::make_mut(&mut self.0)
    }
}

impl<'a> IntoIterator for &'a Criteria {
    type Item = &'a Criterion;
    type IntoIter = std::slice::Iter<'a, Criterion>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Debug for Criteria {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // As the list it stands for, so trees print as before.
        fmt::Debug::fmt(&*self.0, f)
    }
}
