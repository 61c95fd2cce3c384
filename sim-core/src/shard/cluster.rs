//! A sharded cluster under load. A Vitess-style router maps each row's shard key through a
//! vindex (`hash`, or `numeric` for the raw value) to a keyspace ID, and the placement maps that
//! to a shard. Shards are FIFO servers; the run records per-shard load each second, names hot
//! shards and why, routes queries (single-shard or scatter-gather, co-located or redistributed
//! joins), and performs an online reshard through copy, catch-up, switch reads and switch writes.
use super::front::Front;
use super::placement::{keyspace_id, Placement};
use crate::rng::{SimRng, Zipf};
use std::collections::BTreeMap;

/// How a column's values are drawn.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    Uniform,
    Zipf {
        s: f64,
    },
    /// One key (`key`) gets `share` of all operations; the rest are uniform.
    Celebrity {
        key: u64,
        share: f64,
    },
    /// Values grow with time (a timestamp or a serial): each new row takes the next value.
    Monotonic,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub name: String,
    pub dist: Dist,
    /// Values are `1..=keys`.
    pub keys: u64,
}

/// From a shard-key value to a keyspace ID.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Vindex {
    /// A hash of the value (Vitess `hash`, Citus's hash distribution): spreads neighbours apart.
    Hash,
    /// The value itself, scaled over the column's domain (Vitess `numeric`, range sharding):
    /// neighbours stay together, so ranges keep their order.
    Numeric,
}

impl Vindex {
    /// Every vindex, as the page offers them.
    pub const ALL: [Vindex; 2] = [Vindex::Hash, Vindex::Numeric];

    /// Its name in a lesson file, a design and a link.
    pub fn name(self) -> &'static str {
        match self {
            Vindex::Hash => "hash",
            Vindex::Numeric => "numeric",
        }
    }

    /// The vindex of that name.
    pub fn of(name: &str) -> Result<Vindex, String> {
        Vindex::ALL.into_iter().find(|v| v.name() == name).ok_or_else(|| format!("vindex = \"{name}\" is not one of hash, numeric"))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub table: String,
    pub columns: Vec<Column>,
    pub shard_key: String,
    pub vindex: Vindex,
    pub placement: Placement,
    pub ops_per_s: u64,
    /// Fraction of operations that are reads by shard key (the rest insert or update a row).
    pub read_share: f64,
    /// Operations per second one shard's primary can serve.
    pub shard_capacity: u64,
    /// Client ↔ router ↔ shard round trip.
    pub rtt_us: u64,
    pub duration_s: u64,
    /// Rows copied per second during a reshard, and change events applied per second in catch-up.
    pub copy_rows_s: u64,
    pub apply_rows_s: u64,
    /// Writes waiting longer than this during a cutover fail.
    pub write_timeout_us: u64,
}

/// Limits that keep a run bounded.
pub const MAX_OPS: u64 = 20_000_000;
pub const MAX_KEYS: u64 = 10_000_000;

impl Config {
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        self.placement.check().map_err(|m| ("shards", m))?;
        if self.column(&self.shard_key).is_none() {
            let names: Vec<&str> = self.columns.iter().map(|c| c.name.as_str()).collect();
            return Err(("shard_key", format!("`{}` is not a column of {} (columns: {})", self.shard_key, self.table, names.join(", "))));
        }
        if let Some(c) = self.columns.iter().find(|c| c.keys == 0 || c.keys > MAX_KEYS) {
            return Err(("columns", format!("column `{}` needs 1 to {MAX_KEYS} keys, not {}", c.name, c.keys)));
        }
        if self.ops_per_s.saturating_mul(self.duration_s) > MAX_OPS {
            return Err(("ops_per_s", format!("{} ops/s for {} s is more than {MAX_OPS} operations", self.ops_per_s, self.duration_s)));
        }
        if self.shard_capacity == 0 || !(0.0..=1.0).contains(&self.read_share) {
            return Err(("shard_capacity", "shard_capacity must be positive and read_share between 0 and 1".into()));
        }
        Ok(())
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Where `WHERE column = value` goes under `placement`, and why.
    pub fn route(&self, placement: &Placement, filter: Option<(&str, u64)>) -> Result<super::query::Route, String> {
        let known = |c: &str| self.column(c).is_some();
        let router = super::query::Router { table: &self.table, shard_key: &self.shard_key, vindex: self.vindex, placement, known: &known, ksid: &|v| self.ksid(v) };
        super::query::route_with(&router, filter)
    }

    /// The keyspace ID of a shard-key value.
    pub fn ksid(&self, value: u64) -> u64 {
        match self.vindex {
            Vindex::Hash => keyspace_id(value),
            Vindex::Numeric => {
                let keys = self.column(&self.shard_key).map_or(1, |c| c.keys.max(1));
                ((value.min(keys) as u128 * u64::MAX as u128) / keys as u128) as u64
            }
        }
    }
}

/// One second of one shard.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Load {
    pub ops: u64,
    /// Writes refused: the shard had no writable primary.
    pub errors: u64,
    pub p99_us: u64,
    /// Rows stored at the end of the second.
    pub rows: u64,
}

/// A shard found hot in some second: which, when, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hotspot {
    pub second: u64,
    pub shard: u32,
    /// The shard's name at that moment (a later reshard may rename it).
    pub name: String,
    /// Its share of all operations, per mille.
    pub share_permille: u64,
    pub cause: String,
}

/// A reshard in progress or done: its phases' times (seconds into the run).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reshard {
    pub what: String,
    /// The move itself.
    pub mv: Option<Move>,
    /// The shard receiving rows.
    pub to: u32,
    pub started_us: u64,
    pub copy_done_us: u64,
    pub reads_switched_us: u64,
    pub writes_paused_us: u64,
    pub writes_switched_us: u64,
    pub rows_moved: u64,
    pub keys_total: u64,
    pub keys_moved: u64,
    pub writes_delayed: u64,
    pub writes_failed: u64,
    pub max_pause_us: u64,
}

/// Where an online reshard stands at a moment.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ReshardPhase {
    NotStarted,
    /// Rows stream to their new shard.
    Copy,
    /// The change stream is applied.
    CatchUp,
    /// Reads of moving keys go to the new shard.
    ReadsSwitched,
    /// Writes paused while the last changes drain.
    WritesPaused,
    /// Writes switched, routing flipped.
    Done,
}

impl Reshard {
    /// `p` after this reshard's move (unchanged if the move cannot apply to it).
    pub fn grown(&self, p: &Placement) -> Placement {
        self.mv.as_ref().and_then(|m| m.apply(p).ok()).unwrap_or_else(|| p.clone())
    }

    /// The phase at `us`. A phase whose time is 0 never began (the change stream could not keep
    /// up), so the reshard stays in the phase before it.
    pub fn phase_at(&self, us: u64) -> ReshardPhase {
        let when = |t: u64| if t == 0 { u64::MAX } else { t };
        if us < self.started_us {
            ReshardPhase::NotStarted
        } else if us < self.copy_done_us {
            ReshardPhase::Copy
        } else if us < when(self.reads_switched_us) {
            ReshardPhase::CatchUp
        } else if us < when(self.writes_paused_us) {
            ReshardPhase::ReadsSwitched
        } else if us < when(self.writes_switched_us) {
            ReshardPhase::WritesPaused
        } else {
            ReshardPhase::Done
        }
    }
}

impl Run {
    /// The placement in force at `ms`: `initial`, replaced as each reshard's writes switch.
    pub fn placement_at(&self, initial: &Placement, ms: u64) -> Placement {
        let mut p = initial.clone();
        for r in &self.reshards {
            if r.writes_switched_us > 0 && r.writes_switched_us <= ms.saturating_mul(1000) {
                p = r.grown(&p);
            }
        }
        p
    }
}

/// The outcome of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Run {
    pub shard_names: Vec<String>,
    /// `load[second][shard]`.
    pub load: Vec<Vec<Load>>,
    pub hotspots: Vec<Hotspot>,
    pub ops: u64,
    pub acked_writes: u64,
    /// Writes refused because their shard was failing over.
    pub failed_writes: u64,
    pub lost_writes: u64,
    pub misrouted_writes: u64,
    pub p99_us: u64,
    /// The reshard in progress (internal) until it ends.
    reshard: Option<Reshard>,
    /// Every reshard performed, in order.
    pub reshards: Vec<Reshard>,
    /// The placement at the end (after any reshards).
    pub placement: Option<Placement>,
}

/// A scheduled online reshard: `add` a shard, `split` one range in two, or move half a range to the next shard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Move {
    Add,
    Split {
        shard: u32,
    },
    /// Hand the upper half of a range shard's keyspace to the next shard (no new shard).
    MoveRange {
        shard: u32,
    },
}

impl Move {
    /// The placement after this move.
    pub fn apply(&self, p: &Placement) -> Result<Placement, String> {
        match self {
            Move::Add => Ok(p.grown()),
            Move::Split { shard } => split(p, *shard),
            Move::MoveRange { shard } => move_range(p, *shard),
        }
    }

    /// The `reshard` command that performs this move.
    pub fn command(&self) -> crate::Command {
        let (kind, shard) = match *self {
            Move::Add => ("add", None),
            Move::Split { shard } => ("split", Some(shard)),
            Move::MoveRange { shard } => ("move_range", Some(shard)),
        };
        crate::Command::Reshard { kind: kind.into(), shard }
    }

    fn describe(&self, p: &Placement) -> String {
        let names = shard_names(p);
        let name = |s: &u32| names.get(*s as usize).cloned().unwrap_or_default();
        match self {
            Move::Add => format!("add a shard ({} → {})", p.shards(), p.shards() + 1),
            Move::Split { shard } => format!("split shard {}", name(shard)),
            Move::MoveRange { shard } => format!("move the upper half of {} to {}", name(shard), name(&(shard + 1))),
        }
    }
}

/// Each shard's rows (key → version of its last write) and its queue.
#[derive(Clone, Debug)]
struct Shard {
    /// Its identity, which a reshard never renumbers (`Routed::id`).
    id: u16,
    /// The Patroni cluster (scope) behind this shard: the shard's index at the start of the
    /// run; `None` for a shard a reshard added.
    cluster: Option<u16>,
    rows: BTreeMap<u64, u64>,
    free_at: u64,
    lat: Vec<u64>,
    ops: u64,
    errors: u64,
    key_ops: BTreeMap<u64, u64>,
}

#[derive(Clone, Debug)]
struct Sim {
    cfg: Config,
    placement: Placement,
    shards: Vec<Shard>,
    rng: SimRng,
    gen: Gen,
    acked: BTreeMap<u64, u64>,
    version: u64,
    /// Shards created so far (the next one's `id`).
    born: u16,
    run: Run,
    mv: Option<Active>,
}

/// Where an online reshard stands.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    /// Rows stream to their new owners; the source still serves everything.
    Copy,
    /// The change stream (writes made since the copy began) is applied on the new owners.
    CatchUp,
    /// Lag is small: reads of moving keys go to the new owner, writes still to the old one.
    ReadsSwitched,
    /// Writes to moving keys wait while the last changes drain; then routing flips.
    WritesPaused,
}

/// Lag at which reads switch to the new owner.
const READ_SWITCH_LAG_US: u64 = 10_000;
/// How long reads run on the new owner before writes follow.
const READS_FIRST_US: u64 = 500_000;

/// The reshard being performed.
#[derive(Clone, Debug)]
struct Active {
    next: Placement,
    /// The vector slot of each shard of `next` (the new shard is the slot appended at the end).
    slots: Vec<usize>,
    r: Reshard,
    /// Writes to moving keys not yet applied on their new owner.
    pending: u64,
    /// The change stream has been applied up to this time; `credit` is unused apply capacity
    /// in row·µs (less than one row's worth).
    applied_at: u64,
    credit: u64,
    phase: Phase,
}

/// Draws shard-key values.
#[derive(Clone, Debug)]
struct Gen {
    dist: Dist,
    keys: u64,
    zipf: Option<Zipf>,
}

impl Gen {
    fn new(c: &Column) -> Gen {
        let zipf = match c.dist {
            Dist::Zipf { s } => Some(Zipf::new(c.keys, s)),
            _ => None,
        };
        Gen { dist: c.dist.clone(), keys: c.keys, zipf }
    }

    /// A value for an operation at `t_us` of a run lasting `total_us`.
    fn draw(&mut self, rng: &mut SimRng, t_us: u64, total_us: u64) -> u64 {
        match &self.dist {
            Dist::Uniform => 1 + rng.below(self.keys),
            Dist::Zipf { .. } => self.zipf.as_ref().map_or(1, |z| z.sample(rng)),
            Dist::Celebrity { key, share } => {
                if rng.unit() < *share {
                    *key
                } else {
                    1 + rng.below(self.keys)
                }
            }
            Dist::Monotonic => {
                // New rows take ever larger values; reads and updates touch recent ones.
                let now = 1 + (t_us as u128 * self.keys as u128 / total_us.max(1) as u128) as u64;
                now.min(self.keys).saturating_sub(rng.below(8)).max(1)
            }
        }
    }
}

/// Runs the workload for `cfg.duration_s`, with an optional reshard starting at `at_s`.
pub fn run(cfg: &Config, seed: u64, reshard: Option<(u64, Move)>) -> Result<Run, String> {
    run_moves(cfg, seed, &reshard.into_iter().collect::<Vec<_>>()).map_err(|(_, m)| m)
}

/// Runs the workload with reshards starting at the given seconds, in order. A reshard due while
/// another is still moving is refused: `Err((Some(its index), why))`; `None` blames the config.
/// Shards here are queues only (their writes acknowledged at once). A lesson runs the same
/// router inside a `World` (`World::sharded`), in front of each shard's Patroni cluster.
pub fn run_moves(cfg: &Config, seed: u64, moves: &[(u64, Move)]) -> Result<Run, (Option<usize>, String)> {
    run_with(cfg, seed, moves, &mut QueuesOnly)
}

/// The router alone, with `backends` standing behind its shards.
pub(crate) fn run_with(cfg: &Config, seed: u64, moves: &[(u64, Move)], backends: &mut dyn Backends) -> Result<Run, (Option<usize>, String)> {
    let mut r = Router::new(cfg.clone(), seed, moves.to_vec())?;
    let mut t = 0;
    while t < r.total_us() {
        t = r.op(t, backends)?.next;
    }
    Ok(r.finish())
}

/// What a router reaches behind each shard.
pub(crate) trait Backends {
    /// Whether the cluster behind a shard takes writes now (it has a writable primary).
    fn accepts_write(&self, cluster: u16, t_us: u64) -> bool;
    /// Hands a write to the cluster; it is acknowledged later through `Router::write_done`.
    fn submit_write(&mut self, cluster: u16, key: u64, version: u64) -> Submit;
}

/// What became of a write handed to a shard's cluster.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Submit {
    /// Nothing stands behind the shard but its queue: the write is acknowledged at once.
    Done,
    /// Sent on router connection `client`; the cluster answers later.
    Sent { client: u32 },
    /// Refused at once (no free connection, no backend).
    Failed,
}

/// What one operation did at the router, as its `RouterOp` trace record holds it (the row's
/// key is the record's `lsn`), so an observer can recount the router's figures from the trace.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Routed {
    /// The shard it went to, by its index now…
    pub shard: u16,
    /// … and by its identity, which a reshard never renumbers: the lesson's shards in order,
    /// then each shard a reshard added.
    pub id: u16,
    /// Shards now.
    pub shards: u16,
    pub write: bool,
    pub outcome: RoutedOutcome,
    /// A write applied on a shard that does not own its key now.
    pub misrouted: bool,
    /// A write that waited for a reshard's cutover.
    pub delayed: bool,
    /// A reshard's routing flipped before this operation was routed.
    pub flipped: bool,
    /// The router connection (client) of the shard's cluster the write went to (`Sent`).
    pub client: u32,
}

/// What became of an operation at the router.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
#[repr(u8)]
pub enum RoutedOutcome {
    /// A read served, or a write applied and acknowledged at once (its shard is a queue only).
    #[default]
    Served = 0,
    /// A write applied and handed to the shard's cluster, which answers later (`RouterAck`).
    Sent = 1,
    /// A write refused: the shard's cluster had no writable primary.
    Refused = 2,
    /// A write that waited at a reshard's cutover longer than the write timeout.
    CutoverTimeout = 3,
    /// A write applied but not handed on: no free connection to the shard's primary.
    NoConnection = 4,
    /// Nothing routed: a scheduled reshard could not start, and the router stopped.
    Stopped = 5,
}

impl RoutedOutcome {
    const ALL: [RoutedOutcome; 6] = [Self::Served, Self::Sent, Self::Refused, Self::CutoverTimeout, Self::NoConnection, Self::Stopped];
    /// Whether the operation reached its shard's queue (and so counts in the shard's load).
    pub fn queued(self) -> bool {
        matches!(self, Self::Served | Self::Sent | Self::NoConnection)
    }
}

impl Routed {
    /// The record of an operation that never happened: the router had stopped.
    pub(crate) const STOPPED: Routed = Routed { shard: 0, id: 0, shards: 0, write: false, outcome: RoutedOutcome::Stopped, misrouted: false, delayed: false, flipped: false, client: 0 };

    /// The record's argument: shard, id and shards in 12 bits each, then the flags and the
    /// outcome, the client above bit 44.
    pub fn arg(&self) -> u64 {
        let b = |on: bool, bit: u32| u64::from(on) << bit;
        u64::from(self.shard & 0xFFF)
            | u64::from(self.id & 0xFFF) << 12
            | u64::from(self.shards & 0xFFF) << 24
            | b(self.write, 36)
            | (self.outcome as u64) << 37
            | b(self.misrouted, 40)
            | b(self.delayed, 41)
            | b(self.flipped, 42)
            | u64::from(self.client) << 44
    }

    pub fn of(arg: u64) -> Routed {
        let f = |bit: u32| arg >> bit & 1 == 1;
        Routed {
            shard: (arg & 0xFFF) as u16,
            id: (arg >> 12 & 0xFFF) as u16,
            shards: (arg >> 24 & 0xFFF) as u16,
            write: f(36),
            outcome: RoutedOutcome::ALL.get((arg >> 37 & 7) as usize).copied().unwrap_or(RoutedOutcome::Stopped),
            misrouted: f(40),
            delayed: f(41),
            flipped: f(42),
            client: (arg >> 44) as u32,
        }
    }
}

/// A shard's cluster answered a write the router handed it, as its `RouterAck` record holds it
/// (the key is the record's `lsn`): the write's version (the router numbers writes from 1), and
/// whether it was acknowledged.
pub fn ack_arg(version: u64, ok: bool) -> u64 {
    version & !(1 << 63) | u64::from(ok) << 63
}

/// An `ack_arg` read back: (version, acknowledged).
pub fn read_ack(arg: u64) -> (u64, bool) {
    (arg & !(1 << 63), arg >> 63 == 1)
}

/// Shards as queues only: every write taken and acknowledged at once.
struct QueuesOnly;

impl Backends for QueuesOnly {
    fn accepts_write(&self, _: u16, _: u64) -> bool {
        true
    }
    fn submit_write(&mut self, _: u16, _: u64, _: u64) -> Submit {
        Submit::Done
    }
}

/// One operation the router routed: when the next arrives, the row's key, and what it did.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Op {
    pub next: u64,
    pub key: u64,
    pub routed: Routed,
}

/// The router and its shards under the keyed workload, one operation at a time: a component
/// of the world (`Ev::RouterOp`), or run alone by `run_moves`.
#[derive(Clone, Debug)]
pub(crate) struct Router {
    sim: Sim,
    moves: Vec<(u64, Move)>,
    next_move: usize,
    second: u64,
    done: Vec<Reshard>,
    mean_gap: u64,
    /// A scheduled reshard that could not start, with its index.
    failed: Option<(Option<usize>, String)>,
}

impl Router {
    pub(crate) fn new(cfg: Config, seed: u64, moves: Vec<(u64, Move)>) -> Result<Router, (Option<usize>, String)> {
        cfg.check().map_err(|(f, m)| (None, format!("{f}: {m}")))?;
        let mean_gap = 1_000_000 / cfg.ops_per_s.max(1);
        let sim = Sim::new(cfg, seed).map_err(|m| (None, m))?;
        Ok(Router { sim, moves, next_move: 0, second: 0, done: Vec::new(), mean_gap, failed: None })
    }
}

/// The router's part in the world (see `Front`).
impl Front for Router {
    fn total_us(&self) -> u64 {
        self.sim.cfg.duration_s * 1_000_000
    }

    /// The operation arriving at `t`: a reshard due by then starts, the move advances, finished
    /// seconds close, and the operation is routed. Returns when the next operation arrives.
    fn op(&mut self, t: u64, b: &mut dyn Backends) -> Result<Op, (Option<usize>, String)> {
        let sim = &mut self.sim;
        if let Some((at, m)) = self.moves.get(self.next_move) {
            if t >= at.saturating_mul(1_000_000) {
                if let Some(mv) = &sim.mv {
                    return Err((Some(self.next_move), format!("cannot start a reshard at {at} s: \"{}\" is still moving (copy started at {} s)", mv.r.what, mv.r.started_us / 1_000_000)));
                }
                sim.start_move(m, t).map_err(|e| (Some(self.next_move), e))?;
                self.next_move += 1;
            }
        }
        let flipped = sim.advance_move(t);
        if sim.mv.is_none() {
            self.done.extend(sim.run.reshard.take());
        }
        while t >= (self.second + 1) * 1_000_000 {
            sim.close_second(self.second);
            self.second += 1;
        }
        let total = self.total_us();
        let (key, mut routed) = self.sim.op(t, total, b);
        routed.flipped = flipped;
        Ok(Op { next: t + self.sim.rng.exp(self.mean_gap).max(1), key, routed })
    }

    fn shards(&self) -> usize {
        self.sim.shards.len()
    }

    /// The cluster behind shard `i` (by its index now).
    fn cluster_of(&self, i: usize) -> Option<u16> {
        self.sim.shards.get(i)?.cluster
    }

    /// The move a `reshard` command asks for, if it can apply to the shards now.
    fn check_move(&self, cmd: &crate::Command) -> Result<Move, String> {
        let crate::Command::Reshard { kind, shard } = cmd else { return Err("not a reshard".into()) };
        let need = || shard.ok_or_else(|| format!("a `{kind}` reshard needs `shard`"));
        let m = match kind.as_str() {
            "add" => Move::Add,
            "split" => Move::Split { shard: need()? },
            "move_range" => Move::MoveRange { shard: need()? },
            other => return Err(format!("unknown reshard kind `{other}` (expected add, split or move_range)")),
        };
        m.apply(&self.sim.placement)?;
        if let Some(mv) = &self.sim.mv {
            return Err(format!("\"{}\" is still moving (copy started at {} s): one reshard at a time", mv.r.what, mv.r.started_us / 1_000_000));
        }
        Ok(m)
    }

    /// Starts a reshard now (a learner's command).
    fn start_now(&mut self, cmd: &crate::Command, t: u64) -> Result<(), String> {
        let m = self.check_move(cmd)?;
        self.sim.start_move(&m, t)
    }

    /// The cluster behind a shard answered a write handed to it.
    fn write_done(&mut self, cluster: u16, key: u64, version: u64, ok: bool) {
        let run = &mut self.sim.run;
        if ok {
            let v = self.sim.acked.entry(key).or_insert(0);
            *v = (*v).max(version);
            run.acked_writes += 1;
        } else {
            run.failed_writes += 1;
            if let Some(sh) = self.sim.shards.iter_mut().find(|sh| sh.cluster == Some(cluster)) {
                sh.errors += 1;
            }
        }
    }

    /// Closes the seconds left and checks every acknowledged write on its owner.
    fn finish(&mut self) -> Run {
        while self.second < self.sim.cfg.duration_s {
            self.sim.close_second(self.second);
            self.second += 1;
        }
        self.sim.finish();
        let mut run = std::mem::take(&mut self.sim.run);
        let mut done = std::mem::take(&mut self.done);
        done.extend(run.reshard.take());
        run.reshards = done;
        run
    }
    fn failed(&self) -> Option<&(Option<usize>, String)> {
        self.failed.as_ref()
    }

    fn fail(&mut self, e: (Option<usize>, String)) {
        self.failed = Some(e);
    }

    fn clone_box(&self) -> Box<dyn Front> {
        Box::new(self.clone())
    }
}

impl Sim {
    fn new(cfg: Config, seed: u64) -> Result<Sim, String> {
        let n = cfg.placement.shards() as usize;
        let col = cfg.column(&cfg.shard_key).ok_or("no shard key column")?;
        let gen = Gen::new(col);
        Ok(Sim {
            placement: cfg.placement.clone(),
            shards: (0..n).map(|i| Shard::new(i as u16, Some(i as u16), 0)).collect(),
            born: n as u16,
            rng: SimRng::derive(seed, "shard-workload"),
            gen,
            acked: BTreeMap::new(),
            version: 0,
            run: Run::default(),
            mv: None,
            cfg,
        })
    }
}

impl Shard {
    fn new(id: u16, cluster: Option<u16>, free_at: u64) -> Shard {
        Shard { id, cluster, rows: BTreeMap::new(), free_at, lat: Vec::new(), ops: 0, errors: 0, key_ops: BTreeMap::new() }
    }
}

impl Sim {
    fn owner(&self, key: u64) -> usize {
        self.placement.shard_of_ksid(self.cfg.ksid(key)) as usize
    }

    /// One client operation: route, queue at the shard, apply. Returns its key and what it did.
    fn op(&mut self, t: u64, total: u64, b: &mut dyn Backends) -> (u64, Routed) {
        let key = self.gen.draw(&mut self.rng, t, total);
        let read = self.rng.unit() < self.cfg.read_share;
        let mut s = self.owner(key);
        let mut start = t;
        let mut delayed = false;
        if let Some(mv) = &self.mv {
            let target = mv.slots[mv.next.shard_of_ksid(self.cfg.ksid(key)) as usize];
            let moving = target != s;
            if moving && read && mv.phase >= Phase::ReadsSwitched {
                s = target;
            }
            if moving && !read && mv.phase == Phase::WritesPaused {
                // Cutover: writes to the moving range wait until the new owner has caught up.
                let resume = mv.r.writes_switched_us.max(t);
                if resume - t > self.cfg.write_timeout_us {
                    if let Some(m) = self.mv.as_mut() {
                        m.r.writes_failed += 1;
                    }
                    return (key, self.routed(target, true, RoutedOutcome::CutoverTimeout));
                }
                if let Some(m) = self.mv.as_mut() {
                    m.r.writes_delayed += 1;
                }
                start = resume;
                s = target;
                delayed = true;
            }
        }
        if !read && self.shards[s].cluster.is_some_and(|k| !b.accepts_write(k, t)) {
            self.shards[s].errors += 1;
            self.run.failed_writes += 1;
            return (key, Routed { delayed, ..self.routed(s, true, RoutedOutcome::Refused) });
        }
        let service = self.rng.exp(1_000_000 / self.cfg.shard_capacity.max(1)).max(1);
        let sh = &mut self.shards[s];
        let begin = sh.free_at.max(start);
        sh.free_at = begin + service;
        sh.lat.push(sh.free_at - t + self.cfg.rtt_us);
        sh.ops += 1;
        *sh.key_ops.entry(key).or_insert(0) += 1;
        self.run.ops += 1;
        if read {
            return (key, self.routed(s, false, RoutedOutcome::Served));
        }
        (key, Routed { delayed, ..self.write(s, key, b) })
    }

    /// The record of an operation on shard `s` (by its index now).
    fn routed(&self, s: usize, write: bool, outcome: RoutedOutcome) -> Routed {
        let id = self.shards.get(s).map_or(u16::MAX, |sh| sh.id);
        Routed { shard: s as u16, id, shards: self.shards.len() as u16, write, outcome, ..Routed::default() }
    }

    fn write(&mut self, s: usize, key: u64, b: &mut dyn Backends) -> Routed {
        self.version += 1;
        let v = self.version;
        let owner_now = match &self.mv {
            Some(mv) if mv.phase == Phase::WritesPaused => mv.slots[mv.next.shard_of_ksid(self.cfg.ksid(key)) as usize],
            _ => self.owner(key),
        };
        if s != owner_now {
            self.run.misrouted_writes += 1;
        }
        self.shards[s].rows.insert(key, v);
        let submit = self.shards[s].cluster.map_or(Submit::Done, |k| b.submit_write(k, key, v));
        let outcome = match submit {
            Submit::Done => {
                self.acked.insert(key, v);
                self.run.acked_writes += 1;
                RoutedOutcome::Served
            }
            Submit::Sent { .. } => RoutedOutcome::Sent,
            Submit::Failed => {
                self.shards[s].errors += 1;
                self.run.failed_writes += 1;
                RoutedOutcome::NoConnection
            }
        };
        let client = if let Submit::Sent { client } = submit { client } else { 0 };
        let routed = Routed { misrouted: s != owner_now, client, ..self.routed(s, true, outcome) };
        if let Some(mv) = self.mv.as_mut() {
            let target = mv.slots[mv.next.shard_of_ksid(self.cfg.ksid(key)) as usize];
            if target != s && mv.phase < Phase::WritesPaused {
                mv.pending += 1;
            }
        }
        routed
    }

    fn close_second(&mut self, second: u64) {
        let mut row = Vec::with_capacity(self.shards.len());
        for sh in &mut self.shards {
            sh.lat.sort_unstable();
            let p99 = sh.lat.get(sh.lat.len().saturating_sub(1) * 99 / 100).copied().unwrap_or(0);
            row.push(Load { ops: sh.ops, errors: sh.errors, p99_us: p99, rows: sh.rows.len() as u64 });
        }
        self.find_hotspot(second, &row);
        for sh in &mut self.shards {
            sh.lat.clear();
            sh.ops = 0;
            sh.errors = 0;
            sh.key_ops.clear();
        }
        self.run.load.push(row);
    }

    /// A shard serving more than 1.5 times its fair share is hot; say why.
    fn find_hotspot(&mut self, second: u64, row: &[Load]) {
        let total: u64 = row.iter().map(|l| l.ops).sum();
        let n = row.len() as u64;
        if total < 20 * n || n < 2 {
            return;
        }
        let Some((hot, l)) = row.iter().enumerate().max_by_key(|(i, l)| (l.ops, u64::MAX - *i as u64)) else { return };
        if 2 * l.ops * n < 3 * total {
            return;
        }
        let (top_key, top_ops) = self.shards[hot].key_ops.iter().max_by_key(|(k, c)| (**c, u64::MAX - **k)).map_or((0, 0), |(k, c)| (*k, *c));
        let col = &self.cfg.shard_key;
        let cause = if top_ops * 5 >= l.ops {
            format!("one key: {col} = {top_key} gets {} % of this shard's operations (a celebrity key)", top_ops * 100 / l.ops.max(1))
        } else if matches!(self.gen.dist, Dist::Monotonic) && self.cfg.vindex == Vindex::Numeric {
            format!("{col} grows with time and shards own ranges of it: every new row lands in the newest range")
        } else {
            format!("skewed {col} values: many popular keys map to this shard")
        };
        let name = shard_names(&self.placement).get(hot).cloned().unwrap_or_else(|| "the new shard".into());
        self.run.hotspots.push(Hotspot { second, shard: hot as u32, name, share_permille: l.ops * 1000 / total, cause });
    }

    fn finish(&mut self) {
        // A cutover under way when the run ends completes (writes already go to the new owner).
        if self.mv.as_ref().is_some_and(|m| m.phase == Phase::WritesPaused) {
            self.complete_move();
        }
        let owner = |key: u64| self.placement.shard_of_ksid(self.cfg.ksid(key)) as usize;
        let mut lost = 0;
        for (k, v) in &self.acked {
            // The owner holds this write, or a later one of the same key.
            if self.shards[owner(*k)].rows.get(k).is_none_or(|r| r < v) {
                lost += 1;
            }
        }
        self.run.lost_writes = lost;
        self.run.p99_us = self.run.load.iter().flatten().map(|l| l.p99_us).max().unwrap_or(0);
        self.run.shard_names = shard_names(&self.placement);
        self.run.placement = Some(self.placement.clone());
        if let Some(mv) = self.mv.take() {
            self.run.reshard = Some(mv.r);
        }
    }

    fn start_move(&mut self, m: &Move, t: u64) -> Result<(), String> {
        let next = m.apply(&self.placement)?;
        let what = m.describe(&self.placement);
        let (slots, to) = if next.shards() > self.placement.shards() {
            let slots = slots(&self.placement, &next);
            self.shards.push(Shard::new(self.born, None, t));
            self.born += 1;
            let to = slots.iter().position(|s| *s == self.shards.len() - 1).unwrap_or(0) as u32;
            (slots, to)
        } else {
            let to = match m {
                Move::MoveRange { shard } => shard + 1,
                _ => 0,
            };
            ((0..next.shards() as usize).collect(), to)
        };
        let mut moving = 0;
        let mut keys_total = 0;
        for (i, sh) in self.shards.iter().enumerate() {
            for k in sh.rows.keys() {
                keys_total += 1;
                if slots[next.shard_of_ksid(self.cfg.ksid(*k)) as usize] != i {
                    moving += 1;
                }
            }
        }
        let copy = moving * 1_000_000 / self.cfg.copy_rows_s.max(1);
        let r = Reshard { what, mv: Some(m.clone()), to, started_us: t, copy_done_us: t + copy, rows_moved: moving, keys_total, keys_moved: moving, ..Reshard::default() };
        self.mv = Some(Active { next, slots, r, pending: 0, applied_at: t, credit: 0, phase: Phase::Copy });
        Ok(())
    }

    /// Copy, then catch-up until the lag is under 10 ms, then reads switch; half a second later
    /// writes pause while the remaining changes drain, and routing flips. If the change stream
    /// cannot keep up, the move stays in catch-up. Returns whether routing flipped.
    fn advance_move(&mut self, t: u64) -> bool {
        let rate = self.cfg.apply_rows_s.max(1);
        let Some(mv) = self.mv.as_mut() else { return false };
        if mv.phase >= Phase::CatchUp {
            mv.credit += t.saturating_sub(mv.applied_at).saturating_mul(rate);
            let n = (mv.credit / 1_000_000).min(mv.pending);
            mv.pending -= n;
            mv.credit = if mv.pending == 0 { 0 } else { mv.credit - n * 1_000_000 };
        }
        mv.applied_at = t;
        let lag_us = mv.pending * 1_000_000 / rate;
        if mv.phase == Phase::Copy && t >= mv.r.copy_done_us {
            mv.phase = Phase::CatchUp;
        }
        if mv.phase == Phase::CatchUp && lag_us <= READ_SWITCH_LAG_US {
            mv.r.reads_switched_us = t;
            mv.phase = Phase::ReadsSwitched;
        }
        if mv.phase == Phase::ReadsSwitched && t >= mv.r.reads_switched_us + READS_FIRST_US {
            let drain = lag_us.max(1_000);
            mv.r.writes_paused_us = t;
            mv.r.writes_switched_us = t + drain;
            mv.r.max_pause_us = drain;
            mv.phase = Phase::WritesPaused;
        }
        if mv.phase == Phase::WritesPaused && t >= mv.r.writes_switched_us {
            self.complete_move();
            return true;
        }
        false
    }

    /// Moves every row to its owner under the new placement, renumbers the shards as the new
    /// placement numbers them, and flips routing.
    fn complete_move(&mut self) {
        let Some(mv) = self.mv.take() else { return };
        let mut old: Vec<Option<Shard>> = std::mem::take(&mut self.shards).into_iter().map(Some).collect();
        self.shards = mv.slots.iter().filter_map(|s| old.get_mut(*s).and_then(Option::take)).collect();
        let mut moved = Vec::new();
        for (i, sh) in self.shards.iter_mut().enumerate() {
            let go: Vec<u64> = sh.rows.keys().copied().filter(|k| mv.next.shard_of_ksid(self.cfg.ksid(*k)) as usize != i).collect();
            for k in go {
                if let Some(v) = sh.rows.remove(&k) {
                    moved.push((k, v));
                }
            }
        }
        for (k, v) in moved {
            let dst = mv.next.shard_of_ksid(self.cfg.ksid(k)) as usize;
            let slot = self.shards[dst].rows.entry(k).or_insert(0);
            *slot = (*slot).max(v);
        }
        self.placement = mv.next.clone();
        self.run.reshard = Some(mv.r);
    }
}

/// The placement after splitting one shard: its range is halved (ranges), or a shard is added
/// (hash schemes cannot split one shard alone).
pub fn split(p: &Placement, shard: u32) -> Result<Placement, String> {
    if shard >= p.shards() {
        return Err(format!("there is no shard {shard} (shards 0 to {})", p.shards().saturating_sub(1)));
    }
    match p {
        Placement::Range { bounds } => {
            let mut b = bounds.clone();
            b.insert(shard as usize, super::placement::midpoint(bounds, shard as usize));
            Ok(Placement::Range { bounds: b })
        }
        _ => Err(format!("{p} cannot split one shard; add a shard instead")),
    }
}

/// The placement after moving the upper half of range shard `shard` to shard `shard + 1`.
pub fn move_range(p: &Placement, shard: u32) -> Result<Placement, String> {
    let Placement::Range { bounds } = p else { return Err(format!("{p} has no ranges to move; add a shard instead")) };
    if shard as usize >= bounds.len() {
        return Err(format!("shard {shard} has no next shard to move a range to (shards 0 to {})", bounds.len()));
    }
    let mut b = bounds.clone();
    b[shard as usize] = super::placement::midpoint(bounds, shard as usize);
    if shard > 0 && b[shard as usize] <= b[shard as usize - 1] {
        return Err(format!("shard {shard}'s range is too small to move half of it"));
    }
    Ok(Placement::Range { bounds: b })
}

/// For each shard of `new`, the slot holding its data now: an old shard's index, or `old.shards()`
/// (the slot appended for the new shard). A range keeps its slot when its lower bound is an old one.
fn slots(old: &Placement, new: &Placement) -> Vec<usize> {
    let n = old.shards() as usize;
    match (old, new) {
        (Placement::Range { bounds: a }, Placement::Range { bounds: b }) => {
            let lows = |x: &[u64]| std::iter::once(0).chain(x.iter().copied()).collect::<Vec<u64>>();
            let (la, lb) = (lows(a), lows(b));
            lb.iter().map(|lo| la.iter().position(|x| x == lo).unwrap_or(n)).collect()
        }
        _ => (0..new.shards() as usize).map(|k| k.min(n)).collect(),
    }
}

/// Shard names: keyspace ranges for range placements, `s0`, `s1`… otherwise.
pub fn shard_names(p: &Placement) -> Vec<String> {
    match p {
        Placement::Range { .. } => p.range_names(),
        _ => (0..p.shards()).map(|i| format!("s{i}")).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shard::placement::{even_ranges, Ring};

    #[test]
    fn reshard_phases_and_the_placement_in_force() {
        let r = Reshard { mv: Some(Move::Add), started_us: 10, copy_done_us: 20, reads_switched_us: 30, writes_paused_us: 40, writes_switched_us: 50_000, ..Reshard::default() };
        let phases: Vec<ReshardPhase> = [5, 15, 25, 35, 45, 50_000].iter().map(|&t| r.phase_at(t)).collect();
        use ReshardPhase::*;
        assert_eq!(phases, [NotStarted, Copy, CatchUp, ReadsSwitched, WritesPaused, Done]);
        // A stream that never caught up stays in catch-up, however late it is.
        let stuck = Reshard { reads_switched_us: 0, writes_paused_us: 0, writes_switched_us: 0, ..r.clone() };
        assert_eq!(stuck.phase_at(1 << 60), CatchUp);
        let run = Run { reshards: vec![r.clone(), stuck], ..Run::default() };
        let start = Placement::ModN { n: 4 };
        assert_eq!(run.placement_at(&start, 49).shards(), 4, "before the writes switch");
        assert_eq!(run.placement_at(&start, 50).shards(), 5, "after: one shard added; the stuck move never applies");
    }

    fn cfg(dist: Dist, vindex: Vindex, placement: Placement) -> Config {
        Config {
            table: "users".into(),
            columns: vec![Column { name: "user_id".into(), dist, keys: 100_000 }],
            shard_key: "user_id".into(),
            vindex,
            placement,
            ops_per_s: 2000,
            read_share: 0.5,
            shard_capacity: 1000,
            rtt_us: 500,
            duration_s: 20,
            copy_rows_s: 5_000,
            apply_rows_s: 20_000,
            write_timeout_us: 2_000_000,
        }
    }

    #[test]
    fn a_uniform_hashed_key_has_no_hotspot() {
        let r = run(&cfg(Dist::Uniform, Vindex::Hash, Placement::Jump { n: 4 }), 1, None).unwrap();
        assert!(r.hotspots.is_empty(), "{:?}", r.hotspots.first());
        assert_eq!(r.load.len(), 20);
        assert_eq!(r.lost_writes, 0);
    }

    #[test]
    fn a_celebrity_key_makes_its_shard_hot_and_is_named() {
        let r = run(&cfg(Dist::Celebrity { key: 42, share: 0.4 }, Vindex::Hash, Placement::Ring(Ring::new(8, 64))), 1, None).unwrap();
        let h = r.hotspots.last().expect("a hotspot");
        assert!(h.cause.contains("user_id = 42"), "{}", h.cause);
        assert_eq!(h.shard, Placement::Ring(Ring::new(8, 64)).shard_of(42));
    }

    #[test]
    fn a_time_ordered_key_on_ranges_is_hot_on_the_newest_range() {
        let r = run(&cfg(Dist::Monotonic, Vindex::Numeric, even_ranges(4)), 1, None).unwrap();
        let shards: Vec<u32> = r.hotspots.iter().map(|h| h.shard).collect();
        assert!(shards.len() >= 15, "{shards:?}");
        assert!(shards.windows(2).all(|w| w[0] <= w[1]), "the hot range moves forward: {shards:?}");
        assert!(r.hotspots[0].cause.contains("newest range"), "{}", r.hotspots[0].cause);
        let hashed = run(&cfg(Dist::Monotonic, Vindex::Hash, Placement::Jump { n: 4 }), 1, None).unwrap();
        assert!(hashed.hotspots.is_empty(), "hashing spreads a serial key");
    }

    #[test]
    fn online_split_loses_and_misroutes_nothing_over_many_seeds() {
        for seed in 0..12 {
            let c = cfg(Dist::Zipf { s: 0.9 }, Vindex::Numeric, even_ranges(2));
            let r = run(&c, seed, Some((5, Move::Split { shard: 1 }))).unwrap();
            let m = r.reshards.first().expect("a reshard");
            assert!(m.writes_switched_us > m.reads_switched_us && m.reads_switched_us >= m.copy_done_us, "{m:?}");
            assert!(m.writes_paused_us >= m.reads_switched_us + READS_FIRST_US, "reads switch first: {m:?}");
            assert_eq!((r.lost_writes, r.misrouted_writes), (0, 0), "seed {seed}: {m:?}");
            assert_eq!(r.shard_names, ["-80", "80-c0", "c0-"]);
            assert!(m.max_pause_us < 1_000_000, "{m:?}");
        }
    }

    #[test]
    fn adding_a_shard_moves_most_keys_under_mod_n_and_few_on_a_ring() {
        let modn = run(&cfg(Dist::Uniform, Vindex::Hash, Placement::ModN { n: 4 }), 3, Some((5, Move::Add))).unwrap();
        let ring = run(&cfg(Dist::Uniform, Vindex::Hash, Placement::Ring(Ring::new(4, 128))), 3, Some((5, Move::Add))).unwrap();
        let frac = |r: &Run| r.reshards.first().map_or(0, |m| m.keys_moved * 1000 / m.keys_total.max(1));
        assert!(frac(&modn) > 750, "mod-N moved {} per mille", frac(&modn));
        assert!(frac(&ring) < 280, "the ring moved {} per mille", frac(&ring));
        assert_eq!((modn.lost_writes, ring.lost_writes), (0, 0));
    }

    #[test]
    fn bad_configs_are_refused() {
        let mut c = cfg(Dist::Uniform, Vindex::Hash, Placement::ModN { n: 0 });
        assert!(run(&c, 1, None).unwrap_err().contains("shards"));
        c.placement = Placement::ModN { n: 2 };
        c.shard_key = "email".into();
        assert!(run(&c, 1, None).unwrap_err().contains("`email` is not a column"));
        c.shard_key = "user_id".into();
        assert!(split(&Placement::ModN { n: 2 }, 0).unwrap_err().contains("add a shard"));
        assert!(split(&even_ranges(2), 5).is_err());
    }

    #[test]
    fn moving_a_range_hands_keys_to_the_next_shard_without_loss() {
        let c = cfg(Dist::Zipf { s: 0.9 }, Vindex::Numeric, even_ranges(2));
        let r = run_moves(&c, 2, &[(5, Move::MoveRange { shard: 0 })]).unwrap();
        assert_eq!(r.shard_names, ["-40", "40-"]);
        let m = &r.reshards[0];
        assert_eq!(m.to, 1);
        assert!(m.keys_moved > 0 && m.what.contains("move the upper half of -80 to 80-"), "{m:?}");
        assert_eq!((r.lost_writes, r.misrouted_writes), (0, 0));
        assert!(move_range(&even_ranges(2), 1).is_err());
        assert!(move_range(&Placement::Jump { n: 3 }, 0).is_err());
    }

    #[test]
    fn writes_to_a_shard_without_a_primary_fail_and_others_do_not() {
        /// Shard 2's cluster has no writable primary from 5 s to 9 s.
        struct Outage;
        impl Backends for Outage {
            fn accepts_write(&self, cluster: u16, t: u64) -> bool {
                !(cluster == 2 && (5_000_000..9_000_000).contains(&t))
            }
            fn submit_write(&mut self, _: u16, _: u64, _: u64) -> Submit {
                Submit::Done
            }
        }
        let c = cfg(Dist::Uniform, Vindex::Hash, Placement::Jump { n: 4 });
        let r = run_with(&c, 1, &[], &mut Outage).unwrap();
        let errors = |s: usize| r.load.iter().map(|row| row[s].errors).sum::<u64>();
        assert!(errors(2) > 100, "{}", errors(2));
        assert_eq!(errors(0) + errors(1) + errors(3), 0);
        assert!(r.load[..5].iter().chain(&r.load[9..]).all(|row| row[2].errors == 0), "only inside the window");
        assert_eq!(r.failed_writes, errors(2));
        assert_eq!(r.lost_writes, 0, "a refused write was never acknowledged");
    }

    #[test]
    fn a_change_stream_that_cannot_keep_up_never_cuts_over() {
        let mut c = cfg(Dist::Uniform, Vindex::Numeric, even_ranges(2));
        c.apply_rows_s = 50; // far below the ~250 writes/s that land on the moving half
        let r = run_moves(&c, 1, &[(5, Move::Split { shard: 1 })]).unwrap();
        let m = &r.reshards[0];
        assert_eq!((m.reads_switched_us, m.writes_switched_us), (0, 0), "{m:?}");
        assert_eq!(r.shard_names, ["-80", "80-"], "routing never flipped");
        assert_eq!((r.lost_writes, r.misrouted_writes), (0, 0));
    }

    #[test]
    fn a_second_reshard_while_one_is_moving_is_refused() {
        let mut c = cfg(Dist::Uniform, Vindex::Numeric, even_ranges(2));
        c.copy_rows_s = 100;
        let err = run_moves(&c, 1, &[(5, Move::Split { shard: 0 }), (6, Move::Split { shard: 1 })]).unwrap_err();
        assert_eq!(err.0, Some(1));
        assert!(err.1.contains("is still moving"), "{}", err.1);
        c.copy_rows_s = 1_000_000;
        let ok = run_moves(&c, 1, &[(5, Move::Split { shard: 0 }), (10, Move::Split { shard: 2 })]).unwrap();
        assert_eq!(ok.reshards.len(), 2);
        assert_eq!(ok.shard_names, ["-40", "40-80", "80-c0", "c0-"]);
        assert_eq!(ok.lost_writes, 0);
    }
}
