//! Test plugin `test-old-api`: what a plugin built against an older plugin-api (0.0.7, a
//! single untyped hook function) looks like to the host. It carries a frozen copy of that
//! version's root module and export glue instead of depending on today's plugin-api. The
//! code is `module.rs`, shared with test-plugin-bad-layout (the same layout claiming
//! today's version).

const API_VERSION: &str = "0.0.7";

include!("module.rs");
