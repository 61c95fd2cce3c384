//! The backup panel's view: the WAL archive as segments with base-backup markers, the recovery
//! target with its preview and its command, a running restore's progress, the timeline tree, the
//! restored rows and the last recovery's RPO/RTO against the SLA.
use super::human_ms;
use sim_core::command::Command;
use sim_core::lsn::{Lsn, SEGMENT_BYTES};
use sim_core::pitr::{segment_number, Op, Outcome, Phase, SegmentState};
use sim_core::time::SimTime;
use sim_core::world::World;

/// A WAL segment on the strip.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentView {
    pub number: u64,
    pub name: String,
    /// `archived`, `pending`, `missing` or `corrupt`.
    pub state: &'static str,
}

/// A base backup over the segments it spans.
#[derive(Clone, Debug, PartialEq)]
pub struct BackupMark {
    pub label: String,
    pub timeline: u32,
    pub start_lsn: Lsn,
    pub stop_lsn: Lsn,
    pub corrupt: bool,
}

/// What restoring to the target would do, before the learner presses the button.
#[derive(Clone, Debug, PartialEq)]
pub enum Preview {
    Refused(String),
    /// The sentence, and a warning when the target lies past the archived WAL (PostgreSQL 13+
    /// stops short of it and says so).
    Would {
        text: String,
        warning: Option<String>,
    },
}

/// A restore still running: copying the base backup, then replaying WAL (per mille each).
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    pub backup: String,
    pub load: String,
    pub load_permille: u32,
    pub end_lsn: Lsn,
    pub replay: String,
    pub replay_permille: u32,
}

/// A timeline as a branch of the tree.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineView {
    pub id: u32,
    pub parent: Option<u32>,
    pub start: Lsn,
    /// Being created by a restore still running.
    pub pending: bool,
}

/// The table as the last restore left it.
#[derive(Clone, Debug, PartialEq)]
pub enum RestoredView {
    None,
    /// Recovery still running: the rows appear when it ends, in this much simulated time.
    Waiting(String),
    Dropped {
        timeline: u32,
    },
    Rows {
        timeline: u32,
        total: usize,
        first: Vec<(u64, u64)>,
    },
}

/// RPO or RTO against the SLA.
#[derive(Clone, Debug, PartialEq)]
pub struct Gauge {
    pub name: &'static str,
    pub ms: u64,
    pub sla_ms: u64,
}

impl Gauge {
    pub fn met(&self) -> bool {
        self.ms <= self.sla_ms
    }
    pub fn value(&self) -> String {
        human_ms(self.ms)
    }
    pub fn sla(&self) -> String {
        human_ms(self.sla_ms)
    }
}

/// Which `recovery_target_*` the learner types.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TargetKind {
    Time,
    Lsn,
    Xid,
    Name,
}

impl TargetKind {
    pub const ALL: [TargetKind; 4] = [TargetKind::Time, TargetKind::Lsn, TargetKind::Xid, TargetKind::Name];
    /// The setting's name, as in `postgresql.conf`.
    pub fn setting(self) -> &'static str {
        match self {
            TargetKind::Time => "recovery_target_time",
            TargetKind::Lsn => "recovery_target_lsn",
            TargetKind::Xid => "recovery_target_xid",
            TargetKind::Name => "recovery_target_name",
        }
    }
    pub fn parse(setting: &str) -> Option<TargetKind> {
        TargetKind::ALL.into_iter().find(|k| k.setting() == setting)
    }
}

/// Where the learner aims a restore: the slider's time, or a target typed (or snapped to an event).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Aim {
    pub slider_ms: Option<u64>,
    /// The kind of target being typed, and what is typed so far (maybe nothing yet).
    pub typed: Option<(TargetKind, String)>,
    pub inclusive: bool,
    /// `recovery_target_timeline` (`None`: latest), set by snapping to an event on another timeline.
    pub timeline: Option<u32>,
}

/// An event a target can snap to: the operator error, a base backup's end, a segment switch, a
/// restore point.
#[derive(Clone, Debug, PartialEq)]
pub struct Snap {
    pub label: String,
    pub kind: TargetKind,
    pub value: String,
    /// Snapping here stops before the event (the DROP's own transaction is not replayed).
    pub inclusive: bool,
    /// `recovery_target_timeline` for an event that is not on the latest timeline's history (a
    /// DROP on timeline 1 after restores branched timelines 2 to 4 before it); `None`: latest.
    pub timeline: Option<u32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PitrView {
    pub segments: Vec<SegmentView>,
    pub backups: Vec<BackupMark>,
    /// The strip's span in segment numbers, `lo..hi`.
    pub lo: u64,
    pub hi: u64,
    /// How far a running recovery has replayed.
    pub replay_cursor: Option<Lsn>,
    pub now_ms: u64,
    pub target_ms: u64,
    /// The target as `recovery_target_time` text.
    pub target_text: String,
    pub inclusive: bool,
    /// A typed target and why it cannot be used, if it cannot.
    pub typed: Option<(TargetKind, String)>,
    /// The kind of target chosen to type, even before anything is typed (its box is shown).
    pub typed_kind: Option<TargetKind>,
    /// A restore has been started in this run: the preview is of the next one.
    pub restored_before: bool,
    pub typed_error: Option<String>,
    pub snaps: Vec<Snap>,
    /// Operator errors (DROP TABLE, UPDATE without WHERE) on the current timeline's history: LSN and label.
    pub mistakes: Vec<(Lsn, String)>,
    /// The command "Restore to this point" gives.
    pub restore: Command,
    pub preview: Preview,
    pub progress: Option<Progress>,
    pub timelines: Vec<TimelineView>,
    pub restored: RestoredView,
    /// What the last recovery was (a failover or a restore) and its RPO and RTO gauges.
    pub gauges: Option<(String, [Gauge; 2])>,
    pub rpo_sla_ms: u64,
    pub rto_sla_ms: u64,
}

pub(super) fn view(w: &World, aim: &Aim, rpo_sla_ms: u64, rto_sla_ms: u64) -> Option<PitrView> {
    let b = w.backups()?;
    let now = w.now();
    let target = SimTime(aim.slider_ms.unwrap_or(now.as_ms()).min(now.as_ms()) * 1000);
    let inclusive = aim.inclusive;
    let state = |s: SegmentState| match s {
        SegmentState::Archived { .. } => "archived",
        SegmentState::Missing => "missing",
        SegmentState::Corrupt => "corrupt",
    };
    let mut segments: Vec<SegmentView> = b.archive.segments.iter().map(|(n, s)| SegmentView { number: segment_number(n), name: n.clone(), state: state(*s) }).collect();
    segments.extend(b.pending_segments().map(|(tl, s)| SegmentView { number: s, name: Lsn(s * SEGMENT_BYTES).segment_name(tl), state: "pending" }));
    let lo = segments.iter().map(|s| s.number).chain(b.archive.backups.iter().map(|x| x.start_lsn / SEGMENT_BYTES)).min().unwrap_or(0);
    let hi = segments.iter().map(|s| s.number + 1).max().unwrap_or(lo + 1).max(lo + 1);
    let backups = b.archive.backups.iter().map(|x| BackupMark { label: x.label.clone(), timeline: x.timeline, start_lsn: Lsn(x.start_lsn), stop_lsn: Lsn(x.stop_lsn), corrupt: x.corrupt }).collect();
    let target_text = b.clock.timestamptz(target);
    let typed = aim.typed.clone().filter(|(_, v)| !v.trim().is_empty());
    let (restore, request) = match command(typed.as_ref(), &target_text, inclusive, aim.timeline) {
        Ok(c) => {
            let r = w.restore_request(&c, true).map_err(|e| e.message);
            (c, r)
        }
        // A typed target that is not one: Restore is not offered, the slider's command stands in.
        Err(e) => (restore_to(None, None, None, Some(target_text.clone()), inclusive, aim.timeline), Err(e)),
    };
    let (preview, typed_error) = match request {
        Err(e) => (Preview::Refused(e.clone()), typed.is_some().then_some(e)),
        Ok(req) => match b.preview(w.history(), &req, now) {
            Err(e) => (Preview::Refused(e), None),
            Ok(o) => {
                let last = o.last_commit.map_or("no commit yet".to_string(), |r| format!("xid {} (LSN {}, committed {})", r.xid, Lsn(r.lsn), b.clock.timestamptz(r.at)));
                let table = if o.table.dropped { "the table is dropped".to_string() } else { format!("{} rows", o.table.rows.len()) };
                let text = format!(
                    "restores {} and replays to {}: last commit included {last}; {table}; takes about {}; discards {} later commits.",
                    o.backup,
                    Lsn(o.end_lsn),
                    o.duration.human(),
                    o.commits_discarded
                );
                (Preview::Would { text, warning: o.stopped_early.map(|why| format!("Warning: {why}")) }, None)
            }
        },
    };
    let (snaps, mistakes) = snaps(w, &segments);
    let last = b.restores.last();
    let pending_tl = last.filter(|o| o.phase(now) != Phase::Done).and_then(|o| o.new_timeline);
    Some(PitrView {
        segments,
        backups,
        lo,
        hi,
        replay_cursor: b.replay_cursor(now).map(Lsn),
        now_ms: now.as_ms(),
        target_ms: target.as_ms(),
        target_text,
        inclusive,
        typed,
        typed_kind: aim.typed.as_ref().map(|t| t.0),
        restored_before: !b.restores.is_empty(),
        typed_error,
        snaps,
        mistakes,
        restore,
        preview,
        progress: last.and_then(|o| progress(o, now)),
        timelines: w.history().timelines.iter().map(|(id, t)| TimelineView { id: *id, parent: t.parent, start: Lsn(t.start), pending: pending_tl == Some(*id) }).collect(),
        restored: restored(last, now),
        gauges: gauges(w, last, rpo_sla_ms, rto_sla_ms),
        rpo_sla_ms,
        rto_sla_ms,
    })
}

fn progress(o: &Outcome, now: SimTime) -> Option<Progress> {
    let (load_permille, replay_permille) = match o.phase(now) {
        Phase::Done => return None,
        Phase::Loading(p) => (p, 0),
        Phase::Replaying(p) => (1000, p),
    };
    Some(Progress { backup: o.backup.clone(), load: o.load.human(), load_permille, end_lsn: Lsn(o.end_lsn), replay: o.replay.human(), replay_permille })
}

fn restored(last: Option<&Outcome>, now: SimTime) -> RestoredView {
    let Some(o) = last else { return RestoredView::None };
    let timeline = o.new_timeline.unwrap_or(o.timeline);
    if o.phase(now) != Phase::Done {
        RestoredView::Waiting(SimTime(o.started.0 + o.duration.0).since(now).human())
    } else if o.table.dropped {
        RestoredView::Dropped { timeline }
    } else {
        RestoredView::Rows { timeline, total: o.table.rows.len(), first: o.table.rows.iter().take(12).map(|(k, x)| (*k, *x)).collect() }
    }
}

/// The last recovery: a finished restore unless a failover came after it.
fn gauges(w: &World, last: Option<&Outcome>, rpo_sla_ms: u64, rto_sla_ms: u64) -> Option<(String, [Gauge; 2])> {
    let restored = last.filter(|o| o.phase(w.now()) == Phase::Done);
    let m = w.run_metrics();
    let failover = m.failovers.last().and_then(|f| Some((f.at_ms, f.unavailable_ms?)));
    let (source, rpo, rto) = match (restored, failover) {
        (Some(o), f) if !matches!(f, Some((at, _)) if at > o.started.as_ms()) => (format!("restore from {}", o.backup), o.rpo.as_ms(), o.duration.as_ms()),
        (_, Some((_, rto))) => ("failover".to_string(), m.rpo_ms, rto),
        _ => return None,
    };
    Some((source, [Gauge { name: "RPO", ms: rpo, sla_ms: rpo_sla_ms }, Gauge { name: "RTO", ms: rto, sla_ms: rto_sla_ms }]))
}

/// The `pitr_restore` command for the aim: the typed target, or the slider's time.
fn command(typed: Option<&(TargetKind, String)>, time: &str, inclusive: bool, timeline: Option<u32>) -> Result<Command, String> {
    let v = typed.map(|t| t.1.trim().to_string());
    Ok(match typed.map(|t| t.0) {
        Some(TargetKind::Time) => restore_to(None, None, None, v, inclusive, timeline),
        Some(TargetKind::Lsn) => restore_to(v, None, None, None, inclusive, timeline),
        Some(TargetKind::Xid) => {
            let v = v.unwrap_or_default();
            let xid = v.parse::<u64>().map_err(|_| format!("`{v}` is not a transaction ID (a whole number)"))?;
            restore_to(None, Some(xid), None, None, inclusive, timeline)
        }
        Some(TargetKind::Name) => restore_to(None, None, v, None, inclusive, timeline),
        None => restore_to(None, None, None, Some(time.to_string()), inclusive, timeline),
    })
}

/// `pitr_restore` to one target (the others `None`), promoting at the end.
fn restore_to(lsn: Option<String>, xid: Option<u64>, name: Option<String>, time: Option<String>, inclusive: bool, timeline: Option<u32>) -> Command {
    Command::PitrRestore { target_time: time, target_lsn: lsn, target_xid: xid, target_xid_of: None, target_name: name, inclusive, target_action: "promote".into(), timeline }
}

/// Events a target can snap to, newest last, and the operator errors. The latest timeline's
/// history comes first; an operator error found only on an older timeline (restores since
/// branched before it) is offered with that timeline as `recovery_target_timeline`, so "just
/// before the DROP" stays possible however many restores came after it.
fn snaps(w: &World, segments: &[SegmentView]) -> (Vec<Snap>, Vec<(Lsn, String)>) {
    let Some(b) = w.backups() else { return (Vec::new(), Vec::new()) };
    let mut snaps = Vec::new();
    let mut mistakes = Vec::new();
    let h = w.history();
    let latest = h.latest();
    let mut seen = std::collections::BTreeSet::new();
    let timelines = std::iter::once(latest).chain(h.timelines.keys().copied().filter(|t| *t != latest));
    for tl in timelines {
        let timeline = (tl != latest).then_some(tl);
        for r in h.lineage(tl) {
            let what = match r.op {
                Op::DropTable { .. } => "DROP TABLE",
                Op::UpdateAll { .. } => "UPDATE without WHERE",
                Op::RestorePoint { name } if timeline.is_none() => {
                    let n = h.names.get(name as usize).cloned().unwrap_or_default();
                    snaps.push(Snap { label: format!("restore point '{n}'"), kind: TargetKind::Name, value: n, inclusive: true, timeline });
                    continue;
                }
                _ => continue,
            };
            if !seen.insert(r.xid) {
                continue;
            }
            let on = timeline.map_or(String::new(), |t| format!(", timeline {t}"));
            mistakes.push((Lsn(r.lsn), format!("{what}: xid {} at {}{on}", r.xid, Lsn(r.lsn))));
            snaps.push(Snap { label: format!("just before the {what} (xid {}{on})", r.xid), kind: TargetKind::Xid, value: r.xid.to_string(), inclusive: false, timeline });
        }
    }
    for bb in b.archive.backups.iter().filter(|x| !x.corrupt) {
        snaps.push(Snap { label: format!("end of base backup {}", bb.label), kind: TargetKind::Lsn, value: Lsn(bb.stop_lsn).to_string(), inclusive: true, timeline: None });
    }
    let archived: Vec<&SegmentView> = segments.iter().filter(|s| s.state == "archived").collect();
    for s in archived.iter().rev().take(3).rev() {
        snaps.push(Snap { label: format!("end of segment {}", s.name), kind: TargetKind::Lsn, value: Lsn((s.number + 1) * SEGMENT_BYTES).to_string(), inclusive: true, timeline: None });
    }
    (snaps, mistakes)
}
