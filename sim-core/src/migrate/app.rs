//! The application's versions: which columns of `accounts` each reads and writes, which version
//! each app instance runs (rolling deploys move them one at a time), and what each version's
//! requests met at the server: answered, failed with `column "x" does not exist` (42703)
//! (each second too), and their time in the server (lock wait and work).
//!
//! An app instance is a direct client (`[workload]`) or an app server (`[pooling]`). A version's
//! request fails when a column it names is missing once its table lock is granted (PostgreSQL
//! resolves names in parse analysis, after it has locked the table).
use crate::base::histogram::Histogram;
use crate::time::{SimDur, SimTime};
use serde::Deserialize;

/// The most versions a lesson may declare (each is a line in the charts).
pub const MAX_VERSIONS: usize = 4;

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct VersionCfg {
    pub name: String,
    /// Columns of `accounts` its reads name.
    #[serde(default)]
    pub reads: Vec<String>,
    /// Columns of `accounts` its writes name (both the old and the new one for a dual write).
    #[serde(default)]
    pub writes: Vec<String>,
    /// The pgroll version schema it uses (`SET search_path TO public_02_rename_email`), whose
    /// view maps the names it uses to the table's columns; absent: the table itself.
    #[serde(default)]
    pub search_path: Option<String>,
}

/// A rolling deploy: from `start`, instance `i` of `n` moves to version `to` at `start + over × (i + 1) / n`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Deploy {
    pub start: SimTime,
    pub over: SimDur,
    pub to: u8,
}

/// One second of one version's requests.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct VersionSecond {
    pub ok: u32,
    pub failed: u32,
    /// Instances running it.
    pub instances: u32,
}

/// Each version's second, sampled once a second.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppSample {
    pub t_ms: u64,
    pub versions: [VersionSecond; MAX_VERSIONS],
}

#[derive(Clone, Debug, Default)]
pub struct VersionStats {
    pub ok: u64,
    /// Failed with 42703.
    pub undefined_column: u64,
    /// Failed with 42P01: its `search_path` names a version schema that is gone.
    pub undefined_table: u64,
    /// Failed otherwise (a timeout, a read-only server, a lost connection).
    pub other_failed: u64,
    /// Reads that found NULL in a column they read (a new column not yet backfilled): the
    /// expected count, the share of rows still NULL summed over the reads.
    pub null_reads: f64,
    /// Reads of a backfilled column that found a stale copy (the expected count).
    pub stale_reads: f64,
    pub latency: Histogram,
    second_ok: u32,
    second_failed: u32,
}

#[derive(Clone, Debug)]
pub struct Apps {
    pub versions: Vec<VersionCfg>,
    pub instances: u32,
    pub deploys: Vec<Deploy>,
    pub stats: Vec<VersionStats>,
    /// When each direct client's, and each pooled server connection's, request reached the server.
    arrived_client: Vec<SimTime>,
    arrived_pooled: Vec<SimTime>,
    pub series: crate::chunklog::ChunkLog<AppSample, 64>,
    /// The column each version first found missing, for its error line.
    pub missing: Vec<Option<String>>,
}

impl Apps {
    pub fn new(versions: Vec<VersionCfg>, instances: u32) -> Apps {
        let n = versions.len();
        Apps {
            versions,
            instances: instances.max(1),
            deploys: Vec::new(),
            stats: vec![VersionStats::default(); n],
            arrived_client: Vec::new(),
            arrived_pooled: Vec::new(),
            series: Default::default(),
            missing: vec![None; n],
        }
    }

    /// The version app instance `app` runs at `now` (the first one before any deploy).
    #[inline]
    pub fn version_of(&self, app: u32, now: SimTime) -> usize {
        let n = u64::from(self.instances);
        let i = u64::from(app % self.instances);
        let mut v = 0;
        for d in &self.deploys {
            let at = d.start + SimDur(d.over.0 / n * (i + 1) + d.over.0 % n * (i + 1) / n);
            if now >= at {
                v = d.to as usize;
            }
        }
        v
    }

    pub fn version(&self, name: &str) -> Option<u8> {
        self.versions.iter().position(|v| v.name == name).map(|i| i as u8)
    }

    /// How many instances run each version at `now`.
    pub fn running(&self, now: SimTime) -> Vec<u32> {
        let mut c = vec![0; self.versions.len()];
        for app in 0..self.instances {
            c[self.version_of(app, now)] += 1;
        }
        c
    }

    /// The columns version `v` names in a read (`write` false) or a write.
    pub fn columns(&self, v: usize, write: bool) -> &[String] {
        let cfg = &self.versions[v];
        if write {
            &cfg.writes
        } else {
            &cfg.reads
        }
    }

    /// A request reached the server (`pooled`: a server connection's transaction `id`, else client `id`).
    #[inline]
    pub fn arrived(&mut self, pooled: bool, id: u32, now: SimTime) {
        let list = if pooled { &mut self.arrived_pooled } else { &mut self.arrived_client };
        let i = id as usize;
        if list.len() <= i {
            list.resize(i + 1, SimTime::ZERO);
        }
        list[i] = now;
    }

    /// A request of version `v` was answered with `code`: answered, failed with 42703 or 42P01
    /// (its version schema gone), or failed otherwise.
    #[inline]
    pub fn answered(&mut self, v: usize, pooled: bool, id: u32, code: u8, now: SimTime) {
        let ok = code == crate::pipeline::OK;
        let list = if pooled { &self.arrived_pooled } else { &self.arrived_client };
        let since = list.get(id as usize).copied().unwrap_or(now);
        let st = &mut self.stats[v];
        if ok {
            st.ok += 1;
            st.second_ok += 1;
            let us = now.since(since).0;
            st.latency.record(us);
        } else {
            match code {
                crate::pipeline::UNDEFINED_COLUMN => st.undefined_column += 1,
                crate::pipeline::UNDEFINED_TABLE => st.undefined_table += 1,
                _ => st.other_failed += 1,
            }
            st.second_failed += 1;
        }
    }

    /// The world's second: each version's sample.
    pub fn second(&mut self, now: SimTime) {
        let running = self.running(now);
        let mut s = AppSample { t_ms: now.as_ms(), ..AppSample::default() };
        for (i, st) in self.stats.iter_mut().enumerate().take(MAX_VERSIONS) {
            s.versions[i] = VersionSecond { ok: st.second_ok, failed: st.second_failed, instances: running[i] };
            st.second_ok = 0;
            st.second_failed = 0;
        }
        self.series.push(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apps() -> Apps {
        let v = |n: &str| VersionCfg { name: n.into(), reads: vec![], writes: vec![], search_path: None };
        Apps::new(vec![v("v1"), v("v2")], 4)
    }

    #[test]
    fn a_rolling_deploy_moves_one_instance_at_a_time() {
        let mut a = apps();
        a.deploys.push(Deploy { start: SimTime(10_000_000), over: SimDur::secs(40), to: 1 });
        let at = |s: u64| SimTime(s * 1_000_000);
        assert_eq!(a.running(at(10)), [4, 0]);
        assert_eq!(a.running(at(20)), [3, 1], "the first instance at 10 s + 40 s / 4");
        assert_eq!(a.running(at(35)), [2, 2]);
        assert_eq!(a.running(at(50)), [0, 4]);
        // Rolling back is a deploy of the old version.
        a.deploys.push(Deploy { start: at(60), over: SimDur::secs(4), to: 0 });
        assert_eq!((a.running(at(61)), a.running(at(64))), (vec![1, 3], vec![4, 0]), "one instance back after 1 s, all after 4 s");
        assert_eq!(a.version("v2"), Some(1));
    }

    #[test]
    fn each_version_counts_its_answers_and_its_seconds() {
        let mut a = apps();
        a.arrived(false, 3, SimTime(1000));
        a.answered(0, false, 3, crate::pipeline::OK, SimTime(3000));
        a.answered(1, true, 9, crate::pipeline::UNDEFINED_COLUMN, SimTime(3000));
        a.second(SimTime(1_000_000));
        let s = a.series.last().expect("a sample").versions;
        assert_eq!((s[0].ok, s[1].failed, s[0].instances), (1, 1, 4));
        assert!((1900..2100).contains(&a.stats[0].latency.quantile(0.5)), "its server time");
        assert_eq!((a.stats[0].ok, a.stats[1].undefined_column), (1, 1));
    }
}
