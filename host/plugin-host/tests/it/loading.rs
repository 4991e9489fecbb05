//! Real cdylib loading: the three built-in plugins, refusals, duplicates, the search path.

use std::path::PathBuf;

use plugin_host::{HookOrigin, HookPoint, LoadError, PluginHost, SearchPath, Source};

use crate::support::{library, load, plugin_dir};

fn origins(host: &PluginHost, plugin: &str) -> Vec<(HookPoint, Vec<String>)> {
    host.get(plugin)
        .unwrap_or_else(|| panic!("plugin {plugin} loaded"))
        .info()
        .hooks
        .iter()
        .map(|HookOrigin { hook, from }| (*hook, from.clone()))
        .collect()
}

fn from(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn the_three_built_in_plugins_load_and_default_inherits_from_both() {
    let (host, refused) = load(&["gate", "content-pipeline", "default"]);
    assert!(refused.is_empty(), "{refused:?}");
    let names: Vec<&str> = host.plugins().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["gate", "content-pipeline", "default"]);

    let default = host.get("default").expect("default").info();
    assert_eq!(default.extends, ["gate", "content-pipeline"]);
    assert_eq!(default.source, Source::BuiltIn);
    assert_eq!(default.file, library("default"));
    assert_eq!(default.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(default.api_version, plugin_api::ABI_VERSION);
    assert_eq!(
        origins(&host, "default"),
        vec![
            (HookPoint::SessionCreate, from(&["gate"])),
            (HookPoint::SessionDestroy, from(&["gate"])),
            (HookPoint::Initialize, from(&["gate"])),
            (HookPoint::ToolsList, from(&["gate"])),
            (HookPoint::ToolCallBefore, from(&["gate"])),
            (HookPoint::ToolCallAfter, from(&["content-pipeline"])),
            (HookPoint::ResourceRead, from(&["content-pipeline"])),
            (HookPoint::PromptGet, from(&["content-pipeline"])),
        ]
    );
    assert!(
        !host
            .get("default")
            .expect("default")
            .implements(HookPoint::PromptsList)
    );
    assert_eq!(
        origins(&host, "content-pipeline"),
        vec![
            (HookPoint::ToolCallAfter, from(&["content-pipeline"])),
            (HookPoint::ResourceRead, from(&["content-pipeline"])),
            (HookPoint::PromptGet, from(&["content-pipeline"])),
        ]
    );
    assert_eq!(
        host.get("gate").expect("gate").info().features,
        ["prompts", "prompt-requests", "tools-list-changed", "log"]
    );
}

#[test]
fn a_plugin_built_against_an_older_api_is_refused_by_name_file_and_both_versions() {
    let (host, refused) = load(&["test-plugin-old-api", "gate"]);
    assert_eq!(
        host.plugins().count(),
        1,
        "the compatible plugin still loads"
    );
    let [error] = refused.as_slice() else {
        panic!("one refusal expected: {refused:?}");
    };
    assert!(
        matches!(error, LoadError::IncompatibleVersion { .. }),
        "{error:?}"
    );
    let file = library("test-plugin-old-api");
    assert_eq!(
        error.to_string(),
        format!(
            "plugin `test-plugin-old-api` ({}) was built against plugin-api 0.0.7, but this mcplocal uses plugin-api {v}; rebuild the plugin against plugin-api {v}",
            file.display(),
            v = plugin_api::ABI_VERSION
        )
    );
}

#[test]
fn a_plugin_whose_types_differ_at_the_same_version_is_refused_for_its_layout() {
    let (host, refused) = load(&["test-plugin-bad-layout", "gate"]);
    assert_eq!(
        host.plugins().count(),
        1,
        "the compatible plugin still loads"
    );
    let [error] = refused.as_slice() else {
        panic!("one refusal expected: {refused:?}");
    };
    assert!(
        matches!(error, LoadError::IncompatibleLayout { .. }),
        "{error:?}"
    );
    let text = error.to_string();
    let expected = format!(
        "plugin `test-plugin-bad-layout` ({}) was built against plugin-api 0.1.0 whose types differ from those of this mcplocal's plugin-api {}; rebuild the plugin (",
        library("test-plugin-bad-layout").display(),
        plugin_api::ABI_VERSION
    );
    assert!(text.starts_with(&expected), "{text}");
    assert!(text.contains("PluginModule"), "names the type: {text}");
    assert!(text.len() < 1_000, "one readable line: {text}");
}

#[test]
fn a_plugin_needing_a_host_feature_this_host_lacks_is_refused_by_name() {
    let (host, refused) = load(&["test-plugin-future-feature"]);
    assert_eq!(host.plugins().count(), 0);
    let [error] = refused.as_slice() else {
        panic!("one refusal expected: {refused:?}");
    };
    assert_eq!(
        error.to_string(),
        format!(
            "plugin `test-future-feature` ({}) needs host feature `teleport`, which this mcplocal (plugin-api {}) does not provide; upgrade mcplocal",
            library("test-plugin-future-feature").display(),
            plugin_api::ABI_VERSION
        )
    );
}

#[test]
fn a_plugin_extending_a_built_in_overrides_one_hook_and_inherits_the_rest() {
    let (host, refused) = load(&["gate", "test-plugin-extends-gate"]);
    assert!(refused.is_empty(), "{refused:?}");
    assert_eq!(
        origins(&host, "test-extends-gate"),
        vec![
            (HookPoint::SessionCreate, from(&["gate"])),
            (HookPoint::SessionDestroy, from(&["gate"])),
            (HookPoint::Initialize, from(&["gate"])),
            (HookPoint::ToolsList, from(&["test-extends-gate"])),
            (HookPoint::ToolCallBefore, from(&["gate"])),
            (HookPoint::PromptsList, from(&["test-extends-gate"])),
        ]
    );
}

#[test]
fn a_plugin_whose_parent_is_not_loaded_is_refused_by_name_and_file() {
    let (host, refused) = load(&["test-plugin-extends-gate"]);
    assert_eq!(host.plugins().count(), 0);
    let [error] = refused.as_slice() else {
        panic!("one refusal expected: {refused:?}");
    };
    assert_eq!(
        error.to_string(),
        format!(
            "plugin `test-extends-gate` extends `gate`, which is not loaded ({})",
            library("test-plugin-extends-gate").display()
        )
    );
}

#[test]
fn a_file_that_is_not_a_plugin_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let junk = dir.path().join("libjunk.so");
    std::fs::write(&junk, b"not an ELF file").expect("write");
    let (_, refused) = PluginHost::load_files(&[(junk.clone(), Source::Local)]);
    let [error] = refused.as_slice() else {
        panic!("one refusal expected: {refused:?}");
    };
    assert!(
        matches!(error, LoadError::Open { plugin, .. } if plugin == "junk"),
        "{error:?}"
    );
    assert!(
        error.to_string().contains(&junk.display().to_string()),
        "{error}"
    );
}

/// A temp folder with symlinks to the given plugin crates' libraries.
fn folder_with(crates: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for krate in crates {
        let lib = library(krate);
        let name = lib.file_name().expect("file name");
        std::os::unix::fs::symlink(&lib, dir.path().join(name)).expect("symlink");
    }
    dir
}

#[test]
fn the_search_path_finds_built_in_and_local_plugins_and_refuses_a_duplicate_name() {
    let built_in = folder_with(&["gate", "content-pipeline", "default"]);
    let local = folder_with(&["gate", "test-plugin-extends-gate"]);
    std::fs::write(local.path().join("README.txt"), "not a library").expect("write");
    let search = SearchPath::new(
        &[
            PathBuf::from("/nonexistent/plugins"),
            built_in.path().to_path_buf(),
        ],
        &[local.path().to_path_buf()],
    );
    let (host, refused) = PluginHost::load(&search);
    let mut loaded: Vec<(String, Source)> =
        host.plugins().map(|p| (p.name.clone(), p.source)).collect();
    loaded.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        loaded,
        vec![
            ("content-pipeline".to_owned(), Source::BuiltIn),
            ("default".to_owned(), Source::BuiltIn),
            ("gate".to_owned(), Source::BuiltIn),
            ("test-extends-gate".to_owned(), Source::Local),
        ]
    );
    let [error] = refused.as_slice() else {
        panic!("one refusal expected: {refused:?}");
    };
    assert_eq!(
        error.to_string(),
        format!(
            "plugin `gate` is in both {} and {}; remove one",
            built_in.path().join("libgate.so").display(),
            local.path().join("libgate.so").display()
        )
    );
}

#[test]
fn the_development_layout_finds_the_plugins_next_to_the_executable() {
    let home = tempfile::tempdir().expect("tempdir");
    let exe = plugin_dir().join("mcplocal");
    let search = SearchPath::resolve(None, &exe, home.path());
    let (host, _) = PluginHost::load(&search);
    for name in ["gate", "content-pipeline", "default"] {
        assert!(
            host.get(name).is_some(),
            "{name} found in {}",
            plugin_dir().display()
        );
    }
}

#[test]
fn a_reload_keeps_unchanged_libraries_and_loads_changed_ones_as_new_copies() {
    let local = tempfile::tempdir().unwrap();
    let installed = local.path().join("libtest_swap.so");
    let gate = local.path().join("libgate.so");
    std::fs::copy(library("gate"), &gate).unwrap();
    std::fs::copy(library("test-plugin-swap-a"), &installed).unwrap();
    std::fs::copy(
        library("test-plugin-old-api"),
        local.path().join("libold.so"),
    )
    .unwrap();
    let search = SearchPath::new(&[], &[local.path().to_path_buf()]);
    let (first, refused) = PluginHost::load(&search);
    assert_eq!(refused.len(), 1, "{refused:?}");
    let load_id = |host: &PluginHost, name: &str| host.get(name).unwrap().info().load_id;

    let (same, refused_again) = first.reload(&search);
    assert_eq!(load_id(&same, "gate"), load_id(&first, "gate"));
    assert_eq!(load_id(&same, "test-swap"), load_id(&first, "test-swap"));
    assert_eq!(
        refused_again.len(),
        1,
        "the refusal is kept: {refused_again:?}"
    );
    assert_ne!(same.generation(), first.generation());

    let partial = local.path().join(".partial");
    std::fs::copy(library("test-plugin-swap-b"), &partial).unwrap();
    std::fs::rename(&partial, &installed).unwrap();
    let (changed, _) = same.reload(&search);
    assert_eq!(load_id(&changed, "gate"), load_id(&first, "gate"));
    assert_ne!(load_id(&changed, "test-swap"), load_id(&first, "test-swap"));

    std::fs::remove_file(&installed).unwrap();
    let (removed, _) = changed.reload(&search);
    assert!(removed.get("test-swap").is_none());
    assert!(removed.get("gate").is_some());
    // The old sets stay usable for calls that started on them.
    assert!(first.get("test-swap").is_some());
}
