//! The shareable URL: `#file=…&seed=…&t=…&log=…` holds everything needed to rebuild the run;
//! the log is the commands as scenario timeline entries (inline TOML tables).
use sim_core::Session;
use sim_core::{Command, SimTime};

/// A run as a link carries it.
#[derive(Clone, Debug, PartialEq)]
pub struct Shared {
    pub file: String,
    pub seed: u64,
    pub t_ms: u64,
    pub log: Vec<(SimTime, Command)>,
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn decode(s: &str) -> Option<String> {
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
    let log: Vec<String> = s.log.iter().map(|(t, c)| c.to_toml(sim_core::SimDur(t.0))).collect();
    let log = log.join(",");
    format!("file={}&seed={}&t={}&log={}", encode(&s.file), s.seed, s.now().as_ms(), encode(&log))
}

pub fn parse_hash(h: &str) -> Option<Shared> {
    let mut sh = Shared { file: String::new(), seed: 0, t_ms: 0, log: Vec::new() };
    for part in h.trim_start_matches('#').split('&') {
        let (k, v) = part.split_once('=')?;
        let v = decode(v)?;
        match k {
            "file" => sh.file = v,
            "seed" => sh.seed = v.parse().ok()?,
            "t" => sh.t_ms = v.parse().ok()?,
            "log" => {
                sh.log = sim_core::command::log_from_toml(&v).ok()?.into_iter().map(|(t, c)| (SimTime(t.0), c)).collect();
            }
            _ => {}
        }
    }
    (!sh.file.is_empty()).then_some(sh)
}

pub fn read_hash() -> Option<Shared> {
    let h = web_sys::window()?.location().hash().ok()?;
    parse_hash(&h)
}

pub fn write_hash(s: &Session) {
    let Some(w) = web_sys::window() else { return };
    let url = format!("#{}", to_hash(s));
    if let Ok(h) = w.history() {
        let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn a_link_round_trips() {
        let (file, src) = lessons::BUILTIN[0];
        let mut s = Session::new(file, src, Some(9)).unwrap();
        s.advance_to(SimTime(3_000_000)).unwrap();
        s.command(Command::CrashHost { node: "pg1".into() }).unwrap();
        s.advance_to(SimTime(4_500_000)).unwrap();
        let back = parse_hash(&format!("#{}", to_hash(&s))).unwrap();
        assert_eq!(back.file, file);
        assert_eq!(back.seed, 9);
        assert_eq!(back.t_ms, 4500);
        assert_eq!(back.log, s.log);
        assert!(parse_hash("#nonsense").is_none());
    }
}
