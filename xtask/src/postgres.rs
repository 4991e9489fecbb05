//! A PostgreSQL server for tests and benchmarks: the one named by `MCPCTL_TEST_POSTGRES_URL`,
//! else the machine's Debian cluster, started and given a `mcpctl` role if need be.

use std::process::Command;

use crate::run::output;

pub const URL_VAR: &str = "MCPCTL_TEST_POSTGRES_URL";
const ROLE_URL: &str = "postgres://mcpctl:mcpctl@127.0.0.1:5432/postgres";

fn as_postgres(sql: &str) -> Result<String, String> {
    output(Command::new("runuser").args(["-u", "postgres", "--", "psql", "-qtAc", sql]))
}

/// The admin URL of a reachable PostgreSQL server.
pub fn ensure() -> Result<String, String> {
    if let Ok(url) = std::env::var(URL_VAR) {
        return Ok(url);
    }
    let clusters = output(Command::new("pg_lsclusters").arg("--no-header")).map_err(|e| {
        format!(
            "{e}\nno PostgreSQL found: install the Debian package `postgresql` (bash .ci/run does), \
             or set {URL_VAR} to a server's postgres://user:password@host:port/postgres URL"
        )
    })?;
    let line = clusters
        .lines()
        .next()
        .ok_or("pg_lsclusters lists no cluster; create one with pg_createcluster")?;
    let fields: Vec<&str> = line.split_whitespace().collect();
    if let [version, name, _port, status, ..] = fields.as_slice()
        && *status != "online"
    {
        output(Command::new("pg_ctlcluster").args([version, name, "start"]))?;
    }
    let exists = as_postgres("SELECT 1 FROM pg_roles WHERE rolname = 'mcpctl'")?;
    if exists.trim() != "1" {
        as_postgres("CREATE ROLE mcpctl LOGIN SUPERUSER PASSWORD 'mcpctl'")?;
    }
    Ok(ROLE_URL.to_owned())
}
