//! The one list of the world's optional components (each wired in its own file beside this
//! one, `pool.rs` for pooling): how each starts, its events by tag, the facts it follows, and
//! what it shows (its view, charts, figures and page elements). A handler states a fact
//! (`broadcast`); it does not call the components that care. A new component adds its line to
//! each list here, and the layers above (the session, the pages, the CLI, the golden summaries)
//! show it without naming it.
use crate::event::{CompEv, Fact, Sched};
use crate::postgres::Role;
use crate::scenario::Scenario;
use crate::trace::{TraceKind, NO_NODE};
use crate::view::{Chart, ComponentReport, Element, PanelView, TierView};
use crate::world::World;

/// The optional components a cluster holds, each built only when its lesson's sections ask for it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Components {
    /// The app tier, PgBouncer and the backends' costs (`[pooling]`).
    pub(crate) pool: Option<Box<crate::pool::Pool>>,
    /// The migration's schema and sessions (`[migration]`); its lock table is the request
    /// pipeline's lock stage (`Cluster::locks`).
    #[cfg(feature = "migrate")]
    pub(crate) migrate: Option<Box<crate::migrate::Migration>>,
}

/// The page elements each component's view holds, which a lesson's `watch` items may name.
pub const ELEMENTS: &[&[Element]] = &[crate::pool::view::ELEMENTS, crate::migrate::view::ELEMENTS];

impl World {
    /// Starts the components a lesson's sections ask for.
    pub(crate) fn start_components(&mut self, scn: &Scenario) {
        if let Some(p) = &scn.pooling {
            self.start_pool(p, scn.postgres.max_connections);
        }
        if let Some(m) = &scn.migration {
            self.start_migration(m, scn.workload.keys);
        }
    }

    /// A component's own event, handed to it by its tag; its trace line. Always inlined into the
    /// world's step: as a plain `#[inline]` call, LLVM inlined less of the step around it and the
    /// reference run (which has no component events) ran 7 % slower natively.
    #[inline(always)]
    pub(crate) fn on_component_event(&mut self, e: CompEv) -> (TraceKind, u16, u64, u64) {
        match e.tag {
            crate::pool::event::TAG => self.on_pool_event(crate::pool::PoolEv::decode(e)),
            crate::migrate::event::TAG => self.on_migration_event(crate::migrate::MigEv::decode(e)),
            // A tag nobody schedules.
            _ => (TraceKind::Sample, NO_NODE, 0, 0),
        }
    }

    /// Each component's panel now, in this order.
    pub fn component_panels(&self) -> Vec<PanelView> {
        [self.pool_report().map(|p| p.panel()), self.migration_report().map(|m| m.panel())].into_iter().flatten().collect()
    }

    /// The boxes a component draws in the clients' place in the cluster diagram, if one does.
    pub fn component_tier(&self) -> Option<TierView> {
        self.pool_report().map(|p| p.tier(self.writes_unavailable_ms()))
    }

    /// Each component in the run's report (its lines and figures), in the same order.
    pub fn component_reports(&self) -> Vec<ComponentReport> {
        [self.pool_report().map(|p| p.component_report()), self.migration_report().map(|m| m.component_report())].into_iter().flatten().collect()
    }

    /// The components' charts, and whether they replace the commits' charts (a pooling
    /// lesson's requests, queues, waits and backends do; a migration's versions come after them).
    pub fn component_charts(&self) -> (bool, Vec<Chart>) {
        let end_s = self.end().as_ms() as f64 / 1000.0;
        let pool = self.c.comps.pool.as_deref().map(|p| crate::pool::view::charts(p.series(), end_s));
        let versions = self.migration_charts(end_s);
        (pool.is_some(), pool.into_iter().chain(versions).flatten().collect())
    }

    /// The figure a component registers under `name` (for `[expect.metrics]`), if one does.
    pub fn component_figure(&self, name: &str) -> Option<f64> {
        self.pool_report().and_then(|p| p.figure(name)).or_else(|| self.migration_report()?.figure(name))
    }

    /// Hands a changed setting to the optional component that owns it (PgBouncer's RELOAD).
    pub(crate) fn set_component_setting(&mut self, s: &crate::command::Setting) {
        if s.group() == "pgbouncer" {
            self.with_pool(|p, q, _, _, w| p.set(s, q, w));
        }
        if s.group() == "migration" {
            self.set_migration_setting(s);
        }
    }

    /// A component's setting `name` as it stands now, read back by the component that owns it.
    pub(crate) fn component_setting(&self, name: &str) -> Option<crate::base::settings::Value> {
        let pool = self.c.comps.pool.as_deref().and_then(|p| p.bouncer_cfg()).and_then(|b| crate::pool::cfg::read(b, name));
        pool.or_else(|| self.migration_setting(name))
    }

    /// Hands `f` to every component that follows it, in this order: the committed history, the
    /// archiver, PgBouncer, the migration (a backend down takes its locks and sessions).
    #[inline]
    pub(crate) fn broadcast(&mut self, f: Fact) {
        self.c.committed.on_fact(&f);
        if let Some(b) = self.c.backups.as_deref_mut() {
            let mut s = Sched { now: self.now, k: self.active, q: &mut self.q, error: &mut self.error };
            let hold = b.on_fact(&f, &mut s);
            if let (Some(hold), Fact::Flushed { n, .. }) = (hold, f) {
                self.c.nodes[n as usize].archive_hold = hold;
            }
        }
        self.with_pool(|p, s, _, hosts, w| p.on_fact(&f, s, hosts, w));
        match f {
            Fact::BackendDown { n } => self.migration_node_down(n),
            Fact::Second => self.migration_second(),
            _ => {}
        }
    }

    /// The fact of node `n`'s flush, as its WAL positions stand now.
    #[inline]
    pub(crate) fn flushed_fact(&self, n: u16) -> Fact {
        let node = &self.c.nodes[n as usize];
        Fact::Flushed { n, tl: node.tl, flush: node.flush_lsn, primary: node.role == Role::Primary }
    }
}
