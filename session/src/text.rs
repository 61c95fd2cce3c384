//! Text the front ends show beside what the learner gave: a long message, clipped.

/// `text` clipped to 160 characters (with `…`), so a crafted link's long value cannot flood a notice.
pub fn clip(text: &str) -> String {
    match text.char_indices().nth(160) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}
