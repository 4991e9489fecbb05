//! js-stages integration tests: real stage files in a temporary folder, run through the
//! `pipeline::Stage` trait with in-test host handles.

#![allow(clippy::unwrap_used)]

mod handles;
mod limits;
mod registry;
mod stages;
