//! The migration component's place in the world when the `migrate` feature is off (the page
//! modules but `migrate.html`'s): the same methods as `migrate.rs`, doing nothing, so nothing
//! reaches the component's code. A lesson with `[migration]` is refused before a world is built
//! (`scenario::validate`), so none of them is ever asked to do more.
use crate::base::{CommandError, CommandErrorKind};
use crate::event::Origin;
use crate::time::SimDur;
use crate::trace::{TraceKind, NO_NODE};
use crate::world::World;

/// What a migration command meets in a module without the component.
fn refused() -> Result<(), CommandError> {
    Err(CommandError::new(CommandErrorKind::Refused, crate::command::check::NO_MIGRATION))
}

impl World {
    pub(crate) fn start_migration(&mut self, _: &crate::migrate::MigrationCfg, _: u64) {}

    pub(crate) fn session_granted(&mut self, n: u16, s: u32, gen: u32) {
        self.release_locks(n, Origin::Session { s, gen });
    }

    pub(crate) fn on_migration_event(&mut self, _: crate::migrate::MigEv) -> (TraceKind, u16, u64, u64) {
        (TraceKind::Sample, NO_NODE, 0, 0)
    }

    pub(crate) fn run_ddl(&mut self, _: &str) -> Result<(), CommandError> {
        refused()
    }

    pub(crate) fn long_transaction(&mut self, _: &str, _: SimDur, _: bool) -> Result<(), CommandError> {
        refused()
    }

    pub(crate) fn backfill(&mut self, _: &str, _: &str, _: u64, _: SimDur) -> Result<(), CommandError> {
        refused()
    }

    pub(crate) fn signal_backend(&mut self, _: u32, _: bool) -> Result<(), CommandError> {
        refused()
    }

    pub(crate) fn deploy(&mut self, _: &str, _: SimDur) -> Result<(), CommandError> {
        refused()
    }

    pub(crate) fn pgroll(&mut self, _: Option<(&str, &str, &str, &str)>, _: bool) -> Result<(), CommandError> {
        refused()
    }

    #[inline(always)]
    pub(crate) fn migration_second(&mut self) {}

    #[inline(always)]
    pub(crate) fn migration_node_down(&mut self, _: u16) {}

    #[inline(always)]
    pub(crate) fn version_arrived(&mut self, _: Origin) {}

    #[inline(always)]
    pub(crate) fn version_refuses(&mut self, _: u16, _: &crate::pipeline::Job) -> bool {
        false
    }

    #[inline(always)]
    pub(crate) fn withdraw_row_wait(&mut self, _: Origin) {}

    #[inline(always)]
    pub(crate) fn version_answered(&mut self, _: Origin, _: u8) {}

    #[inline(always)]
    pub(crate) fn migration_charts(&self, _: f64) -> Option<Vec<crate::view::Chart>> {
        None
    }

    #[inline(always)]
    pub(crate) fn set_migration_setting(&mut self, _: &crate::command::Setting) {}

    #[inline(always)]
    pub(crate) fn migration_setting(&self, _: &str) -> Option<crate::base::settings::Value> {
        None
    }

    #[inline(always)]
    pub fn migration_report(&self) -> Option<crate::migrate::view::MigrationReport> {
        None
    }
}

#[cfg(test)]
mod tests {
    /// A module without the component refuses a migration lesson where it is loaded, naming its
    /// section and the page that runs it; a lesson without one runs as before.
    #[test]
    fn a_migration_lesson_is_refused_at_its_section() {
        let src = "[lesson]\ntitle = \"t\"\n[run]\nduration = \"10s\"\n[[nodes]]\nname = \"pg1\"\n[workload]\nclients = 2\nwrite_tps = 10\n[migration]\ncolumns = [\"email text\"]\n";
        let e = crate::load("m.toml", src, None).expect_err("refused");
        let text = e.to_string();
        assert!(text.contains("m.toml:10:") && text.contains("migration") && text.contains("migrate.html"), "{text}");
        let plain = src.replace("[migration]\ncolumns = [\"email text\"]\n", "");
        let (_, mut w) = crate::load("p.toml", &plain, None).expect("a lesson without [migration] runs");
        w.run_until(crate::SimTime(10_000_000)).unwrap();
        assert!(w.migration_report().is_none() && w.lock_counts() == (0, 0));
    }
}
