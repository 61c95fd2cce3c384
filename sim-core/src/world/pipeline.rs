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
    /// Locks the lock table granted while a conflicting one was held (must be 0), and requests
    /// that had to wait.
    pub fn lock_counts(&self) -> (u64, u64) {
        self.c.locks.as_deref().map_or((0, 0), |l| (l.conflicting_grants, l.waits))
    }

    /// `job` reaches node `n`'s server: the lock stage, then the CPU. Returns the commit's
    /// (LSN, xid) when it committed at once (the direct path on a host whose CPU is not modelled).
    #[inline]
    pub(crate) fn serve(&mut self, n: u16, job: Job) -> (u64, u64) {
        self.version_arrived(job.origin);
        if let Some(locks) = self.c.locks.as_deref_mut() {
            if let Some((table, mode)) = crate::pipeline::lock_of(job.work) {
                if !locks.acquire(n, table, mode, job.origin, job, self.now) {
                    // A client's driver cancels the query at its timeout (`withdraw_lock_wait`).
                    if let Origin::Client { c, .. } = job.origin {
                        self.time_out_client(c);
                    }
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
            Origin::Pooled { sv, .. } | Origin::Session { s: sv, .. } => (sv, 2),
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
    pub(crate) fn after_cpu(&mut self, n: u16, job: Job) -> (u64, u64) {
        let origin = job.origin;
        match origin {
            Origin::Pooled { sv, gen } => {
                if !self.pooled_cpu_done(sv, gen) {
                    // A login ended here, or the server connection is gone: it holds nothing.
                    self.release_locks(n, origin);
                    return (0, 0);
                }
            }
            // A session's statement has its lock: its own component runs its work and ends it.
            Origin::Session { s, gen } => {
                self.session_granted(n, s, gen);
                return (0, 0);
            }
            Origin::Client { .. } => {}
        }
        // Its version may name a column the schema lacks (with `[migration]` versions only).
        if self.version_refuses(n, &job) {
            return (0, 0);
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
        self.version_answered(origin, a.code);
        match origin {
            Origin::Client { c, gen } => self.send_to_client(n, c, gen, a),
            Origin::Pooled { sv, gen } => self.pooled_answered(sv, gen, a),
            Origin::Session { .. } => {}
        }
    }

    /// `origin`'s request waiting in node `n`'s lock queue is cancelled (a client gave up): the
    /// requests it held back go on.
    #[inline]
    pub(crate) fn withdraw_lock_wait(&mut self, n: u16, origin: Origin) {
        if let Some(locks) = self.c.locks.as_deref_mut() {
            for job in locks.withdraw(n, origin, self.now) {
                self.cpu_stage(n, job);
            }
        }
    }

    /// `origin`'s transaction ended on node `n` (or its waiting statement was cancelled): the
    /// jobs its lock held back go on to the CPU.
    #[inline]
    pub(crate) fn release_locks(&mut self, n: u16, origin: Origin) {
        if let Some(locks) = self.c.locks.as_deref_mut() {
            for job in locks.release(n, origin, self.now) {
                self.cpu_stage(n, job);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::event::Origin;
    use crate::locks::LockMode;
    use crate::pipeline::{Job, Locks, Work};
    use crate::time::SimTime;

    /// A two-node lesson of ten seconds with `load`: `[workload]` clients, or `[pooling]` users.
    fn lesson(load: &str) -> String {
        format!("[lesson]\ntitle = \"t\"\n[run]\nseed = 3\nduration = \"10s\"\n[[nodes]]\nname = \"pg1\"\n[[nodes]]\nname = \"pg2\"\n{load}")
    }
    const DIRECT: &str = "[workload]\nclients = 20\nwrite_tps = 400\nread_tps = 400";
    const POOLED: &str =
        "[workload]\nclients = 0\n[pooling]\nusers = 2000\nthink_time = \"1s\"\napp_servers = 4\napp_pool_size = 5\n[pooling.pgbouncer]\npool_mode = \"transaction\"\ndefault_pool_size = 8";

    /// Every client request and every pooled transaction takes its table lock: with an ACCESS
    /// EXCLUSIVE lock held on the clients' table from the start, nothing commits and the queue
    /// grows; when it goes at 5 s, the queue is granted and commits go on.
    #[test]
    fn every_request_takes_its_lock_and_waits_behind_a_conflicting_one() {
        for src in [DIRECT, POOLED] {
            let (_, mut w) = crate::load("t.toml", &lesson(src), None).expect("valid");
            let ddl = Origin::Session { s: 0, gen: 1 };
            let mut locks = Locks::new(2, 1);
            let job = Job { origin: ddl, work: Work::Hold { table: 0, mode: LockMode::AccessExclusive }, cpu_us: 0 };
            assert!(locks.acquire(0, 0, LockMode::AccessExclusive, ddl, job, SimTime::ZERO));
            w.c.locks = Some(Box::new(locks));
            w.run_until(SimTime(5_000_000)).expect("runs");
            let held = w.c.locks.as_ref().expect("installed");
            assert_eq!(w.c.metrics.commits_acked, 0, "{src}: nothing commits past the lock");
            assert!(held.waiting(0) > 0 && held.waits > 0, "{src}: requests wait in the queue");
            w.release_locks(0, ddl);
            assert_eq!(w.c.locks.as_ref().expect("installed").waiting(0), 0, "{src}: the queue is granted");
            w.run_to_end().expect("runs");
            assert!(w.c.metrics.commits_acked > 100, "{src}: commits go on: {}", w.c.metrics.commits_acked);
        }
    }
}
