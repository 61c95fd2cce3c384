//! Disaster-recovery drills: run a scenario's backup strategy against each disaster in its
//! `[drill]` section and measure RPO and RTO the way clients and operators would see them.
use crate::command::Command;
use crate::pitr::{Request, Target, TargetAction};
use crate::report::{ExpectKind, ExpectResult};
use crate::scenario::{DrillCfg, DrillVerdict, Scenario};
use crate::time::{SimDur, SimTime};
use crate::world::World;
use serde::Serialize;

/// Time allowed after a disaster for Patroni to fail over before falling back to a restore.
const SETTLE: SimDur = SimDur::secs(120);

/// One disaster's verdict.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DrillResult {
    pub disaster: String,
    /// `failover`, `restore`, or `none` (the data is gone).
    pub recovered_by: String,
    /// `None`: unbounded (nothing could be recovered).
    pub rpo_ms: Option<u64>,
    pub rto_ms: Option<u64>,
    pub rpo_met: bool,
    pub rto_met: bool,
    pub detail: Vec<String>,
}

/// Runs every disaster of the scenario's `[drill]` on a fresh world each.
pub fn run(scn: &Scenario, seed: u64) -> Result<Vec<DrillResult>, String> {
    Drill::new(scn, seed)?.finish()
}

/// A drill run in slices, so a page can show its progress and never freeze: each `step` runs at
/// most a given number of simulation events. The verdicts are those of [`run`].
#[derive(Clone, Debug)]
pub struct Drill {
    scn: Scenario,
    seed: u64,
    cfg: DrillCfg,
    current: Option<Strike>,
    pub results: Vec<DrillResult>,
    /// What runs its worlds forward.
    run: crate::world::Runner,
}

/// The disaster being drilled: its world and where it stands.
#[derive(Clone, Debug)]
struct Strike {
    w: World,
    stage: Stage,
    name: String,
    region: String,
    detail: Vec<String>,
    struck: SimTime,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Stage {
    /// Running to the moment the disaster strikes.
    Before,
    /// `archive_failure`: the archive failing before the disk dies.
    ArchiveFailing,
    /// After the strike: Patroni's time to fail over.
    Settling,
    /// An operator error noticed: `pg_switch_wal()` on the primary sends the segment holding the
    /// mistake to the archive, as a DBA does before restoring to just before it.
    Archiving,
}

/// How long the drill waits for the switched segment to reach the archive, beyond `archive_latency`.
const ARCHIVE_WAIT: SimDur = SimDur::secs(5);

impl Drill {
    fn archive_wait(&self) -> SimDur {
        let latency = self.scn.backup.as_ref().map_or(SimDur::ZERO, |b| b.archive_latency.0);
        SimDur(latency.0 + ARCHIVE_WAIT.0)
    }

    pub fn new(scn: &Scenario, seed: u64) -> Result<Drill, String> {
        Drill::with_runner(scn, seed, World::run_for)
    }

    /// A drill whose worlds `run` runs (a page hands it its fast copy of the event loop).
    pub fn with_runner(scn: &Scenario, seed: u64, run: crate::world::Runner) -> Result<Drill, String> {
        let cfg = scn.drill.clone().ok_or("this scenario has no [drill] section")?;
        if scn.backup.is_none() {
            return Err("a drill needs a [backup] section (the strategy under test)".into());
        }
        Ok(Drill { scn: scn.clone(), seed, cfg, current: None, results: Vec::new(), run })
    }

    /// Runs every disaster still to judge, at once.
    pub fn finish(mut self) -> Result<Vec<DrillResult>, String> {
        while !self.step(u64::MAX)? {}
        Ok(self.results)
    }

    /// Disasters judged so far, and in all.
    pub fn progress(&self) -> (usize, usize) {
        (self.results.len(), self.cfg.disasters.len())
    }

    /// Runs at most about `budget` events; `Ok(true)` once every disaster is judged.
    pub fn step(&mut self, budget: u64) -> Result<bool, String> {
        let Some(disaster) = self.cfg.disasters.get(self.results.len()).cloned() else { return Ok(true) };
        let at = SimTime(self.cfg.at.0 .0);
        let archive_wait = self.archive_wait();
        let cur = match &mut self.current {
            Some(c) => c,
            None => {
                let w = World::new(&self.scn, self.seed).map_err(|e| e.message)?;
                self.current.insert(Strike { w, stage: Stage::Before, name: String::new(), region: String::new(), detail: Vec::new(), struck: at })
            }
        };
        let target = match cur.stage {
            Stage::Before => at,
            Stage::ArchiveFailing => SimTime(at.0 + self.cfg.archive_failure_for.0 .0).min(cur.w.end()),
            Stage::Settling => SimTime(cur.struck.0 + SETTLE.0).min(cur.w.end()),
            Stage::Archiving => SimTime(cur.struck.0 + SETTLE.0 + archive_wait.0).min(cur.w.end()),
        };
        if !(self.run)(&mut cur.w, target, budget).map_err(|e| e.to_string())? {
            return Ok(false);
        }
        let strike = |w: &mut World, c: Command| w.schedule(w.now(), c).map_err(|e| e.message);
        match cur.stage {
            Stage::Before => {
                let primary = cur.w.writable_primary().ok_or(format!("{disaster}: there is no writable primary at {at} to strike"))?;
                cur.name = cur.w.nodes()[primary as usize].name.clone();
                cur.region = cur.w.nodes()[primary as usize].region.clone();
                let name = cur.name.clone();
                match disaster.as_str() {
                    "operator_error" => strike(&mut cur.w, Command::OperatorError { kind: "drop_table".into() })?,
                    "primary_disk" => strike(&mut cur.w, Command::DestroyDisk { node: name })?,
                    "region" => strike(&mut cur.w, Command::LoseRegion { region: cur.region.clone() })?,
                    "archive_failure" => {
                        strike(&mut cur.w, Command::ArchiveFail {})?;
                        cur.stage = Stage::ArchiveFailing;
                        return Ok(false);
                    }
                    "corrupt_backup" => {
                        strike(&mut cur.w, Command::CorruptBackup { label: String::new() })?;
                        strike(&mut cur.w, Command::DestroyDisk { node: name })?;
                    }
                    other => return Err(format!("unknown disaster `{other}` (operator_error, primary_disk, region, archive_failure, corrupt_backup)")),
                }
                cur.struck = cur.w.now();
                cur.stage = Stage::Settling;
                Ok(false)
            }
            Stage::ArchiveFailing => {
                cur.detail.push(format!("archive_command failed for {}, then the primary's disk died", self.cfg.archive_failure_for.0));
                strike(&mut cur.w, Command::DestroyDisk { node: cur.name.clone() })?;
                cur.struck = cur.w.now();
                cur.stage = Stage::Settling;
                Ok(false)
            }
            Stage::Settling if disaster == "operator_error" => {
                let how = if cur.w.operator_switch_wal() {
                    "pg_switch_wal() on the primary sends the segment holding the mistake to the archive"
                } else {
                    "the primary has written no WAL since its last segment switch, so the archive already holds the mistake"
                };
                cur.detail.push(format!("noticed {} after it: {how}", SETTLE.human()));
                cur.stage = Stage::Archiving;
                Ok(false)
            }
            Stage::Settling | Stage::Archiving => {
                let Some(Strike { w, mut detail, region, struck, .. }) = self.current.take() else { return Ok(false) };
                let mut r = if disaster != "operator_error" && w.writable_primary().is_some() && w.failovers_since(struck) > 0 {
                    by_failover(&w, &mut detail)
                } else {
                    by_restore(&w, &disaster, &self.cfg, &region, &mut detail, w.now().since(struck))
                };
                if disaster == "corrupt_backup" && r.recovered_by == "failover" {
                    detail.push("the corrupt base backup was not needed, so it stays undetected until a restore test".into());
                }
                r.disaster = disaster;
                r.rpo_met = r.rpo_ms.is_some_and(|x| x <= self.cfg.rpo.0.as_ms());
                r.rto_met = r.rto_ms.is_some_and(|x| x <= self.cfg.rto.0.as_ms());
                r.detail = detail;
                self.results.push(r);
                Ok(self.results.len() == self.cfg.disasters.len())
            }
        }
    }
}

fn blank(by: &str) -> DrillResult {
    DrillResult { disaster: String::new(), recovered_by: by.into(), rpo_ms: None, rto_ms: None, rpo_met: false, rto_met: false, detail: Vec::new() }
}

/// A standby took over: RPO and RTO as the clients saw them.
fn by_failover(w: &World, detail: &mut Vec<String>) -> DrillResult {
    let m = w.run_metrics();
    let f = m.failovers.last();
    let rto = f.and_then(|f| f.unavailable_ms);
    detail.push(format!("Patroni promoted {} (timeline {})", f.map_or("?", |f| f.to.as_str()), f.map_or(0, |f| f.timeline)));
    detail.push(format!("{} acknowledged commits lost", m.commits_lost));
    DrillResult { rpo_ms: Some(m.rpo_ms), rto_ms: rto, ..blank("failover") }
}

/// No standby could take over (or the data itself is wrong): restore from backup and archive.
fn by_restore(w: &World, disaster: &str, cfg: &DrillCfg, region: &str, detail: &mut Vec<String>, since_strike: SimDur) -> DrillResult {
    let Some(b) = w.backups() else { return blank("none") };
    if disaster == "region" && !cfg.cross_region_copy && b.cfg.archive {
        detail.push(format!("the backups and the WAL archive were in {region}, which is gone: nothing to restore"));
        return blank("none");
    }
    let target = if disaster == "operator_error" { Target::Xid(w.last_operator_xid().unwrap_or(0)) } else { Target::Latest };
    let req = Request { target, inclusive: false, timeline: None, action: TargetAction::Promote };
    let rates = b.rates();
    let mut archive = b.archive.clone();
    loop {
        match crate::pitr::restore(w.history(), &archive, &req, w.now(), &b.clock, rates) {
            Ok(out) => {
                // An operator error is noticed SETTLE after it and its segment archived before
                // the restore starts; a lost server is restored at once.
                let wait = if disaster == "operator_error" { since_strike } else { SimDur::ZERO };
                detail.extend(out.log.iter().cloned());
                let rto = wait.0.saturating_add(out.duration.0) / 1000;
                return DrillResult { rpo_ms: Some(out.rpo.0 / 1000), rto_ms: Some(rto), ..blank("restore") };
            }
            Err(e) if e.kind == crate::pitr::RefusalKind::CorruptBackup => {
                detail.push(format!("restore failed: {e}"));
                let Some(i) = archive.backups.iter().rposition(|x| x.corrupt) else { return blank("none") };
                archive.backups.remove(i);
                detail.push("retrying with the previous base backup".into());
            }
            Err(e) => {
                detail.push(format!("restore impossible: {e}"));
                return blank("none");
            }
        }
    }
}

/// The drill's verdict as one of the lesson's goals (`[expect] drill = "meets"` or `"misses"`);
/// `results` is `None` until a drill has run.
pub fn expectation(want: DrillVerdict, results: Option<&Result<Vec<DrillResult>, String>>) -> ExpectResult {
    let name = "drill_sla".to_string();
    let rows = match results {
        None => return ExpectResult { name, ok: false, detail: "judged when a DR drill runs (\"Run a DR drill\")".into(), kind: ExpectKind::DrillNotRun, figure: None },
        Some(Err(e)) => return ExpectResult { name, ok: false, detail: e.clone(), kind: ExpectKind::Drill, figure: None },
        Some(Ok(rows)) => rows,
    };
    let human = |v: Option<u64>| v.map_or("unbounded".to_string(), |ms| SimDur::ms(ms).human());
    let missed: Vec<String> = rows
        .iter()
        .filter(|d| !(d.rpo_met && d.rto_met))
        .map(|d| format!("{} (RPO {}{}, RTO {}{})", d.disaster, human(d.rpo_ms), if d.rpo_met { "" } else { " over" }, human(d.rto_ms), if d.rto_met { "" } else { " over" }))
        .collect();
    let detail = if missed.is_empty() { format!("all {} disasters within the SLA", rows.len()) } else { format!("missed by {}", missed.join(", ")) };
    match want {
        DrillVerdict::Meets => ExpectResult { name, ok: missed.is_empty(), detail, kind: ExpectKind::Drill, figure: None },
        DrillVerdict::Misses => ExpectResult { name, ok: !missed.is_empty(), detail, kind: ExpectKind::DrillMissed, figure: None },
    }
}

/// Runs the drill of a lesson that states a drill verdict, and judges it.
pub fn judge(scn: &Scenario, seed: u64) -> Option<ExpectResult> {
    let want = scn.expect.drill?;
    Some(expectation(want, Some(&run(scn, seed))))
}
