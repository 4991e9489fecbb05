//! The fault switches of the command line: noisy start-up, early exits.

use std::time::Duration;

/// Exit code of `--exit-after-ms` and `--exit-immediately`.
const EXIT_FAULT: i32 = 1;

/// Prints `stderr line I of N` for I in 1..=N.
pub fn print_stderr_lines(count: u32) {
    for line in 1..=count {
        eprintln!("stderr line {line} of {count}");
    }
}

pub fn exit_now() -> ! {
    eprintln!("exiting with code {EXIT_FAULT} (--exit-immediately)");
    std::process::exit(EXIT_FAULT)
}

/// Exits the whole process `ms` milliseconds from now, whatever it is doing.
pub fn exit_after(ms: u64) {
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        eprintln!("exiting with code {EXIT_FAULT} after {ms} ms (--exit-after-ms)");
        std::process::exit(EXIT_FAULT)
    });
}
