//! A component's view as plain data: its panel (paragraphs, tables as the tool prints them, bars,
//! gauges, a list of what went wrong), its boxes in the cluster diagram, its charts, its report
//! lines and its figures for the run's report. A component writes these itself; the session passes them on, and the
//! pages, the embed widget, the CLI and the golden summaries draw them without naming it.

/// A component in the run's report (`World::component_reports`): what the CLI prints and the
/// golden summaries pin. Kept apart from the pages' view, so the pages do not link it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ComponentReport {
    pub name: &'static str,
    /// Its report as an operator reads it (what the CLI prints).
    pub lines: Vec<String>,
    /// Its own figures, one `name value …` line each, for the golden summaries: a change in the
    /// component shows as a change in them.
    pub summary: Vec<String>,
}

/// A component's panel on a page (`World::component_panels`): a section with a heading and its
/// blocks, in order.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PanelView {
    /// The section's class and its `aria-label`.
    pub class: &'static str,
    pub label: &'static str,
    pub title: &'static str,
    pub blocks: Vec<Block>,
}

/// A piece of a panel. Every `id` is a page element a lesson's `watch` items may point at (the
/// component lists them in its `ELEMENTS`), or a plain DOM id.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub enum Block {
    /// A paragraph.
    Text { id: &'static str, text: String },
    /// Blocks grouped under one id (marked `data-view` with it).
    Group { id: &'static str, blocks: Vec<Block> },
    /// A table as its tool prints it: the command as its caption, the column names, the rows
    /// (each cell marked with its column's name).
    Table { id: &'static str, caption: &'static str, columns: Vec<&'static str>, rows: Vec<Vec<String>> },
    /// Horizontal bars of stacked segments (clients active and waiting; servers active and idle).
    Bars { label: String, bars: Vec<Bar> },
    /// Gauges of a value against its limit, under a caption (marked `data-view` with the id).
    Gauges { id: &'static str, caption: &'static str, gauges: Vec<Gauge> },
    /// What went wrong, each kind once with its message and how often (left out when empty).
    Events { id: &'static str, label: &'static str, items: Vec<EventItem> },
    /// Buttons that each run a command at the cursor, under a label (marked `data-view` with the id).
    Actions { id: &'static str, label: &'static str, items: Vec<ActionItem> },
}

/// A button of a component's panel: the command it runs at the cursor, as a timeline entry
/// (`Command::to_toml`), or with `arg`, a text box whose text is that argument of the command
/// (`ddl`'s `sql`); `command::action_command` reads it back, so the page never builds a
/// component's command itself.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ActionItem {
    /// Its DOM id.
    pub id: String,
    pub label: String,
    /// What it does, for its `title`.
    pub title: String,
    pub command: String,
    pub arg: Option<&'static str>,
    /// The text box's example, with `arg`.
    pub placeholder: &'static str,
}

impl Block {
    /// Its id (a bar chart has none).
    pub fn id(&self) -> Option<&'static str> {
        match self {
            Block::Text { id, .. } | Block::Group { id, .. } | Block::Table { id, .. } | Block::Gauges { id, .. } | Block::Events { id, .. } | Block::Actions { id, .. } => Some(id),
            Block::Bars { .. } => None,
        }
    }
}

/// One bar: its name, its segments against their total, and the figures beside it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Bar {
    pub name: &'static str,
    pub segments: Vec<(u64, Tone)>,
    pub text: String,
}

/// How a segment is drawn.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Tone {
    Good,
    Bad,
    /// The empty part of the track.
    Idle,
}

/// A value against a limit: drawn red once it reaches the limit.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Gauge {
    pub name: &'static str,
    pub value: u64,
    pub limit: u64,
    pub text: String,
}

impl Gauge {
    pub fn over(&self) -> bool {
        self.value >= self.limit
    }
}

/// One kind of failure: its name (a `data-kind`), the message as the software prints it, how often.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct EventItem {
    pub kind: &'static str,
    pub message: String,
    pub count: u64,
}

/// A component's boxes in the cluster diagram (`World::component_tier`), in the clients' place: a first box, an optional
/// one below it (the path then runs first → below → the proxy, otherwise first → the proxy), and
/// the lines the primary's box shows in place of its LSNs.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TierView {
    pub first: TierBox,
    pub below: Option<TierBox>,
    pub primary: Vec<String>,
}

/// A box of the diagram: its `data-infra` name, a title and up to two lines of detail.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TierBox {
    pub infra: &'static str,
    pub name: String,
    pub details: Vec<String>,
}

/// A page element a lesson may point at, and what it is. `chart`: one of the charts (shown by the
/// charts panel), otherwise a part of the component's panel.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Element {
    pub name: &'static str,
    pub what: &'static str,
    pub chart: bool,
}

/// At most this many points per chart line.
pub const MAX_POINTS: usize = 400;

#[derive(Clone, Debug, PartialEq)]
pub struct ChartLine {
    pub name: String,
    /// Failures and losses: drawn in the warning colour.
    pub bad: bool,
    /// (seconds, value); `None` where the run has no value (the node was down, or not a
    /// streaming standby), so the line breaks there instead of joining the points either side.
    pub points: Vec<(f64, Option<f64>)>,
}

impl ChartLine {
    pub fn new(name: &str, bad: bool, points: Vec<(f64, Option<f64>)>) -> ChartLine {
        ChartLine { name: name.to_string(), bad, points }
    }

    /// The line's unbroken runs of points, as they are drawn.
    pub fn segments(&self) -> Vec<Vec<(f64, f64)>> {
        let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut open = false;
        for &(t, v) in &self.points {
            match v {
                Some(v) if open => out.last_mut().into_iter().for_each(|seg| seg.push((t, v))),
                Some(v) => {
                    out.push(vec![(t, v)]);
                    open = true;
                }
                None => open = false,
            }
        }
        out
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    pub id: &'static str,
    pub title: &'static str,
    pub unit: &'static str,
    pub end_s: f64,
    pub lines: Vec<ChartLine>,
}

impl Chart {
    /// The top of the value axis: the largest value, at least 1.
    pub fn max_y(&self) -> f64 {
        self.lines.iter().flat_map(|l| l.points.iter().filter_map(|p| p.1)).fold(0.0f64, f64::max).max(1.0)
    }
}

/// How far apart the samples a chart draws from a series of `n` are: at most [`MAX_POINTS`]
/// (and the last) remain, so a long run is thinned, never truncated.
pub fn thin_step(n: usize) -> usize {
    n.div_ceil(MAX_POINTS).max(1)
}

/// The indices of a series of `n` samples that a chart draws: every [`thin_step`]-th, and the last.
pub fn thinned(n: usize) -> impl Iterator<Item = usize> {
    let step = thin_step(n);
    (0..n).filter(move |i| i % step == 0 || i + 1 == n)
}

/// A number as a person writes it: whole numbers with thousands separators, others to three
/// significant figures at most (`36.0`, `0.25`, `1,234`).
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    if (v - v.round()).abs() < 1e-9 {
        let n = v.round() as i64;
        let digits = n.unsigned_abs().to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        return if n < 0 { format!("-{out}") } else { out };
    }
    let a = v.abs();
    let text = if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_series_is_thinned_to_the_cap_and_keeps_its_last_sample() {
        let picked: Vec<usize> = thinned(3601).collect();
        assert!(picked.len() <= MAX_POINTS + 1, "{}", picked.len());
        assert_eq!(picked.first(), Some(&0));
        assert_eq!(picked.last(), Some(&3600));
        assert_eq!(thinned(10).count(), 10, "a short series is drawn whole");
        assert_eq!(thinned(0).count(), 0);
    }

    #[test]
    fn a_line_breaks_where_it_has_no_value() {
        let l = ChartLine::new("a", false, vec![(0.0, Some(1.0)), (1.0, Some(2.0)), (2.0, None), (3.0, Some(3.0))]);
        assert_eq!(l.segments(), vec![vec![(0.0, 1.0), (1.0, 2.0)], vec![(3.0, 3.0)]]);
    }
}
