//! A `pitr_restore` command read as the recovery settings PostgreSQL would be given.
use crate::base::{CommandError, CommandErrorKind};
use crate::command::Command;
use crate::lsn::Lsn;
use crate::pitr::Clock;
use crate::pitr::{Request, Target, TargetAction};

/// The recovery settings a `pitr_restore` command asks for; `xid_of` finds the xid of the newest
/// operator error of a kind (a placeholder when only checking the command ahead of time).
pub(crate) fn request_of(cmd: &Command, clock: Clock, xid_of: impl Fn(&str) -> Result<u64, CommandError>) -> Result<Request, CommandError> {
    {
        let Command::PitrRestore { target_time, target_lsn, target_xid, target_xid_of, target_name, inclusive, target_action, timeline } = cmd else {
            return Err(CommandError::new(CommandErrorKind::BadValue, "not a restore"));
        };
        let given = [target_time.is_some(), target_lsn.is_some(), target_xid.is_some(), target_xid_of.is_some(), target_name.is_some()].iter().filter(|x| **x).count();
        if given > 1 {
            return Err(CommandError::new(CommandErrorKind::BadValue, "give at most one of target_time, target_lsn, target_xid, target_xid_of, target_name"));
        }
        let target_xid = match target_xid_of {
            Some(kind) => Some(xid_of(kind)?),
            None => *target_xid,
        };
        let target = match (target_time, target_lsn, target_xid, target_name) {
            (Some(t), ..) => Target::Time(clock.sim_time(t).map_err(CommandError::bad_value)?),
            (_, Some(l), ..) => Target::Lsn(Lsn::parse(l).map_err(CommandError::bad_value)?.0),
            (_, _, Some(x), _) => Target::Xid(x),
            (_, _, _, Some(n)) => Target::Name(n.clone()),
            _ => Target::Latest,
        };
        let action = match target_action.as_str() {
            "promote" => TargetAction::Promote,
            "pause" => TargetAction::Pause,
            "shutdown" => TargetAction::Shutdown,
            other => return Err(CommandError::new(CommandErrorKind::BadValue, format!("recovery_target_action `{other}` is not pause, promote or shutdown"))),
        };
        Ok(Request { target, inclusive: *inclusive, timeline: *timeline, action })
    }
}
