//! The schema-migration embed module (`dbsim_embed_migrate.js`): what `<dbsim-lesson>` elements of
//! chapter 12's migration lessons load, once per page; the cluster widget with the migration
//! component, so a replication chapter never downloads the migration's code.
web::embed_module!(web::embed::Widget, |p| p);
