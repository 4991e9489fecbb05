//! Where mcpctl finds mcpd (login, flag, environment), what it says when it cannot, status,
//! version, secrets masking and completion.

use test_support::Backend;

use crate::support::{Run, World, closed_port, mcpctl};

test_support::for_each_backend!(
    login_saves_the_address,
    status_and_version_describe_the_daemon,
    secrets_are_masked_unless_revealed,
);

fn run(command: &mut assert_cmd::Command) -> Run {
    let output = command.output().expect("mcpctl runs");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn login_saves_the_address(backend: Backend) {
    let w = World::start(backend);
    let home = w.home.path();

    // Logging in to nothing fails and saves nothing.
    let dead = format!("http://127.0.0.1:{}", closed_port());
    let err = run(mcpctl(home).args(["login", "--mcpd-url", &dead])).error();
    assert!(err.contains("cannot reach mcpd"), "{err}");
    assert!(!home.join("login.yaml").exists());

    let out = run(mcpctl(home).args(["login", "--mcpd-url", &w.mcpd.url])).ok();
    assert!(
        out.starts_with(&format!("Logged in to mcpd at {}", w.mcpd.url)),
        "{out}"
    );
    let saved = std::fs::read_to_string(home.join("login.yaml")).expect("login.yaml");
    assert_eq!(saved.trim(), format!("mcpdUrl: {}", w.mcpd.url));

    // Later commands use the saved address without --mcpd-url.
    run(mcpctl(home).args(["create", "secret", "s", "--data", "A=1"])).ok();
    assert_eq!(
        run(mcpctl(home).args(["get", "secrets", "-o", "name"])).ok(),
        "secret/s\n"
    );
    let status = run(mcpctl(home).arg("status")).ok();
    assert!(status.contains(&w.mcpd.url), "{status}");

    // The environment and the flag both beat the saved address.
    let err = run(mcpctl(home)
        .env("MCPCTL_MCPD_URL", &dead)
        .args(["get", "secrets"]))
    .error();
    assert!(err.contains(&dead), "{err}");
    let err = run(mcpctl(home).args(["--mcpd-url", &dead, "get", "secrets"])).error();
    assert!(err.contains(&dead), "{err}");
}

fn status_and_version_describe_the_daemon(backend: Backend) {
    let w = World::start(backend);
    w.ok(&["create", "secret", "s", "--data", "A=1"]);
    let status = w.ok(&["status"]);
    let database = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    for expected in [
        "Reachable:",
        "yes",
        "Version:",
        "Database:",
        database,
        "Resources:",
        "secrets:",
    ] {
        assert!(status.contains(expected), "{expected:?} not in\n{status}");
    }
    let version = w.ok(&["version"]);
    assert!(
        version.starts_with(&format!("mcpctl version: {}\n", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    assert!(version.contains("mcpd version:"), "{version}");
}

fn secrets_are_masked_unless_revealed(backend: Backend) {
    let w = World::start(backend);
    w.write(
        "creds.env",
        "# grafana\nGRAFANA_URL=http://g\n\nTOKEN=hunter2\n",
    );
    w.ok(&["create", "secret", "creds", "--from-env-file", "creds.env"]);

    let yaml = w.ok(&["get", "secret", "creds", "-o", "yaml"]);
    assert!(
        yaml.contains("TOKEN: '********'") || yaml.contains("TOKEN: \"********\""),
        "{yaml}"
    );
    assert!(!yaml.contains("hunter2"), "{yaml}");
    let described = w.ok(&["describe", "secret", "creds"]);
    assert!(!described.contains("hunter2"), "{described}");
    let everything = w.ok(&["get", "all", "-o", "yaml"]);
    assert!(!everything.contains("hunter2"), "{everything}");
    let table = w.ok(&["get", "secrets"]);
    assert!(table.contains("GRAFANA_URL,TOKEN"), "{table}");

    let revealed = w.ok(&["get", "secret", "creds", "-o", "yaml", "--reveal"]);
    assert!(revealed.contains("TOKEN: hunter2"), "{revealed}");
    assert!(
        w.ok(&["describe", "secret", "creds", "--reveal"])
            .contains("hunter2")
    );
    assert!(
        w.ok(&["get", "all", "-o", "json", "--reveal"])
            .contains("hunter2")
    );
}

#[test]
fn an_unreachable_mcpd_is_one_line() {
    let home = tempfile::tempdir().expect("home");
    let url = format!("http://127.0.0.1:{}", closed_port());
    let err = run(mcpctl(home.path()).args(["--mcpd-url", &url, "get", "servers"])).error();
    assert_eq!(
        err,
        format!(
            "error: cannot reach mcpd at {url} (connection refused); start it with 'mcpd' or point mcpctl at it with 'mcpctl login --mcpd-url URL'"
        )
    );
    let status = run(mcpctl(home.path()).args(["--mcpd-url", &url, "status"]));
    assert_eq!(status.code, Some(1), "{status:#?}");
    assert!(status.stdout.contains("Reachable:"), "{status:#?}");
    assert!(status.stdout.contains("no"), "{status:#?}");
    assert!(
        status.stderr.starts_with("error: cannot reach mcpd"),
        "{status:#?}"
    );

    // A malformed address is refused before any request.
    let err = run(mcpctl(home.path())
        .env("MCPCTL_MCPD_URL", "not a url")
        .args(["get", "servers"]))
    .error();
    assert!(
        err.starts_with("error: invalid mcpd URL \"not a url\""),
        "{err}"
    );
}

#[test]
fn command_line_mistakes_are_one_line() {
    let home = tempfile::tempdir().expect("home");
    let err = run(mcpctl(home.path()).args(["create", "server", "a", "--env", "NOPE"])).error();
    assert!(err.contains("--env"), "{err}");
    assert!(err.contains("KEY=VALUE"), "{err}");
    let err = run(mcpctl(home.path()).args(["get", "pods"])).error();
    assert!(err.contains("unknown resource kind \"pods\""), "{err}");
    let err = run(mcpctl(home.path()).args(["patch", "server", "a", "replicas"])).error();
    assert_eq!(err, "error: expected key=value, got \"replicas\"");
    let err =
        run(mcpctl(home.path()).args(["create", "secret", "s", "--from-env-file", "nope.env"]))
            .error();
    assert_eq!(err, "error: nope.env: no such file");
}

#[test]
fn completion_scripts_come_from_the_real_cli() {
    let home = tempfile::tempdir().expect("home");
    for shell in ["bash", "zsh", "fish"] {
        let script = run(mcpctl(home.path()).args(["completion", shell])).ok();
        assert!(script.contains("mcpctl"), "{shell}");
        assert!(script.contains("attach-server"), "{shell}");
    }
    let version = run(mcpctl(home.path()).arg("--version")).ok();
    assert_eq!(version, format!("mcpctl {}\n", env!("CARGO_PKG_VERSION")));
}
