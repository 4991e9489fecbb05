//! The REST API of the real mcpd binary, on SQLite and on PostgreSQL.

use serde_json::json;
use test_support::{Backend, Mcpd, for_each_backend};

use crate::client::Api;

const INFRA: &str = r#"
secrets:
  - name: grafana-creds
    data:
      GRAFANA_URL: "http://grafana.local:3000"
      GRAFANA_SERVICE_ACCOUNT_TOKEN: "glsa_secret_token_value"
servers:
  - name: my-grafana
    description: "Grafana dashboards and alerting"
    fromTemplate: grafana
    envFrom:
      - secretRef:
          name: grafana-creds
  - name: clock
    command: uvx
    args: [mcp-server-time]
projects:
  - name: monitoring
    description: "Infrastructure monitoring"
    proxyModel: content-pipeline
    servers:
      - my-grafana
prompts:
  - name: guide
    project: monitoring
    content: "Check the dashboards first."
    priority: 7
"#;

fn start(backend: Backend) -> (Mcpd, Api) {
    let mcpd = Mcpd::start(backend);
    let api = Api::new(&mcpd.url);
    (mcpd, api)
}

for_each_backend!(
    create_get_replace_patch_delete,
    stale_versions_conflict_and_change_nothing,
    apply_is_all_or_nothing,
    export_then_apply_is_a_no_op_and_edits_apply_exactly,
    secrets_are_sealed_at_rest_and_masked_on_output,
    references_are_checked_both_ways,
    prompt_requests_are_approved_atomically,
    servers_attach_and_detach,
    bad_input_gets_a_clear_error,
    state_survives_kill_9,
    concurrent_writers_all_land,
);

fn create_get_replace_patch_delete(backend: Backend) {
    let (_mcpd, api) = start(backend);
    let created = api.post_json(
        "/api/v1/servers",
        &json!({"name": "clock", "command": "uvx", "args": ["mcp-server-time"]}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["resourceVersion"], 1);
    assert_eq!(created.body["replicas"], 1, "defaults are filled in");

    let again = api.post_json("/api/v1/servers", &json!({"name": "clock", "command": "x"}));
    assert_eq!(again.status, 409);
    assert_eq!(again.body["error"]["reason"], "AlreadyExists");

    let mut doc = api.get("/api/v1/servers/clock").body;
    doc["description"] = json!("tells the time");
    let replaced = api.put_json("/api/v1/servers/clock", &doc);
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    assert_eq!(replaced.body["resourceVersion"], 2);

    let patched = api.patch_json(
        "/api/v1/servers/clock",
        &json!({"replicas": 3, "description": null}),
    );
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["replicas"], 3);
    assert!(
        patched.body.get("description").is_none(),
        "null removes a field"
    );
    assert_eq!(patched.body["resourceVersion"], 3);

    let unchanged = api.patch_json("/api/v1/servers/clock", &json!({"replicas": 3}));
    assert_eq!(
        unchanged.body["resourceVersion"], 3,
        "a patch that changes nothing bumps nothing"
    );

    assert_eq!(api.delete("/api/v1/servers/clock").status, 200);
    assert_eq!(api.get("/api/v1/servers/clock").status, 404);
    assert_eq!(api.delete("/api/v1/servers/clock").status, 404);
}

fn stale_versions_conflict_and_change_nothing(backend: Backend) {
    let (_mcpd, api) = start(backend);
    api.post_json("/api/v1/projects", &json!({"name": "p"}));
    let first = api.get("/api/v1/projects/p").body;
    let mut mine = first.clone();
    mine["description"] = json!("mine");
    let mut theirs = first.clone();
    theirs["description"] = json!("theirs");
    assert_eq!(api.put_json("/api/v1/projects/p", &theirs).status, 200);
    let stale = api.put_json("/api/v1/projects/p", &mine);
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert!(
        stale.message().contains("resourceVersion is now 2"),
        "{}",
        stale.message()
    );
    assert_eq!(api.get("/api/v1/projects/p").body["description"], "theirs");

    let stale_patch = api.patch_json(
        "/api/v1/projects/p",
        &json!({"description": "x", "resourceVersion": 1}),
    );
    assert_eq!(stale_patch.status, 409);
    assert_eq!(api.get("/api/v1/projects/p").body["description"], "theirs");
}

fn apply_is_all_or_nothing(backend: Backend) {
    let (_mcpd, api) = start(backend);
    let broken = format!(
        "{INFRA}\n  - name: bad\n    project: monitoring\n    content: x\n    priority: 11\n"
    );
    let reply = api.apply(&broken);
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert_eq!(reply.body["error"]["field"], "prompts[1].priority");
    let missing_ref = INFRA.replace(
        "name: grafana-creds\n    data",
        "name: other-creds\n    data",
    );
    let reply = api.apply(&missing_ref);
    assert_eq!(reply.status, 422);
    assert!(
        reply.message().contains("secret grafana-creds"),
        "{}",
        reply.message()
    );
    for kind in ["secrets", "servers", "projects"] {
        assert!(
            api.names(&format!("/api/v1/{kind}")).is_empty(),
            "{kind} written by a failed apply"
        );
    }

    let dry = api.send(
        reqwest::Method::POST,
        "/api/v1/apply?dryRun=true",
        Some(("application/yaml", INFRA.to_owned())),
    );
    assert_eq!(dry.status, 200);
    assert!(Api::actions(&dry).iter().all(|(_, a)| a == "created"));
    assert!(
        api.names("/api/v1/servers").is_empty(),
        "a dry run writes nothing"
    );

    let applied = api.apply(INFRA);
    assert_eq!(applied.status, 200, "{}", applied.body);
    assert_eq!(Api::actions(&applied).len(), 5);
    assert_eq!(api.names("/api/v1/servers"), ["clock", "my-grafana"]);
    assert_eq!(
        api.names("/api/v1/servers?project=monitoring"),
        ["my-grafana"]
    );
}

fn export_then_apply_is_a_no_op_and_edits_apply_exactly(backend: Backend) {
    let (_mcpd, api) = start(backend);
    assert_eq!(api.apply(INFRA).status, 200);
    let exported = api.get("/api/v1/export?project=monitoring").body;
    assert!(exported.get("servers").is_some() && exported.get("secrets").is_some());
    let names: Vec<&str> = exported["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["my-grafana"], "only the project's servers");
    let yaml = serde_yaml_ng::to_string(&exported).unwrap();
    let reply = api.apply(&yaml);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let actions = Api::actions(&reply);
    assert!(actions.iter().all(|(_, a)| a == "unchanged"), "{actions:?}");

    let edited = yaml.replace("Infrastructure monitoring", "Dashboards only");
    let actions = Api::actions(&api.apply(&edited));
    let changed: Vec<_> = actions.iter().filter(|(_, a)| a != "unchanged").collect();
    assert_eq!(
        changed,
        [&("project/monitoring".to_owned(), "configured".to_owned())]
    );
    assert_eq!(
        api.get("/api/v1/projects/monitoring").body["description"],
        "Dashboards only"
    );
}

fn secrets_are_sealed_at_rest_and_masked_on_output(backend: Backend) {
    let (mcpd, api) = start(backend);
    assert_eq!(api.apply(INFRA).status, 200);
    for spec in mcpd.raw_specs() {
        assert!(
            !spec.contains("glsa_secret_token_value"),
            "plaintext at rest: {spec}"
        );
    }
    let masked = api.get("/api/v1/secrets/grafana-creds").body;
    assert_eq!(masked["data"]["GRAFANA_SERVICE_ACCOUNT_TOKEN"], "********");
    let shown = api.get("/api/v1/secrets/grafana-creds?reveal=true").body;
    assert_eq!(
        shown["data"]["GRAFANA_SERVICE_ACCOUNT_TOKEN"],
        "glsa_secret_token_value"
    );

    // Sending a masked value back keeps the stored one; a new value replaces it.
    let mut doc = masked.clone();
    doc["data"]["NEW_KEY"] = json!("v");
    assert_eq!(
        api.put_json("/api/v1/secrets/grafana-creds", &doc).status,
        200
    );
    let shown = api.get("/api/v1/secrets/grafana-creds?reveal=true").body;
    assert_eq!(
        shown["data"]["GRAFANA_SERVICE_ACCOUNT_TOKEN"],
        "glsa_secret_token_value"
    );
    assert_eq!(shown["data"]["NEW_KEY"], "v");

    let bogus = api.post_json(
        "/api/v1/secrets",
        &json!({"name": "fresh", "data": {"K": "********"}}),
    );
    assert_eq!(bogus.status, 422);
    assert_eq!(bogus.body["error"]["field"], "data.K");
}

fn references_are_checked_both_ways(backend: Backend) {
    let (_mcpd, api) = start(backend);
    assert_eq!(api.apply(INFRA).status, 200);
    let reply = api.delete("/api/v1/secrets/grafana-creds");
    assert_eq!(reply.status, 409);
    assert!(
        reply.message().contains("server my-grafana"),
        "{}",
        reply.message()
    );

    let reply = api.delete("/api/v1/servers/my-grafana");
    assert_eq!(reply.status, 409);
    assert!(
        reply.message().contains("detach-server"),
        "{}",
        reply.message()
    );

    // Removing a key the template requires breaks the server that relies on it.
    let reply = api.patch_json(
        "/api/v1/secrets/grafana-creds",
        &json!({"data": {"GRAFANA_URL": null}}),
    );
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert!(
        reply.message().contains("GRAFANA_URL"),
        "{}",
        reply.message()
    );

    let reply = api.post_json(
        "/api/v1/servers",
        &json!({"name": "x", "fromTemplate": "no-such-template"}),
    );
    assert_eq!(reply.status, 422);
    assert!(
        reply.message().contains("template no-such-template"),
        "{}",
        reply.message()
    );

    let reply = api.post_json(
        "/api/v1/projects",
        &json!({"name": "q", "servers": ["ghost"]}),
    );
    assert!(
        reply.message().contains("server ghost"),
        "{}",
        reply.message()
    );

    // A prompt linking to a server keeps the server from being deleted.
    let linked = api.post_json(
        "/api/v1/prompts?project=monitoring",
        &json!({"name": "clock-page", "link": "monitoring/clock:time://now"}),
    );
    assert_eq!(linked.status, 201, "{}", linked.body);
    let reply = api.delete("/api/v1/servers/clock");
    assert_eq!(reply.status, 409);
    assert!(
        reply.message().contains("linked from prompt clock-page"),
        "{}",
        reply.message()
    );

    // Deleting a project takes its prompts with it.
    assert_eq!(api.delete("/api/v1/projects/monitoring").status, 200);
    assert!(api.names("/api/v1/prompts").is_empty());
    assert_eq!(api.delete("/api/v1/servers/my-grafana").status, 200);
    assert_eq!(api.delete("/api/v1/secrets/grafana-creds").status, 200);
}

fn prompt_requests_are_approved_atomically(backend: Backend) {
    let (_mcpd, api) = start(backend);
    assert_eq!(api.apply(INFRA).status, 200);
    let reply = api.post_json(
        "/api/v1/promptrequests?project=monitoring",
        &json!({"name": "proposed-guide", "content": "Use UTC.", "priority": 4}),
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
    let approved = api.send(
        reqwest::Method::POST,
        "/api/v1/promptrequests/proposed-guide/approve",
        None,
    );
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(approved.body["kind"], "prompt");
    assert_eq!(approved.body["content"], "Use UTC.");
    assert_eq!(approved.body["priority"], 4);
    assert!(api.names("/api/v1/promptrequests").is_empty());
    assert_eq!(
        api.names("/api/v1/prompts?project=monitoring"),
        ["guide", "proposed-guide"]
    );

    // A request whose prompt name is taken is refused and stays pending.
    api.post_json(
        "/api/v1/promptrequests?project=monitoring",
        &json!({"name": "guide", "content": "dup"}),
    );
    let clash = api.send(
        reqwest::Method::POST,
        "/api/v1/promptrequests/guide/approve?project=monitoring",
        None,
    );
    assert_eq!(clash.status, 409);
    assert_eq!(api.names("/api/v1/promptrequests"), ["guide"]);
}

fn servers_attach_and_detach(backend: Backend) {
    let (_mcpd, api) = start(backend);
    assert_eq!(api.apply(INFRA).status, 200);
    let reply = api.post_json(
        "/api/v1/serverattachments",
        &json!({"project": "monitoring", "server": "clock"}),
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(
        api.get("/api/v1/projects/monitoring").body["servers"],
        json!(["my-grafana", "clock"])
    );
    let listed = api.get("/api/v1/serverattachments?project=monitoring").body;
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);

    let yaml = "kind: serverattachment\nproject: monitoring\nserver: clock\n";
    assert_eq!(Api::actions(&api.apply(yaml))[0].1, "unchanged");

    let ghost = api.post_json(
        "/api/v1/serverattachments",
        &json!({"project": "monitoring", "server": "ghost"}),
    );
    assert_eq!(ghost.status, 422);
    assert_eq!(
        api.delete("/api/v1/serverattachments/clock?project=monitoring")
            .status,
        200
    );
    assert_eq!(
        api.get("/api/v1/projects/monitoring").body["servers"],
        json!(["my-grafana"])
    );
    assert_eq!(
        api.delete("/api/v1/serverattachments/clock?project=monitoring")
            .status,
        404
    );
}

fn bad_input_gets_a_clear_error(backend: Backend) {
    let (_mcpd, api) = start(backend);
    let reply = api.apply("servers:\n  - name: a\n   command: [\n");
    assert_eq!(reply.status, 400);
    assert!(
        reply.message().starts_with("line 3 column"),
        "{}",
        reply.message()
    );

    let reply = api.post_json(
        "/api/v1/servers",
        &json!({"name": "a", "command": "x", "replica": 2}),
    );
    assert_eq!(reply.status, 422);
    assert!(
        reply.message().contains("unknown field `replica`"),
        "{}",
        reply.message()
    );

    let reply = api.post_json(
        "/api/v1/servers",
        &json!({"name": "Bad_Name", "command": "x"}),
    );
    assert_eq!(reply.body["error"]["field"], "name");

    let reply = api.send(
        reqwest::Method::POST,
        "/api/v1/servers",
        Some((
            "application/json",
            "{\"name\": \"a\",\n \"command\": }".into(),
        )),
    );
    assert_eq!(reply.status, 400);
    assert!(
        reply.message().starts_with("line 2 column"),
        "{}",
        reply.message()
    );

    assert_eq!(api.get("/api/v1/pods").status, 404);
    let reply = api.post_json("/api/v1/instances", &json!({"name": "i", "server": "s"}));
    assert_eq!(reply.status, 405);
    let reply = api.delete("/api/v1/templates/grafana");
    assert_eq!(reply.status, 405);
    assert!(reply.message().contains("built in"), "{}", reply.message());
    let reply = api.get("/api/v1/servers?bogus=1");
    assert_eq!(reply.status, 400);
}

fn state_survives_kill_9(backend: Backend) {
    let (mut mcpd, _) = start(backend);
    let api = Api::new(&mcpd.url);
    assert_eq!(api.apply(INFRA).status, 200);
    drop(api);
    mcpd.kill_and_restart();
    let api = Api::new(&mcpd.url);
    assert_eq!(api.names("/api/v1/servers"), ["clock", "my-grafana"]);
    let secret = api.get("/api/v1/secrets/grafana-creds?reveal=true").body;
    assert_eq!(
        secret["data"]["GRAFANA_URL"], "http://grafana.local:3000",
        "the key file is reused"
    );
}

fn concurrent_writers_all_land(backend: Backend) {
    let (mcpd, _) = start(backend);
    let url = mcpd.url.clone();
    let threads: Vec<_> = (0..16)
        .map(|i| {
            let url = url.clone();
            std::thread::spawn(move || {
                let api = Api::new(&url);
                api.post_json(
                    "/api/v1/servers",
                    &json!({"name": format!("s{i}"), "command": "x"}),
                )
                .status
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), 201);
    }
    assert_eq!(Api::new(&url).names("/api/v1/servers").len(), 16);

    // Sixteen writers racing on the same version: exactly one wins.
    let threads: Vec<_> = (0..16)
        .map(|i| {
            let url = url.clone();
            std::thread::spawn(move || {
                let api = Api::new(&url);
                api.put_json(
                    "/api/v1/servers/s0",
                    &json!({"name": "s0", "command": format!("c{i}"), "resourceVersion": 1}),
                )
                .status
            })
        })
        .collect();
    let statuses: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        15,
        "{statuses:?}"
    );
}
