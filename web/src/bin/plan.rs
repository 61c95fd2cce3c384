//! The query-planning page (`plan.html`): its own wasm module, loaded only for chapter 11's lessons.
fn main() {
    yew::Renderer::<web::plan::PlanApp>::new().render();
}
