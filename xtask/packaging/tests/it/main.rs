//! Packages built from this workspace's dev binaries (the ones `cargo build --workspace --bins
//! --lib` left beside this test), inspected with the real `rpm` and `dpkg` tools, and the deb
//! installed into a scratch root and run.

mod deb;
mod fixture;
mod installed;
mod rpm;
