//! The dbsim browser app: pick a lesson, run it, inject faults, scrub through time.
fn main() {
    yew::Renderer::<web::App>::new().render();
}
