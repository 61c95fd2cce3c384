//! The migration component's events, which it schedules through a `Sched` and the world hands back
//! to its handlers (`world/migrate.rs`). The queue carries them as a `CompEv` under [`TAG`].
use crate::event::{CompEv, Ev};

/// The migration component's tag on the events the queue carries for it.
pub(crate) const TAG: u8 = 2;

/// Each names a session and the attempt (`gen`) it belongs to: a later attempt makes it stale.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum MigEv {
    /// `lock_timeout` has passed since the statement began to wait.
    LockTimeout { s: u32, gen: u32 },
    /// `statement_timeout` has passed since the statement began.
    StatementTimeout { s: u32, gen: u32 },
    /// The statement's current phase of work is done.
    PhaseDone { s: u32, gen: u32 },
    /// The retry policy's wait is over: the statement runs again.
    Retry { s: u32, gen: u32 },
    /// A long-running transaction commits.
    End { s: u32, gen: u32 },
    /// A CREATE INDEX CONCURRENTLY looks again at the transactions it waits for.
    Poll { s: u32, gen: u32 },
}

impl From<MigEv> for Ev {
    #[inline]
    fn from(e: MigEv) -> Ev {
        let (kind, a, b) = match e {
            MigEv::LockTimeout { s, gen } => (0, s, gen),
            MigEv::StatementTimeout { s, gen } => (1, s, gen),
            MigEv::PhaseDone { s, gen } => (2, s, gen),
            MigEv::Retry { s, gen } => (3, s, gen),
            MigEv::End { s, gen } => (4, s, gen),
            MigEv::Poll { s, gen } => (5, s, gen),
        };
        Ev::Comp(CompEv { tag: TAG, kind, a, b })
    }
}

impl MigEv {
    /// The event a `CompEv` under [`TAG`] carries (only `From<MigEv>` makes them).
    pub(crate) fn decode(e: CompEv) -> MigEv {
        debug_assert_eq!(e.tag, TAG);
        let (s, gen) = (e.a, e.b);
        match e.kind {
            0 => MigEv::LockTimeout { s, gen },
            1 => MigEv::StatementTimeout { s, gen },
            2 => MigEv::PhaseDone { s, gen },
            3 => MigEv::Retry { s, gen },
            4 => MigEv::End { s, gen },
            _ => MigEv::Poll { s, gen },
        }
    }

    /// The session and attempt it names.
    pub(crate) fn session(self) -> (u32, u32) {
        match self {
            MigEv::LockTimeout { s, gen } | MigEv::StatementTimeout { s, gen } | MigEv::PhaseDone { s, gen } | MigEv::Retry { s, gen } | MigEv::End { s, gen } | MigEv::Poll { s, gen } => (s, gen),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_comes_back_as_it_went() {
        for e in [
            MigEv::LockTimeout { s: 1, gen: 2 },
            MigEv::StatementTimeout { s: 3, gen: 4 },
            MigEv::PhaseDone { s: 5, gen: 6 },
            MigEv::Retry { s: 7, gen: 8 },
            MigEv::End { s: 9, gen: 10 },
            MigEv::Poll { s: 11, gen: 12 },
        ] {
            let Ev::Comp(raw) = Ev::from(e) else { panic!("{e:?} is not a component event") };
            assert_eq!(raw.tag, TAG);
            assert_eq!(MigEv::decode(raw), e);
        }
    }
}
