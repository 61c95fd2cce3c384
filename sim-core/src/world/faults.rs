//! Commands applied to the world: crashes, disks, partitions, latency, DCS outages, switchovers, settings.
use crate::backup::operator_op;
use crate::clients::TERMINATED;
use crate::command::{Command, Setting};
use crate::invariants::Prop;
use crate::net::Ep;
use crate::postgres::{PgState, Role, SyncNames};
use crate::time::SimDur;
use crate::world::NoteKind;
use crate::world::{Cluster, CommandError, CommandErrorKind, Ev, World};

/// Each member's name as commands write it: `pg1`, or `<scope>/pg1` in a world of several clusters.
fn member_names(c: &Cluster) -> Vec<String> {
    c.nodes.iter().map(|n| if c.scope.is_empty() { n.name.clone() } else { format!("{}/{}", c.scope, n.name) }).collect()
}

fn scope_of(c: &Cluster) -> crate::command::check::Scope {
    crate::command::check::Scope {
        nodes: member_names(c),
        regions: c.ep_region.clone(),
        slots: c.slots.iter().map(|s| s.name.clone()).collect(),
        backup_clock: c.backups.as_deref().map(|b| b.clock),
        patroni: c.pat.clone(),
        groups: c.setting_groups.clone(),
    }
}

impl World {
    pub(crate) fn node_id(&self, name: &str) -> Result<u16, CommandError> {
        let names = member_names(&self.c);
        names.iter().position(|n| n == name).map(|i| i as u16).ok_or_else(|| CommandError::new(CommandErrorKind::UnknownName, format!("no node named `{name}` (nodes: {})", names.join(", "))))
    }

    /// The cluster a command is for: the only one; in a sharded world, the shard's cluster whose
    /// scope prefixes the node's name (`s2/pg1`), or the router for a reshard.
    pub fn target(&self, cmd: &Command) -> Result<u16, CommandError> {
        if let Command::Reshard { .. } = cmd {
            return if self.router.is_some() { Ok(crate::world::ROUTER) } else { Err(CommandError::new(CommandErrorKind::Refused, "this lesson has no shards to reshard")) };
        }
        if self.scopes() <= 1 {
            return Ok(0);
        }
        let node = match cmd {
            Command::CrashPostgres { node } | Command::CrashHost { node } | Command::Restart { node } | Command::DestroyDisk { node } | Command::SlowDisk { node, .. } => node,
            Command::Switchover { to: Some(node) } => node,
            _ => return Err(CommandError::new(CommandErrorKind::Refused, "with a cluster per shard, only commands naming one shard's node apply (a crash, a restart, a disk, a switchover to it)")),
        };
        let scope = node.split_once('/').map_or("", |(s, _)| s);
        (0..self.scopes() as u16)
            .find(|&k| self.scope_name(k) == scope)
            .ok_or_else(|| CommandError::new(CommandErrorKind::UnknownName, format!("no node named `{node}`: name a shard's node as <shard>/<node>, for example `{}/pg1`", self.scope_name(0))))
    }

    /// Endpoints named by `name`: a node, `dcs`, `proxy`, `clients`, or every endpoint of a region.
    pub(crate) fn endpoints(&self, name: &str) -> Result<Vec<Ep>, CommandError> {
        match name {
            "dcs" => return Ok(vec![self.c.eps.dcs]),
            "proxy" => return Ok(vec![self.c.eps.proxy]),
            "clients" => return Ok(vec![self.c.eps.clients]),
            _ => {}
        }
        if let Ok(n) = self.node_id(name) {
            return Ok(vec![n as usize]);
        }
        let in_region: Vec<Ep> = (0..self.c.ep_region.len()).filter(|&e| self.c.ep_region[e] == name).collect();
        if in_region.is_empty() {
            return Err(CommandError::new(CommandErrorKind::UnknownName, format!("`{name}` is not a node, a region, `dcs`, `proxy` or `clients`")));
        }
        Ok(in_region)
    }

    fn endpoint_set(&self, names: &[String]) -> Result<Vec<Ep>, CommandError> {
        let mut out = Vec::new();
        for n in names {
            out.extend(self.endpoints(n)?);
        }
        Ok(out)
    }

    /// What the world's commands may name, as they are now.
    pub fn scope(&self) -> crate::command::check::Scope {
        scope_of(&self.c)
    }

    /// Checks that a command names real things and keeps the settings valid, in the cluster it
    /// is for (or, for a reshard, against the router's shards now).
    pub fn check_command(&self, cmd: &Command) -> Result<(), CommandError> {
        match self.target(cmd)? {
            crate::world::ROUTER => self.router.as_ref().map_or(Ok(()), |r| r.check_move(cmd).map(|_| ()).map_err(CommandError::bad_value)),
            k => self.cluster(k).map_or_else(|| self.scope(), scope_of).check(cmd),
        }
    }

    /// Applies command `idx`. Returns what the trace records: the index, and what became of it
    /// (`crate::trace::CommandOutcome`).
    #[inline(never)]
    pub(crate) fn on_command(&mut self, idx: u32) -> u64 {
        use crate::trace::CommandOutcome as O;
        let cmd = self.commands[idx as usize].1.clone();
        let outcome = self.apply(&cmd).unwrap_or_else(|e| {
            self.note(None, NoteKind::Refused, format!("command refused: {e}"));
            O::Refused
        });
        outcome.arg(idx)
    }

    fn apply(&mut self, cmd: &Command) -> Result<crate::trace::CommandOutcome, CommandError> {
        use crate::trace::CommandOutcome as O;
        let mut outcome = O::Applied;
        match cmd {
            Command::CrashPostgres { node } => {
                let n = self.node_id(node)?;
                self.crash_pg(n, "postgres crashed");
            }
            Command::CrashHost { node } => self.crash_host(self.node_id(node)?),
            Command::Restart { node } => self.restart(self.node_id(node)?),
            Command::DestroyDisk { node } => {
                let n = self.node_id(node)?;
                self.crash_pg(n, "disk destroyed: the data directory is gone");
                self.c.nodes[n as usize].disk_ok = false;
            }
            Command::Partition { nodes, others, one_way } => self.partition(nodes, others, *one_way)?,
            Command::Heal {} => {
                self.c.net.heal_all();
                self.note(None, NoteKind::Fault, "network healed".into());
            }
            Command::AddLatency { from, to, latency_us } => self.each_pair(from, to, |net, a, b| {
                net.add_latency(a, b, *latency_us);
                net.add_latency(b, a, *latency_us);
            })?,
            Command::SetDropRate { from, to, ppm } => self.each_pair(from, to, |net, a, b| {
                net.set_drop(a, b, *ppm);
                net.set_drop(b, a, *ppm);
            })?,
            Command::DcsOutage { .. } => {
                self.c.dcs.down = true;
                self.note(None, NoteKind::Fault, "DCS outage: etcd is unreachable".into());
            }
            Command::DcsRestore {} => {
                self.c.dcs.down = false;
                self.note(None, NoteKind::Fault, "DCS restored".into());
            }
            Command::SlowDisk { node, factor } => {
                let n = self.node_id(node)?;
                self.c.nodes[n as usize].slow_factor = *factor as u64;
                self.note(Some(n), NoteKind::Fault, format!("disk is {factor}x slower"));
            }
            Command::Switchover { to } => self.switchover(to.as_deref())?,
            Command::Set { settings } => self.set(settings)?,
            Command::StopConsumer { slot } => self.set_consumer(slot, false)?,
            Command::Ddl { sql } => self.run_ddl(sql)?,
            Command::LongTransaction { duration, table, idle } => self.long_transaction(if table.is_empty() { "accounts" } else { table }, duration.0, *idle)?,
            Command::CancelBackend { pid } => self.signal_backend(*pid, false)?,
            Command::Deploy { version, over } => self.deploy(version, over.0)?,
            Command::Backfill { column, from, batch, pause } => self.backfill(column, from, *batch, pause.map_or(SimDur::ZERO, |p| p.0))?,
            Command::TerminateBackend { pid } => self.signal_backend(*pid, true)?,
            Command::PgrollStart { name, op, column, to } => self.pgroll(Some((name, op, column, to)), false)?,
            Command::PgrollComplete {} => self.pgroll(None, false)?,
            Command::PgrollRollback {} => self.pgroll(None, true)?,
            Command::StartConsumer { slot } => self.set_consumer(slot, true)?,
            Command::BaseBackup {} => self.start_base_backup().map_err(CommandError::bad_value)?,
            Command::OperatorError { kind } => self.operator_error(operator_op(kind)?, kind)?,
            Command::RestorePoint { name } => {
                if self.c.backups.is_none() {
                    return Err(CommandError::new(CommandErrorKind::NoBackup, "no [backup] section"));
                }
                let op = self.c.committed.history.restore_point(name);
                self.operator_error(op, &format!("pg_create_restore_point('{name}')"))?;
            }
            Command::ArchiveFail {} | Command::ArchiveRestore {} => self.set_archive_failing(matches!(cmd, Command::ArchiveFail {})),
            Command::LoseSegment { segment } => self.damage_segment(segment, crate::pitr::SegmentState::Missing),
            Command::CorruptSegment { segment } => self.damage_segment(segment, crate::pitr::SegmentState::Corrupt),
            Command::CorruptBackup { label } => self.corrupt_backup(label)?,
            Command::Reshard { .. } => {
                let t = self.now.0;
                let started = self.router.as_mut().map(|r| r.start_now(cmd, t));
                match started {
                    Some(r) => r.map_err(|m| CommandError::new(CommandErrorKind::Refused, m))?,
                    None => return Err(CommandError::new(CommandErrorKind::Refused, "this lesson has no shards to reshard")),
                }
            }
            Command::LoseRegion { region } => {
                for n in self.region_nodes(region)? {
                    self.crash_host(n);
                    self.c.nodes[n as usize].disk_ok = false;
                }
                self.note(None, NoteKind::Fault, format!("region {region} lost: its hosts and disks are gone"));
            }
            Command::PitrRestore { .. } => {
                // A target that names nothing is refused like one the archive cannot reach: both
                // are restores refused.
                let done = self.restore_request(cmd, true).map_err(|e| e.message).and_then(|req| self.pitr_restore(&req));
                let b = self.c.backups.as_deref_mut().ok_or_else(|| CommandError::new(CommandErrorKind::NoBackup, "no [backup] section"))?;
                outcome = match done {
                    Ok(()) if b.restores.last().is_some_and(|r| r.stopped_early.is_some()) => O::StoppedEarly,
                    Ok(()) => O::Applied,
                    Err(e) => {
                        b.refused.push(e.clone());
                        self.note(None, NoteKind::Refused, format!("PITR refused: {e}"));
                        O::Refused
                    }
                };
            }
        }
        Ok(outcome)
    }

    fn region_nodes(&self, region: &str) -> Result<Vec<u16>, CommandError> {
        let ns: Vec<u16> = (0..self.c.nodes.len() as u16).filter(|&n| self.c.nodes[n as usize].region == region).collect();
        if ns.is_empty() {
            return Err(CommandError::new(CommandErrorKind::UnknownName, format!("no node is in a region called `{region}`")));
        }
        Ok(ns)
    }

    fn each_pair(&mut self, from: &str, to: &str, f: impl Fn(&mut crate::net::Net, Ep, Ep)) -> Result<(), CommandError> {
        let (a, b) = (self.endpoints(from)?, self.endpoints(to)?);
        for &x in &a {
            for &y in &b {
                if x != y {
                    f(&mut self.c.net, x, y);
                }
            }
        }
        self.note(None, NoteKind::Fault, format!("link {from} <-> {to} changed"));
        Ok(())
    }

    fn partition(&mut self, nodes: &[String], others: &[String], one_way: bool) -> Result<(), CommandError> {
        let a = self.endpoint_set(nodes)?;
        let b: Vec<Ep> = if others.is_empty() { (0..self.c.ep_region.len()).filter(|e| !a.contains(e)).collect() } else { self.endpoint_set(others)? };
        for &x in &a {
            for &y in &b {
                if x != y {
                    self.c.net.set_cut(x, y, true);
                    if !one_way {
                        self.c.net.set_cut(y, x, true);
                    }
                }
            }
        }
        let rest = if others.is_empty() { "the rest".to_string() } else { others.join(", ") };
        self.note(None, NoteKind::Fault, format!("partition: {} {} {rest}", nodes.join(", "), if one_way { "-/->" } else { "<-/->" }));
        self.repl().watch_links();
        self.refresh_routes();
        Ok(())
    }

    fn switchover(&mut self, to: Option<&str>) -> Result<(), CommandError> {
        let leader = self.c.dcs.holder(self.now).ok_or_else(|| CommandError::new(CommandErrorKind::Refused, "switchover refused: there is no leader"))?;
        let target = match to {
            Some(t) => self.node_id(t)?,
            None => self.best_standby(leader).ok_or_else(|| CommandError::new(CommandErrorKind::Refused, "switchover refused: no running standby"))?,
        };
        let t = &self.c.nodes[target as usize];
        if target == leader || !t.is_running() || t.role != Role::Standby {
            return Err(CommandError::new(CommandErrorKind::Refused, format!("switchover refused: {} is not a running standby", t.name)));
        }
        if self.c.pat.synchronous_mode && self.c.dcs.sync != Some(target) {
            return Err(CommandError::new(CommandErrorKind::Refused, format!("switchover refused: in synchronous_mode only the synchronous standby may take over, not {}", t.name)));
        }
        self.c.dcs.failover_to = Some(target);
        if self.c.nodes[leader as usize].agent.up {
            self.start_switchover(leader, target);
        }
        Ok(())
    }

    fn best_standby(&self, leader: u16) -> Option<u16> {
        (0..self.c.nodes.len() as u16)
            .filter(|&n| n != leader && self.c.nodes[n as usize].is_running() && self.c.nodes[n as usize].role == Role::Standby)
            .max_by_key(|&n| (self.c.nodes[n as usize].wal_position(), u16::MAX - n))
    }

    fn set(&mut self, settings: &[Setting]) -> Result<(), CommandError> {
        self.check_command(&Command::Set { settings: settings.to_vec() })?;
        for s in settings {
            // Each component takes its own settings; the world then does what crosses components.
            crate::patroni::cfg::set(&mut self.c.pat, s);
            crate::postgres::cfg::set(&mut self.c.pgc, s);
            match (s.name, s.dur()) {
                ("synchronous_standby_names", _) => self.c.static_sync = SyncNames::parse(&self.c.pgc.synchronous_standby_names).map_err(CommandError::bad_value)?,
                ("archive_timeout", Some(d)) => self.rearm_archive_timeout(d),
                ("base_backup_every", Some(d)) => self.rearm_base_backups(d),
                _ => self.set_component_setting(s),
            }
            self.note(None, NoteKind::Setting, format!("setting changed: {}", s.text()));
        }
        for n in 0..self.c.nodes.len() as u16 {
            if self.c.nodes[n as usize].role == Role::Primary && !self.c.pat.synchronous_mode {
                self.c.nodes[n as usize].sync_names = self.c.static_sync.clone();
            }
            self.release(n);
        }
        Ok(())
    }

    fn set_consumer(&mut self, slot: &str, running: bool) -> Result<(), CommandError> {
        let i = self.c.slots.iter().position(|s| s.name == *slot).ok_or_else(|| CommandError::new(CommandErrorKind::UnknownName, format!("no replication slot named `{slot}`")))?;
        self.c.slots[i].consumer_running = running;
        self.note(None, NoteKind::Slot, format!("slot {slot}: consumer {}", if running { "started" } else { "stopped" }));
        Ok(())
    }

    /// Postgres dies on `n`. Clients connected there see their connection reset.
    pub(crate) fn crash_pg(&mut self, n: u16, why: &str) {
        if self.c.nodes[n as usize].pg == PgState::Down {
            return;
        }
        self.fail_pending(n, TERMINATED);
        self.c.hosts[n as usize].clear();
        self.repl().drop_senders(n);
        self.repl().drop_link(n);
        self.c.nodes[n as usize].crash_pg();
        self.note(Some(n), NoteKind::Fault, why.to_string());
        self.roles_changed();
        self.refresh_routes();
    }

    /// The whole host dies: Postgres, the Patroni agent, and the OS page cache.
    pub(crate) fn crash_host(&mut self, n: u16) {
        if !self.c.nodes[n as usize].crash_host(self.now) {
            return;
        }
        self.crash_pg(n, "host crashed");
    }

    fn restart(&mut self, n: u16) {
        let node = &mut self.c.nodes[n as usize];
        if !node.host_up {
            node.host_up = true;
            node.agent.up = true;
            node.agent.epoch += 1;
            let epoch = node.agent.epoch;
            self.note(Some(n), NoteKind::Fault, "host restarted: Patroni starting".into());
            self.after(SimDur::secs(1), Ev::Tick { n, epoch });
        } else if node.pg == PgState::Down && node.disk_ok {
            let primary = node.agent.is_leader;
            self.note(Some(n), NoteKind::Fault, "postgres restarted".into());
            self.start_pg(n, primary);
        }
    }

    /// `No space left on device`: the primary PANICs.
    pub(crate) fn disk_full(&mut self, n: u16) {
        self.c.nodes[n as usize].disk_full = true;
        let text = format!("{}: PANIC: could not write to file \"pg_wal/xlogtemp\": No space left on device", self.name(n));
        self.c.props.violate(Prop::DiskBelowCapacity, self.now, text.clone());
        self.crash_pg(n, "PANIC: No space left on device");
    }
}
