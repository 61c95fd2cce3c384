//! Reading a scenario's TOML tree into the typed `Scenario`: field by field, with the defaults
//! `docs/scenarios.md` lists, refusing unknown fields.
use crate::decode::{fail, join, map_of, one_of, DeError, Fields, FromToml};
use crate::scenario::*;
use crate::time::{parse_duration, SimDur};
use crate::tomlite::{Node, Table, Value};

/// Each field present in the table replaces the one in `$v`.
macro_rules! fill {
    ($f:ident, $v:ident, $($field:ident),*) => {
        $($f.set(stringify!($field), &mut $v.$field)?;)*
    };
}

pub fn scenario(root: &Table) -> Result<Scenario, DeError> {
    let mut f = Fields::root(root);
    let mut s = Scenario::default();
    fill!(f, s, lesson, run, network, regions, links, nodes, postgres, patroni, dcs, proxy, workload, slots, backup, drill, timeline, expect);
    f.need("lesson")?;
    f.need("nodes")?;
    f.done()?;
    Ok(s)
}

impl<T: FromToml> FromToml for Option<T> {
    fn from_toml(n: &Node, path: &str) -> Result<Self, DeError> {
        T::from_toml(n, path).map(Some)
    }
}

impl FromToml for Dur {
    fn from_toml(n: &Node, path: &str) -> Result<Self, DeError> {
        let text = String::from_toml(n, path)?;
        parse_duration(&text).map(Dur).or_else(|m| fail(n.at, path, m))
    }
}

/// A table whose every field has a default: each present field replaces it.
macro_rules! defaulted {
    ($ty:ident { $($field:ident),* $(,)? }) => {
        impl FromToml for $ty {
            fn from_toml(n: &Node, path: &str) -> Result<Self, DeError> {
                let mut v = $ty::default();
                let mut f = Fields::of(n, path)?;
                fill!(f, v, $($field),*);
                f.done()?;
                Ok(v)
            }
        }
    };
}

defaulted!(RunCfg { seed, duration, max_events, max_queue });
defaulted!(NetworkCfg { same_zone_rtt, cross_zone_rtt, jitter });
defaulted!(PlaceCfg { region, zone });
defaulted!(PgCfg {
    synchronous_commit,
    synchronous_standby_names,
    wal_writer_delay,
    fsync,
    replay,
    wal_bytes_per_commit,
    promote,
    startup,
    wal_receiver_timeout,
    wal_sender_timeout,
    wal_retrieve_retry_interval,
    checkpoint_timeout,
    max_wal_size_mb,
    max_slot_wal_keep_size_mb,
    stream_mb_s,
    rewind_mb_s,
    clone_mb_s,
});
defaulted!(PatroniCfg { ttl, loop_wait, retry_timeout, maximum_lag_on_failover, synchronous_mode, synchronous_mode_strict, use_pg_rewind, fencing, dcs_attempt });
defaulted!(ProxyCfg { region, zone, check_interval, fall, rise });
defaulted!(DrillCfg { rpo, rto, at, disasters, cross_region_copy, archive_failure_for });
defaulted!(BackupCfg { archive, archive_timeout, archive_latency, base_backup_every, backup_mb_s, restore_mb_s, replay_mb_s, keep_backups, clock });
defaulted!(WorkloadCfg { clients, write_tps, read_tps, keys, distribution, zipf_s, region, zone, timeout, backoff });
defaulted!(Bound { min, max });

impl FromToml for Lesson {
    fn from_toml(n: &Node, path: &str) -> Result<Self, DeError> {
        let mut f = Fields::of(n, path)?;
        let v =
            Lesson { title: f.req("title")?, chapter: f.or("chapter", String::new())?, summary: f.or("summary", String::new())?, watch: f.or("watch", Vec::new())?, learn: f.or("learn", Vec::new())? };
        f.done()?;
        Ok(v)
    }
}

impl FromToml for RegionCfg {
    fn from_toml(n: &Node, path: &str) -> Result<Self, DeError> {
        let mut f = Fields::of(n, path)?;
        let v = RegionCfg { name: f.req("name")?, zones: f.or("zones", vec!["a".to_string()])? };
        f.done()?;
        Ok(v)
    }
}

impl FromToml for LinkCfg {
    fn from_toml(n: &Node, path: &str) -> Result<Self, DeError> {
        let mut f = Fields::of(n, path)?;
        let between: Vec<String> = f.req("between")?;
        let Ok(between) = <[String; 2]>::try_from(between) else {
            let at = n.at;
            return fail(at, &join(path, "between"), "expected two names, like [\"eu-west\", \"us-east\"]");
        };
        let v = LinkCfg { between, rtt: f.req("rtt")?, jitter: f.or("jitter", Dur(SimDur::ZERO))? };
        f.done()?;
        Ok(v)
    }
}

impl FromToml for NodeCfg {
    fn from_toml(n: &Node, path: &str) -> Result<Self, DeError> {
        let mut f = Fields::of(n, path)?;
        let v = NodeCfg { name: f.req("name")?, region: f.opt("region")?, zone: f.opt("zone")?, disk_mb: f.or("disk_mb", 100_000)?, data_mb: f.or("data_mb", 1_000)? };
        f.done()?;
        Ok(v)
    }
}

impl FromToml for SlotCfg {
    fn from_toml(n: &Node, path: &str) -> Result<Self, DeError> {
        let mut f = Fields::of(n, path)?;
        let v = SlotCfg { name: f.req("name")?, node: f.req("node")?, consumer_running: f.or("consumer_running", true)?, confirm_interval: f.or("confirm_interval", Dur(SimDur::secs(1)))? };
        f.done()?;
        Ok(v)
    }
}

impl FromToml for SyncCommit {
    fn from_toml(n: &Node, path: &str) -> Result<Self, DeError> {
        let names = [SyncCommit::Off, SyncCommit::Local, SyncCommit::RemoteWrite, SyncCommit::On, SyncCommit::RemoteApply].map(|v| (v.name(), v));
        one_of(n, path, &names)
    }
}

impl FromToml for KeyDist {
    fn from_toml(n: &Node, path: &str) -> Result<Self, DeError> {
        one_of(n, path, &[("uniform", KeyDist::Uniform), ("zipf", KeyDist::Zipf)])
    }
}

impl FromToml for Action {
    fn from_toml(n: &Node, path: &str) -> Result<Self, DeError> {
        let names: Vec<(String, Action)> = Action::ALL.iter().map(|a| (a.name(), *a)).collect();
        let names: Vec<(&str, Action)> = names.iter().map(|(s, a)| (s.as_str(), *a)).collect();
        one_of(n, path, &names)
    }
}

/// `settings = { synchronous_commit = "on", ttl = 20 }`: every value as text.
fn settings(n: &Node, path: &str) -> Result<Vec<(String, String)>, DeError> {
    let Value::Table(t) = &n.value else { return fail(n.at, path, format!("expected a table of settings, found {}", n.value.kind())) };
    Ok(t.entries
        .iter()
        .map(|e| {
            let text = match &e.node.value {
                Value::Str(s) => s.clone(),
                other => other.to_string(),
            };
            (e.key.clone(), text)
        })
        .collect())
}

impl FromToml for TimedCommand {
    fn from_toml(n: &Node, path: &str) -> Result<Self, DeError> {
        let mut f = Fields::of(n, path)?;
        let mut v = TimedCommand::new(f.req("at")?, f.req("action")?);
        fill!(
            f,
            v,
            node,
            nodes,
            others,
            one_way,
            from,
            to,
            latency,
            rate,
            factor,
            duration,
            slot,
            kind,
            name,
            label,
            segment,
            region,
            target_time,
            target_lsn,
            target_xid,
            target_xid_of,
            target_name,
            inclusive,
            target_action,
            target_timeline
        );
        v.settings = f.opt::<Raw>("settings")?.map(|r| settings(&r.0, &join(path, "settings"))).transpose()?;
        f.done()?;
        Ok(v)
    }
}

impl FromToml for Expect {
    fn from_toml(n: &Node, path: &str) -> Result<Self, DeError> {
        let mut f = Fields::of(n, path)?;
        let metric_names: Vec<String> = Metric::ALL.iter().map(|m| m.name()).collect();
        let node_names: Vec<String> = NodeMetric::ALL.iter().map(|m| m.name()).collect();
        let metrics = match f.opt::<Raw>("metrics")? {
            Some(raw) => map_of(&raw.0, &join(path, "metrics"), |k| Metric::ALL.iter().copied().find(|m| m.name() == k), &metric_names.join(", "))?,
            None => Default::default(),
        };
        let nodes = match f.opt::<Raw>("nodes")? {
            Some(raw) => per_node(&raw.0, &join(path, "nodes"), &node_names.join(", "))?,
            None => Default::default(),
        };
        let v = Expect {
            final_primary: f.opt("final_primary")?,
            final_primary_not: f.opt("final_primary_not")?,
            metrics,
            nodes,
            always: f.or("always", Vec::new())?,
            sometimes: f.or("sometimes", Vec::new())?,
            violated: f.or("violated", Vec::new())?,
        };
        f.done()?;
        Ok(v)
    }
}

/// `[expect.nodes.pg2] max_replay_lag_ms = { max = 500 }`.
fn per_node(n: &Node, path: &str, expected: &str) -> Result<std::collections::BTreeMap<String, std::collections::BTreeMap<NodeMetric, Bound>>, DeError> {
    let Value::Table(t) = &n.value else { return fail(n.at, path, format!("expected a table of nodes, found {}", n.value.kind())) };
    t.entries
        .iter()
        .map(|e| {
            let p = join(path, &e.key);
            Ok((e.key.clone(), map_of(&e.node, &p, |k| NodeMetric::ALL.iter().copied().find(|m| m.name() == k), expected)?))
        })
        .collect()
}

/// A value kept as it is, for tables whose keys are data.
struct Raw(Node);

impl FromToml for Raw {
    fn from_toml(n: &Node, _: &str) -> Result<Self, DeError> {
        Ok(Raw(n.clone()))
    }
}
