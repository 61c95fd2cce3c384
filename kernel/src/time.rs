//! Simulated time: a microsecond counter owned by the core, never read from a wall clock.
use core::fmt;
use core::ops::{Add, Sub};
use serde::{Deserialize, Serialize};

/// A point in simulated time, in microseconds since the start of the run.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SimTime(pub u64);

/// A span of simulated time, in microseconds.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SimDur(pub u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    #[inline]
    pub fn as_ms(self) -> u64 {
        self.0 / 1000
    }
    #[inline]
    pub fn since(self, earlier: SimTime) -> SimDur {
        SimDur(self.0.saturating_sub(earlier.0))
    }
}

impl SimDur {
    pub const ZERO: SimDur = SimDur(0);
    pub const fn us(v: u64) -> Self {
        SimDur(v)
    }
    pub const fn ms(v: u64) -> Self {
        SimDur(v.saturating_mul(1000))
    }
    pub const fn secs(v: u64) -> Self {
        SimDur(v.saturating_mul(1_000_000))
    }
    #[inline]
    pub fn as_ms(self) -> u64 {
        self.0 / 1000
    }

    /// For people: `850 ms`, `5.1 s`, `2 min 5 s`, `1 h 25 min`.
    pub fn human(self) -> String {
        let (ms, s) = (self.0 / 1000, self.0 / 1_000_000);
        match s {
            0 => format!("{ms} ms"),
            1..=59 => format!("{s}.{} s", ms % 1000 / 100),
            60..=3599 if s % 60 == 0 => format!("{} min", s / 60),
            60..=3599 => format!("{} min {} s", s / 60, s % 60),
            _ if s % 3600 < 60 => format!("{} h", s / 3600),
            _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
        }
    }
}

impl Add<SimDur> for SimTime {
    type Output = SimTime;
    #[inline]
    fn add(self, d: SimDur) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl Sub for SimTime {
    type Output = SimDur;
    #[inline]
    fn sub(self, o: SimTime) -> SimDur {
        self.since(o)
    }
}

impl fmt::Display for SimTime {
    /// As a person writes it: `197 s`, `52.172 s`, `250 ms`, `40 µs` (exact, trailing zeros trimmed).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (s, us) = (self.0 / 1_000_000, self.0 % 1_000_000);
        match (s, us) {
            (_, 0) => write!(f, "{s} s"),
            (0, us) if us % 1000 == 0 => write!(f, "{} ms", us / 1000),
            (0, us) if us < 1000 => write!(f, "{us} µs"),
            (s, us) => {
                let frac = format!("{us:06}");
                write!(f, "{s}.{} s", frac.trim_end_matches('0'))
            }
        }
    }
}

impl std::ops::AddAssign for SimDur {
    fn add_assign(&mut self, d: SimDur) {
        self.0 = self.0.saturating_add(d.0);
    }
}

impl fmt::Display for SimDur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        SimTime(self.0).fmt(f)
    }
}

/// Parses `"250ms"`, `"30s"`, `"2m"`, `"1h"`, `"1500us"`, compounds like `"1h25m"` or `"3m17s"`,
/// or `"14:03:17"` (h:m:s).
pub fn parse_duration(s: &str) -> Result<SimDur, String> {
    let t = s.trim();
    if t.contains(':') {
        return parse_clock(t);
    }
    let mut rest = t;
    let mut total = SimDur(0);
    loop {
        let num_end = rest.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(rest.len());
        let unit_end = rest[num_end..].find(|c: char| c.is_ascii_digit()).map_or(rest.len(), |i| num_end + i);
        let part = parse_part(&rest[..num_end], &rest[num_end..unit_end], s)?;
        total = SimDur(total.0.checked_add(part.0).ok_or_else(|| format!("`{s}` is too long"))?);
        rest = &rest[unit_end..];
        if rest.is_empty() {
            return Ok(total);
        }
    }
}

fn parse_part(num: &str, unit: &str, s: &str) -> Result<SimDur, String> {
    let mult: u64 = match unit {
        "us" => 1,
        "ms" => 1_000,
        "s" => 1_000_000,
        "m" | "min" => 60_000_000,
        "h" => 3_600_000_000,
        _ => return Err(format!("`{s}` needs a unit: us, ms, s, m or h (for example \"30s\" or \"1h25m\")")),
    };
    let (whole, frac) = num.split_once('.').unwrap_or((num, ""));
    let whole: u64 = whole.parse().map_err(|_| format!("`{s}` is not a duration"))?;
    let mut frac_us = 0u64;
    let mut scale = mult;
    for c in frac.chars().take(9) {
        let d = c.to_digit(10).ok_or_else(|| format!("`{s}` is not a duration"))? as u64;
        scale /= 10;
        frac_us += d * scale;
    }
    whole.checked_mul(mult).and_then(|v| v.checked_add(frac_us)).map(SimDur).ok_or_else(|| format!("`{s}` is too long"))
}

fn parse_clock(s: &str) -> Result<SimDur, String> {
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() != 3 {
        return Err(format!("`{s}` is not hh:mm:ss"));
    }
    let mut total = 0u64;
    for p in parts {
        let v: u64 = p.parse().map_err(|_| format!("`{s}` is not hh:mm:ss"))?;
        total = total * 60 + v;
    }
    Ok(SimDur::secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn human_durations_read_like_a_person_would_write_them() {
        let cases = [
            (SimDur::us(850_400), "850 ms"),
            (SimDur::ms(5_469), "5.4 s"),
            (SimDur::secs(60), "1 min"),
            (SimDur::secs(125), "2 min 5 s"),
            (SimDur::secs(900), "15 min"),
            (SimDur::secs(5100), "1 h 25 min"),
            (SimDur::secs(7230), "2 h"),
        ];
        for (d, text) in cases {
            assert_eq!(d.human(), text, "{d:?}");
        }
    }
    #[test]
    fn parses_units() {
        assert_eq!(parse_duration("250ms"), Ok(SimDur::ms(250)));
        assert_eq!(parse_duration("1.5s"), Ok(SimDur::ms(1500)));
        assert_eq!(parse_duration("2m"), Ok(SimDur::secs(120)));
        assert_eq!(parse_duration("00:01:05"), Ok(SimDur::secs(65)));
        assert!(parse_duration("30").is_err());
        assert_eq!(parse_duration("1h25m"), Ok(SimDur::secs(5100)));
        assert_eq!(parse_duration("3m17.5s"), Ok(SimDur::ms(197_500)));
        assert!(parse_duration("3m17").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("xs").is_err());
    }
    #[test]
    fn displays_seconds() {
        assert_eq!(SimTime(12_345_678).to_string(), "12.345678 s");
        assert_eq!(SimTime(197_000_000).to_string(), "197 s");
        assert_eq!(SimTime(52_172_000).to_string(), "52.172 s");
        assert_eq!(SimDur::ms(250).to_string(), "250 ms");
        assert_eq!(SimDur::us(40).to_string(), "40 µs");
        assert_eq!(SimDur::us(1500).to_string(), "0.0015 s");
    }
}
