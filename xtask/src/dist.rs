//! `cargo xtask dist`, `cargo xtask rpm`, `cargo xtask deb`: packaging lives in its own crate
//! (`xtask/packaging`), so that xtask itself stays std-only and quick to build and the archive
//! crates are compiled only when someone packages. This runs that crate's binary.

use std::process::Command;

use crate::run::status;

pub fn run(task: &str, args: &[String]) -> Result<(), String> {
    status(
        Command::new("cargo")
            .args(["run", "--quiet", "--package", "packaging", "--"])
            .arg(task)
            .args(args),
    )
}
