//! result-cache's integration tests: real files in a temp dir per test, real concurrency, and a
//! child process killed with SIGKILL in the middle of its writes.

mod crash;
mod eviction;
mod lifecycle;
mod single_flight;
mod size;
mod support;
