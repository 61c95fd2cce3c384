//! Semantic checks of a parsed scenario; each failure names the path of the offending field.
use crate::invariants::{Prop, PropKind};
use crate::postgres::SyncNames;
use crate::scenario::{invalid, Invalid, Scenario, Seg, MAX_CLIENTS, MAX_DURATION, MAX_NODES};

type R = Result<(), Invalid>;

fn at(path: &[Seg], msg: impl Into<String>) -> Invalid {
    invalid(path.to_vec(), msg)
}

pub fn scenario(s: &Scenario) -> R {
    watch(s)?;
    run(s)?;
    if s.is_sharded() {
        return sharded(s);
    }
    if let Some(f) = [("ops_per_s", s.workload.ops_per_s.is_some()), ("read_share", s.workload.read_share.is_some())].into_iter().find(|f| f.1) {
        return Err(at(&[Seg::Key("workload"), Seg::Key(f.0)], format!("{} is the load of a sharded lesson's router; a cluster's clients take write_tps and read_tps", f.0)));
    }
    if let Some(m) = s.expect.metrics.keys().find(|m| !m.clustered()) {
        return Err(at(&[Seg::Key("expect"), Seg::Key("metrics"), Seg::Name(m.name())], format!("`{}` is a figure of a sharded lesson (it needs a [table] and a [cluster])", m.name())));
    }
    nodes(s)?;
    places(s)?;
    postgres(s)?;
    s.patroni.check().map_err(|(f, m)| at(&[Seg::Key("patroni"), Seg::Key(f)], m))?;
    workload(s)?;
    slots(s)?;
    backup(s)?;
    s.check_components()?;
    #[cfg(not(feature = "migrate"))]
    if s.migration.is_some() {
        return Err(at(&[Seg::Key("migration")], "this page leaves the migration component out: open the lesson on the migrations page (migrate.html)"));
    }
    drill(s)?;
    timeline(s)?;
    challenge(s)?;
    expect(s)
}

/// A sharded lesson (chapter 10): the router takes the load, and each shard's cluster is built from
/// `[replication]` with `[postgres]`, `[patroni]`, `[proxy]` and `[network]` as its settings. The
/// sections that describe one cluster's hosts, backups or scripted faults do not apply; the
/// sharding sections themselves are checked by `runner::sharded`.
fn sharded(s: &Scenario) -> R {
    let one_cluster = s.component_sections().into_iter().chain([
        ("nodes", "[[nodes]]", !s.nodes.is_empty()),
        ("regions", "[[regions]]", !s.regions.is_empty()),
        ("links", "[[links]]", !s.links.is_empty()),
        ("slots", "[[slots]]", !s.slots.is_empty()),
        ("backup", "[backup]", s.backup.is_some()),
        ("drill", "[drill]", s.drill.is_some()),
        ("timeline", "[[timeline]]", !s.timeline.is_empty()),
        ("dcs", "[dcs]", s.dcs.region.is_some() || s.dcs.zone.is_some()),
    ]);
    if let Some((key, header, _)) = one_cluster.into_iter().find(|f| f.2) {
        return Err(at(
            &[Seg::Key(key)],
            format!("{header} describes one cluster and does not apply to a sharded lesson: its shards' clusters come from [replication], and its reshards from [[reshard]]"),
        ));
    }
    let w = &s.workload;
    let d = crate::scenario::WorkloadCfg::default();
    let clients = [
        ("clients", w.clients != d.clients),
        ("write_tps", w.write_tps != d.write_tps),
        ("read_tps", w.read_tps != d.read_tps),
        ("keys", w.keys != d.keys),
        ("region", w.region.is_some()),
        ("zone", w.zone.is_some()),
    ];
    if let Some((key, _)) = clients.into_iter().find(|f| f.1) {
        return Err(at(
            &[Seg::Key("workload"), Seg::Key(key)],
            format!("{key} sets a cluster's own clients; a sharded lesson's load is its router's (`ops_per_s`, `read_share`, and the [table]'s columns)"),
        ));
    }
    if !s.postgres.synchronous_standby_names.is_empty() {
        return Err(at(&[Seg::Key("postgres"), Seg::Key("synchronous_standby_names")], "each shard's synchronous standbys follow from [replication] (`replicas`, `synchronous_commit`)"));
    }
    let e = &s.expect;
    let lists = [
        ("final_primary", e.final_primary.is_some() || e.final_primary_not.is_some()),
        ("nodes", !e.nodes.is_empty()),
        ("always", !e.always.is_empty() || !e.sometimes.is_empty() || !e.violated.is_empty()),
        ("drill", e.drill.is_some()),
    ];
    if let Some((key, _)) = lists.into_iter().find(|f| f.1) {
        return Err(at(
            &[Seg::Key("expect"), Seg::Key(key)],
            format!("`{key}` judges one cluster; a sharded lesson bounds its figures in [expect.metrics] (its shards' invariants are checked in every run)"),
        ));
    }
    if let Some(m) = e.metrics.keys().find(|m| !m.sharded()) {
        let known: Vec<String> = crate::scenario::Metric::all().filter(|m| m.sharded()).map(|m| m.name()).collect();
        return Err(at(&[Seg::Key("expect"), Seg::Key("metrics"), Seg::Name(m.name())], format!("`{}` is not measured by a sharded lesson; its figures are {}", m.name(), known.join(", "))));
    }
    postgres(s)?;
    s.patroni.check().map_err(|(f, m)| at(&[Seg::Key("patroni"), Seg::Key(f)], m))?;
    workload(s)?;
    places(s)?;
    challenge(s)
}

/// The settings groups offered are ones the lesson has. (What a `watch` item points at is the
/// pages' to check: `Scenario::check_shows`.)
fn watch(s: &Scenario) -> R {
    for (i, g) in s.lesson.settings.iter().flatten().enumerate() {
        let path = [Seg::Key("lesson"), Seg::Key("settings"), Seg::Index(i)];
        let groups = crate::command::settings::GROUPS;
        if !groups.iter().any(|x| x.name == g) {
            let known: Vec<&str> = groups.iter().map(|x| x.name).collect();
            return Err(at(&path, format!("unknown settings group `{g}`; known: {}", known.join(", "))));
        }
        if !s.setting_groups().contains(&g.as_str()) {
            return Err(at(&path, format!("this lesson has no {g} to set: add its section or drop `{g}`")));
        }
    }
    Ok(())
}

fn backup(s: &Scenario) -> R {
    let Some(b) = &s.backup else { return Ok(()) };
    let p = |f| vec![Seg::Key("backup"), Seg::Key(f)];
    for (f, v) in [("backup_mb_s", b.backup_mb_s), ("restore_mb_s", b.restore_mb_s), ("replay_mb_s", b.replay_mb_s)] {
        if v == 0 || v > 100_000 {
            return Err(at(&p(f), format!("{f} must be 1..=100000 MB/s, not {v}")));
        }
    }
    if b.keep_backups == 0 || b.keep_backups > 1000 {
        return Err(at(&p("keep_backups"), format!("keep_backups must be 1..=1000, not {}", b.keep_backups)));
    }
    for (f, d) in [("archive_timeout", b.archive_timeout.0), ("archive_latency", b.archive_latency.0), ("base_backup_every", b.base_backup_every.0)] {
        if d > MAX_DURATION {
            return Err(at(&p(f), format!("{f} must be at most 48h, not {d}")));
        }
    }
    if b.base_backup_every.0 > crate::time::SimDur::ZERO && b.base_backup_every.0 < crate::time::SimDur::secs(60) {
        return Err(at(&p("base_backup_every"), "base_backup_every must be at least 60s (or 0 for on demand)"));
    }
    crate::pitr::Clock::parse(&b.clock).map(|_| ()).map_err(|m| at(&p("clock"), m))
}

fn drill(s: &Scenario) -> R {
    let Some(d) = &s.drill else { return Ok(()) };
    let p = |f| vec![Seg::Key("drill"), Seg::Key(f)];
    if s.backup.is_none() {
        return Err(at(&p("at"), "a [drill] needs a [backup] section: the strategy under test"));
    }
    for (i, name) in d.disasters.iter().enumerate() {
        if !crate::scenario::DISASTERS.contains(&name.as_str()) {
            return Err(at(&[Seg::Key("drill"), Seg::Key("disasters"), Seg::Index(i)], format!("unknown disaster `{name}`; known: {}", crate::scenario::DISASTERS.join(", "))));
        }
    }
    let room = d.at.0 .0.saturating_add(d.archive_failure_for.0 .0).saturating_add(crate::time::SimDur::secs(120).0);
    if room > s.run.duration.0 .0 {
        return Err(at(&p("at"), format!("the run ({}) must last at least 2 minutes past the disaster at {} (plus archive_failure_for)", s.run.duration.0, d.at.0)));
    }
    Ok(())
}

fn run(s: &Scenario) -> R {
    let d = s.run.duration.0;
    if d.0 == 0 || d > MAX_DURATION {
        return Err(at(&[Seg::Key("run"), Seg::Key("duration")], format!("duration must be between 1us and 48h, not {d}")));
    }
    if s.run.max_queue == 0 || s.run.max_queue > 50_000_000 {
        return Err(at(&[Seg::Key("run"), Seg::Key("max_queue")], "max_queue must be 1..=50000000"));
    }
    Ok(())
}

fn nodes(s: &Scenario) -> R {
    if s.nodes.is_empty() {
        return Err(at(&[Seg::Key("nodes")], "missing field `nodes`: a lesson of one cluster needs [[nodes]] (a sharded lesson has a [table] and a [cluster] instead)"));
    }
    if s.nodes.len() > MAX_NODES {
        return Err(at(&[Seg::Key("nodes")], format!("a cluster has 1 to {MAX_NODES} nodes, not {}", s.nodes.len())));
    }
    for (i, n) in s.nodes.iter().enumerate() {
        let p = |f| vec![Seg::Key("nodes"), Seg::Index(i), Seg::Key(f)];
        if n.name.is_empty() || ["dcs", "proxy", "clients"].contains(&n.name.as_str()) || s.regions.iter().any(|r| r.name == n.name) {
            return Err(at(&p("name"), format!("`{}` cannot name a node (empty, reserved, or a region's name)", n.name)));
        }
        if s.nodes[..i].iter().any(|o| o.name == n.name) {
            return Err(at(&p("name"), format!("two nodes are called `{}`", n.name)));
        }
        if n.disk_mb == 0 || n.disk_mb > 1 << 40 || n.data_mb >= n.disk_mb {
            return Err(at(&p("disk_mb"), format!("disk_mb ({}) must be larger than data_mb ({}) and at most 2^40", n.disk_mb, n.data_mb)));
        }
    }
    Ok(())
}

fn check_place(s: &Scenario, path: Vec<Seg>, region: &Option<String>, zone: &Option<String>) -> R {
    let Some(r) = region else { return Ok(()) };
    let Some(reg) = s.regions.iter().find(|x| &x.name == r) else {
        let known: Vec<&str> = s.regions.iter().map(|x| x.name.as_str()).collect();
        let mut p = path;
        p.push(Seg::Key("region"));
        let known = if known.is_empty() { "no [[regions]] are defined".to_string() } else { format!("regions: {}", known.join(", ")) };
        return Err(at(&p, format!("unknown region `{r}` ({known})")));
    };
    if let Some(z) = zone {
        if !reg.zones.contains(z) {
            let mut p = path;
            p.push(Seg::Key("zone"));
            return Err(at(&p, format!("region `{r}` has no zone `{z}` (zones: {})", reg.zones.join(", "))));
        }
    }
    Ok(())
}

fn places(s: &Scenario) -> R {
    for (i, n) in s.nodes.iter().enumerate() {
        check_place(s, vec![Seg::Key("nodes"), Seg::Index(i)], &n.region, &n.zone)?;
    }
    check_place(s, vec![Seg::Key("dcs")], &s.dcs.region, &s.dcs.zone)?;
    check_place(s, vec![Seg::Key("proxy")], &s.proxy.region, &s.proxy.zone)?;
    check_place(s, vec![Seg::Key("workload")], &s.workload.region, &s.workload.zone)?;
    let nw = &s.network;
    for (field, d) in [("same_zone_rtt", nw.same_zone_rtt), ("cross_zone_rtt", nw.cross_zone_rtt), ("jitter", nw.jitter)] {
        if d.0 > crate::command::MAX_LATENCY {
            return Err(at(&[Seg::Key("network"), Seg::Key(field)], format!("{field} is more than an hour")));
        }
    }
    for (i, l) in s.links.iter().enumerate() {
        if l.rtt.0 > crate::command::MAX_LATENCY || l.jitter.0 > crate::command::MAX_LATENCY {
            return Err(at(&[Seg::Key("links"), Seg::Index(i), Seg::Key("rtt")], "rtt and jitter must be at most an hour"));
        }
        for r in &l.between {
            if !s.regions.iter().any(|x| &x.name == r) {
                return Err(at(&[Seg::Key("links"), Seg::Index(i), Seg::Key("between")], format!("unknown region `{r}`")));
            }
        }
    }
    for (i, a) in s.regions.iter().enumerate() {
        for b in &s.regions[i + 1..] {
            let has = s.links.iter().any(|l| l.between.contains(&a.name) && l.between.contains(&b.name));
            if !has {
                return Err(at(&[Seg::Key("regions"), Seg::Index(i), Seg::Key("name")], format!("no [[links]] entry gives the latency between `{}` and `{}`", a.name, b.name)));
            }
        }
    }
    Ok(())
}

fn postgres(s: &Scenario) -> R {
    let path = [Seg::Key("postgres"), Seg::Key("synchronous_standby_names")];
    let names = SyncNames::parse(&s.postgres.synchronous_standby_names).map_err(|m| at(&path, m))?;
    for n in names.names.iter().filter(|n| *n != "*") {
        if s.node_index(n).is_none() {
            return Err(at(&path, format!("`{n}` is not a node")));
        }
    }
    let pg = &s.postgres;
    let sizes = [("stream_mb_s", pg.stream_mb_s), ("rewind_mb_s", pg.rewind_mb_s), ("clone_mb_s", pg.clone_mb_s), ("max_wal_size_mb", pg.max_wal_size_mb)];
    for (field, v) in sizes {
        if v == 0 || v > 1 << 30 {
            return Err(at(&[Seg::Key("postgres"), Seg::Key(field)], format!("{field} = {v} must be between 1 and 2^30")));
        }
    }
    if pg.replay_mb_s > 1 << 30 {
        return Err(at(&[Seg::Key("postgres"), Seg::Key("replay_mb_s")], format!("replay_mb_s = {} must be 0 (as fast as WAL arrives) or at most 2^30", pg.replay_mb_s)));
    }
    if pg.max_slot_wal_keep_size_mb > 1 << 30 {
        return Err(at(&[Seg::Key("postgres"), Seg::Key("max_slot_wal_keep_size_mb")], "max_slot_wal_keep_size_mb must be -1 or at most 2^30"));
    }
    if s.postgres.stream_mb_s == 0 || s.postgres.wal_bytes_per_commit == 0 || s.postgres.wal_bytes_per_commit > 1 << 30 {
        return Err(at(&[Seg::Key("postgres"), Seg::Key("wal_bytes_per_commit")], "stream_mb_s and wal_bytes_per_commit must be positive (and a commit at most 1 GiB)"));
    }
    Ok(())
}

fn workload(s: &Scenario) -> R {
    let w = &s.workload;
    let p = |f| vec![Seg::Key("workload"), Seg::Key(f)];
    if w.clients > MAX_CLIENTS {
        return Err(at(&p("clients"), format!("clients = {} exceeds the limit of {MAX_CLIENTS}", w.clients)));
    }
    if !(w.write_tps.is_finite() && w.write_tps >= 0.0 && w.write_tps <= 1e6) {
        return Err(at(&p("write_tps"), "write_tps must be between 0 and 1000000"));
    }
    if !(w.read_tps.is_finite() && w.read_tps >= 0.0 && w.read_tps <= 1e6) {
        return Err(at(&p("read_tps"), "read_tps must be between 0 and 1000000"));
    }
    if w.keys == 0 || !(w.zipf_s.is_finite() && w.zipf_s > 0.0 && w.zipf_s < 10.0) {
        return Err(at(&p("zipf_s"), "keys must be positive and zipf_s in (0, 10)"));
    }
    if w.timeout.0 .0 == 0 || w.backoff.0 .0 == 0 {
        return Err(at(&p("timeout"), "timeout and backoff must be positive"));
    }
    if s.proxy.check_interval.0 .0 == 0 || s.proxy.fall == 0 || s.proxy.rise == 0 {
        return Err(at(&[Seg::Key("proxy"), Seg::Key("check_interval")], "check_interval, fall and rise must be positive"));
    }
    Ok(())
}

fn slots(s: &Scenario) -> R {
    for (i, sl) in s.slots.iter().enumerate() {
        if s.node_index(&sl.node).is_none() {
            return Err(at(&[Seg::Key("slots"), Seg::Index(i), Seg::Key("node")], format!("`{}` is not a node", sl.node)));
        }
        if sl.confirm_interval.0 .0 == 0 {
            return Err(at(&[Seg::Key("slots"), Seg::Index(i), Seg::Key("confirm_interval")], "confirm_interval must be positive"));
        }
    }
    Ok(())
}

fn timeline(s: &Scenario) -> R {
    let scope = s.scope();
    for (i, tc) in s.timeline.iter().enumerate() {
        let p = |f| vec![Seg::Key("timeline"), Seg::Index(i), Seg::Key(f)];
        if tc.at.0 > s.run.duration.0 {
            return Err(at(&p("at"), format!("at = {} is after the end of the run ({})", tc.at.0, s.run.duration.0)));
        }
        // A fault whose end falls after the run simply lasts to the end (see `World::schedule`).
        scope.check(&tc.command).map_err(|e| at(&p(e.field.unwrap_or("action")), e.message))?;
    }
    Ok(())
}

/// A challenge's solution is checked like the timeline, and it needs goals to reach.
fn challenge(s: &Scenario) -> R {
    let Some(c) = &s.challenge else { return Ok(()) };
    let e = &s.expect;
    let goals = e.final_primary.is_some() || e.final_primary_not.is_some() || !e.metrics.is_empty() || !e.nodes.is_empty() || !e.always.is_empty() || !e.sometimes.is_empty();
    if !goals {
        return Err(at(&[Seg::Key("challenge")], "a challenge needs goals in [expect] for the learner to reach"));
    }
    if s.is_sharded() {
        if !c.solution.is_empty() {
            return Err(at(&[Seg::Key("challenge"), Seg::Key("solution")], "a sharded lesson's challenge is a design (shard key, placement): write `design`, not commands"));
        }
        if c.design.as_ref().is_none_or(|d| d.is_empty()) {
            return Err(at(&[Seg::Key("challenge")], "a sharded lesson's challenge ships with a reference `design`: a shard key, a strategy, a vindex or a shard count"));
        }
        return traps(c, |i, t| match (&t.design, t.commands.is_empty()) {
            (Some(d), true) if !d.is_empty() => Ok(()),
            _ => Err(at(&[Seg::Key("challenge"), Seg::Key("traps"), Seg::Index(i)], "a sharded lesson's wrong answer is a `design` (shard key, placement, vindex), not commands")),
        });
    }
    if c.design.is_some() {
        return Err(at(&[Seg::Key("challenge"), Seg::Key("design")], "a design (shard key, placement) applies to a sharded lesson only"));
    }
    if c.solution.is_empty() {
        return Err(at(&[Seg::Key("challenge"), Seg::Key("solution")], "a challenge ships with a reference solution: at least one command"));
    }
    let scope = s.scope();
    for (i, tc) in c.solution.iter().enumerate() {
        let p = |f| vec![Seg::Key("challenge"), Seg::Key("solution"), Seg::Index(i), Seg::Key(f)];
        if tc.at.0 > s.run.duration.0 {
            return Err(at(&p("at"), format!("at = {} is after the end of the run ({})", tc.at.0, s.run.duration.0)));
        }
        scope.check(&tc.command).map_err(|e| at(&p(e.field.unwrap_or("action")), e.message))?;
    }
    traps(c, |i, t| {
        if t.design.is_some() || t.commands.is_empty() {
            return Err(at(&[Seg::Key("challenge"), Seg::Key("traps"), Seg::Index(i)], "a wrong answer to this challenge is `commands` (written like [[timeline]] entries), not a design"));
        }
        for (j, tc) in t.commands.iter().enumerate() {
            let p = |f| vec![Seg::Key("challenge"), Seg::Key("traps"), Seg::Index(i), Seg::Key("commands"), Seg::Index(j), Seg::Key(f)];
            if tc.at.0 > s.run.duration.0 {
                return Err(at(&p("at"), format!("at = {} is after the end of the run ({})", tc.at.0, s.run.duration.0)));
            }
            scope.check(&tc.command).map_err(|e| at(&p(e.field.unwrap_or("action")), e.message))?;
        }
        Ok(())
    })
}

/// A challenge names the wrong answers its hints warn about (each is checked to miss), and each
/// has its reason.
fn traps(c: &crate::scenario::Challenge, each: impl Fn(usize, &crate::scenario::Trap) -> R) -> R {
    if c.traps.is_empty() {
        return Err(at(&[Seg::Key("challenge")], "a challenge names the wrong answers its hints warn about: at least one [[challenge.traps]] entry"));
    }
    for (i, t) in c.traps.iter().enumerate() {
        if t.why.trim().is_empty() {
            return Err(at(&[Seg::Key("challenge"), Seg::Key("traps"), Seg::Index(i), Seg::Key("why")], "say why this answer misses"));
        }
        each(i, t)?;
    }
    Ok(())
}

fn expect(s: &Scenario) -> R {
    let e = &s.expect;
    if e.drill.is_some() && s.drill.is_none() {
        return Err(at(&[Seg::Key("expect"), Seg::Key("drill")], "a drill verdict needs a [drill] section to judge"));
    }
    for (key, p) in [("final_primary", &e.final_primary), ("final_primary_not", &e.final_primary_not)] {
        if let Some(p) = p.as_ref().filter(|p| s.node_index(p).is_none()) {
            return Err(at(&[Seg::Key("expect"), Seg::Key(key)], format!("`{p}` is not a node")));
        }
    }
    for name in e.nodes.keys() {
        if s.node_index(name).is_none() {
            return Err(at(&[Seg::Key("expect"), Seg::Key("nodes"), Seg::Name(name.clone())], format!("`{name}` is not a node")));
        }
    }
    let lists: [(&'static str, &Vec<String>, Option<PropKind>); 3] =
        [("always", &e.always, Some(PropKind::Always)), ("sometimes", &e.sometimes, Some(PropKind::Sometimes)), ("violated", &e.violated, Some(PropKind::Always))];
    for (field, list, kind) in lists {
        for name in list {
            let p = Prop::parse(name).ok_or_else(|| {
                let known: Vec<&str> = crate::invariants::ALL.iter().map(|p| p.name()).collect();
                at(&[Seg::Key("expect"), Seg::Key(field)], format!("unknown property `{name}` (properties: {})", known.join(", ")))
            })?;
            if kind.is_some_and(|k| k != p.kind()) {
                return Err(at(&[Seg::Key("expect"), Seg::Key(field)], format!("`{name}` is a {:?} property and cannot be listed under `{field}`", p.kind())));
            }
        }
    }
    Ok(())
}
