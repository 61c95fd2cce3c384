//! The request pipeline run in the world: a job from a client (through the proxy) or from a
//! pooled server connection passes the lock stage, takes a CPU core (or waits in the run queue),
//! runs, commits, and its answer goes back to its origin. The stages' state is `pipeline/`'s;
//! the commit is `requests.rs`'s.
use crate::event::{Origin, Sched};
use crate::pipeline::{Answer, OK, READ_ONLY, REFUSED};
use crate::pipeline::{Job, Work};
use crate::postgres::{PgState, Role};
use crate::world::World;

impl World {
    /// `job` reaches node `n`'s server: the lock stage, then the CPU. Returns the commit's
    /// (LSN, xid) when it committed at once (the direct path on a host whose CPU is not modelled).
    #[inline]
    pub(crate) fn serve(&mut self, n: u16, job: Job) -> (u64, u64) {
        if job.work != Work::Login {
            if let Some(locks) = self.c.locks.as_deref_mut() {
                if !locks.admit(n, &job, self.now) {
                    return (0, 0);
                }
            }
        }
        self.cpu_stage(n, job)
    }

    #[inline]
    fn cpu_stage(&mut self, n: u16, job: Job) -> (u64, u64) {
        let host = &mut self.c.hosts[n as usize];
        if !host.modelled() || job.cpu_us == 0 {
            return self.after_cpu(n, job);
        }
        let mut s = Sched { now: self.now, k: self.active, q: &mut self.q, error: &mut self.error };
        host.run(n, job, &mut s);
        (0, 0)
    }

    /// A CPU burst on node `n`'s core ends; its job goes on unless it was abandoned. The trace's
    /// figure: the origin's index, whether it is pooled, and whether the burst was still wanted.
    #[inline]
    pub(crate) fn on_cpu_done(&mut self, n: u16, core: u16, origin: Origin) -> u64 {
        let mut s = Sched { now: self.now, k: self.active, q: &mut self.q, error: &mut self.error };
        let job = self.c.hosts[n as usize].done(n, core, origin, &mut s);
        let (id, pooled) = match origin {
            Origin::Client { c, .. } => (c, 0),
            Origin::Pooled { sv, .. } => (sv, 2),
        };
        let held = job.is_some();
        if let Some(job) = job {
            self.after_cpu(n, job);
        }
        (u64::from(id) << 2) | pooled | u64::from(held)
    }

    /// The job ran: a pooled server connection's work goes back to the pool first (a login ends
    /// there; a transaction comes back to commit if its server still can), a write commits, a
    /// read answers.
    #[inline]
    fn after_cpu(&mut self, n: u16, job: Job) -> (u64, u64) {
        let origin = job.origin;
        if let Origin::Pooled { sv, gen } = origin {
            if !self.pooled_cpu_done(sv, gen) {
                // A login ended here, or the server connection is gone: it holds nothing.
                self.release_locks(n, origin);
                return (0, 0);
            }
        }
        let node = &self.c.nodes[n as usize];
        let code = match (node.pg, node.role, node.writable, job.work) {
            (PgState::Running, _, _, Work::Read | Work::Login) => OK,
            (PgState::Running, Role::Primary, true, Work::Write { key }) => return self.commit(n, origin, key),
            (PgState::Running, _, _, Work::Write { .. }) => READ_ONLY,
            _ => REFUSED,
        };
        let tl = node.tl;
        self.answer(n, origin, Answer { tl, ..Answer::error(code) });
        (0, 0)
    }

    /// The answer to `origin`'s request on node `n` (its transaction ended: its locks go).
    #[inline]
    pub(crate) fn answer(&mut self, n: u16, origin: Origin, a: Answer) {
        self.release_locks(n, origin);
        match origin {
            Origin::Client { c, gen } => self.send_to_client(n, c, gen, a),
            Origin::Pooled { sv, gen } => self.pooled_answered(sv, gen, a),
        }
    }

    /// `origin`'s transaction ended on node `n`: the jobs its locks held back go on to the CPU.
    #[inline]
    fn release_locks(&mut self, n: u16, origin: Origin) {
        if let Some(locks) = self.c.locks.as_deref_mut() {
            for job in locks.release(n, origin, self.now) {
                self.cpu_stage(n, job);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::LockStage;
    use std::collections::VecDeque;
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    use std::sync::Arc;

    /// A lock stage that lets one write run per node at a time (a table-level exclusive lock),
    /// queueing the others FIFO; it counts what it saw.
    #[derive(Clone, Debug, Default)]
    struct OneWriter {
        holder: Vec<Option<Origin>>,
        queue: Vec<VecDeque<Job>>,
        seen: Arc<[AtomicU64; 3]>,
    }

    impl LockStage for OneWriter {
        fn admit(&mut self, n: u16, job: &Job, _: crate::time::SimTime) -> bool {
            let n = n as usize;
            if self.holder.len() <= n {
                self.holder.resize(n + 1, None);
                self.queue.resize(n + 1, VecDeque::new());
            }
            self.seen[0].fetch_add(1, Relaxed);
            if !matches!(job.work, Work::Write { .. }) {
                return true;
            }
            if self.holder[n].is_some() {
                self.seen[1].fetch_add(1, Relaxed);
                self.queue[n].push_back(*job);
                return false;
            }
            self.holder[n] = Some(job.origin);
            true
        }
        fn release(&mut self, n: u16, origin: Origin, _: crate::time::SimTime) -> Vec<Job> {
            let n = n as usize;
            if self.holder.get(n).copied().flatten() != Some(origin) {
                return Vec::new();
            }
            self.seen[2].fetch_add(1, Relaxed);
            let next = self.queue[n].pop_front();
            self.holder[n] = next.map(|j| j.origin);
            next.into_iter().collect()
        }
        fn clone_box(&self) -> Box<dyn LockStage> {
            Box::new(self.clone())
        }
    }

    /// A two-node lesson of ten seconds with `load`: `[workload]` clients, or `[pooling]` users.
    fn lesson(load: &str) -> String {
        format!("[lesson]\ntitle = \"t\"\n[run]\nseed = 3\nduration = \"10s\"\n[[nodes]]\nname = \"pg1\"\n[[nodes]]\nname = \"pg2\"\n{load}")
    }
    const DIRECT: &str = "[workload]\nclients = 20\nwrite_tps = 400";
    const POOLED: &str =
        "[workload]\nclients = 0\n[pooling]\nusers = 2000\nthink_time = \"1s\"\napp_servers = 4\napp_pool_size = 5\n[pooling.pgbouncer]\npool_mode = \"transaction\"\ndefault_pool_size = 8";

    /// Runs `src` with the lock stage installed: (admitted or queued, queued, released) and the
    /// run's acknowledged commits.
    fn run_locked(src: &str) -> ([u64; 3], u64) {
        let (_, mut w) = crate::load("t.toml", &lesson(src), None).expect("valid");
        let stage = OneWriter::default();
        let seen = stage.seen.clone();
        w.c.locks = Some(Box::new(stage));
        w.run_to_end().expect("runs");
        (std::array::from_fn(|i| seen[i].load(Relaxed)), w.c.metrics.commits_acked)
    }

    #[test]
    fn every_request_passes_the_lock_stage_and_waits_there_when_it_must() {
        for src in [DIRECT, POOLED] {
            let ([admit, queued, released], acked) = run_locked(src);
            assert!(acked > 100, "commits go on through a lock stage: {acked}");
            assert!(queued > 0 && queued < admit, "some writes waited for the lock: {queued} of {admit}");
            assert!(released + 1 >= acked, "every answered write released its lock: {released} of {acked}");
        }
        let (_, mut w) = crate::load("t.toml", &lesson(POOLED), None).expect("valid");
        w.run_to_end().expect("runs");
        assert!(w.c.metrics.commits_acked > 100, "pooled transactions commit through the pipeline");
        assert!(w.c.nodes[0].flush_lsn > crate::build::INITIAL_LSN, "and write WAL the primary flushes");
    }
}
