//! The query-planning embed module (`dbsim_embed_plan.js`): what `<dbsim-lesson lesson="11/…">`
//! elements load, once per page; it holds the planner and its lessons, and no replication world.
web::embed_module!(web::plan::PlanWidget, |props| web::plan::PlanWidgetProps { props });
