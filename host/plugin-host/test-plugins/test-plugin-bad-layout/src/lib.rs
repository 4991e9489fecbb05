//! Test plugin: plugin-api 0.0.7's root module (test-plugin-old-api's code) claiming to be
//! built against 0.1.0, so the version check passes and the layout check must refuse it.

const API_VERSION: &str = "0.1.0";

include!("../../test-plugin-old-api/src/module.rs");
