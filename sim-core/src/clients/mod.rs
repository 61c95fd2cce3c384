//! The client workload: closed-loop clients that write and read through the proxy, and reconnect.
use crate::postgres::{Pending, PgState, Role};
use crate::rng::{SimRng, Zipf};
use crate::scenario::SyncCommit;
use crate::scenario::{KeyDist, WorkloadCfg};
use crate::time::{SimDur, SimTime};
use crate::world::NoteKind;
use crate::world::{Ev, World};

/// One client session and its request in flight.
#[derive(Clone, Debug)]
pub(crate) struct Client {
    pub gen: u32,
    pub busy: bool,
    pub node: u16,
    pub write: bool,
    pub sent_at: SimTime,
    /// The row the current request writes, and (for the router's connections) the version.
    pub key: u64,
    pub ver: u64,
    pub next_at: SimTime,
}

/// The client workload: its sessions, its settings and its own random stream. Its methods
/// borrow only this; the world's handlers below wire it to the proxy, the servers and the metrics.
#[derive(Clone, Debug)]
pub(crate) struct Clients {
    pub list: Vec<Client>,
    pub wl: WorkloadCfg,
    pub rng: SimRng,
    pub zipf: Option<Zipf>,
    /// The sessions are the shard router's connections: they send only what the router hands
    /// them, and their answers go back to the router.
    pub driven: bool,
}

/// A request that ended with an answer: what it was and when the client may send the next.
pub(crate) struct Done {
    pub write: bool,
    pub sent_at: SimTime,
    pub next_at: SimTime,
}

impl Clients {
    /// Whether the workload sends anything at all.
    pub fn active(&self) -> bool {
        self.wl.clients > 0 && (self.wl.write_tps + self.wl.read_tps) > 0.0
    }

    #[inline]
    fn mean_gap_us(&self) -> u64 {
        let tps = self.wl.write_tps + self.wl.read_tps;
        (self.wl.clients as f64 * 1e6 / tps) as u64
    }

    /// The key a write touches (kept for later chapters; zipf or uniform).
    #[inline]
    fn key(&mut self) -> u64 {
        match (&self.zipf, self.wl.distribution) {
            (Some(z), KeyDist::Zipf) => z.sample(&mut self.rng),
            _ => 1 + self.rng.below(self.wl.keys.max(1)),
        }
    }

    /// Client `c`'s next request, if it is idle: whether it writes, and the key.
    #[inline]
    pub fn draw(&mut self, c: u32) -> Option<(bool, u64)> {
        if self.list[c as usize].busy {
            return None;
        }
        let total = self.wl.write_tps + self.wl.read_tps;
        let write = self.rng.unit() * total < self.wl.write_tps;
        Some((write, self.key()))
    }

    /// Client `c` sends its request to node `n` at `now`; its generation, so a late timeout or
    /// reply of an earlier request can never end this one. Draws its think time.
    #[inline]
    pub fn start(&mut self, c: u32, write: bool, key: u64, n: u16, now: SimTime) -> u32 {
        let gen = self.send(c, write, key, n, now);
        let gap = self.rng.exp(self.mean_gap_us());
        self.list[c as usize].next_at = now + SimDur(gap);
        gen
    }

    /// Client `c` waits for its request to node `n` (sent at `now`): the request's generation.
    /// (A router's connection sends what the router hands it, with no think time.)
    #[inline]
    pub fn send(&mut self, c: u32, write: bool, key: u64, n: u16, now: SimTime) -> u32 {
        let cl = &mut self.list[c as usize];
        cl.busy = true;
        cl.write = write;
        cl.node = n;
        cl.sent_at = now;
        cl.key = key;
        cl.gen = cl.gen.wrapping_add(1);
        cl.gen
    }

    /// The answer to request `gen` of client `c` arrives; `None` if the client stopped waiting.
    #[inline]
    pub fn finish(&mut self, c: u32, gen: u32) -> Option<Done> {
        let cl = &mut self.list[c as usize];
        if cl.gen != gen || !cl.busy {
            return None;
        }
        cl.busy = false;
        Some(Done { write: cl.write, sent_at: cl.sent_at, next_at: cl.next_at })
    }

    /// Client `c` stops waiting for request `gen`: whether it wrote, and the node it waited on.
    #[inline]
    pub fn give_up(&mut self, c: u32, gen: u32) -> Option<(bool, u16)> {
        let cl = &mut self.list[c as usize];
        if cl.gen != gen || !cl.busy {
            return None;
        }
        cl.gen += 1;
        cl.busy = false;
        Some((cl.write, cl.node))
    }

    /// When client `c` stops waiting for its current request, and that request's generation.
    #[inline]
    pub fn deadline(&self, c: u32) -> (SimTime, u32) {
        let cl = &self.list[c as usize];
        (cl.sent_at + self.wl.timeout.0, cl.gen)
    }

    /// The deadline of request `gen` of client `c`, if the client still waits for it.
    #[inline]
    pub fn waiting(&self, c: u32, gen: u32) -> Option<SimTime> {
        let cl = &self.list[c as usize];
        (cl.gen == gen && cl.busy).then(|| cl.sent_at + self.wl.timeout.0)
    }

    /// Closes the sessions waiting on node `n`: each client and the generation its answer (the
    /// connection's termination) carries.
    pub fn close_on(&mut self, n: u16) -> Vec<(u32, u32)> {
        let mut closed = Vec::new();
        for (c, cl) in self.list.iter_mut().enumerate() {
            if cl.busy && cl.node == n {
                cl.gen += 1;
                closed.push((c as u32, cl.gen));
            }
        }
        closed
    }
}

pub const OK: u8 = 0;
/// No backend: the proxy had no healthy server for the request.
pub const NO_BACKEND: u8 = 1;
/// `cannot execute INSERT in a read-only transaction`.
pub const READ_ONLY: u8 = 2;
/// The server closed the connection (crash, demotion, shutdown).
pub const TERMINATED: u8 = 3;
/// Connection refused: Postgres is not running there.
pub const REFUSED: u8 = 4;
/// `ERROR: relation "accounts" does not exist` (after a DROP TABLE).
pub const UNDEFINED_TABLE: u8 = 5;

/// What a server answers a client: a result code, and for a commit its timeline, LSN and commit time.
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

/// WAL records are 8-byte aligned (MAXALIGN).
pub(crate) fn align8(v: u64) -> u64 {
    (v + 7) & !7
}

impl World {
    pub(crate) fn on_issue(&mut self, c: u32) -> u64 {
        let Some((write, key)) = self.c.cl.draw(c) else { return 0 };
        let Some(n) = self.c.proxy.pick(write, c) else {
            self.c.metrics.request_failed(write);
            self.after(self.c.cl.wl.backoff.0, Ev::Issue { c });
            return u64::MAX;
        };
        let gen = self.c.cl.start(c, write, key, n, self.now);
        self.send_request(c, gen, n, write);
        n as u64
    }

    /// Client `c`'s request `gen` leaves for node `n` through the proxy.
    pub(crate) fn send_request(&mut self, c: u32, gen: u32, n: u16, write: bool) {
        match self.client_path(n, true) {
            Some(d) => self.after(d, Ev::Arrive { c, gen, n, write }),
            None => self.after(self.c.cl.wl.timeout.0, Ev::Timeout { c, gen }),
        }
    }

    /// Delay from the clients through the proxy to node `n` (or back), if both hops are up.
    fn client_path(&mut self, n: u16, to_node: bool) -> Option<SimDur> {
        let (cl, px, nd) = (self.c.eps.clients, self.c.eps.proxy, n as usize);
        let (net, rng) = (&mut self.c.net, &mut self.c.rng_net);
        let mut tcp = |a, b| crate::postgres::replication::tcp(net, rng, a, b);
        let (a, b) = if to_node { (tcp(cl, px)?, tcp(px, nd)?) } else { (tcp(nd, px)?, tcp(px, cl)?) };
        Some(SimDur(a.0 + b.0))
    }

    /// A request reaches node `n`; returns the commit's (LSN, xid), or zeros.
    pub(crate) fn on_arrive(&mut self, c: u32, gen: u32, n: u16, write: bool) -> (u64, u64) {
        if self.c.cl.list[c as usize].gen != gen {
            return (0, 0);
        }
        let node = &self.c.nodes[n as usize];
        if !node.host_up {
            self.time_out_client(c);
            return (0, 0);
        }
        let code = match (node.pg, node.role, node.writable) {
            (PgState::Running, _, _) if !write => OK,
            (PgState::Running, Role::Primary, true) => return self.commit(c, gen, n),
            (PgState::Running, _, _) => READ_ONLY,
            _ => REFUSED,
        };
        let tl = node.tl;
        self.send_to_client(n, c, gen, Answer { tl, ..Answer::error(code) });
        (0, 0)
    }

    /// Inserts a commit record and waits for the flush and sync rules, or acknowledges at once when off.
    /// Returns the new commit record's (LSN, xid).
    fn commit(&mut self, c: u32, gen: u32, n: u16) -> (u64, u64) {
        let rec = align8(self.c.pgc.wal_bytes_per_commit);
        if self.disk_would_fill(n, rec) {
            self.disk_full(n);
            return (0, 0);
        }
        if self.table_gone(n) {
            let tl = self.c.nodes[n as usize].tl;
            self.send_to_client(n, c, gen, Answer { tl, ..Answer::error(UNDEFINED_TABLE) });
            return (0, 0);
        }
        let now_us = self.now.0;
        let level = self.level();
        let node = &mut self.c.nodes[n as usize];
        node.insert_lsn += rec;
        let xid = node.next_xid;
        node.next_xid += 1;
        let (lsn, tl) = (node.insert_lsn, node.tl);
        let key = self.c.cl.list[c as usize].key;
        self.record_inserted(n, lsn, xid, crate::pitr::Op::Write { key });
        let node = &mut self.c.nodes[n as usize];
        if level == SyncCommit::Off {
            self.send_to_client(n, c, gen, Answer { code: OK, tl, lsn, commit_us: now_us });
        } else {
            node.pending.push_back(Pending { lsn, client: c, gen, commit_us: now_us, xid });
            self.repl().kick_flush(n);
            // The client's own deadline: a commit may wait for the flush and a synchronous
            // standby for as long as they take, but the client stops waiting after `timeout`.
            let deadline = self.c.cl.deadline(c).0;
            self.arm_deadline_check(n, deadline);
        }
        (lsn, xid)
    }

    fn disk_would_fill(&self, n: u16, extra: u64) -> bool {
        let node = &self.c.nodes[n as usize];
        node.data_bytes + node.wal_retained(&self.c.slots, n) + extra > node.disk_bytes
    }

    /// Sends a reply to client `c`; if it cannot arrive, the client times out instead.
    pub(crate) fn send_to_client(&mut self, n: u16, c: u32, gen: u32, a: Answer) {
        let path = if self.c.nodes[n as usize].host_up { self.client_path(n, false) } else { None };
        match path {
            Some(d) => self.after(d, Ev::Reply { c, gen, code: a.code, tl: a.tl, lsn: a.lsn, commit_us: a.commit_us }),
            None => self.time_out_client(c),
        }
    }

    fn time_out_client(&mut self, c: u32) {
        let (at, gen) = self.c.cl.deadline(c);
        self.push(at, Ev::Timeout { c, gen });
    }

    pub(crate) fn on_reply(&mut self, c: u32, gen: u32, code: u8, tl: u32, lsn: u64, commit_us: u64) {
        let Some(Done { write, sent_at, next_at }) = self.c.cl.finish(c, gen) else { return };
        if self.c.cl.driven {
            self.driven_done(c, code);
        }
        if code != OK {
            self.c.metrics.request_failed(write);
            if !self.c.cl.driven {
                self.after(self.c.cl.wl.backoff.0, Ev::Issue { c });
            }
            return;
        }
        if write {
            self.c.metrics.commit_acked(tl, lsn, commit_us, self.now, self.now.since(sent_at));
            self.c.props.observe(crate::invariants::Prop::CommitAcked, self.now, String::new());
        } else {
            self.c.metrics.reads_ok += 1;
        }
        if !self.c.cl.driven {
            self.push(next_at.max(self.now), Ev::Issue { c });
        }
    }

    pub(crate) fn on_timeout(&mut self, c: u32, gen: u32) -> u64 {
        let Some((write, n)) = self.c.cl.give_up(c, gen) else { return 0 };
        self.c.metrics.request_failed(write);
        if self.c.cl.driven {
            self.driven_done(c, crate::clients::TERMINATED);
        } else {
            self.after(self.c.cl.wl.backoff.0, Ev::Issue { c });
        }
        self.cancel_commit_wait(n, c, gen);
        1
    }

    /// Makes sure node `n`'s deadline check runs no later than `at`.
    fn arm_deadline_check(&mut self, n: u16, at: SimTime) {
        let due = &mut self.c.deadline_check[n as usize];
        if due.is_none_or(|t| at < t) {
            *due = Some(at);
            self.push(at, Ev::DeadlineCheck { n });
        }
    }

    /// Times out every commit queued on `n` whose client's deadline has come, then arms the
    /// check for the earliest deadline left. Returns how many were given up.
    pub(crate) fn on_deadline_check(&mut self, n: u16) -> u64 {
        if self.c.deadline_check[n as usize] != Some(self.now) {
            return 0; // superseded by an earlier check
        }
        self.c.deadline_check[n as usize] = None;
        let (mut due, mut next) = (Vec::new(), None::<SimTime>);
        for p in &self.c.nodes[n as usize].pending {
            let Some(deadline) = self.c.cl.waiting(p.client, p.gen) else { continue };
            if deadline <= self.now {
                due.push((p.client, p.gen));
            } else {
                next = Some(next.map_or(deadline, |t| t.min(deadline)));
            }
        }
        for &(c, gen) in &due {
            self.on_timeout(c, gen);
        }
        if let Some(t) = next {
            self.arm_deadline_check(n, t);
        }
        due.len() as u64
    }

    /// The client gave up on a commit still queued on `n`. PostgreSQL cannot take a commit back:
    /// once its record is flushed it stays committed locally, and a backend waiting for a
    /// synchronous standby stops waiting with a WARNING. The row is there, though the client was
    /// told the request failed.
    fn cancel_commit_wait(&mut self, n: u16, c: u32, gen: u32) {
        let node = &mut self.c.nodes[n as usize];
        let Some(i) = node.pending.iter().position(|p| p.client == c && p.gen == gen) else { return };
        let Some(p) = node.pending.remove(i) else { return };
        if p.lsn > node.flush_lsn {
            // Still being flushed: it commits when the flush completes, with nobody waiting.
            return;
        }
        self.c.metrics.sync_waits_canceled += 1;
        if self.c.metrics.sync_waits_canceled == 1 {
            self.note(
                Some(n),
                NoteKind::Client,
                "a client gave up waiting: WARNING: canceling wait for synchronous replication due to user request; DETAIL: The transaction has already committed locally, but might not have been replicated to the standby.".into(),
            );
        }
    }

    /// The proxy marked `n` down: it closes the sessions of clients waiting on it.
    pub(crate) fn shutdown_sessions(&mut self, n: u16) {
        for (c, gen) in self.c.cl.close_on(n) {
            self.c.nodes[n as usize].pending.retain(|p| p.client != c);
            self.after(SimDur(0), Ev::Reply { c, gen, code: TERMINATED, tl: 0, lsn: 0, commit_us: 0 });
        }
    }
}
