//! The pooling component in the world: its connections reach the primary the proxy sends writes to, its first errors become notes, and PgBouncer's settings change by command.
use crate::pool::PoolModel;
use crate::postgres::Node;
use crate::world::{NoteKind, Sched, World};

impl World {
    /// Runs `f` on the pooling component with what it borrows: the queue, the hosts and the
    /// proxy's write backend. Returns 0 without a `[pooling]` section.
    #[inline]
    pub(crate) fn with_pool<R: Default>(&mut self, f: impl FnOnce(&mut dyn PoolModel, &mut Sched, &[Node], Option<u16>) -> R) -> R {
        let c = &mut *self.c;
        let Some(pool) = c.pool.as_deref_mut() else { return R::default() };
        let write = c.proxy.pick(true, 0);
        let mut s = Sched { now: self.now, k: self.active, q: &mut self.q, error: &mut self.error };
        let r = f(pool, &mut s, &c.nodes, write);
        for (node, text) in pool.take_notes() {
            self.note(node, NoteKind::Pool, text);
        }
        r
    }

    /// Builds the `[pooling]` component of a lesson and starts its users (a lone cluster only).
    pub(crate) fn start_pool(&mut self, cfg: &crate::pool::PoolingCfg, max_connections: u64) {
        let rng = crate::rng::SimRng::derive(self.seed, "pooling");
        self.c.pool = Some(Box::new(crate::pool::Pool::new(cfg.clone(), max_connections, rng, self.c.nodes.len())));
        self.with_pool(|p, s, _, w| p.start(s, w));
    }

    /// The pooling run so far: `SHOW POOLS`, `SHOW STATS`, the host's gauges (`None` without `[pooling]`).
    pub fn pool_report(&self) -> Option<crate::pool::report::PoolReport> {
        let pool = self.c.pool.as_deref()?;
        Some(pool.report(self.now, self.c.proxy.pick(true, 0)))
    }

    /// The pool's per-second samples.
    pub fn pool_series(&self) -> Option<&crate::chunklog::ChunkLog<crate::pool::PoolSample, 64>> {
        self.c.pool.as_deref().map(|p| p.series())
    }
}
