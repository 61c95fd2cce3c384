//! Properties checked while a simulation runs, in stateright's Always / Sometimes style: an
//! Always property holds until its first violation; a Sometimes property holds once it is seen.
use crate::time::SimTime;
use serde::Serialize;
use std::marker::PhantomData;

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PropKind {
    Always,
    Sometimes,
}

/// A model's set of named properties.
pub trait Property: Copy + Eq + 'static {
    const ALL: &'static [Self];
    fn name(self) -> &'static str;
    fn kind(self) -> PropKind;
}

/// The state of one property: the first violation (Always) or sighting (Sometimes), with why.
#[derive(Clone, Debug, Serialize)]
pub struct PropState {
    pub name: &'static str,
    pub kind: PropKind,
    pub holds: bool,
    pub at_ms: Option<u64>,
    pub detail: String,
}

/// Every property of `P` and its state.
#[derive(Clone, Debug)]
pub struct Registry<P> {
    pub states: Vec<PropState>,
    _p: PhantomData<P>,
}

impl<P: Property> Default for Registry<P> {
    fn default() -> Self {
        let states = P::ALL.iter().map(|p| PropState { name: p.name(), kind: p.kind(), holds: p.kind() == PropKind::Always, at_ms: None, detail: String::new() }).collect();
        Registry { states, _p: PhantomData }
    }
}

impl<P: Property> Registry<P> {
    fn index(p: P) -> usize {
        P::ALL.iter().position(|x| *x == p).unwrap_or(0)
    }
    /// Records the first violation of an Always property.
    pub fn violate(&mut self, p: P, at: SimTime, detail: String) {
        let s = &mut self.states[Self::index(p)];
        if s.holds && s.kind == PropKind::Always {
            s.holds = false;
            s.at_ms = Some(at.as_ms());
            s.detail = detail;
        }
    }
    /// Records the first time a Sometimes property happens.
    pub fn observe(&mut self, p: P, at: SimTime, detail: String) {
        let s = &mut self.states[Self::index(p)];
        if !s.holds && s.kind == PropKind::Sometimes {
            s.holds = true;
            s.at_ms = Some(at.as_ms());
            s.detail = detail;
        }
    }
    pub fn get(&self, p: P) -> &PropState {
        &self.states[Self::index(p)]
    }
}
