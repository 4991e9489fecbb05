//! The suite against the fixture server over streamable HTTP, once per spec revision: what
//! each revision requires (`--requirements`, run at that revision's wire, including the
//! scenarios it reports but does not score), and every scenario that applies at each
//! revision the suite knows (`--suite all --spec-version`, pending ones included).

use crate::fixture::HttpFixture;
use crate::suite::Suite;

/// Scenarios allowed to fail, with the reason. None are.
const EXPECTED_FAILURES: &[(&str, &str)] = &[];

fn run(args: &[&str]) {
    let Some(suite) = Suite::installed() else {
        return;
    };
    let server = HttpFixture::start();
    suite
        .run(&server.url, args)
        .assert_all_pass(EXPECTED_FAILURES);
}

#[test]
fn every_scenario_required_by_2025_11_25_passes() {
    run(&["--requirements", "2025-11-25"]);
}

#[test]
fn every_scenario_required_by_2026_07_28_passes() {
    run(&["--requirements", "2026-07-28"]);
}

#[test]
fn every_scenario_of_2025_03_26_passes() {
    run(&["--suite", "all", "--spec-version", "2025-03-26"]);
}

#[test]
fn every_scenario_of_2025_06_18_passes() {
    run(&["--suite", "all", "--spec-version", "2025-06-18"]);
}

#[test]
fn every_scenario_of_2025_11_25_passes() {
    run(&["--suite", "all", "--spec-version", "2025-11-25"]);
}

#[test]
fn every_scenario_of_2026_07_28_passes() {
    run(&["--suite", "all", "--spec-version", "2026-07-28"]);
}
