//! The ids of the model: [`DeclId`] for a declaration, [`GateId`] for a
//! gate.

use super::GateDef;

/// Identifies a declaration in the model.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct DeclId(pub u32);

/// Identifies a gate in the model (its index in [`super::Model::gates`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct GateId(pub u32);

impl GateId {
    /// The gate at this index.
    pub fn new(index: usize) -> GateId {
        GateId(index as u32)
    }

    /// Its index in [`super::Model::gates`].
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl std::ops::Index<GateId> for Vec<GateDef> {
    type Output = GateDef;

    fn index(&self, id: GateId) -> &GateDef {
        &self[id.index()]
    }
}

impl std::ops::IndexMut<GateId> for Vec<GateDef> {
    fn index_mut(&mut self, id: GateId) -> &mut GateDef {
        &mut self[id.index()]
    }
}
