//! `cargo xtask`: the project's tasks as plain Rust, with no dependencies beyond std.
//!
//! - `cargo xtask demo`: the README's first command (mcpd on SQLite, mcpctl walk-through).
//! - `cargo xtask test`: provisions PostgreSQL (starts the local cluster, creates a test role)
//!   and runs the whole test suite on SQLite and PostgreSQL, plus fmt and clippy.
//! - `cargo xtask bench control-plane` and `cargo xtask bench runtime`: the figures of
//!   BENCHMARKS.md.
//! - `cargo xtask dist`, `cargo xtask rpm`, `cargo xtask deb`: packaging, in the `packaging`
//!   crate (`xtask/packaging`) so that this binary stays std-only.

mod bench;
mod demo;
mod dist;
mod peers;
mod postgres;
mod run;
mod test;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  demo [--keep]                build, start mcpd on SQLite, create and list resources with mcpctl
  test [--no-lint] [-- ARGS]   provision PostgreSQL, build, run every test on both databases
  bench control-plane          measure mcpd start-up, RSS, apply and list (release build)
  bench runtime                measure routing latency, create-to-first-call, RSS with 20 servers
  bench local                  measure mcplocal: call latency/throughput direct vs mcpd vs full chain,
                               merged tools/list over 50 servers, RSS after load
  dist [--profile P] [--no-build]
                               build (profile `packaged`) and stage binaries, plugins,
                               completions, units, config into target/dist/root; print sizes
  rpm [--fast], deb [--fast]   write the RPM / deb of target/dist/root into target/dist
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test::run(&args[1..]),
        Some("demo") => demo::run(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some(task @ ("dist" | "rpm" | "deb")) => dist::run(task, &args[1..]),
        Some("-h" | "--help") | None => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!("unknown task {other:?}\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: error: {message}");
            ExitCode::FAILURE
        }
    }
}
