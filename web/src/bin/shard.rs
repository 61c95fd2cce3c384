//! The sharding page (`shard.html`): its own small wasm module, loaded only for chapter 2's lessons.
fn main() {
    yew::Renderer::<web::shard::ShardApp>::new().render();
}
