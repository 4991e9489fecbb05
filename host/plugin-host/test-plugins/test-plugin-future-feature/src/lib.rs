//! Test plugin `test-future-feature`: declares a host feature (`teleport`) that no host
//! provides, as a plugin built against a newer plugin-api would.

plugin_api::export_plugin! {
    name: "test-future-feature",
    extends: [],
    features: [plugin_api::features::LOG, "teleport"],
    hooks: {},
}
