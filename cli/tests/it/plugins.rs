//! `mcpctl plugin` end to end: `plugin new` writes a Rust plugin, a Rust stage and a JS stage
//! from the SDK's templates; each passes its own tests as written (`cargo test`, `npm test`);
//! `plugin install` validates and installs them; a real client (the Python MCP SDK, launched
//! from `.mcp.json`) then uses them through mcplocal and mcpd: the plugin hides and refuses a
//! tool, the stages redact and shorten a result, and the built-in `subindex` pipeline gives a
//! table of contents to drill into. Also `plugin list`, `pack`, install of the archive,
//! `remove`, and the refusals of bad input.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use test_support::Backend;

use crate::mcplocal::{LocalProxy, run_client, text_of};
use crate::support::{MCPCTL, World, running, table, wait_for_instances};

/// Where the generated Rust projects build: one folder beside the workspace's own target,
/// kept between runs (the SDK's dependencies are compiled once).
fn template_target() -> PathBuf {
    Path::new(MCPCTL)
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("plugin-template-test")
}

/// Runs `program args` in `dir`, which must succeed; returns its stdout and stderr.
fn run_in(dir: &Path, program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", template_target())
        .output()
        .unwrap_or_else(|e| panic!("{program} runs: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "{program} {args:?} in {}:\n{text}",
        dir.display()
    );
    text
}

/// A generated Rust project, tested and built as its README says (debug build).
fn cargo_test_and_build(dir: &Path) {
    // The workspace's lock file pins the SDK's dependencies to versions already fetched.
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock");
    std::fs::copy(lock, dir.join("Cargo.lock")).unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let tested = run_in(dir, &cargo, &["test"]);
    assert!(tested.contains("test result: ok. 3 passed"), "{tested}");
    run_in(dir, &cargo, &["build"]);
}

#[test]
fn new_plugins_and_stages_build_install_and_serve_a_real_client() {
    let w = World::start(Backend::Sqlite);
    let proxy = LocalProxy::new();
    let install = |path: &Path| {
        w.run_with_env(
            &["plugin", "install", path.to_str().unwrap()],
            &[("CARGO_TARGET_DIR", template_target().to_str().unwrap())],
        )
    };

    // Three projects from the templates, each passing its own tests.
    let files = w.files.path();
    w.ok(&["plugin", "new", "tool-guard", "--lang", "rust"]);
    w.ok(&[
        "plugin",
        "new",
        "line-clip",
        "--lang",
        "rust",
        "--kind",
        "stage",
    ]);
    w.ok(&["plugin", "new", "redact-keys", "--lang", "js"]);
    // Made ours: the guard also blocks the test server's `crash` tool.
    let guard_src = files.join("tool-guard/src/lib.rs");
    let source = std::fs::read_to_string(&guard_src).unwrap();
    let edited = source.replace(r#"&["delete", "drop"]"#, r#"&["delete", "drop", "crash"]"#);
    assert_ne!(source, edited, "the template's block list moved");
    std::fs::write(&guard_src, edited).unwrap();
    cargo_test_and_build(&files.join("tool-guard"));
    cargo_test_and_build(&files.join("line-clip"));
    let npm = run_in(&files.join("redact-keys"), "node", &["--test"]);
    assert!(npm.contains("# pass 2"), "{npm}");

    for project in ["tool-guard", "line-clip", "redact-keys"] {
        let installed = install(&files.join(project));
        assert!(installed.stderr.starts_with("Installed"), "{installed:#?}");
    }
    let listed = table(&w.ok(&["plugin", "list"]));
    let rows: Vec<(&str, &str, &str)> = listed[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str(), r[6].as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            ("line-clip", "plugin", "ok"),
            ("redact-keys", "js-stage", "ok"),
            ("tool-guard", "plugin", "ok")
        ]
    );

    // Used by projects through mcplocal and mcpd.
    std::fs::create_dir_all(w.home.path().join("proxymodels")).unwrap();
    std::fs::write(
        w.home.path().join("proxymodels/clipped.yaml"),
        "kind: ProxyModel\nmetadata:\n  name: clipped\nspec:\n  stages:\n    - type: redact-keys\n    - type: line-clip\n      config:\n        maxLineLength: 40\n",
    )
    .unwrap();
    let server = test_support::binary("mcp-test-server")
        .display()
        .to_string();
    let resources = json!({
        "servers": [{"name": "t", "command": server}],
        "projects": [
            {"name": "guarded", "proxyModel": "tool-guard", "servers": ["t"]},
            {"name": "clipped", "proxyModel": "clipped", "servers": ["t"]},
            {"name": "indexed", "proxyModel": "subindex", "servers": ["t"]},
        ],
    });
    let file = w.write("plugins.yaml", &resources.to_string());
    w.ok(&["apply", "-f", file.to_str().unwrap()]);
    wait_for_instances(&w, "t", "one Running instance", |i| running(i) == 1);
    let env = [("MCPLOCAL_LISTEN", proxy.listen.as_str())];
    for project in ["guarded", "clipped", "indexed"] {
        w.run_with_env(&["--project", project, "config", "claude"], &env)
            .ok();
    }
    let mcp_json = files.join(".mcp.json");

    let guarded = run_client(
        &mcp_json,
        "guarded",
        &json!([
            {"do": "initialize"},
            {"do": "tools"},
            {"do": "call", "name": "crash"},
            {"do": "call", "name": "echo", "arguments": {"text": "allowed"}},
        ]),
    );
    let tools: Vec<&str> = guarded[1]["names"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(tools.contains(&"echo"), "{tools:?}");
    assert!(!tools.contains(&"crash"), "{tools:?}");
    let refused = guarded[2].to_string();
    assert!(
        refused.contains("crash is blocked by plugin tool-guard"),
        "{refused}"
    );
    assert_eq!(text_of(&guarded[3]["result"]), "allowed", "{}", guarded[3]);

    let long = "z".repeat(100);
    let leaked = format!("OPENAI_API_KEY=sk-secret-value\n{long}");
    let clipped = run_client(
        &mcp_json,
        "clipped",
        &json!([
            {"do": "initialize"},
            {"do": "call", "name": "echo", "arguments": {"text": leaked}},
        ]),
    );
    assert_eq!(
        text_of(&clipped[1]["result"]),
        format!("OPENAI_API_KEY=[redacted]\n{}…", &long[..40]),
        "{}",
        clipped[1]
    );

    // The built-in subindex pipeline: a table of contents, then one section, over the SDK.
    let devices: Vec<Value> = (0..60)
        .map(|i| json!({"name": format!("device-{i}"), "notes": "x".repeat(300)}))
        .collect();
    let document = serde_json::to_string_pretty(&devices).unwrap();
    let indexed = run_client(
        &mcp_json,
        "indexed",
        &json!([
            {"do": "initialize"},
            {"do": "call", "name": "echo", "arguments": {"text": document}},
            {"do": "drill", "name": "echo"},
            {"do": "call", "name": "echo", "arguments": {"_resultId": "pm-gone", "_section": "x"}},
        ]),
    );
    let toc = text_of(&indexed[1]["result"]);
    assert!(toc.len() < document.len(), "not condensed: {toc}");
    let section = text_of(&indexed[2]["result"]);
    assert_ne!(indexed[2]["result"]["isError"], true, "{}", indexed[2]);
    assert!(section.contains("\"device-0\""), "{section}");
    assert!(
        section.len() < document.len() / 4,
        "one section, not the document: {section}"
    );
    assert_eq!(indexed[3]["result"]["isError"], true, "{}", indexed[3]);
    assert!(text_of(&indexed[3]["result"]).contains("pm-gone"));

    // An archive round trip, an archive whose checksum does not match, and removal.
    let target = template_target();
    let target_env = [("CARGO_TARGET_DIR", target.to_str().unwrap())];
    let archive = files.join("line-clip.tar.gz");
    let packed = w.run_with_env(
        &[
            "plugin",
            "pack",
            "line-clip",
            "-o",
            archive.to_str().unwrap(),
        ],
        &target_env,
    );
    assert!(
        packed.stderr.starts_with("Packed plugin line-clip"),
        "{packed:#?}"
    );
    w.ok(&["plugin", "remove", "line-clip"]);
    assert!(!w.home.path().join("plugins/libline_clip.so").exists());
    let reinstalled = install(&archive);
    assert!(
        reinstalled.stderr.starts_with("Installed plugin line-clip"),
        "{reinstalled:#?}"
    );
    assert!(w.home.path().join("plugins/libline_clip.so").exists());

    let tampered = files.join("tampered");
    std::fs::create_dir_all(&tampered).unwrap();
    let status = Command::new("tar")
        .args([
            "xzf",
            archive.to_str().unwrap(),
            "-C",
            tampered.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let manifest = tampered.join("mcpctl-plugin.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    doc["sha256"] = json!("0".repeat(64));
    std::fs::write(&manifest, doc.to_string()).unwrap();
    let bad_archive = files.join("tampered.tar.gz");
    let status = Command::new("tar")
        .args([
            "czf",
            bad_archive.to_str().unwrap(),
            "-C",
            tampered.to_str().unwrap(),
        ])
        .args(["mcpctl-plugin.json", "libline_clip.so"])
        .status()
        .unwrap();
    assert!(status.success());
    let error = install(&bad_archive).error();
    assert!(
        error.contains("checksum mismatch: expected sha256 0000"),
        "{error}"
    );

    let broken = w.write(
        "broken.js",
        "export default async function (content, ctx {\n",
    );
    let error = install(&broken).error();
    assert!(error.contains("broken.js: line 1: SyntaxError"), "{error}");
    let error = w.error(&["plugin", "remove", "nothing-here"]);
    assert!(
        error.contains("no installed plugin or stage is named \"nothing-here\""),
        "{error}"
    );
    let error = w.error(&["plugin", "new", "tool-guard", "--lang", "rust"]);
    assert!(error.contains("already exists and is not empty"), "{error}");
}
