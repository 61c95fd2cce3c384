//! The sharding embed module (`dbsim_embed_shard.js`): what `<dbsim-lesson lesson="10/…">`
//! elements load, once per page, so a replication chapter never downloads the router's code.
web::embed_module!(web::shard::ShardWidget, |props| web::shard::ShardWidgetProps { props });
