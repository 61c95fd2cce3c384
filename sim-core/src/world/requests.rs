//! The server side of a client's request: the proxy hop, the commit on the primary (the request pipeline's last stage, for every origin), answers, deadlines and cancelled commit waits. The sessions themselves are `clients::Clients`'s.
use crate::clients::{align8, Answer, Done, OK, TERMINATED, UNDEFINED_TABLE};
use crate::event::Origin;
use crate::pipeline::Job;
use crate::postgres::Pending;
use crate::scenario::SyncCommit;
use crate::time::{SimDur, SimTime};
use crate::trace::{NO_BACKEND, SYNC_WAIT_CANCELED, TAKEN, WRITE};
use crate::world::NoteKind;
use crate::world::{Ev, World};

impl World {
    #[inline]
    pub(crate) fn on_issue(&mut self, c: u32) -> u64 {
        let Some((write, key)) = self.c.cl.draw(c) else { return 0 };
        let Some(n) = self.c.proxy.pick(write, c) else {
            self.c.metrics.request_failed(write);
            self.after(self.c.cl.wl.backoff.0, Ev::Issue { c });
            return NO_BACKEND | if write { WRITE } else { 0 };
        };
        let gen = self.c.cl.start(c, write, key, n, self.now);
        self.send_request(c, gen, n);
        n as u64
    }

    /// Client `c`'s request `gen` leaves for node `n` through the proxy.
    #[inline]
    pub(crate) fn send_request(&mut self, c: u32, gen: u32, n: u16) {
        match self.client_path(n, true) {
            Some(d) => self.after(d, Ev::Arrive { c, gen, n }),
            None => self.after(self.c.cl.wl.timeout.0, Ev::Timeout { c, gen }),
        }
    }

    /// Delay from the clients through the proxy to node `n` (or back), if both hops are up.
    #[inline]
    fn client_path(&mut self, n: u16, to_node: bool) -> Option<SimDur> {
        let (cl, px, nd) = (self.c.eps.clients, self.c.eps.proxy, n as usize);
        let (net, rng) = (&mut self.c.net, &mut self.c.rng_net);
        let mut tcp = |a, b| crate::postgres::replication::tcp(net, rng, a, b);
        let (a, b) = if to_node { (tcp(cl, px)?, tcp(px, nd)?) } else { (tcp(nd, px)?, tcp(px, cl)?) };
        Some(SimDur(a.0 + b.0))
    }

    /// A request reaches node `n` and enters its request pipeline; returns the commit's (LSN,
    /// xid) when it committed at once, or zeros.
    #[inline]
    pub(crate) fn on_arrive(&mut self, c: u32, gen: u32, n: u16) -> (u64, u64) {
        if self.c.cl.list[c as usize].gen != gen {
            return (0, 0);
        }
        if !self.c.nodes[n as usize].host_up {
            self.time_out_client(c);
            return (0, 0);
        }
        let job = Job { origin: Origin::Client { c, gen }, work: self.c.cl.work(c), cpu_us: 0 };
        self.serve(n, job)
    }

    /// The pipeline's last stage: inserts `origin`'s commit record (a write of `key` in the
    /// clients' table) and waits for the flush and sync rules, or acknowledges at once when off.
    /// Returns the new commit record's (LSN, xid).
    #[inline]
    pub(crate) fn commit(&mut self, n: u16, origin: Origin, key: u64) -> (u64, u64) {
        let rec = align8(self.c.pgc.wal_bytes_per_commit);
        if self.disk_would_fill(n, rec) {
            self.disk_full(n);
            return (0, 0);
        }
        if self.table_gone(n) {
            let tl = self.c.nodes[n as usize].tl;
            self.answer(n, origin, Answer { tl, ..Answer::error(UNDEFINED_TABLE) });
            return (0, 0);
        }
        let now_us = self.now.0;
        let level = self.level();
        let (lsn, xid) = self.c.nodes[n as usize].insert_commit(rec);
        let tl = self.c.nodes[n as usize].tl;
        self.record_inserted(n, lsn, xid, crate::pitr::Op::Write { table: crate::pitr::ACCOUNTS, key });
        if level == SyncCommit::Off {
            self.answer(n, origin, Answer { code: OK, tl, lsn, commit_us: now_us });
        } else {
            self.c.nodes[n as usize].pending.push_back(Pending { lsn, origin, commit_us: now_us, xid });
            self.repl().kick_flush(n);
            // The client's own deadline: a commit may wait for the flush and a synchronous
            // standby for as long as they take, but the client stops waiting after `timeout`.
            if let Origin::Client { c, .. } = origin {
                let deadline = self.c.cl.deadline(c).0;
                self.arm_deadline_check(n, deadline);
            }
        }
        (lsn, xid)
    }

    fn disk_would_fill(&self, n: u16, extra: u64) -> bool {
        let node = &self.c.nodes[n as usize];
        node.data_bytes + node.wal_retained(&self.c.slots, n) + extra > node.disk_bytes
    }

    /// Sends a reply to client `c`; if it cannot arrive, the client times out instead.
    #[inline]
    pub(crate) fn send_to_client(&mut self, n: u16, c: u32, gen: u32, a: Answer) {
        let path = if self.c.nodes[n as usize].host_up { self.client_path(n, false) } else { None };
        match path {
            Some(d) => self.after(d, Ev::Reply { c, gen, code: a.code, tl: a.tl, lsn: a.lsn, commit_us: a.commit_us }),
            None => self.time_out_client(c),
        }
    }

    pub(crate) fn time_out_client(&mut self, c: u32) {
        let (at, gen) = self.c.cl.deadline(c);
        self.push(at, Ev::Timeout { c, gen });
    }

    /// A reply reaches client `c`. Returns what the trace records of it: whether the client was
    /// still waiting for it (`TAKEN`) and whether it answered a write (`WRITE`).
    #[inline]
    pub(crate) fn on_reply(&mut self, c: u32, gen: u32, code: u8, tl: u32, lsn: u64, commit_us: u64) -> u64 {
        let Some(Done { write, sent_at, next_at }) = self.c.cl.finish(c, gen) else { return 0 };
        let seen = TAKEN | if write { WRITE } else { 0 };
        if self.c.cl.driven {
            self.driven_done(c, code);
        }
        if code != OK {
            self.c.metrics.request_failed(write);
            if !self.c.cl.driven {
                self.after(self.c.cl.wl.backoff.0, Ev::Issue { c });
            }
            return seen;
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
        seen
    }

    /// Client `c` gives up. Returns what the trace records: `TAKEN` if the request was still
    /// waiting (it fails), with `WRITE` if it was a write.
    #[inline]
    pub(crate) fn on_timeout(&mut self, c: u32, gen: u32) -> u64 {
        let Some((write, n)) = self.c.cl.give_up(c, gen) else { return 0 };
        self.c.metrics.request_failed(write);
        if self.c.cl.driven {
            self.driven_done(c, crate::clients::TERMINATED);
        } else {
            self.after(self.c.cl.wl.backoff.0, Ev::Issue { c });
        }
        let canceled = self.cancel_commit_wait(n, c, gen);
        self.withdraw_lock_wait(n, Origin::Client { c, gen });
        self.withdraw_row_wait(Origin::Client { c, gen });
        TAKEN | if write { WRITE } else { 0 } | if canceled { SYNC_WAIT_CANCELED } else { 0 }
    }
    /// Makes sure node `n`'s deadline check runs no later than `at`.
    #[inline]
    fn arm_deadline_check(&mut self, n: u16, at: SimTime) {
        let due = &mut self.c.deadline_check[n as usize];
        if due.is_none_or(|t| at < t) {
            *due = Some(at);
            self.push(at, Ev::DeadlineCheck { n });
        }
    }

    /// Times out every commit queued on `n` whose client's deadline has come, then arms the
    /// check for the earliest deadline left. Returns how many were given up.
    #[inline(never)]
    pub(crate) fn on_deadline_check(&mut self, n: u16) -> u64 {
        if self.c.deadline_check[n as usize] != Some(self.now) {
            return 0; // superseded by an earlier check
        }
        self.c.deadline_check[n as usize] = None;
        let (mut due, mut next) = (Vec::new(), None::<SimTime>);
        for p in &self.c.nodes[n as usize].pending {
            let Origin::Client { c, gen } = p.origin else { continue };
            let Some(deadline) = self.c.cl.waiting(c, gen) else { continue };
            if deadline <= self.now {
                due.push((c, gen));
            } else {
                next = Some(next.map_or(deadline, |t| t.min(deadline)));
            }
        }
        // What the trace records: how many commits failed here, and (above bit 32) how many of
        // them stopped waiting for a synchronous standby.
        let (mut failed, mut canceled) = (0, 0);
        for &(c, gen) in &due {
            let seen = self.on_timeout(c, gen);
            if seen & (TAKEN | WRITE) == TAKEN | WRITE {
                failed += 1;
                canceled += u64::from(seen & SYNC_WAIT_CANCELED != 0);
            }
        }
        if let Some(t) = next {
            self.arm_deadline_check(n, t);
        }
        failed | canceled << 32
    }

    /// The client gave up on a commit still queued on `n`. PostgreSQL cannot take a commit back:
    /// once its record is flushed it stays committed locally, and a backend waiting for a
    /// synchronous standby stops waiting with a WARNING. The row is there, though the client was
    /// told the request failed.
    /// Returns whether it canceled a wait for synchronous replication.
    fn cancel_commit_wait(&mut self, n: u16, c: u32, gen: u32) -> bool {
        if self.c.nodes[n as usize].cancel_wait(Origin::Client { c, gen }) != Some(true) {
            return false;
        }
        self.c.metrics.sync_waits_canceled += 1;
        if self.c.metrics.sync_waits_canceled == 1 {
            self.note(
                Some(n),
                NoteKind::Client,
                "a client gave up waiting: WARNING: canceling wait for synchronous replication due to user request; DETAIL: The transaction has already committed locally, but might not have been replicated to the standby.".into(),
            );
        }
        true
    }

    /// The proxy marked `n` down: it closes the sessions of clients waiting on it.
    pub(crate) fn shutdown_sessions(&mut self, n: u16) {
        for (c, gen) in self.c.cl.close_on(n) {
            self.c.nodes[n as usize].pending.retain(|p| !matches!(p.origin, Origin::Client { c: pc, .. } if pc == c));
            self.after(SimDur(0), Ev::Reply { c, gen, code: TERMINATED, tl: 0, lsn: 0, commit_us: 0 });
        }
    }
}
