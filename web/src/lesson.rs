//! The lesson panel both pages share: title, summary, what to watch, what it teaches, and the goals.
use sim_session::view::{Goal, LessonView};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LessonProps {
    pub lesson: Rc<LessonView>,
    pub goals: Rc<Vec<Goal>>,
}

#[component(LessonPanel)]
pub fn lesson_panel(p: &LessonProps) -> Html {
    let l = &p.lesson;
    html! {
        <section class="lesson" id="lesson">
            <h2>{ l.title.clone() }</h2>
            <p>{ l.summary.clone() }</p>
            <h3>{ "Watch" }</h3>
            <ul class="watch">{ for l.watch.iter().map(|w| html! { <li data-shows={(!w.shows.is_empty()).then(|| w.shows.join(" "))}>{ w.text.clone() }</li> }) }</ul>
            <h3>{ "You will learn" }</h3>
            <ul>{ for l.learn.iter().map(|x| html! { <li>{ x.clone() }</li> }) }</ul>
            <h3>{ "Goals (live)" }</h3>
            <ul class="goals" data-view="goals">
                { for p.goals.iter().map(|g| html! { <li class={g.state.class()}>{ format!("{} {}", g.state.mark(), g.text) }</li> }) }
            </ul>
        </section>
    }
}
