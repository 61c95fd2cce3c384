//! The events of one simulated world and the handle a component schedules them with. Events are
//! small and `Copy` and name components by index only, so every component can schedule its own
//! without knowing the world that holds it.
use crate::queue::{EventQueue, QueueFull};
use crate::time::{SimDur, SimTime};
use std::fmt;

/// Everything that can happen. Small and `Copy`, so the queue stays cheap.
#[derive(Copy, Clone, Debug)]
pub(crate) enum Ev {
    Issue {
        c: u32,
    },
    Arrive {
        c: u32,
        gen: u32,
        n: u16,
    },
    Reply {
        c: u32,
        gen: u32,
        code: u8,
        tl: u32,
        lsn: u64,
        commit_us: u64,
    },
    Timeout {
        c: u32,
        gen: u32,
    },
    Flush {
        n: u16,
        inc: u32,
        upto: u64,
        xid: u64,
    },
    WalWriter {
        n: u16,
    },
    Stream {
        s: u16,
        conn: u32,
        upto: u64,
        xid: u64,
        sent_us: u64,
        depart_us: u64,
    },
    StandbyFlush {
        s: u16,
        inc: u32,
        upto: u64,
    },
    StandbyApply {
        s: u16,
        inc: u32,
        upto: u64,
    },
    Feedback {
        n: u16,
        s: u16,
        conn: u32,
        write: u64,
        flush: u64,
        replay: u64,
    },
    Connect {
        n: u16,
        s: u16,
        conn: u32,
    },
    Accepted {
        s: u16,
        conn: u32,
        from: u16,
    },
    Rejected {
        s: u16,
        conn: u32,
    },
    ReplRetry {
        s: u16,
        conn: u32,
    },
    ConnLost {
        s: u16,
        conn: u32,
    },
    SenderLost {
        n: u16,
        conn: u32,
    },
    Tick {
        n: u16,
        epoch: u32,
    },
    DcsFailed {
        n: u16,
        epoch: u32,
    },
    Promote {
        n: u16,
        inc: u32,
    },
    Started {
        n: u16,
        inc: u32,
        primary: bool,
    },
    Rewound {
        n: u16,
        inc: u32,
        leader: u16,
    },
    Cloned {
        n: u16,
        inc: u32,
        leader: u16,
    },
    Release {
        n: u16,
        epoch: u32,
        tries: u32,
    },
    ProxyCheck,
    Sample,
    Checkpoint {
        n: u16,
    },
    SlotTick {
        slot: u16,
    },
    Command {
        idx: u32,
    },
    Archived {
        tl: u32,
        seg: u64,
    },
    ArchiveRetry,
    /// The checkpointer's `archive_timeout` wake-up (`epoch`: the setting's reload it belongs to).
    ArchiveTimeout {
        epoch: u32,
    },
    /// A scheduled base backup (`epoch`: the schedule it belongs to).
    BackupTick {
        epoch: u32,
    },
    BackupDone {
        n: u16,
        inc: u32,
    },
    /// The earliest client deadline among the commits queued on node `n`.
    DeadlineCheck {
        n: u16,
    },
    /// The next operation reaches the shard router (scope `ROUTER`).
    RouterOp,
    /// A CPU burst on node `n`'s core `core` ends (the request pipeline's CPU stage).
    CpuDone {
        n: u16,
        core: u16,
        origin: Origin,
    },
    /// A component's own event (`pool::PoolEv`, for one): the component encodes and decodes it,
    /// so a new component adds no variant here.
    Comp(CompEv),
}

/// A component's event as the queue carries it: the component's tag (its `TAG`), then the
/// component's own encoding of the event in a kind and two words.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct CompEv {
    pub tag: u8,
    pub kind: u8,
    pub a: u32,
    pub b: u32,
}

/// Where a request on a server came from, and so where its answer goes: a client's request
/// `gen` through the proxy, or server connection `sv`'s transaction `gen` (a pooled backend).
/// The generation makes an answer to a request given up on, or to a closed connection, stale.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Client {
        c: u32,
        gen: u32,
    },
    Pooled {
        sv: u32,
        gen: u32,
    },
    /// A session of the migration component: a DDL statement or a long-running transaction.
    Session {
        s: u32,
        gen: u32,
    },
}

/// Why a run stopped early.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimError {
    EventLimit { limit: u64, at: SimTime },
    TimeLimit { limit: SimTime },
    QueueFull { cap: usize, at: SimTime },
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::EventLimit { limit, at } => write!(f, "the run hit its event limit ({limit} events) at {at}; raise run.max_events or shorten run.duration"),
            SimError::TimeLimit { limit } => write!(f, "cannot run past the scenario's end at {limit}"),
            SimError::QueueFull { cap, at } => write!(f, "the event queue is full ({cap} pending events) at {at}; raise run.max_queue or lower the client count"),
        }
    }
}

impl std::error::Error for SimError {}

/// A handle on the event queue for one scope at one instant: what a component's handler needs
/// to schedule its next events, and nothing else of the world.
pub(crate) struct Sched<'a> {
    pub now: SimTime,
    pub k: u16,
    pub q: &'a mut EventQueue<Scoped>,
    pub error: &'a mut Option<SimError>,
}

impl Sched<'_> {
    /// Schedules `ev` at `at` (never before now); a full queue stops the run with an error.
    #[inline]
    pub fn push(&mut self, at: SimTime, ev: Ev) {
        if let Err(QueueFull(cap)) = self.q.push(at.max(self.now), Scoped { k: self.k, ev }) {
            if self.error.is_none() {
                *self.error = Some(SimError::QueueFull { cap, at: self.now });
            }
        }
    }

    #[inline]
    pub fn after(&mut self, d: SimDur, ev: Ev) {
        self.push(self.now + d, ev);
    }
}

/// Something that happened which other components may react to. A handler states the fact once
/// (`World::broadcast`) instead of calling each component that cares; the world hands it to every
/// component that subscribed, in the order `world/facts.rs` lists them. Facts name components by
/// index only, like events, so every component can read them without knowing the others.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Fact {
    /// Node `n` flushed its WAL up to `flush` on timeline `tl`; `primary`: it is the primary.
    Flushed { n: u16, tl: u32, flush: u64, primary: bool },
    /// Node `n` was promoted: timeline `tl` branches from `parent` at `switch`.
    Promoted { n: u16, parent: u32, tl: u32, switch: u64 },
    /// The proxy marked node `n`'s backend down and shut its sessions.
    BackendDown { n: u16 },
    /// The world's once-a-second sample.
    Second,
}

/// An event and the scope (cluster) it belongs to.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Scoped {
    pub k: u16,
    pub ev: Ev,
}
