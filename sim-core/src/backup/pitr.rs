//! Base backups, the WAL archive and point-in-time recovery over a recorded history of commits:
//! which backup and segments a restore needs, where it stops, the data as of that point, and the
//! new timeline with its `.history` content. Pure functions: a refused restore changes nothing.
use crate::lsn::{history_file, Lsn, TimelineSwitch, SEGMENT_BYTES};
use crate::postgres::history::ancestors;
pub use crate::postgres::history::{table_of, History, Op, Record, Table, TableId, Timeline, ACCOUNTS};
use crate::time::{SimDur, SimTime};
use std::collections::BTreeMap;

/// A base backup as `pg_basebackup` takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseBackup {
    pub label: String,
    pub timeline: u32,
    pub start_lsn: u64,
    pub stop_lsn: u64,
    pub started: SimTime,
    pub finished: SimTime,
    pub bytes: u64,
    pub corrupt: bool,
}

/// Segments in the archive (by file name) and the base backups kept.
#[derive(Clone, Debug, Default)]
pub struct Archive {
    pub segments: BTreeMap<String, SegmentState>,
    pub backups: Vec<BaseBackup>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SegmentState {
    Archived { at: SimTime },
    Missing,
    Corrupt,
}

/// `recovery_target_*`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Time(SimTime),
    Lsn(u64),
    Xid(u64),
    Name(String),
    /// No target: replay every archived segment.
    Latest,
}

/// `recovery_target_action`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TargetAction {
    Pause,
    Promote,
    Shutdown,
}

/// A restore request: the recovery settings a learner writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub target: Target,
    pub inclusive: bool,
    /// `recovery_target_timeline`; `None` is `latest`.
    pub timeline: Option<u32>,
    pub action: TargetAction,
}

/// Rates that set how long a restore takes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Rates {
    pub restore_mb_s: u64,
    pub replay_mb_s: u64,
}

/// What a restore did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub backup: String,
    pub timeline: u32,
    /// Where replay stopped: the end of the last record applied.
    pub end_lsn: u64,
    /// The last commit included, if any.
    pub last_commit: Option<Record>,
    pub table: Table,
    pub segments_replayed: u64,
    /// Set when a missing or corrupt segment ended recovery before the target.
    pub stopped_early: Option<String>,
    /// The new timeline, when the action promoted.
    pub new_timeline: Option<u32>,
    /// `0000000N.history` of the new timeline.
    pub history: String,
    pub reason: String,
    /// When the restore began (the command's time).
    pub started: SimTime,
    /// Copying the base backup onto the recovery server (backup size / `restore_mb_s`).
    pub load: SimDur,
    /// Replaying archived WAL from the backup's start to the end point (bytes / `replay_mb_s`).
    pub replay: SimDur,
    /// `load + replay`: when the recovery server is usable.
    pub duration: SimDur,
    /// Commits on the restored timeline's history after the end point: work the restore discards.
    pub commits_discarded: u64,
    /// Commit-time span from the last commit restored to the newest one discarded.
    pub rpo: SimDur,
    pub log: Vec<String>,
}

/// Where a restore stands at some instant: what the recovery server is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Copying the base backup; per mille done.
    Loading(u32),
    /// Replaying archived WAL; per mille done.
    Replaying(u32),
    /// Recovery ended (promoted, paused or shut down).
    Done,
}

impl Outcome {
    /// The recovery server's phase at `now`, from the modelled copy and replay durations.
    pub fn phase(&self, now: SimTime) -> Phase {
        let spent = now.since(self.started).0;
        let permille = |done: u64, total: u64| (done.saturating_mul(1000) / total.max(1)).min(1000) as u32;
        if spent < self.load.0 {
            Phase::Loading(permille(spent, self.load.0))
        } else if spent - self.load.0 < self.replay.0 {
            Phase::Replaying(permille(spent - self.load.0, self.replay.0))
        } else {
            Phase::Done
        }
    }
}

/// The index of the last record to apply in `recs` (stop point), or `None` if recovery stops before all.
fn stop_index(recs: &[&Record], req: &Request, names: &[String]) -> Result<Option<usize>, String> {
    let before = |i: usize| i.checked_sub(1);
    let found = |pred: &dyn Fn(&Record) -> bool| recs.iter().position(|r| pred(r));
    let inc = req.inclusive;
    Ok(match &req.target {
        Target::Latest => before(recs.len()),
        Target::Time(t) => before(found(&|r| is_commit(r) && if inc { r.at > *t } else { r.at >= *t }).unwrap_or(recs.len())),
        Target::Lsn(l) => before(found(&|r| if inc { r.lsn > *l } else { r.lsn >= *l }).unwrap_or(recs.len())),
        Target::Xid(x) => {
            let i = found(&|r| r.xid == *x && is_commit(r)).ok_or(format!("transaction {x} never committed on this timeline: recovery would end before reaching the target"))?;
            if inc {
                Some(i)
            } else {
                before(i)
            }
        }
        Target::Name(n) => {
            let idx = names.iter().position(|x| x == n).ok_or(format!("no restore point named \"{n}\""))? as u32;
            let i = found(&|r| r.op == Op::RestorePoint { name: idx }).ok_or(format!("restore point \"{n}\" is not on this timeline"))?;
            Some(i)
        }
    })
}

fn is_commit(r: &Record) -> bool {
    !matches!(r.op, Op::RestorePoint { .. })
}

/// PostgreSQL's reason text for the history file (xlogrecovery.c).
fn reason(req: &Request, clock: &Clock, reached: bool) -> String {
    let side = if req.inclusive { "after" } else { "before" };
    match &req.target {
        _ if !reached => "no recovery target specified".into(),
        Target::Latest => "no recovery target specified".into(),
        Target::Time(t) => format!("{side} {}", clock.timestamptz(*t)),
        Target::Lsn(l) => format!("{side} LSN {}", Lsn(*l)),
        Target::Xid(x) => format!("{side} transaction {x}"),
        Target::Name(n) => format!("at restore point \"{n}\""),
    }
}

/// Turns simulated time into wall-clock text: `SimTime` zero is `epoch_s` (Unix seconds, UTC).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Clock {
    pub epoch_s: u64,
}

impl Clock {
    /// Parses `2026-11-25T14:00:00Z` (UTC; a space may replace the `T`, the `Z` may be omitted).
    pub fn parse(text: &str) -> Result<Clock, String> {
        let secs = parse_utc(text).ok_or(format!("`{text}` is not a UTC time like 2026-11-25T14:00:00Z"))?;
        Ok(Clock { epoch_s: secs })
    }

    /// The simulated time of a wall-clock text like `2026-11-25 14:03:17.5` (before t = 0: an error).
    pub fn sim_time(&self, text: &str) -> Result<SimTime, String> {
        let (whole, frac) = text.trim().trim_end_matches("+00").trim_end_matches('Z').split_once('.').unwrap_or((text.trim().trim_end_matches("+00").trim_end_matches('Z'), ""));
        let secs = parse_utc(whole).ok_or(format!("`{text}` is not a time like 2026-11-25 14:03:17"))?;
        let digits: String = frac.chars().take(6).collect();
        let micros = if digits.is_empty() { 0 } else { digits.parse::<u64>().map_err(|_| format!("`{text}` has a bad fraction of a second"))? * 10u64.pow(6 - digits.len() as u32) };
        let rel = secs.checked_sub(self.epoch_s).ok_or(format!("`{text}` is before the scenario starts ({})", self.timestamptz(SimTime::ZERO)))?;
        Ok(SimTime(rel.saturating_mul(1_000_000).saturating_add(micros)))
    }

    /// Like PostgreSQL's `timestamptz` output in UTC: `2026-11-25 14:03:17.12345+00` (the
    /// fraction without trailing zeros, and none for whole seconds).
    pub fn timestamptz(&self, t: SimTime) -> String {
        let secs = self.epoch_s + t.0 / 1_000_000;
        let (y, m, d) = civil_from_days((secs / 86_400) as i64);
        let s = secs % 86_400;
        let frac = format!(".{:06}", t.0 % 1_000_000);
        let frac = frac.trim_end_matches('0').trim_end_matches('.');
        format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}{frac}+00", s / 3600, s / 60 % 60, s % 60)
    }
}

/// The segment number in a 24-hex-digit WAL file name (0 if malformed).
pub fn segment_number(name: &str) -> u64 {
    let hi = u64::from_str_radix(name.get(8..16).unwrap_or("0"), 16).unwrap_or(0);
    let lo = u64::from_str_radix(name.get(16..24).unwrap_or("0"), 16).unwrap_or(0);
    hi * (0x1_0000_0000 / SEGMENT_BYTES) + lo
}

/// `YYYY-MM-DD[T ]HH:MM:SS[Z]` to Unix seconds.
fn parse_utc(text: &str) -> Option<u64> {
    let t = text.trim().trim_end_matches('Z');
    let (date, time) = t.split_once(['T', ' '])?;
    let num = |s: &str| s.parse::<u64>().ok();
    let d: Vec<u64> = date.split('-').map(num).collect::<Option<_>>()?;
    let h: Vec<u64> = time.split(':').map(num).collect::<Option<_>>()?;
    let ([y, mo, dd], [hh, mi, ss]) = (<[u64; 3]>::try_from(d).ok()?, <[u64; 3]>::try_from(h).ok()?);
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&mo) || !(1..=31).contains(&dd) || hh > 23 || mi > 59 || ss > 59 {
        return None;
    }
    let days = days_from_civil(y as i64, mo as u32, dd as u32);
    Some(days as u64 * 86_400 + hh * 3600 + mi * 60 + ss)
}

/// (year, month, day) to days since 1970-01-01, Howard Hinnant's algorithm.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from(if m > 2 { m - 3 } else { m + 9 });
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Why a restore was refused: decisions (the drill's retry with an older backup) read the kind,
/// never the message.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RefusalKind {
    NoSuchTimeline,
    TargetInFuture,
    CorruptBackup,
    /// No usable backup, an unreachable target, or WAL that cannot make a backup consistent.
    Unrecoverable,
}

/// A refused restore: its kind and PostgreSQL-style reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub kind: RefusalKind,
    pub message: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<Refusal> for String {
    fn from(r: Refusal) -> String {
        r.message
    }
}

fn refuse(kind: RefusalKind) -> impl Fn(String) -> Refusal {
    move |message| Refusal { kind, message }
}

/// Plans and performs a restore against `history` and `archive` at time `now`. Refuses, with the
/// reason, a target before every usable backup, in the future, or on a timeline that does not exist.
pub fn restore(history: &History, archive: &Archive, req: &Request, now: SimTime, clock: &Clock, rates: Rates) -> Result<Outcome, Refusal> {
    let tl = req.timeline.unwrap_or_else(|| history.latest());
    if !history.timelines.contains_key(&tl) {
        let known: Vec<String> = history.timelines.keys().map(u32::to_string).collect();
        return Err(refuse(RefusalKind::NoSuchTimeline)(format!("recovery_target_timeline {tl} does not exist (timelines: {})", known.join(", "))));
    }
    let recs = history.lineage(tl);
    check_not_future(&req.target, recs.last().map_or(0, |r| r.lsn), tl, now).map_err(refuse(RefusalKind::TargetInFuture))?;
    let stop = stop_index(&recs, req, &history.names).map_err(refuse(RefusalKind::Unrecoverable))?;
    let stop_lsn = stop.map_or(0, |i| recs[i].lsn);
    // Replay stops just before the first excluded record: a backup must be consistent by then.
    let limit = recs.get(stop.map_or(0, |i| i + 1)).map_or(u64::MAX, |r| r.lsn - 1);
    let backup = pick_backup(history, archive, tl, limit, &req.target).map_err(refuse(RefusalKind::Unrecoverable))?;
    if backup.corrupt {
        return Err(refuse(RefusalKind::CorruptBackup)(format!(
            "base backup \"{}\" is corrupt: its files fail verification (pg_verifybackup), so nothing was restored; choose an older backup or fix the backup job",
            backup.label
        )));
    }
    let want = if req.target == Target::Latest { u64::MAX } else { stop_lsn.max(backup.stop_lsn) };
    let (upto, segments, early) = replay_segments(history, archive, tl, backup, want).map_err(refuse(RefusalKind::Unrecoverable))?;
    let last = recs.iter().take_while(|r| r.lsn <= upto).last().map(|r| **r);
    let end_lsn = last.map_or(backup.stop_lsn, |r| r.lsn).max(backup.stop_lsn);
    let table = table_of(&recs, end_lsn);
    let mut out = finish(history, req, clock, rates, backup, tl, end_lsn, last, segments, early, table);
    out.started = now;
    let discarded: Vec<&&Record> = recs.iter().filter(|r| r.lsn > end_lsn && is_commit(r)).collect();
    out.commits_discarded = discarded.len() as u64;
    out.rpo = discarded.last().map_or(SimDur::ZERO, |r| r.at.since(last.map_or(backup.finished, |l| l.at)));
    Ok(out)
}

/// `end`: the last LSN of timeline `tl`'s history.
fn check_not_future(target: &Target, end: u64, tl: u32, now: SimTime) -> Result<(), String> {
    match target {
        Target::Time(t) if *t > now => Err(format!("recovery_target_time {t} is in the future (now is {now})")),
        Target::Lsn(l) if *l > end => Err(format!("recovery_target_lsn {} is beyond the end of timeline {tl}'s WAL ({})", Lsn(*l), Lsn(end))),
        _ => Ok(()),
    }
}

/// The newest backup on the lineage of `tl` that is consistent (ended) at or before the stop point.
fn pick_backup<'a>(history: &History, archive: &'a Archive, tl: u32, limit: u64, target: &Target) -> Result<&'a BaseBackup, String> {
    let lineage = ancestors(history, tl);
    let on_lineage = |b: &BaseBackup| lineage.iter().any(|&(t, end)| t == b.timeline && b.stop_lsn <= end);
    let usable = archive.backups.iter().filter(|b| on_lineage(b) && b.stop_lsn <= limit);
    usable.max_by_key(|b| b.stop_lsn).ok_or_else(|| match archive.backups.iter().filter(|b| on_lineage(b)).min_by_key(|b| b.stop_lsn) {
        Some(oldest) => {
            format!("the target {} is before the oldest usable base backup \"{}\" (consistent from {} on timeline {})", target_text(target), oldest.label, Lsn(oldest.stop_lsn), oldest.timeline)
        }
        None => format!("no base backup exists on timeline {tl}'s history: nothing to restore from"),
    })
}

fn target_text(t: &Target) -> String {
    match t {
        Target::Time(t) => format!("time {t}"),
        Target::Lsn(l) => format!("LSN {}", Lsn(*l)),
        Target::Xid(x) => format!("xid {x}"),
        Target::Name(n) => format!("restore point \"{n}\""),
        Target::Latest => "latest".into(),
    }
}

/// Restores segments from the backup's start up to `want`; stops at the first missing or corrupt one.
/// Returns the LSN up to which WAL was available, the segments replayed, and why it stopped early.
/// With `want = u64::MAX` (no target), the end of the archived WAL is the normal end; only a gap
/// (a later segment archived) stops recovery early.
fn replay_segments(history: &History, archive: &Archive, tl: u32, backup: &BaseBackup, want: u64) -> Result<(u64, u64, Option<String>), String> {
    let first = backup.start_lsn / SEGMENT_BYTES;
    let newest = archive.segments.iter().filter(|(_, s)| matches!(s, SegmentState::Archived { .. })).map(|(n, _)| segment_number(n)).max().unwrap_or(0);
    let last = if want == u64::MAX { newest.saturating_add(1) } else { want.saturating_sub(1) / SEGMENT_BYTES }.max(first);
    for seg in first..=last {
        let name = Lsn(seg * SEGMENT_BYTES).segment_name(history.segment_timeline(tl, seg));
        let problem = match archive.segments.get(&name) {
            Some(SegmentState::Archived { .. }) => continue,
            Some(SegmentState::Corrupt) => "is corrupt (bad CRC in its first record)",
            Some(SegmentState::Missing) => "is missing from the archive",
            // Never archived: the segment still being written, or one waiting for archive_command.
            None => "is not in the archive yet (still being written, or waiting for archive_command)",
        };
        let upto = seg * SEGMENT_BYTES;
        if want == u64::MAX && seg > newest {
            return Ok((upto, seg - first, None));
        }
        if upto < backup.stop_lsn {
            return Err(format!("WAL segment {name} {problem}, and WAL ends before the end of the online backup \"{}\" ({}): it cannot be made consistent", backup.label, Lsn(backup.stop_lsn)));
        }
        let why = format!("WAL segment {name} {problem}: recovery stopped at {} before reaching the target (PostgreSQL 14+ reports FATAL: recovery ended before configured recovery target was reached; the operator promotes here, accepting the loss)", Lsn(upto));
        return Ok((upto.min(want), seg - first, Some(why)));
    }
    Ok((want, last - first + 1, None))
}

#[allow(clippy::too_many_arguments)]
fn finish(
    history: &History,
    req: &Request,
    clock: &Clock,
    rates: Rates,
    backup: &BaseBackup,
    tl: u32,
    end_lsn: u64,
    last: Option<Record>,
    segments: u64,
    early: Option<String>,
    table: Table,
) -> Outcome {
    let replayed = end_lsn.saturating_sub(backup.start_lsn);
    let load = crate::postgres::replication::transfer(backup.bytes, rates.restore_mb_s);
    let replay = crate::postgres::replication::transfer(replayed, rates.replay_mb_s);
    let reason = reason(req, clock, early.is_none());
    let new_timeline = (req.action == TargetAction::Promote || early.is_some()).then(|| history.latest() + 1);
    let mut switches = history.timelines.get(&tl).map(|t| t.switches.clone()).unwrap_or_default();
    switches.push(TimelineSwitch { parent: tl, switch_lsn: Lsn(end_lsn), reason: reason.clone() });
    let history_text = if new_timeline.is_some() { history_file(&switches) } else { String::new() };
    let mut log = vec![
        format!("restored base backup \"{}\" (timeline {}, {} to {})", backup.label, backup.timeline, Lsn(backup.start_lsn), Lsn(backup.stop_lsn)),
        format!("replayed {segments} archived WAL segments up to {}", Lsn(end_lsn)),
    ];
    log.extend(early.iter().cloned());
    if let Some(r) = &last {
        log.push(format!("last transaction included: xid {} committed at {}", r.xid, clock.timestamptz(r.at)));
    }
    log.push(match (new_timeline, req.action) {
        (Some(n), _) => format!("promoted: timeline {n} starts at {} ({})", Lsn(end_lsn), reason),
        (None, TargetAction::Pause) => "recovery paused at the target: the server is read-only until pg_wal_replay_resume()".into(),
        (None, _) => "recovery reached the target and the server shut down".into(),
    });
    Outcome {
        backup: backup.label.clone(),
        timeline: tl,
        end_lsn,
        last_commit: last,
        table,
        segments_replayed: segments,
        stopped_early: early,
        new_timeline,
        history: history_text,
        reason,
        started: SimTime::ZERO,
        load,
        replay,
        duration: SimDur(load.0.saturating_add(replay.0)),
        commits_discarded: 0,
        rpo: SimDur::ZERO,
        log,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SimRng;

    const START: u64 = 0x300_0060;
    const CLOCK: Clock = Clock { epoch_s: 1_795_564_800 }; // 2026-11-25 00:00:00 UTC
    const RATES: Rates = Rates { restore_mb_s: 100, replay_mb_s: 50 };

    /// Appends `n` random records to timeline `tl`; xids are handed out out of commit order.
    fn grow(h: &mut History, tl: u32, rng: &mut SimRng, n: u64, mut lsn: u64, mut at: SimTime, xid_base: u64) -> (u64, SimTime) {
        for i in 0..n {
            lsn += 200 + rng.below(60_000);
            at = SimTime(at.0 + 1 + rng.below(20_000));
            let xid = xid_base + (i ^ rng.below(4));
            let op = match rng.below(1000) {
                0 => Op::DropTable { table: ACCOUNTS },
                1..=3 => Op::UpdateAll { table: ACCOUNTS },
                4..=9 => h.restore_point(&format!("rp{tl}-{i}")),
                _ => Op::Write { table: ACCOUNTS, key: rng.below(50) },
            };
            h.push(tl, Record { lsn, xid, at, op });
        }
        (lsn, at)
    }

    fn archive_all(h: &History, tl: u32, upto: u64) -> Archive {
        let mut a = Archive::default();
        for seg in START / SEGMENT_BYTES..=upto / SEGMENT_BYTES {
            let name = Lsn(seg * SEGMENT_BYTES).segment_name(h.segment_timeline(tl, seg));
            a.segments.insert(name, SegmentState::Archived { at: SimTime::ZERO });
        }
        a
    }

    fn backup(label: &str, tl: u32, start: u64, stop: u64) -> BaseBackup {
        BaseBackup { label: label.into(), timeline: tl, start_lsn: start, stop_lsn: stop, started: SimTime::ZERO, finished: SimTime::ZERO, bytes: 1 << 30, corrupt: false }
    }

    fn req(target: Target, inclusive: bool) -> Request {
        Request { target, inclusive, timeline: None, action: TargetAction::Promote }
    }

    /// The oracle, written independently: fold every record the target admits, in WAL order.
    fn oracle(recs: &[&Record], target: &Target, inclusive: bool) -> Table {
        let mut t = Table::default();
        for r in recs {
            let stop_before = match target {
                Target::Time(x) => is_commit(r) && if inclusive { r.at > *x } else { r.at >= *x },
                Target::Lsn(x) => {
                    if inclusive {
                        r.lsn > *x
                    } else {
                        r.lsn >= *x
                    }
                }
                Target::Xid(x) => r.xid == *x && !inclusive,
                _ => false,
            };
            if stop_before {
                break;
            }
            t.apply(r);
            if matches!(target, Target::Xid(x) if r.xid == *x) {
                break;
            }
        }
        t
    }

    #[test]
    fn the_table_at_a_point_is_the_plain_fold_of_its_records() {
        let mut rng = SimRng::derive(11, "pitr-table");
        let mut h = History::new(START);
        let (lsn, at) = grow(&mut h, 1, &mut rng, 5_000, START, SimTime::ZERO, 1000);
        h.branch(1, lsn / 2, 2, "test".into());
        grow(&mut h, 2, &mut rng, 2_000, lsn / 2, at, 90_000);
        for (tl, upto) in [(1, lsn / 3), (1, u64::MAX), (2, u64::MAX), (2, lsn / 4)] {
            let mut plain = Table::default();
            h.lineage(tl).into_iter().take_while(|r| r.lsn <= upto).for_each(|r| plain.apply(r));
            assert_eq!(h.table_at(tl, upto), plain, "timeline {tl} up to {upto}");
        }
    }

    #[test]
    fn restore_phases_follow_the_modelled_copy_and_replay_times() {
        let mut rng = SimRng::derive(7, "pitr-phase");
        let mut h = History::new(START);
        let (end, now) = grow(&mut h, 1, &mut rng, 400, START, SimTime(1_000_000), 1000);
        let mut a = archive_all(&h, 1, end);
        a.backups.push(backup("base-1", 1, START, START + 4096));
        let out = restore(&h, &a, &req(Target::Latest, true), now, &CLOCK, RATES).unwrap();
        // 1 GiB at 100 MiB/s is 10.24 s of copying; replay is the WAL span at 50 MiB/s.
        assert_eq!(out.load, SimDur(10_240_000));
        assert_eq!(out.replay, crate::postgres::replication::transfer(out.end_lsn - START, 50));
        assert_eq!(out.duration.0, out.load.0 + out.replay.0);
        assert_eq!(out.started, now);
        assert_eq!(out.phase(now), Phase::Loading(0));
        assert_eq!(out.phase(SimTime(now.0 + 5_120_000)), Phase::Loading(500));
        assert_eq!(out.phase(SimTime(now.0 + out.load.0)), Phase::Replaying(0));
        assert!(matches!(out.phase(SimTime(now.0 + out.load.0 + out.replay.0 / 2)), Phase::Replaying(p) if (499..=500).contains(&p)));
        assert_eq!(out.phase(SimTime(now.0 + out.duration.0)), Phase::Done);
    }

    #[test]
    fn restored_data_equals_the_committed_history_at_the_target() {
        let mut checked = 0;
        for seed in 0..60u64 {
            let mut rng = SimRng::derive(seed, "pitr-test");
            let mut h = History::new(START);
            let (end, now) = grow(&mut h, 1, &mut rng, 3000, START, SimTime(1_000_000), 1000);
            let mut a = archive_all(&h, 1, end);
            let recs = h.lineage(1);
            let b = recs[100].lsn;
            a.backups.push(backup("base-1", 1, START, b));
            let recs: Vec<&Record> = recs.into_iter().collect();
            for k in 0..20 {
                let r = recs[200 + rng.below(recs.len() as u64 - 200) as usize];
                let inclusive = k % 2 == 0;
                let target = match k % 3 {
                    0 => Target::Time(r.at),
                    1 => Target::Lsn(r.lsn),
                    _ => Target::Xid(r.xid),
                };
                if matches!(target, Target::Xid(_)) && matches!(r.op, Op::RestorePoint { .. }) {
                    continue;
                }
                let out = restore(&h, &a, &req(target.clone(), inclusive), now, &CLOCK, RATES).unwrap();
                assert_eq!(out.table, oracle(&recs, &target, inclusive), "seed {seed} target {target:?} inclusive {inclusive}");
                assert!(out.stopped_early.is_none());
                checked += 1;
            }
        }
        assert!(checked > 1000, "{checked} restores checked");
    }

    #[test]
    fn chained_restores_branch_timelines_with_history_lines() {
        let mut rng = SimRng::derive(1, "chain");
        let mut h = History::new(START);
        let (end, now) = grow(&mut h, 1, &mut rng, 2000, START, SimTime(1_000_000), 1000);
        let mut a = archive_all(&h, 1, end);
        a.backups.push(backup("base-1", 1, START, START + 1000));
        let mid = h.lineage(1)[1000].lsn;
        let o2 = restore(&h, &a, &req(Target::Lsn(mid), true), now, &CLOCK, RATES).unwrap();
        assert_eq!(o2.new_timeline, Some(2));
        assert_eq!(o2.history, format!("1\t{}\tafter LSN {}\n", Lsn(o2.end_lsn), Lsn(mid)));
        h.branch(1, o2.end_lsn, 2, o2.reason.clone());
        let (end2, now2) = grow(&mut h, 2, &mut rng, 500, o2.end_lsn, now, 9000);
        for (name, st) in archive_all(&h, 2, end2).segments {
            a.segments.insert(name, st);
        }
        let on2 = h.lineage(2)[1200].xid;
        let o3 = restore(&h, &a, &req(Target::Xid(on2), false), now2, &CLOCK, RATES).unwrap();
        assert_eq!(o3.timeline, 2);
        assert_eq!(o3.new_timeline, Some(3));
        let lines: Vec<&str> = o3.history.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("1\t"));
        assert_eq!(lines[1], format!("2\t{}\tbefore transaction {on2}", Lsn(o3.end_lsn)));
        // The switch segment is read from timeline 2's file, which PostgreSQL would pick.
        assert_eq!(h.segment_timeline(2, o2.end_lsn / SEGMENT_BYTES), 2);
        assert_eq!(h.segment_timeline(2, START / SEGMENT_BYTES), 1);
    }

    #[test]
    fn a_missing_segment_stops_recovery_early_and_says_where() {
        let mut rng = SimRng::derive(2, "missing");
        let mut h = History::new(START);
        let (end, now) = grow(&mut h, 1, &mut rng, 3000, START, SimTime(1_000_000), 1000);
        let mut a = archive_all(&h, 1, end);
        a.backups.push(backup("base-1", 1, START, START + 1000));
        let gap = Lsn(5 * SEGMENT_BYTES).segment_name(1);
        a.segments.insert(gap.clone(), SegmentState::Missing);
        let out = restore(&h, &a, &req(Target::Latest, true), now, &CLOCK, RATES).unwrap();
        let why = out.stopped_early.expect("stopped early");
        assert!(why.contains(&gap) && why.contains("missing"), "{why}");
        assert!(out.end_lsn <= 5 * SEGMENT_BYTES && out.end_lsn > 4 * SEGMENT_BYTES);
        assert_eq!(out.table, h.table_at(1, 5 * SEGMENT_BYTES));
        assert_eq!(out.segments_replayed, 5 - START / SEGMENT_BYTES);
    }

    #[test]
    fn bad_targets_are_refused_with_the_reason() {
        let mut rng = SimRng::derive(3, "bad");
        let mut h = History::new(START);
        let (end, now) = grow(&mut h, 1, &mut rng, 500, START, SimTime(1_000_000), 1000);
        let mut a = archive_all(&h, 1, end);
        let recs = h.lineage(1);
        a.backups.push(backup("nightly", 1, recs[200].lsn, recs[250].lsn));
        let early = recs[100].at;
        let e = restore(&h, &a, &req(Target::Time(early), true), now, &CLOCK, RATES).unwrap_err();
        assert!(e.message.contains("before the oldest usable base backup \"nightly\"") && e.kind == RefusalKind::Unrecoverable, "{e}");
        let e = restore(&h, &a, &req(Target::Time(SimTime(now.0 + 1)), true), now, &CLOCK, RATES).unwrap_err();
        assert!(e.message.contains("in the future") && e.kind == RefusalKind::TargetInFuture, "{e}");
        let e = restore(&h, &a, &Request { timeline: Some(7), ..req(Target::Latest, true) }, now, &CLOCK, RATES).unwrap_err();
        assert!(e.message.contains("timeline 7 does not exist (timelines: 1)") && e.kind == RefusalKind::NoSuchTimeline, "{e}");
        let e = restore(&h, &a, &req(Target::Name("nope".into()), true), now, &CLOCK, RATES).unwrap_err();
        assert!(e.message.contains("no restore point named \"nope\""), "{e}");
        a.backups[0].corrupt = true;
        let e = restore(&h, &a, &req(Target::Latest, true), now, &CLOCK, RATES).unwrap_err();
        assert_eq!(e.kind, RefusalKind::CorruptBackup, "{e}");
    }

    #[test]
    fn timestamps_print_like_timestamptz() {
        assert_eq!(CLOCK.timestamptz(SimTime((14 * 3600 + 3 * 60 + 17) * 1_000_000 + 250)), "2026-11-25 14:03:17.00025+00");
        assert_eq!(Clock { epoch_s: 951_782_400 }.timestamptz(SimTime::ZERO), "2000-02-29 00:00:00+00");
        let c = Clock::parse("2026-11-25T14:00:00Z").unwrap();
        assert_eq!(c.sim_time("2026-11-25 14:03:17.5").unwrap(), SimTime(197_500_000));
        assert_eq!(c.timestamptz(SimTime(197_500_000)), "2026-11-25 14:03:17.5+00");
        assert!(c.sim_time("2026-11-25 13:59:59").unwrap_err().contains("before the scenario starts"));
        assert!(Clock::parse("2026-13-01T00:00:00Z").is_err());
        assert!(Clock::parse("yesterday").is_err());
    }
}
