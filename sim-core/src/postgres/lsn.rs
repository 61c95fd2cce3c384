//! Write-ahead-log positions (`0/3000060`), segment file names and timeline history text.
use core::fmt;
use serde::{Deserialize, Serialize};

/// WAL segment size: 16 MiB, PostgreSQL's default.
pub const SEGMENT_BYTES: u64 = 16 * 1024 * 1024;

/// A byte position in the WAL, printed as two hexadecimal halves like PostgreSQL's `pg_lsn`.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Lsn(pub u64);

impl fmt::Display for Lsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:X}/{:X}", self.0 >> 32, self.0 & 0xFFFF_FFFF)
    }
}

impl Lsn {
    /// Parses `0/3000060` (two hexadecimal halves).
    pub fn parse(text: &str) -> Result<Lsn, String> {
        let bad = || format!("`{text}` is not an LSN like 0/3000060");
        let (hi, lo) = text.trim().split_once('/').ok_or_else(bad)?;
        let hi = u32::from_str_radix(hi, 16).map_err(|_| bad())?;
        let lo = u32::from_str_radix(lo, 16).map_err(|_| bad())?;
        Ok(Lsn((u64::from(hi) << 32) | u64::from(lo)))
    }

    /// The 24-hex-digit name of the segment holding this position on `timeline`.
    pub fn segment_name(self, timeline: u32) -> String {
        let segno = self.0 / SEGMENT_BYTES;
        let per_id = 0x1_0000_0000 / SEGMENT_BYTES;
        format!("{:08X}{:08X}{:08X}", timeline, segno / per_id, segno % per_id)
    }
}

/// One switch in a timeline's ancestry: the parent timeline ended at `switch_lsn`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineSwitch {
    pub parent: u32,
    pub switch_lsn: Lsn,
    pub reason: String,
}

/// The content of `0000000N.history` for a timeline whose ancestry is `switches` (oldest first).
pub fn history_file(switches: &[TimelineSwitch]) -> String {
    switches.iter().map(|s| format!("{}\t{}\t{}\n", s.parent, s.switch_lsn, s.reason)).collect()
}

/// The file name of a timeline's history file, like `00000002.history`.
pub fn history_file_name(timeline: u32) -> String {
    format!("{timeline:08X}.history")
}

/// A size as PostgreSQL 15's `pg_size_pretty` prints it (`dbsize.c`): bytes below 10 kB; then
/// kB, MB, GB and TB, each kept in half units and rounded half up, moving on at 20,479 halves.
pub fn size_pretty(bytes: u64) -> String {
    if bytes < 10 * 1024 {
        return format!("{bytes} bytes");
    }
    let mut halves = bytes >> 9;
    for unit in ["kB", "MB", "GB"] {
        if halves < 20 * 1024 - 1 {
            return format!("{} {unit}", halves.div_ceil(2));
        }
        halves >>= 10;
    }
    format!("{} TB", halves.div_ceil(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_print_as_pg_size_pretty() {
        // SELECT pg_size_pretty(n) in PostgreSQL 15.
        for (n, text) in [(10_239, "10239 bytes"), (10_240, "10 kB"), (10_484_735, "10239 kB"), (1_048_576, "1024 kB"), (10_485_760, "10 MB"), (40_000_000, "38 MB"), (134_217_728, "128 MB")] {
            assert_eq!(size_pretty(n), text, "{n}");
        }
    }
    #[test]
    fn formats_like_postgres() {
        assert_eq!(Lsn(0x3000060).to_string(), "0/3000060");
        assert_eq!(Lsn(0x1_0000_00A0).to_string(), "1/A0");
        assert_eq!(Lsn(3 * SEGMENT_BYTES + 5).segment_name(1), "000000010000000000000003");
        assert_eq!(Lsn(0x1_0300_0000).segment_name(2), "000000020000000100000003");
        let h = history_file(&[TimelineSwitch { parent: 1, switch_lsn: Lsn(0x3000060), reason: "no recovery target specified".into() }]);
        assert_eq!(h, "1\t0/3000060\tno recovery target specified\n");
        assert_eq!(history_file_name(10), "0000000A.history");
        assert_eq!(Lsn::parse("1/A0"), Ok(Lsn(0x1_0000_00A0)));
        assert!(Lsn::parse("0/xyz").is_err() && Lsn::parse("3000060").is_err());
    }
}
