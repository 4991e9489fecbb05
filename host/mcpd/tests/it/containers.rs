//! The Docker backend through the real mcpd and a real engine, with the project's own test
//! server image (built locally by `test_support::test_server_image`; nothing is pulled).

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use test_support::{Backend, Mcpd, test_server_image};

use crate::client::Api;
use crate::runtime::{instances, running, wait_for, wait_no_instances};

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Ids of the running containers mcpd made for `instance_prefix` (server name).
fn containers_of(server: &str) -> Vec<String> {
    docker(&[
        "ps",
        "-q",
        "--no-trunc",
        "--filter",
        &format!("label=io.mcpctl.server={server}"),
    ])
    .lines()
    .map(str::to_owned)
    .collect()
}

fn inspect(id: &str) -> Value {
    let text = docker(&["inspect", id]);
    serde_json::from_str::<Value>(&text).unwrap()[0].clone()
}

fn server(name: &str, extra: Value) -> Value {
    let mut doc = json!({
        "name": name,
        "dockerImage": test_server_image(),
        "healthCheck": {"intervalSeconds": 1, "timeoutSeconds": 10, "failureThreshold": 2},
    });
    if let (Some(doc), Value::Object(extra)) = (doc.as_object_mut(), extra) {
        doc.extend(extra);
    }
    doc
}

#[test]
fn containers_run_locked_down_and_go_with_their_server() {
    let mcpd = Mcpd::start(Backend::Sqlite);
    let api = Api::new(&mcpd.url);
    let name = format!("ctr-{}", &test_support::unique_suffix()[..8]);
    let doc = server(
        &name,
        json!({"networkIsolation": true, "readOnlyRootFilesystem": true, "limits": {"memoryMb": 64, "cpus": 0.5}}),
    );
    let reply = api.post_json("/api/v1/servers", &doc);
    assert_eq!(reply.status, 201, "{}", reply.body);
    wait_for(
        &api,
        &name,
        Duration::from_secs(60),
        "1 running",
        running(1),
    );
    let ids = containers_of(&name);
    assert_eq!(ids.len(), 1);
    let host = &inspect(&ids[0])["HostConfig"];
    assert_eq!(host["Privileged"], false);
    assert_eq!(host["CapDrop"], json!(["ALL"]));
    assert_eq!(host["SecurityOpt"], json!(["no-new-privileges"]));
    assert_eq!(host["NetworkMode"], "none");
    assert_eq!(host["ReadonlyRootfs"], true);
    assert_eq!(host["Memory"], 64 * 1024 * 1024);
    assert_eq!(host["NanoCpus"], 500_000_000);

    assert_eq!(
        api.patch_json(&format!("/api/v1/servers/{name}"), &json!({"replicas": 2}))
            .status,
        200
    );
    wait_for(
        &api,
        &name,
        Duration::from_secs(60),
        "2 running",
        running(2),
    );
    assert_eq!(containers_of(&name).len(), 2);

    assert_eq!(api.delete(&format!("/api/v1/servers/{name}")).status, 200);
    wait_no_instances(&api, &name);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !containers_of(&name).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "containers left behind"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_restarted_mcpd_adopts_its_running_containers() {
    let mut mcpd = Mcpd::start(Backend::Sqlite);
    let api = Api::new(&mcpd.url);
    let name = format!("adopt-{}", &test_support::unique_suffix()[..8]);
    assert_eq!(
        api.post_json("/api/v1/servers", &server(&name, json!({"replicas": 2})))
            .status,
        201
    );
    let before = wait_for(
        &api,
        &name,
        Duration::from_secs(60),
        "2 running",
        running(2),
    );
    let containers_before = {
        let mut ids = containers_of(&name);
        ids.sort();
        ids
    };
    drop(api);
    mcpd.kill_and_restart();
    let api = Api::new(&mcpd.url);
    let after = wait_for(
        &api,
        &name,
        Duration::from_secs(60),
        "2 running",
        running(2),
    );
    let mut names_before: Vec<&String> = before.iter().map(|i| &i.0).collect();
    let mut names_after: Vec<&String> = after.iter().map(|i| &i.0).collect();
    names_before.sort();
    names_after.sort();
    assert_eq!(names_before, names_after, "the same instances, adopted");
    let mut containers_after = containers_of(&name);
    containers_after.sort();
    assert_eq!(
        containers_before, containers_after,
        "no duplicates, no replacements"
    );
    let events = api.get(&format!("/api/v1/servers/{name}/events")).body;
    assert!(events.to_string().contains("Adopted"), "{events}");
    assert_eq!(api.delete(&format!("/api/v1/servers/{name}")).status, 200);
    wait_no_instances(&api, &name);
}

#[test]
fn a_missing_image_fails_clearly_without_a_retry_storm() {
    let mcpd = Mcpd::start(Backend::Sqlite);
    let api = Api::new(&mcpd.url);
    let doc = json!({"name": "ghost-image", "dockerImage": "mcpctl-test/does-not-exist:1"});
    assert_eq!(api.post_json("/api/v1/servers", &doc).status, 201);
    let seen = wait_for(
        &api,
        "ghost-image",
        Duration::from_secs(60),
        "Failed",
        |seen| seen.len() == 1 && seen[0].1 == "Failed",
    );
    let instance = api.get(&format!("/api/v1/instances/{}", seen[0].0)).body;
    let error = instance["lastError"].as_str().unwrap_or_default();
    assert!(error.contains("mcpctl-test/does-not-exist:1"), "{instance}");
    std::thread::sleep(Duration::from_secs(5));
    let events = api.get("/api/v1/servers/ghost-image/events").body;
    let attempts = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["reason"] == "Failed")
        .count();
    assert!(
        attempts <= 2,
        "retried {attempts} times in a few seconds: {events}"
    );
    assert_eq!(instances(&api, "ghost-image")[0].1, "Failed");
}

/// Runs `replicas` containers of a new server, deletes it, waits for its instances to leave
/// the list when `wait_for_the_loop` (else sends the stop signal at once), stops mcpd
/// gracefully and checks that no container of the server is left, running or not.
fn delete_then_stop(prefix: &str, replicas: usize, wait_for_the_loop: bool) {
    let mut mcpd = Mcpd::start(Backend::Sqlite);
    let api = Api::new(&mcpd.url);
    let name = format!("{prefix}-{}", &test_support::unique_suffix()[..8]);
    let reply = api.post_json(
        "/api/v1/servers",
        &server(&name, json!({ "replicas": replicas })),
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
    wait_for(
        &api,
        &name,
        Duration::from_secs(60),
        &format!("{replicas} running"),
        running(replicas),
    );
    assert_eq!(containers_of(&name).len(), replicas);
    assert_eq!(api.delete(&format!("/api/v1/servers/{name}")).status, 200);
    if wait_for_the_loop {
        // The instance leaves the list at once; its container is stopped beside the loop.
        wait_no_instances(&api, &name);
    }
    // Containers of servers that still exist are kept, to be adopted; a deleted server's
    // must go.
    mcpd.stop();
    let left = docker(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label=io.mcpctl.server={name}"),
    ]);
    assert_eq!(left.trim(), "", "a container of the deleted server is left");
}

/// The reconciler has seen the delete and is stopping the container beside its loop: the
/// graceful stop waits for that stop.
#[test]
fn a_server_deleted_just_before_mcpd_stops_leaves_no_container() {
    delete_then_stop("bye", 1, true);
}

/// No wait at all between the delete and the stop signal: mcpd may get the signal before
/// its reconciler has seen the delete (seen under the loaded parallel test run: a deleted
/// two-replica server's containers were left behind).
#[test]
fn a_server_deleted_right_as_mcpd_stops_leaves_no_container() {
    delete_then_stop("gone", 2, false);
}
