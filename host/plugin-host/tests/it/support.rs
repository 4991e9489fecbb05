//! Locating (and building) the plugin libraries, and a host implementation for tests.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use plugin_host::{Call, ContentKind, HostServices, LogLevel, PluginHost, PromptEntry, Source};

/// The crates whose cdylibs the tests load.
pub const PLUGIN_CRATES: &[&str] = &[
    "gate",
    "content-pipeline",
    "default",
    "test-plugin-old-api",
    "test-plugin-panicking",
    "test-plugin-extends-gate",
    "test-plugin-swap-a",
    "test-plugin-swap-b",
    "test-plugin-bad-layout",
    "test-plugin-future-feature",
];

/// The folder with the plugin libraries: the target profile folder of this test binary
/// (`target/debug`), after building them there.
pub fn plugin_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("test binary path");
        // target/<profile>/deps/it-HASH
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("test binary in target/<profile>/deps")
            .to_path_buf();
        let target_dir = profile_dir.parent().expect("target folder");
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build
            .current_dir(&workspace)
            .arg("build")
            .arg("--target-dir")
            .arg(target_dir);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            build.arg("--release");
        }
        for krate in PLUGIN_CRATES {
            build.args(["-p", krate]);
        }
        let status = build.status().expect("run cargo build for the plugins");
        assert!(status.success(), "building the plugin cdylibs failed");
        profile_dir
    })
}

/// The library file of plugin crate `krate` (`content-pipeline` → `libcontent_pipeline.so`).
pub fn library(krate: &str) -> PathBuf {
    plugin_dir().join(format!(
        "{}{}{}",
        std::env::consts::DLL_PREFIX,
        krate.replace('-', "_"),
        std::env::consts::DLL_SUFFIX
    ))
}

/// Loads the given plugin crates' libraries as built-in plugins.
pub fn load(crates: &[&str]) -> (PluginHost, Vec<plugin_host::LoadError>) {
    let files: Vec<(PathBuf, Source)> = crates
        .iter()
        .map(|c| (library(c), Source::BuiltIn))
        .collect();
    PluginHost::load_files(&files)
}

/// A session id no other test uses (the plugins keep per-session state for the process).
pub fn session_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    u64::from(std::process::id()) << 32 | NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A host with a project's prompts in memory that records what plugins ask of it.
#[derive(Default)]
pub struct TestHost {
    pub prompts: Vec<PromptEntry>,
    pub prompt_requests: Mutex<Vec<(String, String, String)>>,
    pub list_changed: Mutex<Vec<u64>>,
    pub logs: Mutex<Vec<(String, LogLevel, String)>>,
    /// What `run_pipeline` returns: `None` passes through, else this text is appended.
    pub pipeline_suffix: Option<String>,
    pub pipeline_calls: Mutex<Vec<(ContentKind, String)>>,
}

impl TestHost {
    pub fn with_prompts(prompts: &[(&str, &str, u8)]) -> TestHost {
        TestHost {
            prompts: prompts
                .iter()
                .map(|(name, content, priority)| PromptEntry {
                    name: (*name).into(),
                    content: (*content).into(),
                    priority: *priority,
                })
                .collect(),
            ..TestHost::default()
        }
    }
}

impl HostServices for TestHost {
    fn prompts(&self, _call: &Call<'_>) -> Result<Vec<PromptEntry>, String> {
        Ok(self.prompts.clone())
    }

    fn create_prompt_request(
        &self,
        call: &Call<'_>,
        name: &str,
        content: &str,
    ) -> Result<(), String> {
        if name
            .chars()
            .any(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
        {
            return Err(format!("prompt request name `{name}` is not a DNS label"));
        }
        self.prompt_requests.lock().expect("lock").push((
            call.project.into(),
            name.into(),
            content.into(),
        ));
        Ok(())
    }

    fn notify_tools_list_changed(&self, call: &Call<'_>) -> Result<(), String> {
        self.list_changed
            .lock()
            .expect("lock")
            .push(call.session_id);
        Ok(())
    }

    fn log(&self, _call: &Call<'_>, plugin: &str, level: LogLevel, message: &str) {
        self.logs
            .lock()
            .expect("lock")
            .push((plugin.into(), level, message.into()));
    }

    fn run_pipeline(
        &self,
        _call: &Call<'_>,
        kind: ContentKind,
        source: &str,
        content: &str,
    ) -> Result<Option<String>, String> {
        self.pipeline_calls
            .lock()
            .expect("lock")
            .push((kind, source.into()));
        Ok(self
            .pipeline_suffix
            .as_ref()
            .map(|s| format!("{content}{s}")))
    }
}
