//! Carrying out Patroni's decisions in the world: the HA loop's DCS calls, promotion, demotion, restarts, rewind, re-clone, synchronous standby and switchover. The decisions are `patroni::decide`'s; this is where they reach the other components.
use crate::clients::TERMINATED;
use crate::invariants::Prop;
use crate::lsn::{history_file_name, Lsn};
use crate::metrics::Failover;
use crate::patroni::decide::{self, Cycle, Follow, Lead, Race};
use crate::patroni::SyncStep;
use crate::postgres::replication::transfer;
use crate::postgres::{PgState, Role, SendState, SyncNames};
use crate::time::SimDur;
use crate::world::NoteKind;
use crate::world::{Ev, World};

impl World {
    fn secs(v: u64) -> SimDur {
        SimDur::secs(v)
    }

    /// One DCS round trip with Patroni's retries; `false` if it fails within `retry_timeout`.
    fn dcs_call(&mut self, n: u16) -> bool {
        let c = &mut *self.c;
        let attempts = (Self::secs(c.pat.retry_timeout).0 / c.pat.dcs_attempt.0 .0.max(1)).max(1);
        c.dcs.call(&c.net, n as usize, c.eps.dcs, attempts, &mut c.rng_ha)
    }

    #[inline(never)]
    pub(crate) fn on_tick(&mut self, n: u16, epoch: u32) -> u64 {
        let node = &self.c.nodes[n as usize];
        if !node.host_up || !node.agent.up || node.agent.epoch != epoch {
            return 0;
        }
        if !self.dcs_call(n) {
            self.after(Self::secs(self.c.pat.retry_timeout), Ev::DcsFailed { n, epoch });
            return 1;
        }
        self.ha_cycle(n);
        self.after(Self::secs(self.c.pat.loop_wait), Ev::Tick { n, epoch });
        2
    }

    #[inline(never)]
    pub(crate) fn on_dcs_failed(&mut self, n: u16, epoch: u32) -> u64 {
        let node = &self.c.nodes[n as usize];
        if !node.host_up || node.agent.epoch != epoch {
            return 0;
        }
        if node.agent.is_leader && node.role == Role::Primary {
            if self.c.pat.fencing {
                self.note(Some(n), NoteKind::Failover, "could not update the leader key within retry_timeout: demoting (fencing)".into());
                self.demote(n, true);
            } else {
                self.note(Some(n), NoteKind::Failover, "cannot reach the DCS; fencing is off, so it keeps accepting writes".into());
            }
        }
        self.after(Self::secs(self.c.pat.loop_wait), Ev::Tick { n, epoch });
        3
    }

    /// One Patroni HA cycle, after a successful read of the DCS.
    fn ha_cycle(&mut self, n: u16) {
        match decide::cycle(&self.c.nodes[n as usize], n, self.c.dcs.holder(self.now)) {
            Cycle::LostKey { to } => {
                self.note(Some(n), NoteKind::Failover, format!("lost the leader key to {}: demoting", self.name(to)));
                self.demote(n, false);
            }
            Cycle::Lead => self.lead(n),
            Cycle::Resume => {
                self.c.nodes[n as usize].agent.is_leader = true;
                self.lead(n);
            }
            Cycle::Follow(l) => self.follow(n, l),
            Cycle::Race => self.try_elect(n),
        }
    }

    fn renew(&mut self, n: u16) {
        self.c.dcs.leader = Some((n, self.now + Self::secs(self.c.pat.ttl)));
        self.c.dcs.optime = self.c.nodes[n as usize].flush_lsn;
    }

    /// The leader's cycle: renew the key, restart Postgres if it died, manage the sync standby.
    fn lead(&mut self, n: u16) {
        match decide::lead(&self.c.nodes[n as usize], n, &self.c.dcs) {
            Lead::Releasing => {}
            Lead::Switchover(c) => self.start_switchover(n, c),
            Lead::StartPrimary => {
                self.renew(n);
                self.note(Some(n), NoteKind::Failover, "postgres is not running: starting primary after failure".into());
                self.start_pg(n, true);
            }
            Lead::Release(why) => {
                self.note(Some(n), NoteKind::Failover, format!("released the leader key voluntarily: postgres cannot start ({why})"));
                self.c.dcs.leader = None;
                self.c.nodes[n as usize].agent.is_leader = false;
            }
            Lead::Primary => {
                self.renew(n);
                if !self.c.nodes[n as usize].writable {
                    self.c.nodes[n as usize].writable = true;
                    self.roles_changed();
                }
                self.manage_sync(n);
            }
            Lead::Promote => {
                self.renew(n);
                let inc = self.c.nodes[n as usize].inc;
                self.begin_promote(n, inc);
            }
            Lead::Renew => self.renew(n),
        }
    }

    fn begin_promote(&mut self, n: u16, inc: u32) {
        self.repl().drop_link(n);
        self.c.nodes[n as usize].upstream = None;
        self.after(self.c.pgc.promote.0, Ev::Promote { n, inc });
    }

    /// A non-leader's cycle: follow the leader, rewinding or re-cloning first if needed.
    fn follow(&mut self, n: u16, l: u16) {
        match decide::follow(&self.c.nodes[n as usize], &self.c.nodes[l as usize]) {
            Follow::Busy => {}
            Follow::Clone => self.start_clone(n, l),
            Follow::Demote => {
                self.note(Some(n), NoteKind::Failover, format!("{} holds the leader key: demoting to follow it", self.name(l)));
                self.demote(n, false);
            }
            Follow::Rewind => self.start_rewind(n, l),
            Follow::Start => {
                self.start_pg(n, false);
                self.c.nodes[n as usize].upstream = Some(l);
            }
            Follow::Stream => {
                if self.c.nodes[n as usize].upstream != Some(l) {
                    self.repl().drop_link(n);
                    self.c.nodes[n as usize].upstream = Some(l);
                }
                self.repl().ensure_streaming(n);
            }
        }
    }

    /// The leader race: take the key if this member is the healthiest one allowed to.
    fn try_elect(&mut self, n: u16) {
        let node = &self.c.nodes[n as usize];
        match decide::race(node, n, &self.c.dcs, &self.c.pat) {
            Race::Out => return,
            Race::Start => {
                self.start_pg(n, false);
                return;
            }
            Race::In => {}
        }
        if self.someone_healthier(n, (node.tl, node.wal_position())) {
            return;
        }
        // What Patroni compared with maximum_lag_on_failover: how far this member is behind the
        // former leader's last /optime (a standby only; a restarted former leader is not).
        let behind = (node.role == Role::Standby).then(|| self.c.dcs.optime.saturating_sub(node.wal_position()));
        let optime = Lsn(self.c.dcs.optime);
        self.c.dcs.leader = Some((n, self.now + Self::secs(self.c.pat.ttl)));
        self.c.dcs.failover_to = None;
        self.c.nodes[n as usize].agent.is_leader = true;
        let text = match behind {
            Some(0) => format!("acquired the leader key: not behind the former leader's last /optime ({optime})"),
            Some(b) => {
                let limit = self.c.pat.maximum_lag_on_failover;
                let default = crate::scenario::PatroniCfg::default().maximum_lag_on_failover;
                let refused = if b > default && limit > default { format!("; Patroni's default of {} would have kept it out", crate::lsn::size_pretty(default)) } else { String::new() };
                format!(
                    "acquired the leader key: {} behind the former leader's last /optime ({optime}; maximum_lag_on_failover = {}){refused}",
                    crate::lsn::size_pretty(b),
                    crate::lsn::size_pretty(limit)
                )
            }
            None => "acquired the leader key".into(),
        };
        self.note(Some(n), NoteKind::Failover, text);
        self.lead(n);
    }

    /// Asks every reachable member (Patroni's REST API) for its WAL position. In synchronous
    /// mode only members allowed in the race (the one in `/sync`, the former leader) count, as in
    /// Patroni's `is_healthiest_node`: an asynchronous standby that happens to be ahead must not
    /// stop the synchronous one from taking over.
    fn someone_healthier(&self, n: u16, mine: (u32, u64)) -> bool {
        let c = &self.c;
        c.dcs.someone_healthier(&c.nodes, &c.net, c.pat.synchronous_mode, n, mine)
    }

    #[inline(never)]
    pub(crate) fn on_promote(&mut self, n: u16, inc: u32) -> u64 {
        let node = &self.c.nodes[n as usize];
        if node.inc != inc || !node.is_running() || !node.agent.is_leader || node.role == Role::Primary {
            return 0;
        }
        let switch = node.wal_position();
        let old_tl = node.tl;
        self.c.max_tl += 1;
        let tl = self.c.max_tl;
        let sync_names = self.names_after_promotion();
        self.c.nodes[n as usize].promote(old_tl, tl, switch, sync_names);
        self.c.dcs.sync = None;
        self.c.dcs.pending_sync = None;
        self.record_failover(n, tl);
        self.broadcast(crate::event::Fact::Promoted { n, parent: old_tl, tl, switch });
        self.note(Some(n), NoteKind::Failover, format!("promoted: timeline {tl} starts at {} ({})", Lsn(switch), history_file_name(tl)));
        self.roles_changed();
        self.check_loss_against(n);
        switch
    }

    fn names_after_promotion(&self) -> SyncNames {
        crate::patroni::names_after_promotion(&self.c.pat, &self.c.static_sync)
    }

    fn record_failover(&mut self, n: u16, tl: u32) {
        let from = self.c.dcs.last_leader;
        let c = &self.c;
        let false_failover = from.is_some_and(|f| c.dcs.false_failover(f, &c.nodes, &c.net, c.eps.dcs));
        self.c.metrics.failovers.push(Failover { at: self.now, from, to: n, timeline: tl, last_ack_before: self.c.metrics.last_write_ack, first_ack_after: None, false_failover });
        self.c.dcs.last_leader = Some(n);
        self.c.props.observe(Prop::Failover, self.now, format!("{} promoted on timeline {tl}", self.name(n)));
    }

    pub(crate) fn check_loss_against(&mut self, n: u16) {
        let (count, detail) = self.c.metrics.record_loss(&self.c.nodes[n as usize]);
        if count > 0 {
            let text = format!("{count} acknowledged commits are not in {}'s history: {detail}", self.name(n));
            self.c.props.violate(Prop::NoAckedCommitLost, self.now, text);
        }
    }

    /// Demotes a primary to a standby. `immediate` loses WAL not yet flushed (Patroni's immediate shutdown).
    pub(crate) fn demote(&mut self, n: u16, immediate: bool) {
        self.fail_pending(n, TERMINATED);
        self.repl().drop_senders(n);
        self.c.nodes[n as usize].demote(immediate);
        self.roles_changed();
        self.restart_pg(n, false);
    }

    fn restart_pg(&mut self, n: u16, primary: bool) {
        self.c.nodes[n as usize].new_incarnation();
        self.start_pg(n, primary);
    }

    pub(crate) fn start_pg(&mut self, n: u16, primary: bool) {
        if let Some(inc) = self.c.nodes[n as usize].begin_start() {
            self.after(self.c.pgc.startup.0, Ev::Started { n, inc, primary });
        }
    }

    #[inline(never)]
    pub(crate) fn on_started(&mut self, n: u16, inc: u32, primary: bool) -> u64 {
        if !self.c.nodes[n as usize].started(inc, primary) {
            return 0;
        }
        if primary {
            if self.disk_would_fill_now(n) {
                self.disk_full(n);
                return 0;
            }
            self.roles_changed();
            // Restarted in place as the leader: acknowledged commits it did not flush are gone.
            if self.c.nodes[n as usize].agent.is_leader {
                self.check_loss_against(n);
            }
        } else {
            self.repl().ensure_streaming(n);
        }
        self.c.nodes[n as usize].flush_lsn
    }

    fn disk_would_fill_now(&self, n: u16) -> bool {
        let node = &self.c.nodes[n as usize];
        node.data_bytes + node.wal_retained(&self.c.slots, n) >= node.disk_bytes
    }

    /// Stops `n`'s Postgres for a rewind or a re-clone; returns the new incarnation.
    fn take_offline(&mut self, n: u16, state: PgState) -> u32 {
        self.repl().drop_link(n);
        self.c.nodes[n as usize].take_offline(state)
    }

    fn start_rewind(&mut self, n: u16, l: u16) {
        let fork = self.c.nodes[n as usize].fork_point(&self.c.nodes[l as usize]).unwrap_or(0);
        let diverged = self.c.nodes[n as usize].wal_position().saturating_sub(fork);
        if !self.c.pat.use_pg_rewind {
            self.start_clone(n, l);
            return;
        }
        let inc = self.take_offline(n, PgState::Rewinding);
        let d = SimDur(SimDur::secs(1).0 + transfer(diverged, self.c.pgc.rewind_mb_s).0);
        self.note(Some(n), NoteKind::Failover, format!("pg_rewind: {} diverged from {} at {}", self.name(n), self.name(l), Lsn(fork)));
        self.after(d, Ev::Rewound { n, inc, leader: l });
    }

    #[inline(never)]
    pub(crate) fn on_rewound(&mut self, n: u16, inc: u32, l: u16) -> u64 {
        if self.c.nodes[n as usize].inc != inc || !self.c.nodes[n as usize].host_up {
            return 0;
        }
        let fork = self.c.nodes[n as usize].fork_point(&self.c.nodes[l as usize]).unwrap_or(0);
        self.adopt(n, l, fork);
        fork
    }

    fn start_clone(&mut self, n: u16, l: u16) {
        if !self.c.nodes[l as usize].is_running() {
            return;
        }
        let inc = self.take_offline(n, PgState::Cloning);
        let d = transfer(self.c.nodes[n as usize].data_bytes, self.c.pgc.clone_mb_s);
        self.note(Some(n), NoteKind::Failover, format!("re-cloning from {} with pg_basebackup", self.name(l)));
        self.after(d, Ev::Cloned { n, inc, leader: l });
    }

    #[inline(never)]
    pub(crate) fn on_cloned(&mut self, n: u16, inc: u32, l: u16) -> u64 {
        if self.c.nodes[n as usize].inc != inc || !self.c.nodes[n as usize].host_up {
            return 0;
        }
        let pos = self.c.nodes[l as usize].flush_lsn;
        self.c.nodes[n as usize].disk_ok = true;
        self.c.nodes[n as usize].disk_full = false;
        self.adopt(n, l, pos);
        pos
    }

    /// Makes `n` a running standby of `l` at `pos`, with `l`'s timeline history.
    fn adopt(&mut self, n: u16, l: u16, pos: u64) {
        if n == l {
            return;
        }
        let (node, leader) = crate::postgres::pair(&mut self.c.nodes, n, l);
        node.adopt(l, leader, pos);
        self.repl().ensure_streaming(n);
    }

    /// Patroni's synchronous_mode: pick a streaming standby, and name it in `/sync` once it has caught up.
    fn manage_sync(&mut self, n: u16) {
        if !self.c.pat.synchronous_mode {
            if self.c.nodes[n as usize].sync_names != self.c.static_sync {
                self.c.nodes[n as usize].sync_names = self.c.static_sync.clone();
                self.release(n);
            }
            return;
        }
        let node = &self.c.nodes[n as usize];
        let streaming: Vec<(u16, u64)> = node.senders.iter().filter(|w| w.state == SendState::Streaming && self.c.nodes[w.standby as usize].is_running()).map(|w| (w.standby, w.flush)).collect();
        let flush = node.flush_lsn;
        let names = match self.c.dcs.sync_step(&streaming, flush) {
            SyncStep::Keep(s) | SyncStep::Waiting(s) => self.names_for(s),
            SyncStep::Gone(s) => {
                self.note(Some(n), NoteKind::Sync, format!("synchronous standby {} is gone: clearing /sync", self.name(s)));
                self.names_after_promotion()
            }
            SyncStep::Named(c) => {
                self.note(Some(c), NoteKind::Sync, "is now the synchronous standby (/sync)".into());
                self.names_for(c)
            }
            SyncStep::NoCandidate => self.names_after_promotion(),
        };
        self.c.nodes[n as usize].sync_names = names;
        self.release(n);
    }

    fn names_for(&self, s: u16) -> SyncNames {
        SyncNames { any: false, num: 1, names: vec![self.name(s).to_string()] }
    }

    /// A switchover: stop writes, let the candidate catch up, then hand over the key.
    pub(crate) fn start_switchover(&mut self, n: u16, c: u16) {
        self.note(Some(n), NoteKind::Switchover, format!("switchover to {}: demoting gracefully", self.name(c)));
        self.fail_pending(n, TERMINATED);
        let node = &mut self.c.nodes[n as usize];
        node.writable = false;
        node.agent.releasing = true;
        let epoch = node.agent.epoch;
        self.roles_changed();
        self.repl().kick_flush(n);
        self.after(SimDur::secs(1), Ev::Release { n, epoch, tries: 0 });
    }

    #[inline(never)]
    pub(crate) fn on_release(&mut self, n: u16, epoch: u32, tries: u32) -> u64 {
        let node = &self.c.nodes[n as usize];
        if node.agent.epoch != epoch || !node.agent.releasing {
            return 0;
        }
        let Some(c) = self.c.dcs.failover_to else { return 0 };
        let caught_up = self.c.nodes[c as usize].wal_position() >= node.flush_lsn;
        if !caught_up && tries < 30 {
            self.after(SimDur::secs(1), Ev::Release { n, epoch, tries: tries + 1 });
            return 1;
        }
        // Deleting the leader key is a DCS write: while the DCS is unreachable the old leader
        // keeps the key (and stays read-only) and tries again.
        if !self.dcs_call(n) {
            if tries < 60 {
                self.after(SimDur::secs(1), Ev::Release { n, epoch, tries: tries + 1 });
            }
            return 3;
        }
        self.c.dcs.leader = None;
        self.demote(n, false);
        self.c.nodes[n as usize].upstream = Some(c);
        // The candidate takes the key on its own DCS round trip.
        if self.c.nodes[c as usize].agent.up && self.c.nodes[c as usize].host_up && self.dcs_call(c) {
            self.try_elect(c);
        }
        2
    }
}
