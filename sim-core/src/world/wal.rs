//! Where the WAL meets the clients and the archive: a local flush releases waiting commits, feeds the archive and the standbys.
use crate::clients::Answer;
use crate::postgres::Pending;
use crate::world::{Ev, World};

impl World {
    #[inline]
    pub(crate) fn on_flush(&mut self, n: u16, inc: u32, upto: u64, xid: u64) -> u64 {
        if !self.c.nodes[n as usize].flushed(inc, upto, xid, self.now) {
            return 0;
        }
        self.broadcast(self.flushed_fact(n));
        self.after_local_flush(n);
        self.repl().kick_flush(n);
        upto
    }

    /// Commits waiting on the local flush may return; standbys get the new WAL.
    #[inline]
    pub(crate) fn after_local_flush(&mut self, n: u16) {
        self.release(n);
        self.repl().stream_all(n);
    }

    /// The WAL writer: flushes asynchronously committed WAL every `wal_writer_delay`.
    #[inline]
    pub(crate) fn on_wal_writer(&mut self, n: u16) -> u64 {
        self.after(self.c.pgc.wal_writer_delay.0, Ev::WalWriter { n });
        self.repl().kick_flush(n);
        self.c.nodes[n as usize].flush_lsn
    }

    /// The highest LSN whose commits may be acknowledged under the current `synchronous_commit`.
    #[inline]
    fn ack_limit(&self, n: u16) -> u64 {
        let nodes = &self.c.nodes;
        nodes[n as usize].ack_limit(self.level(), |i| nodes[i as usize].name.as_str())
    }

    /// Acknowledges every waiting commit the rules now allow.
    #[inline]
    pub(crate) fn release(&mut self, n: u16) {
        if self.c.nodes[n as usize].pending.is_empty() {
            return;
        }
        let limit = self.ack_limit(n);
        let tl = self.c.nodes[n as usize].tl;
        while let Some(p) = self.c.nodes[n as usize].next_releasable(limit) {
            self.answer(n, p.origin, Answer { code: crate::clients::OK, tl, lsn: p.lsn, commit_us: p.commit_us });
        }
    }

    /// Fails every waiting commit with `code` (the connection was terminated).
    pub(crate) fn fail_pending(&mut self, n: u16, code: u8) {
        let pending: Vec<Pending> = self.c.nodes[n as usize].pending.drain(..).collect();
        for p in pending {
            self.answer(n, p.origin, Answer::error(code));
        }
    }

    #[inline]
    pub(crate) fn on_feedback(&mut self, n: u16, _s: u16, conn: u32, write: u64, flush: u64, replay: u64) {
        let Some(i) = self.c.nodes[n as usize].feedback(conn, write, flush, replay, self.now) else { return };
        self.repl().send_stream(n, i);
        self.release(n);
    }
}
