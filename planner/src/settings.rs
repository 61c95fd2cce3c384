//! The planner's GUCs with PostgreSQL 15's defaults, and `SET name = value` over them.
use serde::{Deserialize, Serialize};

/// A memory size as `postgresql.conf` writes it (`"4GB"`, `"64MB"`, `"512kB"`).
#[cfg(feature = "schema")]
#[derive(schemars::JsonSchema)]
#[schemars(transparent)]
#[allow(dead_code)] // only its schema is used
struct MemorySize(#[schemars(regex(pattern = r"^\s*[0-9]+(\.[0-9]+)?\s*(kB|MB|GB|TB)?\s*$"))] String);

/// Planner and executor settings (`postgresql.conf` names and defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub seq_page_cost: f64,
    pub random_page_cost: f64,
    pub cpu_tuple_cost: f64,
    pub cpu_index_tuple_cost: f64,
    pub cpu_operator_cost: f64,
    /// In 8 kB pages (default 4GB).
    #[serde(with = "pages")]
    #[cfg_attr(feature = "schema", schemars(with = "MemorySize"))]
    pub effective_cache_size: f64,
    /// In kB (default 4MB).
    #[serde(with = "kilobytes")]
    #[cfg_attr(feature = "schema", schemars(with = "MemorySize"))]
    pub work_mem: f64,
    pub hash_mem_multiplier: f64,
    pub default_statistics_target: u32,
    pub enable_seqscan: bool,
    pub enable_indexscan: bool,
    pub enable_indexonlyscan: bool,
    pub enable_bitmapscan: bool,
    pub enable_nestloop: bool,
    pub enable_hashjoin: bool,
    pub enable_mergejoin: bool,
    pub enable_sort: bool,
    pub enable_incremental_sort: bool,
    pub enable_hashagg: bool,
    pub enable_material: bool,
    pub enable_memoize: bool,
    pub enable_parallel_hash: bool,
    pub enable_gathermerge: bool,
    pub geqo_threshold: u32,
    /// Workers a Gather may start (0: no parallel plans).
    pub max_parallel_workers_per_gather: u32,
    pub parallel_setup_cost: f64,
    pub parallel_tuple_cost: f64,
    /// In 8 kB pages (default 8MB): a table smaller than this gets no workers.
    #[serde(with = "pages")]
    #[cfg_attr(feature = "schema", schemars(with = "MemorySize"))]
    pub min_parallel_table_scan_size: f64,
    /// In 8 kB pages (default 512kB).
    #[serde(with = "pages")]
    #[cfg_attr(feature = "schema", schemars(with = "MemorySize"))]
    pub min_parallel_index_scan_size: f64,
    /// The leader runs the plan below a Gather too, besides waiting for workers.
    pub parallel_leader_participation: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            seq_page_cost: 1.0,
            random_page_cost: 4.0,
            cpu_tuple_cost: 0.01,
            cpu_index_tuple_cost: 0.005,
            cpu_operator_cost: 0.0025,
            effective_cache_size: 524_288.0,
            work_mem: 4096.0,
            hash_mem_multiplier: 2.0,
            default_statistics_target: 100,
            enable_seqscan: true,
            enable_indexscan: true,
            enable_indexonlyscan: true,
            enable_bitmapscan: true,
            enable_nestloop: true,
            enable_hashjoin: true,
            enable_mergejoin: true,
            enable_sort: true,
            enable_incremental_sort: true,
            enable_hashagg: true,
            enable_material: true,
            enable_memoize: true,
            enable_parallel_hash: true,
            enable_gathermerge: true,
            geqo_threshold: 12,
            max_parallel_workers_per_gather: 2,
            parallel_setup_cost: 1000.0,
            parallel_tuple_cost: 0.1,
            min_parallel_table_scan_size: 1024.0,
            min_parallel_index_scan_size: 64.0,
            parallel_leader_participation: true,
        }
    }
}

/// `disable_cost`: what an `enable_* = off` path is charged, as costsize.c does.
pub const DISABLE_COST: f64 = 1.0e10;

impl Settings {
    /// `SET name = value`, with PostgreSQL's error text for a bad name or value.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        let v = value.trim().trim_matches('\'');
        let num = |v: &str| v.parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0);
        let bad = || format!("invalid value for parameter \"{name}\": \"{v}\"");
        let boolean = |v: &str| match v.to_ascii_lowercase().as_str() {
            "on" | "true" | "yes" | "1" => Some(true),
            "off" | "false" | "no" | "0" => Some(false),
            _ => None,
        };
        macro_rules! float {
            ($f:ident) => {{
                self.$f = num(v).ok_or_else(bad)?;
            }};
        }
        macro_rules! flag {
            ($f:ident) => {{
                self.$f = boolean(v).ok_or_else(bad)?;
            }};
        }
        match name.to_ascii_lowercase().as_str() {
            "seq_page_cost" => float!(seq_page_cost),
            "random_page_cost" => float!(random_page_cost),
            "cpu_tuple_cost" => float!(cpu_tuple_cost),
            "cpu_index_tuple_cost" => float!(cpu_index_tuple_cost),
            "cpu_operator_cost" => float!(cpu_operator_cost),
            "hash_mem_multiplier" => {
                let x = num(v).filter(|x| (1.0..=1000.0).contains(x)).ok_or_else(bad)?;
                self.hash_mem_multiplier = x;
            }
            "work_mem" => self.work_mem = memory_kb(v).filter(|k| (64.0..=2_147_483_647.0).contains(k)).ok_or_else(bad)?,
            "effective_cache_size" => self.effective_cache_size = memory_kb(v).map(|k| k / 8.0).filter(|p| *p >= 1.0).ok_or_else(bad)?,
            "default_statistics_target" => {
                self.default_statistics_target = v.parse().ok().filter(|t| (1..=10_000).contains(t)).ok_or_else(bad)?;
            }
            "geqo_threshold" => self.geqo_threshold = v.parse().ok().filter(|t| *t >= 2).ok_or_else(bad)?,
            "enable_seqscan" => flag!(enable_seqscan),
            "enable_indexscan" => flag!(enable_indexscan),
            "enable_indexonlyscan" => flag!(enable_indexonlyscan),
            "enable_bitmapscan" => flag!(enable_bitmapscan),
            "enable_nestloop" => flag!(enable_nestloop),
            "enable_hashjoin" => flag!(enable_hashjoin),
            "enable_mergejoin" => flag!(enable_mergejoin),
            "enable_sort" => flag!(enable_sort),
            "enable_incremental_sort" => flag!(enable_incremental_sort),
            "enable_hashagg" => flag!(enable_hashagg),
            "enable_material" => flag!(enable_material),
            "enable_memoize" => flag!(enable_memoize),
            "enable_parallel_hash" => flag!(enable_parallel_hash),
            "enable_gathermerge" => flag!(enable_gathermerge),
            "parallel_leader_participation" => flag!(parallel_leader_participation),
            "parallel_setup_cost" => float!(parallel_setup_cost),
            "parallel_tuple_cost" => float!(parallel_tuple_cost),
            "max_parallel_workers_per_gather" => {
                self.max_parallel_workers_per_gather = v.parse().ok().filter(|t| *t <= 1024).ok_or_else(bad)?;
            }
            "min_parallel_table_scan_size" => self.min_parallel_table_scan_size = memory_kb(v).map(|k| k / 8.0).ok_or_else(bad)?,
            "min_parallel_index_scan_size" => self.min_parallel_index_scan_size = memory_kb(v).map(|k| k / 8.0).ok_or_else(bad)?,
            _ => return Err(format!("unrecognized configuration parameter \"{name}\"")),
        }
        Ok(())
    }

    /// `get_parallel_divisor`: the share of a partial path's rows each process is expected to
    /// handle (workers, plus the leader's part: 1 - 0.3 × workers while that is positive).
    pub fn parallel_divisor(&self, workers: usize) -> f64 {
        let w = workers as f64;
        let leader = if self.parallel_leader_participation { 1.0 - 0.3 * w } else { 0.0 };
        if leader > 0.0 {
            w + leader
        } else {
            w
        }
    }

    /// `compute_parallel_worker` for a scan of `heap_pages` of a table and `index_pages` of an
    /// index (either may be absent): none when either is below its minimum size, else one worker
    /// from the minimum and one more each time the size triples (the fewer of the two), at most
    /// max_parallel_workers_per_gather.
    pub fn parallel_workers(&self, heap_pages: Option<f64>, index_pages: Option<f64>) -> usize {
        let max = self.max_parallel_workers_per_gather as usize;
        if max == 0 || heap_pages.is_some_and(|p| p < self.min_parallel_table_scan_size) || index_pages.is_some_and(|p| p < self.min_parallel_index_scan_size) {
            return 0;
        }
        let grow = |pages: f64, threshold: f64| {
            let (mut t, mut n) = (threshold.max(1.0), 1usize);
            while pages >= t * 3.0 {
                n += 1;
                t *= 3.0;
            }
            n
        };
        let heap = heap_pages.map(|p| grow(p, self.min_parallel_table_scan_size));
        let index = index_pages.map(|p| grow(p, self.min_parallel_index_scan_size));
        let workers = match (heap, index) {
            (Some(h), Some(i)) => h.min(i),
            (Some(n), None) | (None, Some(n)) => n,
            (None, None) => 0,
        };
        workers.min(max)
    }

    /// Memory a hash table may use, in bytes (`get_hash_memory_limit`).
    pub fn hash_mem_bytes(&self) -> f64 {
        self.work_mem * 1024.0 * self.hash_mem_multiplier
    }

    /// The settings that differ from the defaults, as `SET` statements would write them.
    pub fn changed(&self) -> Vec<(String, String)> {
        let d = serde_json::to_value(Settings::default()).unwrap_or_default();
        let me = serde_json::to_value(self).unwrap_or_default();
        let (Some(d), Some(me)) = (d.as_object(), me.as_object()) else { return Vec::new() };
        let text = |v: &serde_json::Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
        let mut out: Vec<(String, String)> = me.iter().filter(|(k, v)| d.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), text(v))).collect();
        out.sort();
        out
    }
}

/// `4MB`, `64kB`, `1GB` or a bare number of kB.
pub fn memory_kb(v: &str) -> Option<f64> {
    let v = v.trim();
    let split = v.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(v.len());
    let (n, unit) = v.split_at(split);
    let n: f64 = n.parse().ok()?;
    let k = match unit.trim() {
        "" | "kB" => 1.0,
        "MB" => 1024.0,
        "GB" => 1024.0 * 1024.0,
        "TB" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some(n * k).filter(|x| x.is_finite())
}

fn memory_text(kb: f64) -> String {
    if kb >= 1024.0 * 1024.0 && kb % (1024.0 * 1024.0) == 0.0 {
        format!("{}GB", kb / (1024.0 * 1024.0))
    } else if kb >= 1024.0 && kb % 1024.0 == 0.0 {
        format!("{}MB", kb / 1024.0)
    } else {
        format!("{kb}kB")
    }
}

mod kilobytes {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(kb: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::memory_text(*kb))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        let t = String::deserialize(d)?;
        super::memory_kb(&t).ok_or_else(|| serde::de::Error::custom(format!("invalid memory size \"{t}\" (write 4MB, 64kB or 1GB)")))
    }
}

mod pages {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(p: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::memory_text(*p * 8.0))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        let t = String::deserialize(d)?;
        super::memory_kb(&t).map(|k| k / 8.0).ok_or_else(|| serde::de::Error::custom(format!("invalid memory size \"{t}\" (write 4GB)")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn set_reads_postgres_units_and_refuses_like_postgres() {
        let mut s = Settings::default();
        s.set("work_mem", "64MB").unwrap();
        assert_eq!(s.work_mem, 65536.0);
        s.set("enable_hashjoin", "off").unwrap();
        assert!(!s.enable_hashjoin);
        assert_eq!(s.set("random_page_cost", "abc").unwrap_err(), "invalid value for parameter \"random_page_cost\": \"abc\"");
        assert_eq!(s.set("nope", "1").unwrap_err(), "unrecognized configuration parameter \"nope\"");
        assert_eq!(s.changed(), vec![("enable_hashjoin".to_string(), "false".to_string()), ("work_mem".to_string(), "64MB".to_string())]);
    }
}
