//! PostgreSQL's eight table-lock modes and their conflict table (`lock.c`'s `LockConflicts`,
//! the table in "Explicit Locking", 13.3.1).
use serde::{Deserialize, Serialize};

/// A table-lock mode, weakest first.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum LockMode {
    /// SELECT.
    AccessShare = 0,
    /// SELECT FOR UPDATE / FOR SHARE.
    RowShare,
    /// INSERT, UPDATE, DELETE.
    RowExclusive,
    /// VACUUM, ANALYZE, CREATE INDEX CONCURRENTLY, VALIDATE CONSTRAINT.
    ShareUpdateExclusive,
    /// CREATE INDEX.
    Share,
    /// CREATE TRIGGER, ADD FOREIGN KEY.
    ShareRowExclusive,
    /// REFRESH MATERIALIZED VIEW CONCURRENTLY.
    Exclusive,
    /// Most ALTER TABLE forms, DROP, TRUNCATE, VACUUM FULL.
    AccessExclusive,
}

pub const ALL: [LockMode; 8] =
    [LockMode::AccessShare, LockMode::RowShare, LockMode::RowExclusive, LockMode::ShareUpdateExclusive, LockMode::Share, LockMode::ShareRowExclusive, LockMode::Exclusive, LockMode::AccessExclusive];

const fn bits(modes: &[LockMode]) -> u8 {
    let mut b = 0u8;
    let mut i = 0;
    while i < modes.len() {
        b |= 1 << modes[i] as u8;
        i += 1;
    }
    b
}

use LockMode::*;
/// Each mode's conflicts as a bit set over the modes (bit `m` for mode `m`), as `lock.c` has them.
const CONFLICTS: [u8; 8] = [
    bits(&[AccessExclusive]),
    bits(&[Exclusive, AccessExclusive]),
    bits(&[Share, ShareRowExclusive, Exclusive, AccessExclusive]),
    bits(&[ShareUpdateExclusive, Share, ShareRowExclusive, Exclusive, AccessExclusive]),
    bits(&[RowExclusive, ShareUpdateExclusive, ShareRowExclusive, Exclusive, AccessExclusive]),
    bits(&[RowExclusive, ShareUpdateExclusive, Share, ShareRowExclusive, Exclusive, AccessExclusive]),
    bits(&[RowShare, RowExclusive, ShareUpdateExclusive, Share, ShareRowExclusive, Exclusive, AccessExclusive]),
    bits(&[AccessShare, RowShare, RowExclusive, ShareUpdateExclusive, Share, ShareRowExclusive, Exclusive, AccessExclusive]),
];

impl LockMode {
    /// The name `pg_locks.mode` shows (`AccessExclusiveLock`).
    pub fn pg_name(self) -> &'static str {
        match self {
            AccessShare => "AccessShareLock",
            RowShare => "RowShareLock",
            RowExclusive => "RowExclusiveLock",
            ShareUpdateExclusive => "ShareUpdateExclusiveLock",
            Share => "ShareLock",
            ShareRowExclusive => "ShareRowExclusiveLock",
            Exclusive => "ExclusiveLock",
            AccessExclusive => "AccessExclusiveLock",
        }
    }

    /// The name the documentation and `LOCK TABLE … IN … MODE` use (`ACCESS EXCLUSIVE`).
    pub fn sql_name(self) -> &'static str {
        match self {
            AccessShare => "ACCESS SHARE",
            RowShare => "ROW SHARE",
            RowExclusive => "ROW EXCLUSIVE",
            ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            Share => "SHARE",
            ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            Exclusive => "EXCLUSIVE",
            AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }

    /// The modes this one conflicts with, as a bit set.
    #[inline]
    pub fn conflicts(self) -> u8 {
        CONFLICTS[self as usize]
    }

    /// Whether a lock in this mode conflicts with one in `other`.
    #[inline]
    pub fn conflicts_with(self, other: LockMode) -> bool {
        self.conflicts() & (1 << other as u8) != 0
    }

    #[inline]
    pub fn bit(self) -> u8 {
        1 << self as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documentation's table ("Conflicting Lock Modes"), row by row, as X marks.
    #[test]
    fn the_conflict_table_is_postgres_table() {
        let doc = [
            "       X", // ACCESS SHARE
            "      XX", // ROW SHARE
            "    XXXX", // ROW EXCLUSIVE
            "   XXXXX", // SHARE UPDATE EXCLUSIVE
            "  XX XXX", // SHARE
            "  XXXXXX", // SHARE ROW EXCLUSIVE
            " XXXXXXX", // EXCLUSIVE
            "XXXXXXXX", // ACCESS EXCLUSIVE
        ];
        for (a, row) in ALL.iter().zip(doc) {
            for (b, mark) in ALL.iter().zip(row.chars()) {
                assert_eq!(a.conflicts_with(*b), mark == 'X', "{} against {}", a.sql_name(), b.sql_name());
            }
        }
    }

    #[test]
    fn the_table_is_symmetric_and_only_share_modes_share_with_themselves() {
        for a in ALL {
            for b in ALL {
                assert_eq!(a.conflicts_with(b), b.conflicts_with(a));
            }
        }
        let selfish: Vec<_> = ALL.iter().filter(|m| m.conflicts_with(**m)).map(|m| m.pg_name()).collect();
        assert_eq!(selfish, ["ShareUpdateExclusiveLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"]);
    }
}
