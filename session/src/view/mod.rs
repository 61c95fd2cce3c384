//! Plain-data views of a session for front ends (the `ide` layer): everything a page shows, as
//! `PartialEq` values, so a front end renders these and holds no simulation or domain logic, and
//! a component re-renders only when its part changed.
mod charts;
mod cluster;
mod goals;
mod panels;
mod pitr;
mod shard;

pub use charts::{Chart, ChartLine, MAX_POINTS};
pub use cluster::{ClusterView, NodeView, SlotView};
pub use goals::{number, Frame, Goal, GoalState, Outcomes};
pub use panels::{watches, Panel, ShardPanel, PANELS, SHARD_PANELS};
pub use pitr::{Aim, BackupMark, Gauge, PitrView, Preview, Progress, RestoredView, SegmentView, Snap, TargetKind, TimelineView};
pub use shard::{HeatCell, HeatmapView, KeyDot, MapRow, RingView, ShardMapView};
pub use sim_core::view::{ActionItem, Bar, Block, EventItem, Gauge as PanelGauge, PanelView, TierBox, TierView, Tone};

use crate::session::Session;
use sim_core::scenario::{Lesson, Watch};

/// The lesson's text: what it is about, what to watch (and the elements that show it), what it teaches.
#[derive(Clone, Debug, PartialEq)]
pub struct LessonView {
    pub file: String,
    pub seed: u64,
    pub title: String,
    pub summary: String,
    pub watch: Vec<Watch>,
    pub learn: Vec<String>,
}

pub use crate::elements::{check_element, elements};

impl LessonView {
    pub fn of(file: &str, seed: u64, l: &Lesson) -> LessonView {
        LessonView { file: file.to_string(), seed, title: l.title.clone(), summary: l.summary.trim().to_string(), watch: l.watch.clone(), learn: l.learn.clone() }
    }
}

/// Where the run stands, and the notable moments to tick on the scrubber.
#[derive(Clone, Debug, PartialEq)]
pub struct ClockView {
    pub now_ms: u64,
    pub end_ms: u64,
    pub marks: Vec<Mark>,
}

/// A crash, a failover, a command: a tick under the scrubber.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub at_ms: u64,
    pub text: String,
}

/// A challenge as the learner sees it: what to do, the hints, and how the attempt stands.
#[derive(Clone, Debug, PartialEq)]
pub struct ChallengeView {
    /// The course ability it proves ("fail over in under 30 s with Patroni").
    pub ability: &'static str,
    pub task: String,
    pub hints: Vec<String>,
    pub state: ChallengeState,
    /// The learner's own commands so far (the reference solution is never shown).
    pub commands: usize,
}

/// How a challenge attempt stands.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ChallengeState {
    /// The run has not reached its end, and no goal has failed yet.
    Open,
    /// The run reached its end with every goal met.
    Met,
    /// A goal failed: fork earlier or change the settings, and try again.
    Missed,
}

impl ChallengeView {
    /// The challenge `c` as it stands on `goals`; `ended` says whether the run has reached its
    /// end, `commands` how many of the learner's own it has.
    pub fn of(c: &sim_core::scenario::Challenge, goals: &[Goal], ended: bool, commands: usize) -> ChallengeView {
        ChallengeView { ability: c.ability.text(), task: c.task.clone(), hints: c.hints.clone(), state: ChallengeView::state_of(goals, ended), commands }
    }

    /// The attempt as it stands from the goals: met only when the run has ended with every goal
    /// met; missed as soon as one fails.
    pub fn state_of(goals: &[Goal], ended: bool) -> ChallengeState {
        if goals.iter().any(|g| matches!(g.state, GoalState::Failed)) {
            ChallengeState::Missed
        } else if ended && !goals.is_empty() && goals.iter().all(|g| g.state == GoalState::Met) {
            ChallengeState::Met
        } else {
            ChallengeState::Open
        }
    }
}

/// One invariant of the model and whether it has held.
#[derive(Clone, Debug, PartialEq)]
pub struct PropView {
    pub name: &'static str,
    /// An Always property that has failed: shown in red, because it is the lesson.
    pub violated: bool,
    pub holds: bool,
    pub detail: String,
}

impl PropView {
    pub fn mark(&self) -> &'static str {
        if self.violated {
            "✗"
        } else if self.holds {
            "✓"
        } else {
            "…"
        }
    }
}

/// A setting the learner can change, with its value now and, for a choice, its options.
#[derive(Clone, Debug, PartialEq)]
pub struct SettingView {
    pub key: &'static str,
    pub value: String,
    pub options: &'static [&'static str],
}

/// A group of settings the page offers (`sim_core::command::settings::GROUPS`), in order.
#[derive(Clone, Debug, PartialEq)]
pub struct SettingGroupView {
    pub name: &'static str,
    pub label: &'static str,
    /// Edited together and applied by one button as one command (a rule ties them), or one by one.
    pub together: bool,
    pub settings: Vec<SettingView>,
}

/// How many lines the event log shows.
pub const LOG_LINES: usize = 40;

impl Session {
    pub fn lesson_view(&self) -> LessonView {
        LessonView::of(&self.file, self.seed, self.lesson())
    }

    /// The lesson's challenge, if it is one, judged on `goals` (`Session::goals`).
    pub fn challenge_view(&self, goals: &[Goal]) -> Option<ChallengeView> {
        let c = self.scenario()?.challenge.as_ref()?;
        Some(ChallengeView::of(c, goals, self.now() >= self.end(), self.log.len()))
    }

    pub fn clock_view(&self) -> ClockView {
        let w = &self.world;
        let marks = w.notes().iter().filter(|n| n.kind.is_notable()).map(|n| Mark { at_ms: n.at_ms, text: n.text.clone() }).collect();
        ClockView { now_ms: w.now().as_ms(), end_ms: self.end().as_ms(), marks }
    }

    /// The lesson's goals: a figure is judged only at the end, a property once it is decided; a
    /// violation the lesson sets out to show reads so.
    /// `drill`: the last DR drill's results, when one has run (a drill verdict is judged on them).
    pub fn goals(&self, drill: Option<&Result<Vec<sim_core::drill::DrillResult>, String>>) -> Vec<Goal> {
        let w = &self.world;
        let ended = self.now() >= self.end();
        let results = match &self.source {
            crate::session::Source::Cluster(scn) => {
                let mut results = w.expectations(&scn.expect);
                results.extend(scn.expect.drill.map(|want| sim_core::drill::expectation(want, drill)));
                results
            }
            // A sharding lesson's figures are its whole run's: judged at the end.
            crate::session::Source::Sharded { lesson, judge } if ended => judge(lesson, w),
            crate::session::Source::Sharded { lesson: l, .. } => l
                .expect
                .keys()
                .map(|name| sim_core::report::ExpectResult { name: name.name(), ok: false, detail: "judged at the end of the run".into(), kind: sim_core::report::ExpectKind::AtEnd, figure: None })
                .collect(),
        };
        let frame = self.frame();
        results.iter().map(|r| Goal::of(r, ended, frame)).collect()
    }

    /// How the goals are read: a challenge's are the learner's to reach; a lesson's are what its
    /// run demonstrates, and once the learner changes the run, a comparison with that.
    pub fn frame(&self) -> Frame {
        let challenge = match &self.source {
            crate::session::Source::Cluster(scn) => scn.challenge.is_some(),
            crate::session::Source::Sharded { lesson, .. } => lesson.template.challenge.is_some(),
        };
        Frame::of(challenge, self.log.len())
    }

    /// The goals with their heading, which announces when the run has ended and they are judged.
    pub fn outcomes(&self, drill: Option<&Result<Vec<sim_core::drill::DrillResult>, String>>) -> Outcomes {
        Outcomes::of(self.goals(drill), self.frame(), self.now() >= self.end(), self.end().as_ms())
    }

    /// The model's invariants that bear on this lesson: `writes_blocked` (a commit waiting on
    /// synchronous replication) only where synchronous replication is set up or may be.
    pub fn properties(&self) -> Vec<PropView> {
        let sync = self.scenario().is_none_or(|s| {
            !s.postgres.synchronous_standby_names.trim().is_empty()
                || s.patroni.synchronous_mode
                || (s.offers("replication") && s.nodes.len() > 1)
                || s.expect.sometimes.iter().chain(&s.expect.always).chain(&s.expect.violated).any(|p| p == "writes_blocked")
        });
        self.world
            .invariants()
            .iter()
            .filter(|p| sync || p.name != sim_core::invariants::Prop::WritesBlocked.name())
            .map(|p| {
                // A property with nothing to report yet says what it promises.
                let detail = if p.detail.is_empty() { sim_core::invariants::Prop::parse(p.name).map_or("", |x| x.describe()).to_string() } else { p.detail.clone() };
                PropView { name: p.name, violated: matches!(p.kind, sim_core::invariants::PropKind::Always) && !p.holds, holds: p.holds, detail }
            })
            .collect()
    }

    /// The settings the page offers, by group: the lesson's groups (`[lesson] settings`) that
    /// its world has, each in the registry's order.
    pub fn settings_view(&self) -> Vec<SettingGroupView> {
        use sim_core::command::settings::{def, GROUPS};
        let now = self.world.current_settings();
        GROUPS
            .iter()
            .filter(|g| self.scenario().is_none_or(|s| s.offers(g.name)))
            .map(|g| SettingGroupView {
                name: g.name,
                label: g.label,
                together: g.together,
                settings: now.iter().filter_map(|(key, value)| def(key).filter(|d| d.group == g.name).map(|d| SettingView { key, value: value.clone(), options: d.options })).collect(),
            })
            .filter(|g| !g.settings.is_empty())
            .collect()
    }

    /// The newest event-log lines, newest first: notable moments, or (`all`) every recent event;
    /// only lines containing `filter` (any case).
    pub fn log_lines(&self, filter: &str, all: bool) -> Vec<String> {
        let w = &self.world;
        let needle = filter.to_ascii_lowercase();
        let keep = |line: &String| needle.is_empty() || line.to_ascii_lowercase().contains(&needle);
        if all {
            w.recent().rev().map(|e| w.render(e)).filter(keep).take(LOG_LINES).collect()
        } else {
            w.notes().iter().rev().map(|n| w.render_note(n)).filter(keep).take(LOG_LINES).collect()
        }
    }

    pub fn cluster_view(&self) -> ClusterView {
        ClusterView::of(&self.world)
    }

    /// Each component's panel (a pooling lesson's connection pool and the primary's gauges).
    pub fn panels(&self) -> Vec<PanelView> {
        self.world.component_panels()
    }

    pub fn charts(&self) -> Vec<Chart> {
        charts::all(&self.world)
    }

    /// The backup panel, with the recovery target the learner is aiming at.
    pub fn pitr_view(&self, aim: &Aim) -> Option<PitrView> {
        let sla = self.scenario()?.drill.clone().unwrap_or_default();
        pitr::view(&self.world, aim, sla.rpo.0.as_ms(), sla.rto.0.as_ms())
    }
}

/// A duration in milliseconds as a person writes it.
fn human_ms(ms: u64) -> String {
    sim_core::SimDur::ms(ms).human()
}
