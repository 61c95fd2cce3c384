//! What a DR drill reads of a running world.
use crate::time::SimTime;
use crate::world::World;

impl World {
    pub(crate) fn failovers_since(&self, t: SimTime) -> usize {
        self.c.metrics.failovers.iter().filter(|f| f.at >= t).count()
    }

    /// The xid of the newest operator error in the history (for an xid target just before it).
    pub(crate) fn last_operator_xid(&self) -> Option<u64> {
        let h = self.history();
        h.lineage(h.latest()).into_iter().rev().find(|r| matches!(r.op, crate::pitr::Op::DropTable { .. } | crate::pitr::Op::UpdateAll { .. })).map(|r| r.xid)
    }
}
