//! The typed trace: one record per processed event, folded into a stable 64-bit hash.
use crate::time::SimTime;
use serde::{Deserialize, Serialize};

/// What an event was. The discriminant is part of the trace hash, so never reorder these.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum TraceKind {
    ClientIssue = 1,
    RequestArrive = 2,
    ClientReply = 3,
    ClientTimeout = 4,
    WalFlush = 5,
    WalWriter = 6,
    StreamData = 7,
    StandbyFlush = 8,
    StandbyApply = 9,
    Feedback = 10,
    ReplConnect = 11,
    ReplAccepted = 12,
    ReplRejected = 13,
    AgentLoop = 14,
    AgentDcsFailed = 15,
    Promoted = 16,
    Started = 17,
    Rewound = 18,
    SwitchoverRelease = 19,
    ProxyCheck = 20,
    Sample = 21,
    Checkpoint = 22,
    SlotConsumer = 23,
    Command = 24,
    Cloned = 25,
    Archived = 26,
    ArchiveRetry = 27,
    ArchiveTimeout = 28,
    BaseBackup = 29,
    DeadlineCheck = 30,
    /// The router routed one operation: the row's key is the record's `lsn`, what became of it
    /// its `arg` (`shard::cluster::Routed`).
    RouterOp = 31,
    PoolArrive = 32,
    PoolOpen = 33,
    PoolAtPg = 34,
    CpuDone = 35,
    PoolReply = 36,
    /// Not an event of its own: what the pooling event before it did (an error or a breakage,
    /// how many times, and whether it failed users' requests).
    PoolError = 37,
    /// Not an event of its own: a shard's cluster answered a write the router handed it (in the
    /// cluster's scope, after the event that answered; the key is the `lsn`, the version and
    /// whether it was acknowledged the `arg`, `shard::cluster::read_ack`).
    RouterAck = 38,
    /// A migration session's event (`migrate::MigEv`): its kind and session in the `arg`
    /// (kind × 2^32 + session), the attempt in the `lsn`.
    Migration = 39,
}

/// One processed event. `node` is `u16::MAX` for events not tied to a node.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceEvent {
    pub at: SimTime,
    /// The cluster (scope) it happened in; 0 for a lone cluster.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub scope: u16,
    pub kind: TraceKind,
    pub node: u16,
    pub lsn: u64,
    pub arg: u64,
}

pub const NO_NODE: u16 = u16::MAX;

fn is_zero(k: &u16) -> bool {
    *k == 0
}

pub use sim_kernel::hash::TraceHash;

/// Folds one event into the hash: time, scope with kind and node, LSN, argument (a lone
/// cluster's scope is 0, so its hashes are as they were before scopes).
#[inline]
pub fn fold(h: &mut TraceHash, e: &TraceEvent) {
    h.fold(e.at.0);
    h.fold(((e.scope as u64) << 32) | ((e.kind as u64) << 16) | e.node as u64);
    h.fold(e.lsn);
    h.fold(e.arg);
}

/// A client's reply (`ClientReply`) as its record's `arg` holds it, so an observer can recount
/// from the trace what the clients saw: the result code (low six bits), [`WRITE`], [`TAKEN`]
/// (a late reply counts for nothing), the client, and the commit's timeline.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ClientSaw {
    pub code: u8,
    pub write: bool,
    pub taken: bool,
    pub client: u32,
    pub tl: u32,
}

impl ClientSaw {
    /// `seen` holds `WRITE` and `TAKEN` as the handler returned them.
    pub fn arg(c: u32, code: u8, tl: u32, seen: u64) -> u64 {
        (u64::from(tl) << 40) | (u64::from(c) << 8) | seen | u64::from(code & 0x3F)
    }
    pub fn of(arg: u64) -> ClientSaw {
        ClientSaw { code: (arg & 0x3F) as u8, write: arg & WRITE != 0, taken: arg & TAKEN != 0, client: (arg >> 8) as u32, tl: (arg >> 40) as u32 }
    }
}

/// Flags of a client's records: the request was a write (`ClientReply`, `ClientTimeout`,
/// `ClientIssue`)…
pub const WRITE: u64 = 1 << 6;
/// … the client still waited for it, so it counts (`ClientReply`, `ClientTimeout`)…
pub const TAKEN: u64 = 1 << 7;
/// … a time-out stopped a commit's wait for a synchronous standby (the commit stays)…
pub const SYNC_WAIT_CANCELED: u64 = 1 << 32;
/// … the request found no backend and failed at once (`ClientIssue`).
pub const NO_BACKEND: u64 = 1 << 63;

/// What became of a command, as its `Command` record holds it above bit 32.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum CommandOutcome {
    Applied = 0,
    /// Refused, and the log says why.
    Refused = 1,
    /// A restore that ran but stopped before its target (WAL missing from the archive).
    StoppedEarly = 2,
}

impl CommandOutcome {
    /// The `Command` record's argument for command `idx`.
    pub fn arg(self, idx: u32) -> u64 {
        u64::from(idx) | (self as u64) << 32
    }
    /// A `Command` record's argument read back: the command's index and its outcome.
    pub fn read(arg: u64) -> (usize, CommandOutcome) {
        let o = match arg >> 32 {
            1 => CommandOutcome::Refused,
            2 => CommandOutcome::StoppedEarly,
            _ => CommandOutcome::Applied,
        };
        ((arg & 0xFFFF_FFFF) as usize, o)
    }
}

/// What a result code sent to a client means.
fn reply_text(code: u64) -> &'static str {
    match code {
        0 => "ok",
        1 => "no backend",
        2 => "read-only",
        3 => "connection terminated",
        4 => "connection refused",
        5 => "ERROR: relation \"accounts\" does not exist",
        _ => "error",
    }
}

/// One compact line: time, node, LSN, and what happened. `names` are the node names.
pub fn render(e: &TraceEvent, names: &[String]) -> String {
    let name = |i: u64| names.get(i as usize).map_or("?", String::as_str);
    let node = if e.node == NO_NODE { "-" } else { name(e.node as u64) };
    // The router's records hold a row's key where others hold an LSN; their text names it.
    let lsn = if matches!(e.kind, TraceKind::RouterOp | TraceKind::RouterAck) { 0 } else { e.lsn };
    line(e.at, node, lsn, &describe(e, &name))
}

/// One line of the compact trace format: time, node, LSN (`-` when none), what happened.
pub fn line(at: SimTime, node: &str, lsn: u64, text: &str) -> String {
    let lsn = if lsn == 0 { "-".to_string() } else { crate::lsn::Lsn(lsn).to_string() };
    // Fixed microsecond precision keeps the trace's columns aligned.
    let t = format!("{}.{:06}s", at.0 / 1_000_000, at.0 % 1_000_000);
    format!("{t:>14} {node:<8} {lsn:>12}  {text}")
}

fn describe<'a>(e: &TraceEvent, name: &dyn Fn(u64) -> &'a str) -> String {
    let a = e.arg;
    match e.kind {
        TraceKind::ClientIssue if a & NO_BACKEND != 0 => "client request: no healthy backend".into(),
        TraceKind::ClientIssue => format!("client request to {}", name(a)),
        TraceKind::RequestArrive if e.lsn > 0 => format!("commit record xid {a}"),
        TraceKind::RequestArrive => "request served or refused".into(),
        TraceKind::ClientReply => {
            let r = ClientSaw::of(a);
            format!("client {} <- {}{}", r.client, reply_text(u64::from(r.code)), if r.taken { "" } else { " (late: it no longer waits)" })
        }
        TraceKind::ClientTimeout if a & TAKEN != 0 => "client request timed out".into(),
        TraceKind::ClientTimeout => "client timer: the request was already answered".into(),
        TraceKind::WalFlush => "WAL flushed (group commit)".into(),
        TraceKind::WalWriter => "walwriter wakeup".into(),
        TraceKind::StreamData => "walreceiver wrote WAL".into(),
        TraceKind::StandbyFlush => "walreceiver flushed WAL".into(),
        TraceKind::StandbyApply => "startup process replayed WAL".into(),
        TraceKind::Feedback => format!("standby status reply to {}", name(a)),
        TraceKind::ReplConnect => "walreceiver connecting".into(),
        TraceKind::ReplAccepted => format!("streaming from {}", name(a)),
        TraceKind::ReplRejected => "replication connection ended".into(),
        TraceKind::AgentLoop => ["Patroni loop (stale)", "Patroni loop: DCS unreachable, retrying", "Patroni HA loop"][a.min(2) as usize].into(),
        TraceKind::AgentDcsFailed => "Patroni: DCS call failed after retry_timeout".into(),
        TraceKind::Archived => "archive_command copied a WAL segment".into(),
        TraceKind::ArchiveRetry => format!("archiver retried {a} pending segments"),
        TraceKind::ArchiveTimeout => "archive_timeout check".into(),
        TraceKind::BaseBackup => "base backup step".into(),
        TraceKind::DeadlineCheck => format!("client deadlines checked: {} commits given up ({} of them waiting for a synchronous standby)", a & 0xFFFF_FFFF, a >> 32),
        TraceKind::RouterOp => {
            let r = crate::shard::cluster::Routed::of(a);
            let what = if r.write { "write" } else { "read" };
            let key = e.lsn;
            use crate::shard::cluster::RoutedOutcome as O;
            match r.outcome {
                O::Stopped => "router: stopped (a scheduled reshard could not start)".into(),
                O::Served => format!("router: {what} of key {key} served by shard {}", r.shard),
                O::Sent => format!("router: write of key {key} sent to shard {} on connection {}", r.shard, r.client),
                O::Refused => format!("router: write of key {key} refused: shard {} has no writable primary", r.shard),
                O::CutoverTimeout => format!("router: write of key {key} timed out at a reshard's cutover"),
                O::NoConnection => format!("router: write of key {key} failed: no free connection to shard {}", r.shard),
            }
        }
        TraceKind::RouterAck => {
            let (version, ok) = crate::shard::cluster::read_ack(a);
            format!("router: write {version} of key {} {}", e.lsn, if ok { "acknowledged" } else { "failed" })
        }
        TraceKind::PoolArrive if a & 1 == 1 => "user request reached an app server".into(),
        TraceKind::PoolArrive => "user wakes, but every user of the app server already waits".into(),
        TraceKind::PoolOpen => "HikariCP opens a pooled connection".into(),
        TraceKind::Migration => {
            let what = ["lock_timeout", "statement_timeout", "phase done", "retry", "transaction ends", "waits for older transactions"];
            format!("migration session pid {}: {}", crate::migrate::PID_BASE + (a & 0xffff_ffff) as u32, what.get((a >> 32) as usize).unwrap_or(&"?"))
        }
        TraceKind::PoolAtPg => format!("server connection {a}: work reached postgres"),
        TraceKind::CpuDone => format!("CPU burst done ({a})"),
        TraceKind::PoolReply => format!("server connection {a}: transaction answered"),
        TraceKind::PoolError => {
            let (kind, failed, count) = crate::pool::Outcome::read(a);
            let name = crate::pool::PoolEvent::ALL.get(kind).map_or("?", |k| k.name());
            format!("{name} × {count}{}", if failed { " (requests failed)" } else { "" })
        }
        TraceKind::Promoted if e.lsn > 0 => format!("promoted: timeline {a}"),
        TraceKind::Promoted => "promotion abandoned".into(),
        TraceKind::Started => format!("postgres started as {}", if a == 1 { "primary" } else { "standby" }),
        TraceKind::Rewound => format!("pg_rewind finished, following {}", name(a)),
        TraceKind::Cloned => format!("pg_basebackup finished, following {}", name(a)),
        TraceKind::SwitchoverRelease => "switchover: releasing the leader key".into(),
        TraceKind::ProxyCheck => format!("proxy health checks ({a} backends changed)"),
        TraceKind::Sample => "metrics sample".into(),
        TraceKind::Checkpoint => "checkpoint".into(),
        TraceKind::SlotConsumer => "slot consumer confirm".into(),
        TraceKind::Command => match CommandOutcome::read(a) {
            (i, CommandOutcome::Applied) => format!("command #{i}"),
            (i, CommandOutcome::Refused) => format!("command #{i} refused"),
            (i, CommandOutcome::StoppedEarly) => format!("command #{i}: the restore stops before its target"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn hash_depends_on_every_field() {
        let e = TraceEvent { at: SimTime(1), scope: 0, kind: TraceKind::WalFlush, node: 0, lsn: 2, arg: 3 };
        let h = |e: &TraceEvent| {
            let mut t = TraceHash::default();
            fold(&mut t, e);
            t.value()
        };
        let base = h(&e);
        assert_ne!(base, h(&TraceEvent { at: SimTime(2), ..e }));
        assert_ne!(base, h(&TraceEvent { kind: TraceKind::Sample, ..e }));
        assert_ne!(base, h(&TraceEvent { node: 1, ..e }));
        assert_ne!(base, h(&TraceEvent { lsn: 3, ..e }));
        assert_ne!(base, h(&TraceEvent { arg: 4, ..e }));
        assert_ne!(base, h(&TraceEvent { scope: 1, ..e }));
        // pinned: the same on every platform and every build
        assert_eq!(base, h(&e));
    }
}
