//! The request pipeline on a PostgreSQL host, one for every way a query arrives (a client's
//! request through the proxy, or a transaction on a server connection HikariCP or PgBouncer
//! holds): the lock stage, a CPU core or the run queue, the commit, and the answer back to where
//! it came from. This module holds the stages' state; `world/pipeline.rs` runs a job through them.
//!
//! - **Lock stage** ([`Locks`]): PostgreSQL's table-lock manager (`locks/`), present when a
//!   lesson has a component that takes table locks (the migration component); a job whose lock
//!   conflicts waits in its table's queue until a transaction's end grants it.
//! - **CPU** ([`Host`]): a lesson that describes the host (`[pooling]`'s `cores`, `ram_gb`…) gets
//!   cores with a FIFO run queue; a burst takes longer with every backend in a transaction beyond
//!   the core count (`KAPPA`) and many times longer once the host swaps (`SWAP_FACTOR`). Without
//!   that description the host's CPU is not modelled and the stage passes a job straight on.
//! - **Commit**: a write inserts its WAL record and waits for the flush and the synchronous
//!   standbys `synchronous_commit` asks for (`world/requests.rs`), then answers its origin.
use crate::event::{Ev, Origin, Sched};
use crate::locks::LockMode;
use crate::time::SimDur;
use std::collections::VecDeque;

/// Each backend in a transaction beyond the core count makes every CPU burst longer by this
/// share (the coherency term of Gunther's Universal Scalability Law: snapshot building scans
/// every backend, lock and buffer-mapping contention, context switches). With 0.002, 500 active
/// backends on 16 cores need twice the CPU per transaction, the shape pgbench shows past a few
/// hundred active connections.
pub const KAPPA: f64 = 0.002;
/// Once shared_buffers + backends × backend memory + work_mem in use exceeds the host's RAM, the
/// host swaps and every CPU burst takes this many times longer.
pub const SWAP_FACTOR: u64 = 8;

/// An answer's result codes.
pub const OK: u8 = 0;
/// No backend: the proxy had no healthy server for the request.
pub const NO_BACKEND: u8 = 1;
/// `cannot execute INSERT in a read-only transaction`.
pub const READ_ONLY: u8 = 2;
/// The server closed the connection (crash, demotion, shutdown).
pub const TERMINATED: u8 = 3;
/// Connection refused: Postgres is not running there.
pub const REFUSED: u8 = 4;
/// `ERROR: relation "accounts" does not exist` (42P01: after a DROP TABLE, or for a version
/// whose pgroll version schema is gone).
pub const UNDEFINED_TABLE: u8 = 5;
/// `ERROR: column "x" does not exist` (42703): the application's version names a column the
/// schema no longer (or does not yet) have.
pub const UNDEFINED_COLUMN: u8 = 6;

/// What a server answers a request (a client's, or a pooled transaction's): a result code, and for a commit its timeline, LSN and commit time.
#[derive(Copy, Clone, Debug)]
pub struct Answer {
    pub code: u8,
    pub tl: u32,
    pub lsn: u64,
    pub commit_us: u64,
}

impl Answer {
    pub fn error(code: u8) -> Answer {
        Answer { code, tl: 0, lsn: 0, commit_us: 0 }
    }
}

/// What a job does once it has its locks and its CPU.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Work {
    /// A new backend's start-up and authentication (no locks, no commit).
    Login,
    Read,
    /// A write of `key` in the clients' table: a commit.
    Write {
        key: u64,
    },
    /// A session's statement (DDL, a long-running query) that takes `mode` on `table` and does
    /// its work once granted (its session's component, not the pipeline, ends it).
    Hold {
        table: u16,
        mode: LockMode,
    },
}

/// A query on its way through the stages.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Job {
    pub origin: Origin,
    pub work: Work,
    /// CPU time it needs on an idle host (µs; 0 where the host's CPU is not modelled).
    pub cpu_us: u64,
}

/// The lock stage: PostgreSQL's table-lock manager over the pipeline's jobs (owned by their
/// origin, each waiting request carrying its job until it is granted). The world holds one when
/// a lesson has a component that takes table locks (`[migration]`); until then every job passes.
pub(crate) type Locks = crate::locks::LockTable<Origin, Job>;

/// The table lock a job takes: a client's read takes ACCESS SHARE on the clients' table (table
/// 0), a write ROW EXCLUSIVE; a session's statement the lock its work names; a login none.
#[inline]
pub(crate) fn lock_of(work: Work) -> Option<(u16, LockMode)> {
    match work {
        Work::Login => None,
        Work::Read => Some((0, LockMode::AccessShare)),
        Work::Write { .. } => Some((0, LockMode::RowExclusive)),
        Work::Hold { table, mode } => Some((table, mode)),
    }
}

/// The host a lesson describes (`cores` 0: its CPU is not modelled).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HostCfg {
    pub cores: u32,
    pub ram_mb: u64,
    pub shared_buffers_mb: u64,
    /// Private memory of one backend.
    pub backend_mb: u64,
    /// `work_mem`, and the share of running transactions with a sort or hash using it.
    pub work_mem_mb: u64,
    pub work_mem_share: f64,
}

/// A PostgreSQL host's CPU and memory: its cores and who holds each, the run queue, and the
/// backends (counted by whoever opens them: the pooling component) against its memory.
#[derive(Clone, Debug, Default)]
pub struct Host {
    pub cfg: HostCfg,
    /// The job on each core.
    held: Vec<Option<Job>>,
    free: Vec<u16>,
    /// Jobs waiting for a core.
    runq: VecDeque<Job>,
    /// Backends open, and those in a transaction.
    pub backends: u32,
    pub active: u32,
    pub max_mem_mb: u64,
}

impl Host {
    pub fn new(cfg: HostCfg) -> Host {
        let cores = cfg.cores.min(u32::from(u16::MAX)) as u16;
        Host { held: vec![None; cores as usize], free: (0..cores).rev().collect(), cfg, ..Host::default() }
    }

    /// Whether the lesson describes this host's CPU.
    #[inline]
    pub fn modelled(&self) -> bool {
        !self.held.is_empty()
    }

    pub fn busy(&self) -> u32 {
        (self.held.len() - self.free.len()) as u32
    }

    pub fn runq_len(&self) -> u32 {
        self.runq.len() as u32
    }

    /// Memory in use: shared_buffers, every backend, and the work_mem of running sorts.
    pub fn mem_mb(&self) -> u64 {
        let c = &self.cfg;
        let sorts = (f64::from(self.active) * c.work_mem_share) as u64;
        c.shared_buffers_mb + u64::from(self.backends) * c.backend_mb + sorts * c.work_mem_mb
    }

    /// `job`'s `cpu_us` on node `n`: a core if one is free (its `CpuDone` is scheduled), the
    /// run queue if not.
    #[inline]
    pub(crate) fn run(&mut self, n: u16, job: Job, s: &mut Sched) {
        let mem = self.mem_mb();
        self.max_mem_mb = self.max_mem_mb.max(mem);
        let Some(core) = self.free.pop() else {
            self.runq.push_back(job);
            return;
        };
        self.held[core as usize] = Some(job);
        let over = self.active.saturating_sub(self.cfg.cores);
        let swap = if mem > self.cfg.ram_mb { SWAP_FACTOR } else { 1 };
        let t = (job.cpu_us as f64 * (1.0 + KAPPA * f64::from(over))) as u64 * swap;
        s.after(SimDur(t.max(1)), Ev::CpuDone { n, core, origin: job.origin });
    }

    /// The burst of `origin` on `core` ends: its job, if it still held the core (not
    /// abandoned). The core goes to the next job in the run queue.
    #[inline]
    pub(crate) fn done(&mut self, n: u16, core: u16, origin: Origin, s: &mut Sched) -> Option<Job> {
        let job = self.held.get(core as usize).copied().flatten().filter(|j| j.origin == origin)?;
        self.free_core(n, core, s);
        Some(job)
    }

    fn free_core(&mut self, n: u16, core: u16, s: &mut Sched) {
        self.held[core as usize] = None;
        self.free.push(core);
        if let Some(next) = self.runq.pop_front() {
            self.run(n, next, s);
        }
    }

    /// `origin` no longer wants the CPU (its connection closed): off its core or out of the queue.
    pub(crate) fn abandon(&mut self, n: u16, origin: Origin, s: &mut Sched) {
        match self.held.iter().position(|h| h.is_some_and(|j| j.origin == origin)) {
            Some(core) => self.free_core(n, core as u16, s),
            None => self.runq.retain(|j| j.origin != origin),
        }
    }

    /// The host went down: every core and the run queue empty.
    pub(crate) fn clear(&mut self) {
        let cores = self.held.len() as u16;
        self.held.iter_mut().for_each(|h| *h = None);
        self.free = (0..cores).rev().collect();
        self.runq.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Scoped;
    use crate::queue::EventQueue;
    use crate::time::SimTime;

    fn host(cores: u32) -> Host {
        Host::new(HostCfg { cores, ram_mb: 1024, ..HostCfg::default() })
    }

    fn job(origin: Origin, cpu_us: u64) -> Job {
        Job { origin, work: Work::Write { key: 1 }, cpu_us }
    }

    /// Runs `f` with a scheduler over a queue of its own.
    fn with_sched(f: impl FnOnce(&mut Sched)) {
        let mut q: EventQueue<Scoped> = EventQueue::new(64);
        let mut error = None;
        f(&mut Sched { now: SimTime::ZERO, k: 0, q: &mut q, error: &mut error });
    }

    #[test]
    fn a_job_waits_for_a_core_and_gets_the_one_freed() {
        with_sched(|s| {
            let mut h = host(1);
            let (a, b) = (Origin::Pooled { sv: 0, gen: 1 }, Origin::Pooled { sv: 1, gen: 1 });
            h.run(0, job(a, 100), s);
            h.run(0, job(b, 100), s);
            assert_eq!((h.busy(), h.runq_len()), (1, 1));
            assert!(h.done(0, 0, b, s).is_none(), "b is not on the core");
            assert_eq!(h.done(0, 0, a, s), Some(job(a, 100)));
            assert_eq!((h.busy(), h.runq_len()), (1, 0), "b took the freed core");
            h.abandon(0, b, s);
            assert_eq!(h.busy(), 0);
            assert!(h.done(0, 0, b, s).is_none(), "an abandoned burst's end is stale");
        });
    }

    #[test]
    fn an_abandoned_job_leaves_the_run_queue_and_a_crash_empties_the_host() {
        with_sched(|s| {
            let mut h = host(1);
            for sv in 0..3 {
                h.run(0, job(Origin::Pooled { sv, gen: 0 }, 10), s);
            }
            h.abandon(0, Origin::Pooled { sv: 1, gen: 0 }, s);
            assert_eq!(h.runq_len(), 1);
            h.clear();
            assert_eq!((h.busy(), h.runq_len()), (0, 0));
            assert!(!Host::default().modelled() && host(2).modelled());
        });
    }

    #[test]
    fn memory_counts_backends_and_running_sorts() {
        let mut h = Host::new(HostCfg { cores: 4, ram_mb: 4096, shared_buffers_mb: 1024, backend_mb: 10, work_mem_mb: 4, work_mem_share: 0.5 });
        h.backends = 100;
        h.active = 10;
        assert_eq!(h.mem_mb(), 1024 + 1000 + 5 * 4);
    }
}
