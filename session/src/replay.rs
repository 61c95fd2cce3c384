//! A shared link's (or an undo's) command log replayed into a fresh session in slices, so a page
//! stays responsive and shows real progress: each command at its time, a long log read from its
//! text as it goes, then the run to the link's time. A command that cannot apply (a node the
//! lesson lacks, an entry that is not a command) is named and left out; the others are kept.
use crate::session::Session;
use crate::text::{clip, Problems};
use sim_core::{Command, SimDur, SimTime};

#[derive(Debug)]
pub struct LinkReplay {
    log: Vec<(SimTime, Command)>,
    /// The log as its entries' text, read one by one (a long link's log), instead of `log`.
    raw: Vec<String>,
    /// The link's encoded log, reused for the URL if every entry was replayed.
    encoded: Option<String>,
    skipped: usize,
    /// The entries left out, the first of them named.
    problems: Problems,
    next: usize,
    t: SimTime,
}

impl LinkReplay {
    /// Replays `log` (or, when given, the entries `raw` as text), then runs to `t`.
    pub fn new(log: Vec<(SimTime, Command)>, raw: Vec<String>, encoded: Option<String>, t: SimTime) -> LinkReplay {
        LinkReplay { log, raw, encoded, skipped: 0, problems: Problems::default(), next: 0, t }
    }

    fn total(&self) -> usize {
        self.log.len().max(self.raw.len())
    }

    /// One slice: up to `commands` commands and about `events` events. Whether the replay has
    /// reached the link's time, and the entries left out in this slice: the first ten of the
    /// whole log named, the rest counted in a last line when the replay is done.
    pub fn step(&mut self, s: &mut Session, events: u64, commands: usize) -> Result<(bool, Vec<String>), String> {
        let total = self.total();
        let mut bad = Vec::new();
        let start = s.world.events();
        let left = |s: &Session| events.saturating_sub(s.world.events() - start).max(1);
        for _ in 0..commands {
            let entry = match self.raw.get(self.next) {
                Some(text) => sim_core::command::log_from_toml(text).map(|mut l| l.pop().map(|(at, c)| (SimTime(at.0), c))),
                None => Ok(self.log.get(self.next).cloned()),
            };
            let (at, cmd) = match entry {
                Ok(Some(e)) => e,
                Ok(None) if self.next >= total => {
                    let done = s.seek_for(self.t, left(s))?;
                    if done {
                        bad.extend(self.problems.rest());
                        self.problems = Problems::default();
                    }
                    return Ok((done, bad));
                }
                Ok(None) => {
                    self.next += 1;
                    continue;
                }
                Err(e) => {
                    self.skipped += 1;
                    bad.extend(self.problems.name(format!("log entry {}: {} (left out)", self.next + 1, clip(&e))));
                    self.next += 1;
                    continue;
                }
            };
            if s.world.events() - start >= events || !s.seek_for(at, left(s))? {
                break;
            }
            if let Err(e) = s.command(cmd) {
                self.skipped += 1;
                bad.extend(self.problems.name(format!("log entry {} at {}: {} (left out)", self.next + 1, SimDur(at.0).human(), clip(&e))));
            }
            self.next += 1;
        }
        Ok((false, bad))
    }

    /// The link's encoded log once every entry replayed (none was left out): the URL can reuse it.
    pub fn take_encoded(&mut self) -> Option<String> {
        if self.skipped == 0 {
            self.encoded.take()
        } else {
            None
        }
    }

    /// Progress as the page shows it: the commands replayed, then the run to the link's time.
    pub fn status(&self, now: SimTime) -> String {
        let total = self.total();
        if self.next < total {
            format!("Opening the link: {} of {total} commands replayed…", self.next)
        } else {
            format!("Opening the link: running to {} ({} %)…", SimDur(self.t.0).human(), (now.0 as f64 * 100.0 / self.t.0.max(1) as f64).min(100.0) as u32)
        }
    }

    /// What the page says before the first slice.
    pub fn opening(&self) -> String {
        match self.total() {
            0 => format!("Opening the link: running to {}…", SimDur(self.t.0).human()),
            n => format!("Opening the link: 0 of {n} commands replayed…"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        let (file, src) = lessons::BUILTIN[0];
        Session::new(file, src, Some(7)).unwrap()
    }

    /// A replay in small slices ends where a straight run with the same commands ends, and an
    /// entry that is not a command, or one the lesson cannot apply, is named and left out.
    #[test]
    fn a_link_replays_in_slices_to_the_straight_run() {
        let log = [(SimTime(3_000_000), Command::CrashHost { node: "pg1".into() }), (SimTime(4_000_000), Command::CrashHost { node: "pg9".into() })];
        let mut straight = session();
        straight.replay(&log[..1]).unwrap();
        straight.seek(SimTime(20_000_000)).unwrap();
        let raw: Vec<String> = vec![log[0].1.to_toml(SimDur(3_000_000)), "{ at = \"5s\", action = \"nonsense\" }".into(), log[1].1.to_toml(SimDur(4_000_000))];
        let mut r = LinkReplay::new(Vec::new(), raw, Some("encoded".into()), SimTime(20_000_000));
        assert!(r.opening().contains("0 of 3 commands"));
        let mut s = session();
        let mut problems = Vec::new();
        let mut slices = 0;
        loop {
            let (done, bad) = r.step(&mut s, 500, 1).unwrap();
            problems.extend(bad);
            slices += 1;
            assert!(slices < 10_000, "the replay ends");
            if done {
                break;
            }
        }
        assert!(slices > 3, "it ran in slices: {slices}");
        assert_eq!(s.now(), straight.now());
        assert_eq!(s.world.trace_hash(), straight.world.trace_hash());
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("log entry 2:"), "{problems:?}");
        assert!(problems[1].starts_with("log entry 3 at 4.0 s") && problems[1].contains("pg9"), "{problems:?}");
        assert_eq!(r.take_encoded(), None, "a log with entries left out is not reused");
    }

    /// A log of many bad entries names the first ten and counts the rest: a crafted link cannot
    /// flood the page's notice.
    #[test]
    fn many_bad_entries_are_counted_not_listed() {
        let raw: Vec<String> = (0..300).map(|i| format!("{{ at = \"{i}ms\", action = \"crash_host\", node = \"pg9\" }}")).collect();
        let mut r = LinkReplay::new(Vec::new(), raw, None, SimTime(1_000_000));
        let mut s = session();
        let mut problems = Vec::new();
        while !{
            let (done, bad) = r.step(&mut s, 8_000, 500).unwrap();
            problems.extend(bad);
            done
        } {}
        assert_eq!(problems.len(), crate::text::NAMED_PROBLEMS + 1, "{problems:?}");
        assert!(problems[0].starts_with("log entry 1 at 0 ms") && problems[0].contains("pg9"), "{problems:?}");
        assert_eq!(problems.last().map(String::as_str), Some("and 290 more like these (left out)"));
    }
}
