//! The shareable URL: `#file=…&seed=…&t=…&log=…` holds everything needed to rebuild the run;
//! the log is the commands as scenario timeline entries (inline TOML tables).
use sim_session::model::{Command, SimTime};
use sim_session::Session;

/// A run as a link carries it.
#[derive(Clone, Debug, PartialEq)]
pub struct Shared {
    pub file: String,
    /// `None`: the lesson's own seed (a link that names only the file).
    pub seed: Option<u64>,
    pub t_ms: u64,
    pub log: Vec<(SimTime, Command)>,
    /// For a sharding lesson: the learner's changes, replayed in order (`key:tenant_id`,
    /// `strategy:ring`, `shards:8`, `add:10`, `split0:20`, `t:12000`).
    pub shard_ops: Vec<String>,
    /// A long log's entries, still as text: read a slice at a time while the link opens.
    pub log_raw: Vec<String>,
    /// That log as the link carried it (percent-encoded), to write back without encoding it again.
    pub log_encoded: Option<String>,
}

/// Logs up to this many commands are read at once; longer ones a slice at a time.
pub const EAGER_LOG: usize = 200;

/// The most a link's log may hold, decoded: about 20,000 commands. A longer one is refused by
/// name rather than read.
pub const MAX_LOG_BYTES: usize = 2 << 20;

/// A problem's text as a banner shows it: at most 160 characters, so a huge link is never
/// echoed back whole (the session clips its own messages the same way).
pub use sim_session::text::clip;

pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

pub fn to_hash(s: &Session) -> String {
    hash_with(s, &encoded_log(s))
}

/// The link of session `s` with its command log already encoded (`log_text`): an embedded
/// widget keeps its own encoding, since the cache below belongs to the page's session.
pub fn hash_with(s: &Session, log: &str) -> String {
    format!("file={}&seed={}&t={}&log={log}", encode(&s.file), s.seed, s.now().as_ms())
}

/// The session's command log as the link carries it: TOML timeline entries, percent-encoded.
pub fn log_text(s: &Session) -> String {
    let log: Vec<String> = s.log.iter().map(|(t, cmd)| cmd.to_toml(sim_session::model::SimDur(t.0))).collect();
    encode(&log.join(","))
}

thread_local! {
    /// The encoded command log of the session last written, by its log generation: the URL is
    /// rewritten on every tick, and a log of thousands of commands is encoded once.
    static LOG_CACHE: std::cell::RefCell<(u64, usize, String)> = const { std::cell::RefCell::new((u64::MAX, 0, String::new())) };
}

/// Takes a link's own encoded log as the session's, once its every command was replayed: a link
/// of thousands of commands is not encoded again in one long task.
pub fn prime_log_cache(s: &Session, encoded: String) {
    LOG_CACHE.with(|c| *c.borrow_mut() = (s.log_generation(), s.log.len(), encoded));
}

/// Forgets the cached log: a new session (another lesson, seed or link) starts its own.
pub fn clear_log_cache() {
    LOG_CACHE.with(|c| *c.borrow_mut() = (u64::MAX, 0, String::new()));
}

fn encoded_log(s: &Session) -> String {
    let key = (s.log_generation(), s.log.len());
    LOG_CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if (c.0, c.1) != key {
            *c = (key.0, key.1, log_text(s));
        }
        c.2.clone()
    })
}

/// A link as every page reads it: the lesson (`file=`, or `lesson=` as plan-page links once
/// wrote it) and the seed, which every page shares, and the page's own parts, decoded, with the
/// text each had in the link. A part that is not `key=value` or not percent-encoded is named
/// among the problems and left out.
#[derive(Debug, Default)]
pub struct Parts {
    pub file: String,
    pub seed: Option<u64>,
    /// (key, decoded value, value as the link carried it)
    pub rest: Vec<(String, String, String)>,
    pub problems: Vec<String>,
}

/// Splits a link (`#file=…&seed=…&…`) into its parts, one grammar for every page.
pub fn parts(h: &str) -> Parts {
    let mut out = Parts::default();
    let h = h.trim_start_matches('#');
    for part in h.split('&').filter(|p| !p.is_empty()) {
        let Some((k, v)) = part.split_once('=') else {
            out.problems.push(format!("`{}` is not key=value", clip(part)));
            continue;
        };
        let Some(decoded) = decode(v) else {
            out.problems.push(format!("{}: bad percent-encoding", clip(k)));
            continue;
        };
        match k {
            "file" | "lesson" => out.file = decoded,
            "seed" => match decoded.parse() {
                Ok(x) => out.seed = Some(x),
                Err(_) => out.problems.push(format!("seed: `{}` is not a whole number (the lesson's own seed is used)", clip(&decoded))),
            },
            _ => out.rest.push((k.to_string(), decoded, v.to_string())),
        }
    }
    out
}

/// Reads a link. A bad part is reported by name and left out; the rest is kept. `None` when the
/// link names no lesson at all.
pub fn parse_hash(h: &str) -> (Option<Shared>, Vec<String>) {
    if h.trim_start_matches('#').is_empty() {
        return (None, Vec::new());
    }
    let Parts { file, seed, rest, mut problems } = parts(h);
    let mut sh = Shared { file, seed, t_ms: 0, log: Vec::new(), shard_ops: Vec::new(), log_raw: Vec::new(), log_encoded: None };
    for (k, v, encoded) in rest {
        match k.as_str() {
            "t" => match v.parse() {
                Ok(x) => sh.t_ms = x,
                Err(_) => problems.push(format!("t: `{}` is not a time in ms (starting at 0)", clip(&v))),
            },
            "sh" => sh.shard_ops = v.split(';').filter(|x| !x.is_empty()).map(str::to_string).collect(),
            "log" if v.len() > MAX_LOG_BYTES => problems.push(format!("log: {} KB is more than the {} KB a link may carry (the commands were left out)", v.len() >> 10, MAX_LOG_BYTES >> 10)),
            "log" => {
                let entries = sim_session::model::command::split_log(&v);
                if entries.len() > EAGER_LOG {
                    sh.log_raw = entries.into_iter().map(str::to_string).collect();
                    sh.log_encoded = Some(encoded);
                } else {
                    match sim_session::model::command::log_from_toml(&v) {
                        Ok(log) => sh.log = log.into_iter().map(|(t, c)| (SimTime(t.0), c)).collect(),
                        // One bad entry leaves out only itself: each is read on its own.
                        Err(_) => {
                            let mut named = sim_session::text::Problems::default();
                            for (i, text) in entries.iter().enumerate() {
                                match sim_session::model::command::log_from_toml(text) {
                                    Ok(log) => sh.log.extend(log.into_iter().map(|(t, c)| (SimTime(t.0), c))),
                                    Err(e) => problems.extend(named.name(format!("log entry {}: {} (left out)", i + 1, clip(&e)))),
                                }
                            }
                            problems.extend(named.rest());
                        }
                    }
                }
            }
            _ => problems.push(format!("unknown part `{}`", clip(&k))),
        }
    }
    if sh.file.is_empty() {
        problems.push("no `file=`: which lesson to open".into());
        return (None, problems);
    }
    (Some(sh), problems)
}

pub fn read_hash() -> (Option<Shared>, Vec<String>) {
    let h = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
    parse_hash(&h)
}

thread_local! {
    /// The hash this page last wrote, so its own `hashchange` is not taken for a new link.
    pub static LAST_WRITTEN: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

pub fn write_hash(s: &Session) {
    let h = to_hash(s);
    LAST_WRITTEN.with(|l| l.borrow_mut().clone_from(&h));
    write(&h);
}

pub fn write(hash: &str) {
    let Some(w) = web_sys::window() else { return };
    let url = format!("#{hash}");
    if let Ok(h) = w.history() {
        let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_long_log_is_kept_as_entries_to_read_in_slices() {
        let log: Vec<String> = (0..300).map(|i| format!("{{ at = \"{i}ms\", action = \"heal\" }}")).collect();
        let (sh, problems) = parse_hash(&format!("#file=01-async-failover.toml&log={}", encode(&log.join(","))));
        let sh = sh.unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!((sh.log.len(), sh.log_raw.len()), (0, 300));
        assert_eq!(sh.log_raw[7], log[7]);
    }

    use super::*;
    #[test]
    fn a_challenge_solved_travels_in_its_link() {
        let (file, src) = lessons::CHALLENGES[0];
        assert!(file.starts_with("challenges/"));
        let mut s = Session::new(file, src, Some(4)).unwrap();
        let solution = s.scenario().unwrap().solution();
        for (at, cmd) in solution.clone() {
            s.seek(SimTime(at.0)).unwrap();
            s.command(cmd).unwrap();
        }
        let back = parse_hash(&format!("#{}", to_hash(&s))).0.unwrap();
        assert_eq!(hash_with(&s, &log_text(&s)), to_hash(&s), "a widget's link is the page's");
        assert_eq!(back.file, file, "the file's folder survives the link");
        assert_eq!(back.log.iter().map(|(t, c)| (t.0, c.clone())).collect::<Vec<_>>(), solution.iter().map(|(t, c)| (t.0, c.clone())).collect::<Vec<_>>());
    }

    #[test]
    fn a_link_round_trips() {
        let (file, src) = lessons::BUILTIN[0];
        let mut s = Session::new(file, src, Some(9)).unwrap();
        s.advance_to(SimTime(3_000_000)).unwrap();
        s.command(Command::CrashHost { node: "pg1".into() }).unwrap();
        s.advance_to(SimTime(4_500_000)).unwrap();
        let back = parse_hash(&format!("#{}", to_hash(&s))).0.unwrap();
        assert_eq!(back.file, file);
        assert_eq!(back.seed, Some(9));
        assert_eq!(back.t_ms, 4500);
        assert_eq!(back.log, s.log);
        assert!(parse_hash("#nonsense").0.is_none());
        let (kept, problems) = parse_hash("#file=05-multi-region.toml&seed=abc&log=nope");
        assert_eq!(kept.map(|k| (k.file, k.seed, k.log.len())), Some(("05-multi-region.toml".to_string(), None, 0)));
        assert!(problems[0].starts_with("seed: `abc`") && problems[1].starts_with("log entry 1: "), "{problems:?}");
    }

    /// One bad entry in a link's log leaves out only itself, named; a huge log is refused by
    /// size; nothing the link carried is echoed back at length.
    #[test]
    fn a_bad_log_entry_leaves_out_only_itself() {
        let good = r#"{ at = "10s", action = "crash_host", node = "pg1" }"#;
        let bad = r#"{ at = "5s", action = "crash_hots", node = "pg1" }"#;
        let (kept, problems) = parse_hash(&format!("#file=01-async-failover.toml&log={}", encode(&format!("{bad},{good}"))));
        let kept = kept.unwrap();
        assert_eq!(kept.log.len(), 1, "{problems:?}");
        assert!(problems.len() == 1 && problems[0].starts_with("log entry 1:"), "{problems:?}");
        let huge = "x".repeat(MAX_LOG_BYTES + 1);
        let (kept, problems) = parse_hash(&format!("#file=01-async-failover.toml&log={huge}&{huge}=1"));
        assert_eq!(kept.map(|k| k.file), Some("01-async-failover.toml".to_string()));
        assert!(problems.iter().all(|p| p.chars().count() < 200), "{problems:?}");
        assert!(problems[0].contains("more than the 2048 KB"), "{problems:?}");
    }

    #[test]
    fn a_sharding_link_round_trips() {
        let (file, src) = lessons::SHARDING.iter().find(|(f, _)| f.starts_with("10b")).unwrap();
        let mut v = sim_session::sharded::ShardRun::new(file, src, Some(3)).unwrap();
        for a in [
            sim_session::sharded::ShardAction::Key("tenant_id".into()),
            sim_session::sharded::ShardAction::Vindex("numeric".into()),
            sim_session::sharded::ShardAction::Cursor(10_000),
            sim_session::sharded::ShardAction::Reshard(sim_session::model::shard::cluster::Move::Add),
            sim_session::sharded::ShardAction::Cursor(25_000),
        ] {
            v.apply(a).unwrap();
        }
        let back = parse_hash(&format!("#{}", crate::shard::shard_hash(&v))).0.unwrap();
        assert_eq!((back.file.as_str(), back.seed), (*file, Some(3)));
        assert_eq!(back.log, v.log(), "the reshard travels as a command");
        let mut w = sim_session::sharded::ShardRun::new(file, src, back.seed).unwrap();
        w.restore(&crate::shard::shard_actions(&back.shard_ops).unwrap(), &back.log).unwrap();
        assert_eq!(w.log(), v.log());
        assert_eq!(w.cursor_ms, 25_000);
        assert_eq!(w.lesson.cluster.as_ref().map(|c| c.vindex.name()), Some("numeric"), "the vindex travels in the link");
        assert_eq!(w.report.as_ref().unwrap().metrics, v.report.as_ref().unwrap().metrics);
        assert!(crate::shard::shard_actions(&["meteor:1".into()]).is_err());
        // A bad change keeps the rest of the link, named: `sh=garbage`, `key:nope`.
        let ops: Vec<String> = ["garbage", "key:nope", "strategy:jump", "t:5000"].map(String::from).to_vec();
        let (actions, problems) = crate::shard::shard_actions_lenient(&ops);
        assert!(problems.len() == 1 && problems[0].contains("garbage"), "{problems:?}");
        let mut x = sim_session::sharded::ShardRun::new(file, src, Some(3)).unwrap();
        let more = x.restore_lenient(&actions, &[]).unwrap();
        assert!(more.len() == 1 && more[0].contains("nope"), "{more:?}");
        assert_eq!((x.cursor_ms, x.lesson.cluster.as_ref().map(|c| sim_session::model::shard::placement::strategy_name(&c.placement))), (5000, Some("jump")));
    }
}
