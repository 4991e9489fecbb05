//! create / get / describe / patch / delete round trips, kind by kind.

use serde_json::json;
use test_support::Backend;

use crate::support::{World, lines, table};

test_support::for_each_backend!(
    servers_round_trip,
    projects_prompts_and_attachments,
    templates_are_built_in_or_local,
    several_names_and_missing_ones,
);

fn servers_round_trip(backend: Backend) {
    let w = World::start(backend);
    assert_eq!(
        w.ok(&[
            "create",
            "secret",
            "grafana-creds",
            "--data",
            "GRAFANA_URL=http://grafana.local:3000",
        ]),
        "secret/grafana-creds created\n"
    );
    assert_eq!(
        w.ok(&[
            "create",
            "server",
            "my-grafana",
            "--from-template",
            "grafana",
            "--env-from-secret",
            "grafana-creds",
            "--description",
            "Grafana dashboards",
            "--env",
            "GRAFANA_SERVICE_ACCOUNT_TOKEN=glsa_token",
        ]),
        "server/my-grafana created\n"
    );

    // The table shows what the server takes from its template.
    let rows = table(&w.ok(&["get", "servers"]));
    assert_eq!(
        rows[0],
        [
            "NAME",
            "TRANSPORT",
            "REPLICAS",
            "IMAGE/COMMAND",
            "TEMPLATE",
            "AGE"
        ]
    );
    assert_eq!(
        rows[1][..5],
        [
            "my-grafana",
            "STDIO",
            "1",
            "grafana/mcp-grafana:latest",
            "grafana"
        ]
    );
    assert!(rows[1][5].ends_with('s'), "age {:?}", rows[1][5]);
    let wide = table(&w.ok(&["get", "servers", "-o", "wide"]));
    assert_eq!(wide[0][6..], ["PORT", "DESCRIPTION"]);
    assert_eq!(wide[1][7], "Grafana dashboards");

    // One named resource is one flat document with its kind; a list is the grouped form.
    let one = w.json(&["get", "server", "my-grafana"]);
    assert_eq!(one["kind"], "server");
    assert_eq!(one["fromTemplate"], "grafana");
    assert_eq!(one["resourceVersion"], 1);
    let yaml = w.ok(&["get", "srv", "my-grafana", "-o", "yaml"]);
    assert!(
        yaml.starts_with("kind: server\nname: my-grafana\n"),
        "{yaml}"
    );
    let list = w.json(&["get", "servers"]);
    assert_eq!(list["servers"][0]["name"], "my-grafana");
    assert!(list["servers"][0].get("kind").is_none(), "{list}");
    assert_eq!(
        w.ok(&["get", "servers", "-o", "name"]),
        "server/my-grafana\n"
    );

    // describe explains the template's variables and whether each is set.
    let described = w.ok(&["describe", "server", "my-grafana"]);
    for expected in [
        "Name:",
        "my-grafana",
        "Template:",
        "(from template grafana)",
        "- secret grafana-creds: keys GRAFANA_URL",
        "Variables of template grafana:",
    ] {
        assert!(
            described.contains(expected),
            "{expected:?} not in\n{described}"
        );
    }
    let url_line = described
        .lines()
        .find(|l| l.trim_start().starts_with("GRAFANA_URL "))
        .unwrap_or_else(|| panic!("no GRAFANA_URL row in\n{described}"));
    assert!(
        url_line.contains("set from secret grafana-creds"),
        "{url_line}"
    );
    let token_line = described
        .lines()
        .find(|l| l.trim_start().starts_with("GRAFANA_SERVICE_ACCOUNT_TOKEN "))
        .unwrap_or_else(|| panic!("no token row in\n{described}"));
    assert!(token_line.contains(" set "), "{token_line}");
    assert!(
        described.contains("GRAFANA_SERVICE_ACCOUNT_TOKEN:  glsa_token"),
        "{described}"
    );

    // patch: key=value with YAML values and dotted keys, or a merge patch.
    assert_eq!(
        w.ok(&[
            "patch",
            "server",
            "my-grafana",
            "replicas=3",
            "description=hello world",
            "healthCheck.intervalSeconds=10"
        ]),
        "server/my-grafana patched\n"
    );
    let patched = w.json(&["get", "server", "my-grafana"]);
    assert_eq!(patched["replicas"], 3);
    assert_eq!(patched["description"], "hello world");
    assert_eq!(patched["healthCheck"]["intervalSeconds"], 10);
    assert_eq!(patched["resourceVersion"], 2);
    w.ok(&[
        "patch",
        "server",
        "my-grafana",
        "-p",
        r#"{"replicas": 2, "description": null}"#,
    ]);
    let patched = w.json(&["get", "server", "my-grafana"]);
    assert_eq!(patched["replicas"], 2);
    assert!(patched.get("description").is_none(), "{patched}");
    let err = w.error(&["patch", "server", "my-grafana", "replicas=40"]);
    assert!(err.contains("replicas"), "{err}");

    // A server a project lists cannot go before the project.
    w.ok(&["create", "project", "monitoring", "--server", "my-grafana"]);
    let err = w.error(&["delete", "server", "my-grafana"]);
    assert!(err.contains("monitoring"), "{err}");
    assert_eq!(
        lines(&w.ok(&["delete", "project", "monitoring"])),
        ["project/monitoring deleted"]
    );
    assert_eq!(
        lines(&w.ok(&["delete", "server", "my-grafana"])),
        ["server/my-grafana deleted"]
    );
    assert_eq!(
        lines(&w.ok(&["delete", "secret", "grafana-creds"])),
        ["secret/grafana-creds deleted"]
    );

    // Empty lists say so on stderr, like kubectl, and succeed.
    let run = w.run(&["get", "servers"]);
    assert_eq!(run.code, Some(0));
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "No servers found.\n");
    let err = w.error(&["get", "server", "my-grafana"]);
    assert!(err.contains("my-grafana"), "{err}");
}

fn projects_prompts_and_attachments(backend: Backend) {
    let w = World::start(backend);
    w.ok(&[
        "create",
        "server",
        "clock",
        "--command",
        "uvx",
        "--arg",
        "mcp-server-time",
    ]);
    w.ok(&[
        "create",
        "project",
        "mon",
        "--description",
        "Monitoring",
        "--proxy-model",
        "content-pipeline",
    ]);

    let err = w.error(&["attach-server", "clock"]);
    assert_eq!(err, "error: attach-server needs --project PROJECT");
    assert_eq!(
        w.ok(&["attach-server", "clock", "--project", "mon"]),
        "server/clock attached to project/mon\n"
    );
    assert_eq!(
        w.json(&["get", "project", "mon"])["servers"],
        json!(["clock"])
    );
    assert_eq!(
        table(&w.ok(&["get", "serverattachments", "--project", "mon"])),
        [["PROJECT", "SERVER"], ["mon", "clock"]]
    );
    assert_eq!(
        table(&w.ok(&["get", "servers", "--project", "mon"]))[1][0],
        "clock"
    );
    let projects = table(&w.ok(&["get", "projects"]));
    assert_eq!(
        projects[1][..4],
        ["mon", "content-pipeline", "clock", "Monitoring"]
    );

    // Prompts live in a project.
    let err = w.error(&["create", "prompt", "guide", "--content", "x"]);
    assert_eq!(err, "error: create prompt needs --project PROJECT");
    assert_eq!(
        w.ok(&[
            "create",
            "prompt",
            "guide",
            "--project",
            "mon",
            "--content",
            "Be brief.",
            "--priority",
            "7"
        ]),
        "prompt/guide created\n"
    );
    let prompts = table(&w.ok(&["get", "prompts", "--project", "mon"]));
    assert_eq!(prompts[0], ["NAME", "PROJECT", "PRIORITY", "SOURCE", "AGE"]);
    assert_eq!(prompts[1][..4], ["guide", "mon", "7", "content"]);
    let described = w.ok(&["describe", "prompt", "guide", "--project", "mon"]);
    assert!(described.contains("Be brief."), "{described}");

    // A prompt request (as a model would file it) becomes a prompt when approved.
    w.write(
        "request.yaml",
        "kind: promptrequest\nname: runbook\nproject: mon\ncontent: Check the dashboards first.\nreason: asked twice\n",
    );
    assert_eq!(
        w.ok(&["apply", "-f", "request.yaml"]),
        "promptrequest/runbook created\n"
    );
    assert_eq!(
        table(&w.ok(&["get", "promptrequests"]))[1][..3],
        ["runbook", "mon", "5"]
    );
    assert_eq!(
        w.ok(&["approve", "promptrequest", "runbook", "--project", "mon"]),
        "prompt/runbook created from promptrequest/runbook\n"
    );
    let names = w.ok(&["get", "prompts", "--project", "mon", "-o", "name"]);
    assert!(names.contains("prompt/runbook\n"), "{names}");

    // describe project lists its servers and prompts.
    let described = w.ok(&["describe", "project", "mon"]);
    for expected in [
        "Proxy Model:",
        "content-pipeline",
        "Servers:",
        "clock",
        "Prompts:",
        "guide",
        "runbook",
    ] {
        assert!(
            described.contains(expected),
            "{expected:?} not in\n{described}"
        );
    }

    assert_eq!(
        w.ok(&["detach-server", "clock", "--project", "mon"]),
        "server/clock detached from project/mon\n"
    );
    assert_eq!(w.json(&["get", "project", "mon"])["servers"], json!([]));
}

fn templates_are_built_in_or_local(backend: Backend) {
    let w = World::start(backend);
    let rows = table(&w.ok(&["get", "templates"]));
    assert_eq!(
        rows[0],
        [
            "NAME",
            "TRANSPORT",
            "IMAGE/COMMAND",
            "SOURCE",
            "DESCRIPTION"
        ]
    );
    let grafana = rows
        .iter()
        .find(|r| r[0] == "grafana")
        .expect("grafana is built in");
    assert_eq!(grafana[3], "built-in");

    assert_eq!(
        w.ok(&[
            "create",
            "template",
            "wiki",
            "--docker-image",
            "me/wiki-mcp:1",
            "--transport",
            "sse",
            "--container-port",
            "8080",
            "--env",
            "WIKI_URL=Base URL of the wiki",
            "--env",
            "WIKI_TOKEN",
        ]),
        "template/wiki created\n"
    );
    let rows = table(&w.ok(&["get", "tpl"]));
    let wiki = rows.iter().find(|r| r[0] == "wiki").expect("listed");
    assert_eq!(wiki[..4], ["wiki", "SSE", "me/wiki-mcp:1", "local"]);
    let described = w.ok(&["describe", "template", "wiki"]);
    for expected in [
        "Source:",
        "local",
        "Transport:",
        "SSE",
        "WIKI_URL",
        "Base URL of the wiki",
        "WIKI_TOKEN",
    ] {
        assert!(
            described.contains(expected),
            "{expected:?} not in\n{described}"
        );
    }

    // A server from it shows its template's values.
    w.ok(&[
        "create",
        "server",
        "team-wiki",
        "--from-template",
        "wiki",
        "--env",
        "WIKI_URL=http://wiki",
        "--env",
        "WIKI_TOKEN=t",
    ]);
    let rows = table(&w.ok(&["get", "servers"]));
    assert_eq!(
        rows[1][..5],
        ["team-wiki", "SSE", "1", "me/wiki-mcp:1", "wiki"]
    );
}

fn several_names_and_missing_ones(backend: Backend) {
    let w = World::start(backend);
    w.ok(&["create", "secret", "a", "--data", "K=1"]);
    w.ok(&["create", "secret", "b", "--data", "K=2"]);

    // Found ones are shown, each missing one is an error line, and the exit code is 1.
    let run = w.run(&["get", "secrets", "a", "nope", "b"]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    let rows = table(&run.stdout);
    assert_eq!(
        rows.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(),
        ["NAME", "a", "b"]
    );
    assert_eq!(run.stderr.lines().count(), 1, "{run:#?}");
    assert!(
        run.stderr.starts_with("error: ") && run.stderr.contains("nope"),
        "{run:#?}"
    );

    // Two names in YAML are a grouped list.
    let yaml = w.ok(&["get", "secrets", "a", "b", "-o", "yaml"]);
    assert!(yaml.starts_with("secrets:\n"), "{yaml}");

    // delete goes on past a missing name and fails at the end.
    let run = w.run(&["delete", "secret", "a", "nope", "b"]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert_eq!(lines(&run.stdout), ["secret/a deleted", "secret/b deleted"]);
    assert!(run.stderr.contains("nope"), "{run:#?}");
    assert_eq!(
        w.ok(&["delete", "secret", "nope", "--ignore-not-found"]),
        ""
    );
}
