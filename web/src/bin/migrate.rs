//! The migrations page (`migrate.html`, chapter 12's schema-migration lessons): the main app's
//! module with the migration component, which the other pages leave out.
fn main() {
    yew::Renderer::<web::App>::new().render();
}
