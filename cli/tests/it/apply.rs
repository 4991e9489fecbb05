//! `apply -f`, `get all` and `delete -f`: files as the way to declare state.

use test_support::Backend;

use crate::support::{World, lines, table};

test_support::for_each_backend!(
    grouped_files_apply_and_re_apply,
    exports_apply_back_unchanged_then_one_edit_configures_one,
    malformed_files_change_nothing,
    missing_references_are_named,
    files_are_deleted_in_order,
);

const STATE: &str = r#"
secrets:
  - name: grafana-creds
    data:
      GRAFANA_URL: "http://grafana.local:3000"
      GRAFANA_SERVICE_ACCOUNT_TOKEN: "glsa_secret"
servers:
  - name: my-grafana
    description: "Grafana"
    fromTemplate: grafana
    envFrom:
      - secretRef:
          name: grafana-creds
  - name: clock
    command: uvx
    args: ["mcp-server-time"]
projects:
  - name: monitoring
    proxyModel: content-pipeline
    servers:
      - my-grafana
"#;

fn grouped_files_apply_and_re_apply(backend: Backend) {
    let w = World::start(backend);
    w.write("state.yaml", STATE);

    let dry = lines(&w.ok(&["apply", "-f", "state.yaml", "--dry-run"]));
    assert!(
        dry.iter().all(|l| l.ends_with(" created (dry run)")),
        "{dry:?}"
    );
    assert_eq!(w.run(&["get", "servers"]).stderr, "No servers found.\n");

    let mut applied = lines(&w.ok(&["apply", "-f", "state.yaml"]));
    applied.sort();
    assert_eq!(
        applied,
        [
            "project/monitoring created",
            "secret/grafana-creds created",
            "server/clock created",
            "server/my-grafana created",
        ]
    );
    let again = lines(&w.ok(&["apply", "-f", "state.yaml"]));
    assert_eq!(again.len(), 4);
    assert!(again.iter().all(|l| l.ends_with(" unchanged")), "{again:?}");

    // Standard input works too.
    let piped = w
        .command()
        .args(["apply", "-f", "-"])
        .write_stdin(
            "kind: server\nname: clock\ncommand: uvx\nargs: [mcp-server-time]\nreplicas: 2\n",
        )
        .output()
        .expect("runs");
    assert_eq!(
        String::from_utf8_lossy(&piped.stdout),
        "server/clock configured\n"
    );
    assert_eq!(w.json(&["get", "server", "clock"])["replicas"], 2);

    // The project's servers and the template's values show in the tables.
    let servers = table(&w.ok(&["get", "servers", "--project", "monitoring"]));
    assert_eq!(servers.len(), 2, "{servers:?}");
    assert_eq!(servers[1][0], "my-grafana");

    // A missing file names itself and applies nothing.
    let err = w.error(&["apply", "-f", "state.yaml", "-f", "nope.yaml"]);
    assert_eq!(err, "error: nope.yaml: no such file");
}

fn exports_apply_back_unchanged_then_one_edit_configures_one(backend: Backend) {
    let w = World::start(backend);
    w.write("state.yaml", STATE);
    w.ok(&["apply", "-f", "state.yaml"]);

    // get all -o yaml > s.yaml; apply -f s.yaml: nothing changes.
    let exported = w.ok(&["get", "all", "--project", "monitoring", "-o", "yaml"]);
    assert!(
        exported.contains("********"),
        "secrets are masked:\n{exported}"
    );
    assert!(!exported.contains("glsa_secret"), "{exported}");
    assert!(exported.contains("my-grafana"), "{exported}");
    w.write("s.yaml", &exported);
    let results = lines(&w.ok(&["apply", "-f", "s.yaml"]));
    assert!(!results.is_empty());
    assert!(
        results.iter().all(|l| l.ends_with(" unchanged")),
        "{results:?}"
    );
    // Masked values sent back keep the stored ones.
    let secret = w.json(&["get", "secret", "grafana-creds", "--reveal"]);
    assert_eq!(
        secret["data"]["GRAFANA_SERVICE_ACCOUNT_TOKEN"],
        "glsa_secret"
    );

    // One field edited: exactly one line says configured.
    assert_eq!(
        exported.matches("proxyModel: content-pipeline").count(),
        1,
        "{exported}"
    );
    w.write(
        "s.yaml",
        &exported.replace("proxyModel: content-pipeline", "proxyModel: default"),
    );
    let results = lines(&w.ok(&["apply", "-f", "s.yaml"]));
    let configured: Vec<&String> = results
        .iter()
        .filter(|l| !l.ends_with(" unchanged"))
        .collect();
    assert_eq!(configured, ["project/monitoring configured"], "{results:?}");
    assert_eq!(
        table(&w.ok(&["get", "projects"]))[1][..2],
        ["monitoring", "default"]
    );

    // The JSON export applies back too.
    let json = w.ok(&["get", "all", "-o", "json"]);
    w.write("all.json", &json);
    let results = lines(&w.ok(&["apply", "-f", "all.json"]));
    assert!(
        results.iter().all(|l| l.ends_with(" unchanged")),
        "{results:?}"
    );

    // Without -o, one table per kind, a blank line between them, names prefixed by kind.
    let tables = w.ok(&["get", "all"]);
    assert!(tables.contains("secret/grafana-creds"), "{tables}");
    assert!(tables.contains("server/my-grafana"), "{tables}");
    assert!(tables.contains("project/monitoring"), "{tables}");
    assert!(tables.contains("\n\nNAME"), "{tables}");
}

fn malformed_files_change_nothing(backend: Backend) {
    let w = World::start(backend);
    w.write(
        "bad.yaml",
        "secrets:\n  - name: s\n    data: {A: b}\nservers:\n  - name: a\n   command: [\n",
    );
    let err = w.error(&["apply", "-f", "bad.yaml"]);
    assert!(err.starts_with("error: bad.yaml: line "), "{err}");
    assert!(err.contains("column"), "{err}");

    w.write(
        "invalid.yaml",
        "servers:\n  - name: a\n    command: x\n  - name: b\n    command: y\n    replicas: 40\n",
    );
    let err = w.error(&["apply", "-f", "invalid.yaml"]);
    assert!(
        err.starts_with("error: invalid.yaml: servers[1].replicas: "),
        "{err}"
    );

    assert_eq!(w.run(&["get", "all"]).stderr, "No resources found.\n");
    let err = w.error(&["delete", "-f", "bad.yaml"]);
    assert!(err.starts_with("error: bad.yaml: line "), "{err}");
}

fn missing_references_are_named(backend: Backend) {
    let w = World::start(backend);
    w.write(
        "server.yaml",
        "kind: server\nname: my-grafana\nfromTemplate: grafana\nenvFrom:\n  - secretRef:\n      name: nope-creds\n",
    );
    let err = w.error(&["apply", "-f", "server.yaml"]);
    assert!(err.starts_with("error: server.yaml: "), "{err}");
    assert!(err.contains("nope-creds"), "{err}");
    let err = w.error(&[
        "create",
        "server",
        "b",
        "--command",
        "x",
        "--env-from-secret",
        "gone-creds",
    ]);
    assert!(err.contains("gone-creds"), "{err}");
    assert_eq!(w.run(&["get", "servers"]).stderr, "No servers found.\n");
}

fn files_are_deleted_in_order(backend: Backend) {
    let w = World::start(backend);
    w.write("state.yaml", STATE);
    w.ok(&["apply", "-f", "state.yaml"]);
    assert_eq!(
        lines(&w.ok(&["delete", "-f", "state.yaml"])),
        [
            "project/monitoring deleted",
            "server/my-grafana deleted",
            "server/clock deleted",
            "secret/grafana-creds deleted",
        ]
    );
    assert_eq!(w.run(&["get", "all"]).stderr, "No resources found.\n");
}
