//! The pooling component in the world: its connections reach the primary the proxy sends writes to, its transactions go through the request pipeline, its first errors become notes, and PgBouncer's settings change by command.
use crate::pipeline::Host;
use crate::postgres::Node;
use crate::trace::{TraceKind, NO_NODE};
use crate::world::{NoteKind, Sched, World};

impl World {
    /// Runs `f` on the pooling component with what it borrows: the queue, the nodes, the
    /// pipeline's hosts and the proxy's write backend. Returns the default without `[pooling]`.
    #[inline]
    pub(crate) fn with_pool<R: Default>(&mut self, f: impl FnOnce(&mut crate::pool::Pool, &mut Sched, &[Node], &mut [Host], Option<u16>) -> R) -> R {
        let c = &mut *self.c;
        let Some(pool) = c.comps.pool.as_deref_mut() else { return R::default() };
        let write = c.proxy.pick(true, 0);
        let mut s = Sched { now: self.now, k: self.active, q: &mut self.q, error: &mut self.error };
        let r = f(pool, &mut s, &c.nodes, &mut c.hosts, write);
        // Each occurrence is traced after the event it happened in.
        let after = &mut self.after_event;
        let notes = pool.take_news(&mut |o| after.push((crate::trace::TraceKind::PoolError, o.node.unwrap_or(crate::trace::NO_NODE), 0, o.arg())));
        for (node, text) in notes {
            self.note(node, NoteKind::Component("pool"), text);
        }
        r
    }

    /// Builds the `[pooling]` component of a lesson and starts its users (a lone cluster only).
    /// Its section describes the hosts, so the pipeline's CPU stage models them from now on.
    pub(crate) fn start_pool(&mut self, cfg: &crate::pool::PoolingCfg, max_connections: u64) {
        let rng = crate::rng::SimRng::derive(self.seed, "pooling");
        self.c.hosts = vec![Host::new(cfg.host()); self.c.nodes.len()];
        self.c.comps.pool = Some(Box::new(crate::pool::Pool::new(cfg.clone(), max_connections, rng)));
        self.with_pool(|p, s, _, _, w| p.start(s, w));
    }

    /// The pooling component's events: its handler, and the trace line each one leaves.
    #[inline]
    pub(crate) fn on_pool_event(&mut self, e: crate::pool::PoolEv) -> (TraceKind, u16, u64, u64) {
        use crate::pool::PoolEv;
        match e {
            PoolEv::Arrive { a } => (TraceKind::PoolArrive, NO_NODE, 0, self.with_pool(|p, s, _, _, w| p.arrive(a, s, w))),
            PoolEv::Open { c } => {
                self.with_pool(|p, s, _, _, w| p.open(c, s, w));
                (TraceKind::PoolOpen, NO_NODE, 0, c as u64)
            }
            PoolEv::AtPg { s: sv, gen } => (TraceKind::PoolAtPg, NO_NODE, 0, (sv as u64) << 1 | self.on_pool_at_pg(sv, gen)),
            PoolEv::Reply { s: sv, gen } => (TraceKind::PoolReply, NO_NODE, 0, (sv as u64) << 1 | self.on_pool_reply(sv, gen)),
        }
    }

    /// Server connection `sv`'s work reaches Postgres and enters the pipeline on its node.
    #[inline]
    pub(crate) fn on_pool_at_pg(&mut self, sv: u32, gen: u32) -> u64 {
        let (arg, job) = self.with_pool(|p, s, nodes, hosts, w| p.at_pg(sv, gen, s, nodes, hosts, w));
        if let Some((n, job)) = job {
            self.serve(n, job);
        }
        arg
    }

    /// A pooled transaction's answer reaches the app: a served one is an acknowledged commit.
    #[inline]
    pub(crate) fn on_pool_reply(&mut self, sv: u32, gen: u32) -> u64 {
        let Some(latency) = self.with_pool(|p, s, nodes, hosts, w| p.reply(sv, gen, s, nodes, hosts, w)) else { return 0 };
        self.c.metrics.commit_counted(self.now, latency);
        self.c.props.observe(crate::invariants::Prop::CommitAcked, self.now, String::new());
        1
    }

    /// A pooled server connection's CPU burst ended on its node: does its work go on to commit?
    /// (A login ends here, and a server connection closed meanwhile holds nothing.)
    #[inline(always)]
    pub(crate) fn pooled_cpu_done(&mut self, sv: u32, gen: u32) -> bool {
        self.with_pool(|p, s, nodes, hosts, w| p.cpu_done(sv, gen, s, nodes, hosts, w))
    }

    /// A pooled transaction's answer from the pipeline: back to its server connection.
    #[inline(always)]
    pub(crate) fn pooled_answered(&mut self, sv: u32, gen: u32, a: crate::pipeline::Answer) {
        self.with_pool(|p, s, _, hosts, w| p.answered(sv, gen, a, s, hosts, w))
    }

    /// The pooling run so far: `SHOW POOLS`, `SHOW STATS`, the host's gauges (`None` without `[pooling]`).
    pub fn pool_report(&self) -> Option<crate::pool::report::PoolReport> {
        let pool = self.c.comps.pool.as_deref()?;
        Some(pool.report(self.now, &self.c.hosts, self.c.proxy.pick(true, 0)))
    }

    /// The pool's per-second samples.
    pub fn pool_series(&self) -> Option<&crate::chunklog::ChunkLog<crate::pool::PoolSample, 64>> {
        self.c.comps.pool.as_deref().map(|p| p.series())
    }
}
