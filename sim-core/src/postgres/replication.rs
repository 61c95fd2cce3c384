//! WAL flushing, group commit, synchronous-commit release, and streaming replication.
use crate::event::{Ev, Sched};
use crate::net::Net;
use crate::postgres::cfg::PgCfg;
use crate::postgres::{Conn, Node, Role, SendState, WalSender};
use crate::rng::SimRng;
use crate::time::SimDur;

/// One-way delay over a TCP connection from `a` to `b`: `None` if the link is cut; a dropped
/// segment costs a retransmission. Borrows the network and its random stream.
#[inline]
pub(crate) fn tcp(net: &mut Net, rng: &mut SimRng, a: usize, b: usize) -> Option<SimDur> {
    if !net.reachable(a, b) {
        return None;
    }
    Some(net.send(a, b, rng).unwrap_or_else(|| SimDur(net.rtt(a, b).0 / 2 + TCP_RTO.0)))
}

/// What streaming replication borrows of a cluster: its hosts, the network and its random
/// stream, the Postgres settings, the connection counter and the queue (`World::repl`). The
/// walsenders, walreceivers and the standbys' flush and replay run on this alone; the world's
/// handlers below add what crosses into other components (clients' answers, the archive).
pub(crate) struct Repl<'a> {
    pub nodes: &'a mut [Node],
    pub net: &'a mut Net,
    pub rng: &'a mut SimRng,
    pub pgc: &'a PgCfg,
    pub next_conn: &'a mut u32,
    pub s: Sched<'a>,
}

/// Time to move `bytes` at `mib_s` MiB/s.
#[inline]
pub(crate) fn transfer(bytes: u64, mib_s: u64) -> SimDur {
    SimDur(bytes.saturating_mul(1_000_000) / mib_s.max(1).saturating_mul(1_048_576))
}

/// WAL the walsender may have queued behind a busy link (a TCP send buffer's worth).
const SEND_BUFFER: u64 = 4 << 20;

/// TCP retransmission delay added when the network drops a segment of a stream.
const TCP_RTO: SimDur = SimDur::ms(200);

impl Repl<'_> {
    /// A new replication connection's number.
    #[inline]
    pub fn fresh_conn(&mut self) -> u32 {
        *self.next_conn += 1;
        *self.next_conn
    }

    #[inline]
    pub fn tcp(&mut self, a: usize, b: usize) -> Option<SimDur> {
        tcp(self.net, self.rng, a, b)
    }

    #[inline]
    fn disk_delay(&self, n: u16) -> SimDur {
        self.nodes[n as usize].disk_delay(self.pgc.fsync.0)
    }

    #[inline]
    pub fn kick_flush(&mut self, n: u16) {
        let d = self.disk_delay(n);
        if let Some((inc, upto, xid)) = self.nodes[n as usize].begin_flush() {
            self.s.after(d, Ev::Flush { n, inc, upto, xid });
        }
    }

    #[inline]
    pub(crate) fn stream_all(&mut self, n: u16) {
        for i in 0..self.nodes[n as usize].senders.len() {
            self.send_stream(n, i);
        }
    }

    /// Sends everything flushed and not yet sent to sender `i`, in order, at the link's bandwidth.
    #[inline]
    pub fn send_stream(&mut self, n: u16, i: usize) {
        let (flush, xid, s, sent) = {
            let node = &self.nodes[n as usize];
            let w = &node.senders[i];
            (node.flush_lsn, node.flushed_xid, w.standby, w.sent)
        };
        if sent >= flush {
            return;
        }
        // The socket buffer is full: the walsender waits for the standby's next reply.
        if self.nodes[n as usize].senders[i].link_free_at > self.s.now + transfer(SEND_BUFFER, self.pgc.stream_mb_s) {
            return;
        }
        let Some(delay) = self.tcp(n as usize, s as usize) else { return };
        let busy = transfer(flush - sent, self.pgc.stream_mb_s);
        let w = &mut self.nodes[n as usize].senders[i];
        let arrive = (self.s.now + delay + busy).max(w.link_free_at);
        w.link_free_at = arrive;
        w.sent = flush;
        let conn = w.conn;
        let depart_us = arrive.0 - delay.0;
        self.s.push(arrive, Ev::Stream { s, conn, upto: flush, xid, sent_us: self.s.now.0, depart_us });
    }

    /// WAL arriving at a standby. Data still queued behind the link when the sender's host died is lost.
    #[inline]
    pub fn on_stream(&mut self, s: u16, conn: u32, upto: u64, xid: u64, sent_us: u64, depart_us: u64) -> u64 {
        let lost_in_buffer = self.nodes[s as usize].upstream.and_then(|p| self.nodes[p as usize].last_host_crash).is_some_and(|t| t.0 >= sent_us && t.0 < depart_us);
        let node = &mut self.nodes[s as usize];
        if lost_in_buffer || !node.is_running() || node.conn != Conn::Streaming(conn) {
            return 0;
        }
        node.received(upto, xid);
        self.send_feedback(s);
        self.kick_standby_flush(s);
        upto
    }

    #[inline]
    fn kick_standby_flush(&mut self, s: u16) {
        let d = self.disk_delay(s);
        if let Some((inc, upto)) = self.nodes[s as usize].begin_standby_flush() {
            self.s.after(d, Ev::StandbyFlush { s, inc, upto });
        }
    }

    #[inline]
    pub fn on_standby_flush(&mut self, s: u16, inc: u32, upto: u64) -> u64 {
        if !self.nodes[s as usize].standby_flushed(inc, upto) {
            return 0;
        }
        self.send_feedback(s);
        self.kick_apply(s);
        self.kick_standby_flush(s);
        upto
    }

    #[inline]
    fn kick_apply(&mut self, s: u16) {
        let from = self.nodes[s as usize].replay_lsn;
        if let Some((inc, upto)) = self.nodes[s as usize].begin_apply() {
            let rate = self.pgc.replay_mb_s;
            let d = if rate == 0 { self.pgc.replay.0 } else { SimDur(self.pgc.replay.0 .0 + transfer(upto.saturating_sub(from), rate).0) };
            self.s.after(d, Ev::StandbyApply { s, inc, upto });
        }
    }

    #[inline]
    pub fn on_standby_apply(&mut self, s: u16, inc: u32, upto: u64) -> u64 {
        if !self.nodes[s as usize].applied(inc, upto) {
            return 0;
        }
        self.send_feedback(s);
        self.kick_apply(s);
        upto
    }

    /// The walreceiver's status reply: write, flush and replay positions.
    #[inline]
    fn send_feedback(&mut self, s: u16) {
        let node = &self.nodes[s as usize];
        let (Conn::Streaming(conn), Some(p)) = (node.conn, node.upstream) else { return };
        let (write, flush, replay) = (node.write_lsn, node.flush_lsn, node.replay_lsn);
        if let Some(d) = self.tcp(s as usize, p as usize) {
            self.s.after(d, Ev::Feedback { n: p, s, conn, write, flush, replay });
        }
    }

    /// Starts a replication connection from standby `s` to its upstream, if it has none.
    pub fn ensure_streaming(&mut self, s: u16) {
        let node = &self.nodes[s as usize];
        let Some(p) = node.upstream else { return };
        if !node.is_running() || node.role != Role::Standby || node.conn != Conn::None {
            return;
        }
        let conn = self.fresh_conn();
        self.nodes[s as usize].conn = Conn::Connecting(conn);
        if let Some(d) = self.tcp(s as usize, p as usize) {
            self.s.after(d, Ev::Connect { n: p, s, conn });
        }
        self.s.after(self.pgc.wal_retrieve_retry_interval.0, Ev::ReplRetry { s, conn });
    }

    #[inline(never)]
    pub fn on_repl_retry(&mut self, s: u16, conn: u32) -> u64 {
        let node = &mut self.nodes[s as usize];
        if node.conn == Conn::Connecting(conn) || (conn == 0 && node.conn == Conn::None) {
            node.conn = Conn::None;
            self.ensure_streaming(s);
        }
        self.nodes[s as usize].flush_lsn
    }

    /// The primary side of a connection attempt: accept if the standby's history fits ours.
    #[inline(never)]
    pub fn on_connect(&mut self, n: u16, s: u16, conn: u32) -> u64 {
        let (tl, pos, replay) = {
            let sb = &self.nodes[s as usize];
            (sb.tl, sb.flush_lsn, sb.replay_lsn)
        };
        let p = &self.nodes[n as usize];
        let ok = p.is_running() && p.role == Role::Primary && p.can_serve(tl, pos);
        let Some(d) = self.tcp(n as usize, s as usize) else { return 0 };
        if !ok {
            self.s.after(d, Ev::Rejected { s, conn });
            return 0;
        }
        let now = self.s.now;
        let p = &mut self.nodes[n as usize];
        p.senders.retain(|w| w.standby != s);
        p.senders.push(WalSender { standby: s, conn, state: SendState::Catchup, sent: pos, write: pos, flush: pos, replay, write_lag: None, flush_lag: None, replay_lag: None, link_free_at: now + d });
        let i = p.senders.len() - 1;
        self.s.after(d, Ev::Accepted { s, conn, from: n });
        self.send_stream(n, i);
        pos
    }

    /// The standby learns it is connected, and follows the primary onto a newer timeline.
    #[inline(never)]
    pub fn on_accepted(&mut self, s: u16, conn: u32, from: u16) -> u64 {
        if self.nodes[s as usize].conn != Conn::Connecting(conn) {
            return 0;
        }
        let (tl, history) = {
            let p = &self.nodes[from as usize];
            (p.tl, p.history.clone())
        };
        let node = &mut self.nodes[s as usize];
        node.conn = Conn::Streaming(conn);
        if tl != node.tl {
            node.tl = tl;
            node.history = history;
        }
        node.flush_lsn
    }

    /// A standby's connection ended (rejected, or its upstream went silent past `wal_receiver_timeout`).
    #[inline(never)]
    pub fn on_conn_gone(&mut self, s: u16, conn: u32, check_alive: bool) -> u64 {
        let node = &self.nodes[s as usize];
        let mine = matches!(node.conn, Conn::Streaming(c) | Conn::Connecting(c) if c == conn);
        if !mine || (check_alive && self.link_alive(s, conn)) {
            return 0;
        }
        self.nodes[s as usize].conn = Conn::None;
        self.s.after(self.pgc.wal_retrieve_retry_interval.0, Ev::ReplRetry { s, conn: 0 });
        1
    }

    #[inline(never)]
    pub fn on_sender_lost(&mut self, n: u16, conn: u32) -> u64 {
        let Some(s) = self.nodes[n as usize].senders.iter().find(|w| w.conn == conn).map(|w| w.standby) else { return 0 };
        if self.link_alive(s, conn) {
            return 0;
        }
        self.nodes[n as usize].senders.retain(|w| w.conn != conn);
        1
    }

    /// Whether both ends of replication connection `conn` are up and can reach each other.
    fn link_alive(&self, s: u16, conn: u32) -> bool {
        let sb = &self.nodes[s as usize];
        let Some(p) = sb.upstream else { return false };
        let pr = &self.nodes[p as usize];
        sb.is_running()
            && sb.conn == Conn::Streaming(conn)
            && pr.is_running()
            && pr.senders.iter().any(|w| w.conn == conn)
            && self.net.reachable(s as usize, p as usize)
            && self.net.reachable(p as usize, s as usize)
    }

    /// Drops standby `s`'s connection now; its primary notices after one network delay.
    pub fn drop_link(&mut self, s: u16) {
        let node = &mut self.nodes[s as usize];
        let conn = match node.conn {
            Conn::Streaming(c) | Conn::Connecting(c) => c,
            Conn::None => return,
        };
        node.conn = Conn::None;
        if let Some(p) = node.upstream {
            let d = self.tcp(s as usize, p as usize).unwrap_or(self.pgc.wal_sender_timeout.0);
            self.s.after(d, Ev::SenderLost { n: p, conn });
        }
    }

    /// Tells every standby of `n` that its connection is gone: at once if reachable, else after the timeout.
    pub fn drop_senders(&mut self, n: u16) {
        let senders = std::mem::take(&mut self.nodes[n as usize].senders);
        let host_up = self.nodes[n as usize].host_up;
        for w in senders {
            let d = if host_up { self.tcp(n as usize, w.standby as usize) } else { None };
            let d = d.unwrap_or(self.pgc.wal_receiver_timeout.0);
            self.s.after(d, Ev::ConnLost { s: w.standby, conn: w.conn });
        }
    }

    /// Schedules the timeout checks that notice a partition on every replication connection.
    pub fn watch_links(&mut self) {
        for s in 0..self.nodes.len() as u16 {
            let node = &self.nodes[s as usize];
            if let (Conn::Streaming(conn), Some(p)) = (node.conn, node.upstream) {
                self.s.after(self.pgc.wal_receiver_timeout.0, Ev::ConnLost { s, conn });
                self.s.after(self.pgc.wal_sender_timeout.0, Ev::SenderLost { n: p, conn });
            }
        }
    }
}
