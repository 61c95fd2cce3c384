//! Patroni's decisions, as functions of what they read: the member, the leader, the DCS and the
//! settings. They borrow only those and change nothing; `patroni/mod.rs` carries each decision
//! out on the world (notes, events, Postgres starts and stops).
use super::Dcs;
use crate::patroni::cfg::PatroniCfg;
use crate::postgres::{Node, PgState, Role};

/// One HA cycle of member `n`, after it read the DCS (`holder`: who holds the leader key now).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Cycle {
    /// It thought it led, but `to` holds the key: demote.
    LostKey { to: u16 },
    /// It holds the key: the leader's cycle.
    Lead,
    /// The key names it though its agent did not know: take leadership up again.
    Resume,
    /// Another member leads: follow it.
    Follow(u16),
    /// Nobody holds the key: the leader race.
    Race,
}

pub(crate) fn cycle(me: &Node, n: u16, holder: Option<u16>) -> Cycle {
    match (me.agent.is_leader, holder) {
        (true, Some(l)) if l != n => Cycle::LostKey { to: l },
        (true, _) => Cycle::Lead,
        (false, Some(l)) if l == n => Cycle::Resume,
        (false, Some(l)) => Cycle::Follow(l),
        (false, None) => Cycle::Race,
    }
}

/// The leader's cycle.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Lead {
    /// A switchover is handing leadership over: nothing to do.
    Releasing,
    /// `/failover` names another member: start the switchover to it.
    Switchover(u16),
    /// Postgres is down but can start: renew the key and start it as primary.
    StartPrimary,
    /// Postgres cannot start (the reason): release the key.
    Release(&'static str),
    /// A running primary: renew, accept writes, manage the synchronous standby.
    Primary,
    /// A running standby holding the key: renew and promote it.
    Promote,
    /// Anything else (starting, rewinding…): renew the key and wait.
    Renew,
}

pub(crate) fn lead(me: &Node, n: u16, dcs: &Dcs) -> Lead {
    if me.agent.releasing {
        return Lead::Releasing;
    }
    if let Some(c) = dcs.failover_to.filter(|&c| c != n) {
        return Lead::Switchover(c);
    }
    match (me.pg, me.role) {
        (PgState::Down, _) if me.disk_ok && !me.disk_full => Lead::StartPrimary,
        (PgState::Down, _) => Lead::Release(if me.disk_ok { "the disk is full" } else { "the data directory is gone" }),
        (PgState::Running, Role::Primary) => Lead::Primary,
        (PgState::Running, Role::Standby) => Lead::Promote,
        _ => Lead::Renew,
    }
}

/// A member's cycle while `leader` leads.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Follow {
    /// Postgres is starting, rewinding or being cloned: wait.
    Busy,
    /// Its data directory is gone: clone a new one from the leader.
    Clone,
    /// It still runs as a primary: demote it.
    Demote,
    /// Its history has diverged from the leader's (and the leader runs): `pg_rewind` first.
    Rewind,
    /// Postgres is down: start it as a standby of the leader.
    Start,
    /// Stream from the leader (switching upstream if it streamed from another member).
    Stream,
}

pub(crate) fn follow(me: &Node, leader: &Node) -> Follow {
    match me.pg {
        PgState::Starting | PgState::Rewinding | PgState::Cloning => Follow::Busy,
        _ if !me.disk_ok => Follow::Clone,
        PgState::Running if me.role == Role::Primary => Follow::Demote,
        _ if !leader.can_serve(me.tl, me.wal_position()) && leader.is_running() => Follow::Rewind,
        PgState::Down => Follow::Start,
        _ => Follow::Stream,
    }
}

/// Whether member `n` may run in the leader race, before it asks the others how far they are.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Race {
    /// It may not (data gone, not running, another member named by `/failover`, not the `/sync`
    /// member in synchronous mode, or further behind the last known leader position than
    /// `maximum_lag_on_failover`).
    Out,
    /// Postgres is down: start it first (as a standby), and race on a later cycle.
    Start,
    /// It may: the race is won if no reachable member is healthier.
    In,
}

pub(crate) fn race(me: &Node, n: u16, dcs: &Dcs, pat: &PatroniCfg) -> Race {
    if !me.disk_ok {
        return Race::Out;
    }
    if me.pg == PgState::Down {
        return Race::Start;
    }
    let named_elsewhere = dcs.failover_to.is_some_and(|c| c != n);
    let not_sync = pat.synchronous_mode && dcs.sync != Some(n) && dcs.last_leader != Some(n);
    let too_far_behind = me.role == Role::Standby && dcs.optime.saturating_sub(me.wal_position()) > pat.maximum_lag_on_failover;
    if me.pg != PgState::Running || named_elsewhere || not_sync || too_far_behind {
        return Race::Out;
    }
    Race::In
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::World;

    fn member(role: Role, pg: PgState, wal: u64) -> Node {
        let mut n = World::default_node("pg", "r", 1 << 30, 1 << 20);
        n.role = role;
        n.pg = pg;
        n.flush_lsn = wal;
        n.insert_lsn = wal;
        n.replay_lsn = wal;
        n.write_lsn = wal;
        n
    }

    #[test]
    fn only_the_sync_member_or_the_last_leader_races_in_synchronous_mode() {
        let me = member(Role::Standby, PgState::Running, 100);
        let sync_mode = PatroniCfg { synchronous_mode: true, ..PatroniCfg::default() };
        let dcs = Dcs { sync: Some(2), last_leader: Some(0), optime: 100, ..Dcs::default() };
        assert_eq!(race(&me, 1, &dcs, &sync_mode), Race::Out, "an asynchronous standby stays out");
        assert_eq!(race(&me, 2, &dcs, &sync_mode), Race::In, "the /sync member runs");
        assert_eq!(race(&me, 0, &dcs, &sync_mode), Race::In, "the former leader runs");
        assert_eq!(race(&me, 1, &dcs, &PatroniCfg::default()), Race::In, "without synchronous mode anyone running may");
    }

    #[test]
    fn a_standby_too_far_behind_or_without_data_stays_out() {
        let pat = PatroniCfg { maximum_lag_on_failover: 1000, ..PatroniCfg::default() };
        let dcs = Dcs { optime: 5000, ..Dcs::default() };
        assert_eq!(race(&member(Role::Standby, PgState::Running, 3999), 1, &dcs, &pat), Race::Out);
        assert_eq!(race(&member(Role::Standby, PgState::Running, 4000), 1, &dcs, &pat), Race::In);
        let mut gone = member(Role::Standby, PgState::Down, 4000);
        assert_eq!(race(&gone, 1, &dcs, &pat), Race::Start, "a stopped member starts Postgres first");
        gone.disk_ok = false;
        assert_eq!(race(&gone, 1, &dcs, &pat), Race::Out, "a member whose data directory is gone never runs");
    }

    #[test]
    fn a_leader_without_its_data_releases_the_key_and_a_follower_clones() {
        let mut me = member(Role::Primary, PgState::Down, 0);
        me.disk_ok = false;
        assert_eq!(lead(&me, 0, &Dcs::default()), Lead::Release("the data directory is gone"));
        let leader = member(Role::Primary, PgState::Running, 100);
        assert_eq!(follow(&me, &leader), Follow::Clone);
        assert_eq!(cycle(&me, 0, Some(1)), Cycle::Follow(1));
        me.agent.is_leader = true;
        assert_eq!(cycle(&me, 0, Some(1)), Cycle::LostKey { to: 1 });
    }

    #[test]
    fn synchronous_mode_names_a_candidate_only_once_it_has_caught_up() {
        use crate::patroni::SyncStep;
        let mut dcs = Dcs::default();
        assert_eq!(dcs.sync_step(&[], 500), SyncStep::NoCandidate);
        assert_eq!(dcs.sync_step(&[(2, 100), (1, 100)], 500), SyncStep::Waiting(2), "the first streaming standby is the candidate");
        assert_eq!(dcs.sync, None, "not in /sync before it reaches the leader's position when picked");
        assert_eq!(dcs.sync_step(&[(2, 499), (1, 600)], 700), SyncStep::Waiting(2), "the candidate stays the candidate");
        assert_eq!(dcs.sync_step(&[(2, 500)], 700), SyncStep::Named(2));
        assert_eq!((dcs.sync, dcs.pending_sync), (Some(2), None));
        assert_eq!(dcs.sync_step(&[(1, 700), (2, 700)], 700), SyncStep::Keep(2));
        assert_eq!(dcs.sync_step(&[(1, 700)], 800), SyncStep::Gone(2), "a /sync member that stops streaming is cleared");
        assert_eq!(dcs.sync, None);
        assert_eq!(dcs.sync_step(&[(1, 700)], 800), SyncStep::Waiting(1), "and another candidate is picked on the next cycle");
    }
}
