//! The embed module (`dbsim_embed.js`): what `<dbsim-lesson>` elements of chapters 09 and 12 load,
//! once per page. It starts nothing by itself; `mount` renders one lesson's widget into an element
//! (a custom element's shadow root), and the handle it returns unmounts it and frees its session.
web::embed_module!(web::embed::Widget, |p| p);
