//! The panels of the cluster page and of its embedded widget: one list, in the order both show
//! them, each naming the lesson elements (the `shows` of `watch` items) it holds. A compact widget
//! shows the panels a reader needs to play the lesson, and every panel a watch item points at.
//! The sharding page and its widget have their own list (`ShardPanel`), built the same way.
use super::LessonView;
use sim_core::scenario::Watch;

/// A panel of the cluster page.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Panel {
    /// A challenge's task, hints and verdict (challenges only).
    Challenge,
    /// The lesson's text and goals.
    Lesson,
    /// Play, pause, speed and the scrubber.
    Time,
    /// The cluster diagram (or, in a pooling lesson, the app tier, PgBouncer and the primary).
    Diagram,
    /// The selected node's or link's failures.
    Actions,
    /// The settings the lesson offers.
    Settings,
    /// Backups, WAL archive, PITR and the DR drill (lessons with `[backup]`).
    Pitr,
    /// Each component's own panel (`sim_core::world::components`): a pooling lesson's
    /// connection pool and the primary's gauges.
    Components,
    /// The charts.
    Charts,
    /// The invariants.
    Properties,
    /// The event log.
    Log,
}

/// Every panel, in the order the page and the widget show them.
pub const PANELS: [Panel; 11] =
    [Panel::Challenge, Panel::Lesson, Panel::Time, Panel::Diagram, Panel::Actions, Panel::Settings, Panel::Pitr, Panel::Components, Panel::Charts, Panel::Properties, Panel::Log];

impl Panel {
    /// The lesson elements this panel shows (names of `elements()`, without a node): its own,
    /// and for the components' panel and the charts, those the components register.
    pub fn elements(self) -> Vec<&'static str> {
        let of_components = |chart: bool| sim_core::world::components::ELEMENTS.iter().flat_map(|c| c.iter()).filter(move |e| e.chart == chart).map(|e| e.name);
        let own: &[&str] = match self {
            Panel::Lesson => &["goals"],
            Panel::Diagram => &["ttl-countdown", "sync-state", "slot", "disk", "node", "failover-window", "writes", "proxy"],
            Panel::Pitr => &["wal-strip", "pitr-preview", "timeline-tree", "restored-table", "sla-gauges", "drill-table"],
            Panel::Components => return of_components(false).collect(),
            Panel::Charts => return ["chart-throughput", "chart-latency", "chart-lag", "chart-lag-bytes", "chart-lost"].into_iter().chain(of_components(true)).collect(),
            Panel::Properties => &["invariants"],
            Panel::Log => &["log"],
            Panel::Challenge | Panel::Time | Panel::Actions | Panel::Settings => &[],
        };
        own.to_vec()
    }

    /// Whether a compact widget shows this panel though no watch item points at it: what a
    /// reader needs to play the lesson and see what happens.
    fn always(self) -> bool {
        matches!(self, Panel::Challenge | Panel::Lesson | Panel::Time | Panel::Diagram | Panel::Actions)
    }

    /// The panels to show, in order: all of them on the page and in a full widget (`full`); in a
    /// compact one, those a reader needs to play, and those holding an element the lesson's
    /// watch items name. (A panel whose view a lesson lacks, such as `Pitr` without `[backup]`,
    /// shows nothing wherever it is listed.)
    pub fn shown(lesson: &LessonView, full: bool) -> Vec<Panel> {
        PANELS.into_iter().filter(|p| full || p.always() || p.elements().iter().any(|e| lesson.watches(e))).collect()
    }
}

impl LessonView {
    /// Whether a watch item points at `element` (for a node's element, on any node).
    pub fn watches(&self, element: &str) -> bool {
        watches(&self.watch, element)
    }
}

/// Whether one of `watch`'s items points at `element` (for a node's element, on any node).
pub fn watches(watch: &[Watch], element: &str) -> bool {
    watch.iter().flat_map(|w| &w.shows).any(|s| s.split(':').next() == Some(element))
}

/// A panel of the sharding page (a sharding lesson's run, computed to its end).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ShardPanel {
    /// A sharded challenge's task, hints and verdict.
    Challenge,
    /// The lesson's text and goals.
    Lesson,
    /// Placement, shard key, shard count, reshards and the time cursor.
    Controls,
    /// The placement drawn (ring, ranges or buckets) and the shard map.
    Shards,
    /// Routing a query: the shards it touches, and why.
    Route,
    /// Per-shard load each second.
    Heatmap,
    /// Each online reshard's phases.
    Reshards,
    /// Each shard's Patroni cluster (lessons with `[replication]`).
    ShardHa,
    /// What the run found, line by line.
    Findings,
}

/// Every sharding panel, in the order the page and the widget show them.
pub const SHARD_PANELS: [ShardPanel; 9] =
    [ShardPanel::Challenge, ShardPanel::Lesson, ShardPanel::Controls, ShardPanel::Shards, ShardPanel::Route, ShardPanel::Heatmap, ShardPanel::Reshards, ShardPanel::ShardHa, ShardPanel::Findings];

impl ShardPanel {
    /// The lesson elements this panel shows (names of `elements()`).
    pub fn elements(self) -> &'static [&'static str] {
        match self {
            ShardPanel::Lesson => &["goals"],
            ShardPanel::Shards => &["hash-ring", "shard-map"],
            ShardPanel::Heatmap => &["heatmap"],
            ShardPanel::Reshards => &["reshard-progress"],
            ShardPanel::ShardHa => &["shard-ha"],
            ShardPanel::Findings => &["findings"],
            ShardPanel::Challenge | ShardPanel::Controls | ShardPanel::Route => &[],
        }
    }

    /// Whether a widget shows this panel open (a compact one folds the rest under their names;
    /// the page and a full widget show every panel open): those a reader needs to play the
    /// lesson and see its load, and those holding an element the lesson's watch items name.
    pub fn open(self, watch: &[Watch], full: bool) -> bool {
        let play = !matches!(self, ShardPanel::Route | ShardPanel::ShardHa | ShardPanel::Findings);
        full || play || self.elements().iter().any(|e| watches(watch, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::elements;

    /// A lesson may point at any element of `elements()`: each is shown by exactly one panel, so
    /// the widget that shows a lesson's watched panels shows what its watch items name.
    #[test]
    fn every_element_a_lesson_may_name_is_in_exactly_one_panel() {
        for (name, _) in elements() {
            let base = name.split(':').next().unwrap();
            let holders: Vec<Panel> = PANELS.into_iter().filter(|p| p.elements().contains(&base)).collect();
            // Each element is on the cluster page or the sharding page (`goals` on both).
            let sharding: Vec<ShardPanel> = SHARD_PANELS.into_iter().filter(|p| p.elements().contains(&base)).collect();
            assert!(holders.len() <= 1 && sharding.len() <= 1, "{base} is shown by {holders:?} and {sharding:?}");
            assert!(holders.len() + sharding.len() >= 1, "{base} is shown by no panel");
        }
        let named = PANELS.iter().flat_map(|p| p.elements()).chain(SHARD_PANELS.iter().flat_map(|p| p.elements().iter().copied()));
        for e in named {
            assert!(elements().any(|(n, _)| n.split(':').next() == Some(e)), "a panel names {e}, which no lesson can point at");
        }
    }

    #[test]
    fn a_compact_sharding_widget_opens_what_its_watch_items_name() {
        let watch = |shows: &[&str]| vec![Watch { text: String::new(), shows: shows.iter().map(|s| s.to_string()).collect() }];
        let open = |w: &[Watch], full| SHARD_PANELS.into_iter().filter(|p| p.open(w, full)).collect::<Vec<_>>();
        let play = vec![ShardPanel::Challenge, ShardPanel::Lesson, ShardPanel::Controls, ShardPanel::Shards, ShardPanel::Heatmap, ShardPanel::Reshards];
        assert_eq!(open(&watch(&["heatmap"]), false), play);
        assert_eq!(open(&watch(&["shard-ha"]), false), [play[..6].to_vec(), vec![ShardPanel::ShardHa]].concat());
        assert_eq!(open(&watch(&["findings"]), false).last(), Some(&ShardPanel::Findings));
        assert_eq!(open(&watch(&[]), true), SHARD_PANELS.to_vec());
    }

    #[test]
    fn a_compact_widget_shows_the_panels_its_watch_items_name() {
        let lesson = |shows: &[&str]| LessonView {
            file: String::new(),
            seed: 1,
            title: String::new(),
            summary: String::new(),
            watch: vec![sim_core::scenario::Watch { text: String::new(), shows: shows.iter().map(|s| s.to_string()).collect() }],
            learn: vec![],
        };
        let base = vec![Panel::Challenge, Panel::Lesson, Panel::Time, Panel::Diagram, Panel::Actions];
        assert_eq!(Panel::shown(&lesson(&["ttl-countdown", "disk:pg2"]), false), base);
        assert_eq!(Panel::shown(&lesson(&["pool", "chart-pool"]), false), [base.clone(), vec![Panel::Components, Panel::Charts]].concat());
        assert_eq!(Panel::shown(&lesson(&["log", "wal-strip"]), false), [base, vec![Panel::Pitr, Panel::Log]].concat());
        assert_eq!(Panel::shown(&lesson(&[]), true), PANELS.to_vec());
    }
}
