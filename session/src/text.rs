//! Text the front ends show beside what the learner gave: a long message, clipped.

/// `text` clipped to 160 characters (with `…`), so a crafted link's long value cannot flood a notice.
pub fn clip(text: &str) -> String {
    match text.char_indices().nth(160) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// How many problems a notice names one by one; the rest are counted.
pub const NAMED_PROBLEMS: usize = 10;

/// Counts problems as they are found, keeping the first `NAMED_PROBLEMS` to name, so a crafted
/// link of thousands of bad entries gives a notice of a few lines, not one of every entry.
#[derive(Clone, Debug, Default)]
pub struct Problems {
    named: usize,
    more: usize,
}

impl Problems {
    /// `problem`, if it is among the first to be named (then `Some`), or counted among the rest.
    pub fn name(&mut self, problem: String) -> Option<String> {
        if self.named < NAMED_PROBLEMS {
            self.named += 1;
            Some(problem)
        } else {
            self.more += 1;
            None
        }
    }

    /// The line that counts the problems not named, once there were some.
    pub fn rest(&self) -> Option<String> {
        (self.more > 0).then(|| format!("and {} more like these (left out)", self.more))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_names_the_first_problems_and_counts_the_rest() {
        let mut p = Problems::default();
        let named: Vec<String> = (0..25).filter_map(|i| p.name(format!("entry {i}"))).collect();
        assert_eq!(named.len(), NAMED_PROBLEMS);
        assert_eq!(named[0], "entry 0");
        assert_eq!(p.rest().as_deref(), Some("and 15 more like these (left out)"));
        assert_eq!(Problems::default().rest(), None);
    }
}
