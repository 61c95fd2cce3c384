//! The migration component in the world.
use crate::world::World;

impl World {
    /// A session's statement was granted its lock on node `n`.
    pub(crate) fn session_granted(&mut self, _n: u16, _s: u32, _gen: u32) {}
}
