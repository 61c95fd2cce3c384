//! The pooling component's events, which it schedules through a `Sched` and the world hands back
//! to its handlers (`world/pool.rs`). The queue carries them as a `CompEv` under [`TAG`].
use crate::event::{CompEv, Ev};

/// The pooling component's tag on the events the queue carries for it.
pub(crate) const TAG: u8 = 1;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum PoolEv {
    /// A user's request reaches app server `a`.
    Arrive { a: u16 },
    /// HikariCP (re)opens app connection `c`.
    Open { c: u32 },
    /// Server connection `s`'s work (a login or a transaction) reaches Postgres.
    AtPg { s: u32, gen: u32 },
    /// Server connection `s`'s transaction `gen` is answered: the reply reaches the app.
    Reply { s: u32, gen: u32 },
}

impl From<PoolEv> for Ev {
    #[inline]
    fn from(e: PoolEv) -> Ev {
        let (kind, a, b) = match e {
            PoolEv::Arrive { a } => (0, u32::from(a), 0),
            PoolEv::Open { c } => (1, c, 0),
            PoolEv::AtPg { s, gen } => (2, s, gen),
            PoolEv::Reply { s, gen } => (3, s, gen),
        };
        Ev::Comp(CompEv { tag: TAG, kind, a, b })
    }
}

impl PoolEv {
    /// The event a `CompEv` under [`TAG`] carries (only `From<PoolEv>` makes them).
    #[inline]
    pub(crate) fn decode(e: CompEv) -> PoolEv {
        debug_assert_eq!(e.tag, TAG);
        match e.kind {
            0 => PoolEv::Arrive { a: e.a as u16 },
            1 => PoolEv::Open { c: e.a },
            2 => PoolEv::AtPg { s: e.a, gen: e.b },
            _ => PoolEv::Reply { s: e.a, gen: e.b },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_comes_back_as_it_went() {
        for e in [PoolEv::Arrive { a: 7 }, PoolEv::Open { c: 9 }, PoolEv::AtPg { s: 3, gen: 11 }, PoolEv::Reply { s: 4, gen: 12 }] {
            let Ev::Comp(raw) = Ev::from(e) else { panic!("{e:?} is not a component event") };
            assert_eq!(raw.tag, TAG);
            assert_eq!(PoolEv::decode(raw), e);
        }
    }
}
