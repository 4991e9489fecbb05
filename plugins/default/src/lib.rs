//! The `default` plugin: gated sessions and the content pipeline together. It inherits every
//! hook of `gate` and `content-pipeline` (their lifecycle hooks run in that order) and
//! implements none of its own.

plugin_api::export_plugin! {
    name: "default",
    extends: ["gate", "content-pipeline"],
    features: [],
    hooks: {},
}
