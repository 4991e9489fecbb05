//! `edit` with `$EDITOR` set to small scripts.

use test_support::Backend;

use crate::support::{MCPCTL, World};

test_support::for_each_backend!(edits_are_saved_or_kept);

fn edits_are_saved_or_kept(backend: Backend) {
    let w = World::start(backend);
    w.ok(&[
        "create",
        "server",
        "clock",
        "--command",
        "uvx",
        "--description",
        "old-text",
    ]);

    // An editor that changes the file: the change is saved.
    let run = w.run_with_env(
        &["edit", "server", "clock"],
        &[("EDITOR", "sed -i s/old-text/new-text/")],
    );
    assert_eq!(run.ok(), "server/clock edited\n");
    let server = w.json(&["get", "server", "clock"]);
    assert_eq!(server["description"], "new-text");
    assert_eq!(server["resourceVersion"], 2);

    // $VISUAL wins over $EDITOR; an editor that changes nothing changes nothing.
    let run = w.run_with_env(
        &["edit", "server", "clock"],
        &[("VISUAL", "true"), ("EDITOR", "sed -i s/new-text/other/")],
    );
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_eq!(run.stderr, "Edit cancelled, no changes made.\n");
    assert_eq!(w.json(&["get", "server", "clock"])["resourceVersion"], 2);

    // A change made meanwhile is not overwritten: the save fails and the edit is kept.
    let script = w.write(
        "racing-editor.sh",
        &format!(
            "#!/bin/sh\nset -e\n'{MCPCTL}' --mcpd-url '{}' patch server clock replicas=2 >/dev/null\nsed -i s/new-text/mine/ \"$1\"\n",
            w.mcpd.url
        ),
    );
    let run = w.run_with_env(
        &["edit", "server", "clock"],
        &[("EDITOR", &format!("sh {}", script.display()))],
    );
    let err = run.error();
    let kept = err
        .split("your edit is kept in ")
        .nth(1)
        .unwrap_or_else(|| panic!("no kept file in {err}"));
    let kept_text = std::fs::read_to_string(kept).expect("kept file");
    assert!(kept_text.contains("description: mine"), "{kept_text}");
    let _ = std::fs::remove_file(kept);
    let server = w.json(&["get", "server", "clock"]);
    assert_eq!(server["description"], "new-text");
    assert_eq!(server["replicas"], 2);

    // Broken YAML: an error with line and column, the edit kept, nothing changed.
    let run = w.run_with_env(
        &["edit", "server", "clock"],
        &[("EDITOR", "sed -i s/^command:.*/command:\\ [/")],
    );
    let err = run.error();
    assert!(err.starts_with("error: the edited file: line "), "{err}");
    assert!(err.contains("column"), "{err}");
    if let Some(kept) = err.split("your edit is kept in ").nth(1) {
        let _ = std::fs::remove_file(kept);
    }
    assert_eq!(w.json(&["get", "server", "clock"])["resourceVersion"], 3);

    // An invalid value is refused by mcpd, naming the field.
    let run = w.run_with_env(
        &["edit", "server", "clock"],
        &[("EDITOR", "sed -i s/^replicas:.*/replicas:\\ 99/")],
    );
    let err = run.error();
    assert!(err.contains("replicas"), "{err}");
    if let Some(kept) = err.split("your edit is kept in ").nth(1) {
        let _ = std::fs::remove_file(kept);
    }
}
