//! The facts the world broadcasts and the components that follow them: the one list where a
//! component's reactions to what happened elsewhere are wired. A handler states a fact
//! (`broadcast`); it does not call the components that care. A new component adds its line here.
use crate::event::{Fact, Sched};
use crate::postgres::Role;
use crate::world::World;

impl World {
    /// Hands `f` to every component that follows it, in this order: the committed history, the
    /// archiver, PgBouncer.
    #[inline]
    pub(crate) fn broadcast(&mut self, f: Fact) {
        self.c.committed.on_fact(&f);
        if let Some(b) = self.c.backups.as_deref_mut() {
            let mut s = Sched { now: self.now, k: self.active, q: &mut self.q, error: &mut self.error };
            let hold = b.on_fact(&f, &mut s);
            if let (Some(hold), Fact::Flushed { n, .. }) = (hold, f) {
                self.c.nodes[n as usize].archive_hold = hold;
            }
        }
        self.with_pool(|p, s, _, hosts, w| p.on_fact(&f, s, hosts, w));
    }

    /// The fact of node `n`'s flush, as its WAL positions stand now.
    #[inline]
    pub(crate) fn flushed_fact(&self, n: u16) -> Fact {
        let node = &self.c.nodes[n as usize];
        Fact::Flushed { n, tl: node.tl, flush: node.flush_lsn, primary: node.role == Role::Primary }
    }
}
