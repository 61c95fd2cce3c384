//! The server side of a client's request: the proxy hop, the commit on the primary, answers, deadlines and cancelled commit waits. The sessions themselves are `clients::Clients`'s.
use crate::clients::{align8, Answer, Done, OK, READ_ONLY, REFUSED, TERMINATED, UNDEFINED_TABLE};
use crate::postgres::{Pending, PgState, Role};
use crate::scenario::SyncCommit;
use crate::time::{SimDur, SimTime};
use crate::world::NoteKind;
use crate::world::{Ev, World};

impl World {
    #[inline]
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
    #[inline]
    pub(crate) fn send_request(&mut self, c: u32, gen: u32, n: u16, write: bool) {
        match self.client_path(n, true) {
            Some(d) => self.after(d, Ev::Arrive { c, gen, n, write }),
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

    /// A request reaches node `n`; returns the commit's (LSN, xid), or zeros.
    #[inline]
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
    #[inline]
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
        let (lsn, xid) = self.c.nodes[n as usize].insert_commit(rec);
        let tl = self.c.nodes[n as usize].tl;
        let key = self.c.cl.list[c as usize].key;
        self.record_inserted(n, lsn, xid, crate::pitr::Op::Write { table: crate::pitr::ACCOUNTS, key });
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
    #[inline]
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

    #[inline]
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

    #[inline]
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
        if self.c.nodes[n as usize].cancel_wait(c, gen) != Some(true) {
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
