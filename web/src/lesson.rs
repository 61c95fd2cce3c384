//! The lesson panel both pages share: title, summary, what to watch, what it teaches, the goals,
//! and for a challenge the task, its hints and how the attempt stands.
use sim_session::view::{ChallengeState, ChallengeView, LessonView, Outcomes};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LessonProps {
    pub lesson: Rc<LessonView>,
    pub goals: Rc<Outcomes>,
    pub challenge: Option<Rc<ChallengeView>>,
}

#[component(LessonPanel)]
pub fn lesson_panel(p: &LessonProps) -> Html {
    let l = &p.lesson;
    html! {
        <section class="lesson" id="lesson">
            <h2>{ l.title.clone() }</h2>
            if let Some(c) = &p.challenge { { challenge(c) } }
            <p>{ l.summary.clone() }</p>
            <h3>{ "Watch" }</h3>
            <ul class="watch">{ for l.watch.iter().map(|w| html! { <li data-shows={(!w.shows.is_empty()).then(|| w.shows.join(" "))}>{ w.text.clone() }</li> }) }</ul>
            <h3>{ "You will learn" }</h3>
            <ul>{ for l.learn.iter().map(|x| html! { <li>{ x.clone() }</li> }) }</ul>
            { goals(&p.goals) }
        </section>
    }
}

/// The goals under a heading that says what they are (what the lesson's run demonstrates, your
/// run against it, or a challenge's goals) and announces when the run has ended and they are
/// judged; each goal with its mark.
pub fn goals(o: &Outcomes) -> Html {
    html! {
        <div class="outcomes" data-view="goals" data-ended={o.ended.to_string()}>
            <h3 id="goals-heading" role="status" aria-live="polite">{ o.heading.clone() }</h3>
            { goal_list(o) }
        </div>
    }
}

/// Each goal with its mark.
fn goal_list(o: &Outcomes) -> Html {
    html! {
        <ul class="goals">
            { for o.goals.iter().map(|g| html! { <li class={g.state.class()} data-goal={g.name.clone()}>{ format!("{} {}", g.state.mark(), g.text) }</li> }) }
        </ul>
    }
}

/// The goals folded under their heading (a compact widget: the reader opens them), so a widget
/// in a chapter is not a screenful of goals before its controls.
pub fn goals_folded(o: &Outcomes) -> Html {
    html! {
        <details class="outcomes folded" data-view="goals" data-ended={o.ended.to_string()}>
            <summary id="goals-heading" role="status" aria-live="polite">{ format!("{} ({})", o.heading, o.goals.len()) }</summary>
            { goal_list(o) }
        </details>
    }
}

/// A challenge: the ability it proves, the task, hints on request, and the verdict so far.
pub fn challenge(c: &ChallengeView) -> Html {
    let (class, verdict) = match c.state {
        ChallengeState::Open => ("open", "Not decided yet: do what the task asks, then play to the end.".to_string()),
        ChallengeState::Met if c.commands > 0 => ("met", format!("Challenge met ✓ with {} command(s) of yours. The link records your solution.", c.commands)),
        ChallengeState::Met => ("met", "Challenge met ✓. The link records your solution.".to_string()),
        ChallengeState::Missed => ("missed", "Not met: a goal failed. Change your choices (or scrub back before the failure and fork), and try again.".to_string()),
    };
    challenge_box(c.ability, &c.task, &c.hints, class, verdict)
}

/// A challenge's box on any page: the ability it proves, the task, each hint on request, and the
/// verdict (`class`: `open`, `met` or `missed`).
pub fn challenge_box(ability: &str, task: &str, hints: &[String], class: &'static str, verdict: String) -> Html {
    html! {
        <div class="challenge" data-view="challenge">
            <p class="ability">{ format!("Challenge · you can {ability}") }</p>
            <p class="task" id="challenge-task">{ task.to_string() }</p>
            { for hints.iter().enumerate().map(|(i, h)| html! { <details class="hint"><summary>{ format!("Hint {}", i + 1) }</summary>{ h.clone() }</details> }) }
            <p class={classes!("verdict", class)} id="challenge-status" role="status" aria-live="polite">{ verdict }</p>
        </div>
    }
}
