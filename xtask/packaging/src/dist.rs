//! `cargo xtask dist`: builds the shipped binaries and plugins and stages them, stripped, with
//! shell completions, systemd units and the default configuration, into `target/dist/root`, laid
//! out exactly as they are installed.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::command::{self, CommandError};
use crate::workspace::Workspace;

pub const BIN_DIR: &str = "usr/bin";
/// The host searches `<exe dir>/../lib/mcpctl/plugins`: from `/usr/bin`, this folder.
pub const PLUGIN_DIR: &str = "usr/lib/mcpctl/plugins";
pub const SYSTEM_UNIT_DIR: &str = "usr/lib/systemd/system";
pub const USER_UNIT_DIR: &str = "usr/lib/systemd/user";
pub const CONFIG_FILE: &str = "etc/mcpctl/config.yaml";
/// The system mcpd's `$MCPCTL_HOME`; its `config.yaml` links to [`CONFIG_FILE`].
pub const STATE_DIR: &str = "var/lib/mcpctl";

/// `(shell, file)`: where each shell looks for completions of `mcpctl`.
pub const COMPLETIONS: [(&str, &str); 3] = [
    ("bash", "usr/share/bash-completion/completions/mcpctl"),
    ("zsh", "usr/share/zsh/site-functions/_mcpctl"),
    ("fish", "usr/share/fish/vendor_completions.d/mcpctl.fish"),
];

const MCPD_UNIT: &str = include_str!("../files/mcpd.service");
const MCPLOCAL_UNIT: &str = include_str!("../files/mcplocal.service");
const DEFAULT_CONFIG: &str = include_str!("../files/config.yaml");

/// The profile packages are built with unless told otherwise (`[profile.packaged]`).
pub const DEFAULT_PROFILE: &str = "packaged";

#[derive(Debug, thiserror::Error)]
pub enum DistError {
    #[error(transparent)]
    Command(#[from] CommandError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{0} is not built; build it (cargo build --profile PROFILE -p PACKAGE) or drop --no-build"
    )]
    NotBuilt(PathBuf),
}

#[derive(Debug, Clone)]
pub struct DistOptions {
    /// Cargo profile of the build (`packaged`, `release`, `dev`).
    pub profile: String,
    /// Run `cargo build` first; without it the profile's existing artifacts are staged.
    pub build: bool,
    /// Where the profile's artifacts are (`target/<profile>`, `target/debug` for `dev`).
    pub artifacts_dir: PathBuf,
    /// `target/dist`: the staged tree goes to `<out_dir>/root`, packages beside it.
    pub out_dir: PathBuf,
}

impl DistOptions {
    /// Build with `profile` and stage into `target/dist`.
    pub fn new(ws: &Workspace, profile: &str) -> DistOptions {
        DistOptions {
            profile: profile.to_owned(),
            build: true,
            artifacts_dir: ws.profile_dir(profile),
            out_dir: default_out_dir(ws),
        }
    }
}

pub fn default_out_dir(ws: &Workspace) -> PathBuf {
    ws.target_dir.join("dist")
}

/// The staged tree below an output folder.
pub fn staged_root(out_dir: &Path) -> PathBuf {
    out_dir.join("root")
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> DistError + '_ {
    move |source| DistError::Io {
        path: path.to_owned(),
        source,
    }
}

fn write_file(path: &Path, contents: &[u8], mode: u32) -> Result<(), DistError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io_error(parent))?;
    }
    std::fs::write(path, contents).map_err(io_error(path))?;
    std::fs::set_permissions(path, PermissionsExt::from_mode(mode)).map_err(io_error(path))
}

/// Copies a built ELF file into the tree and strips it (`strip` from binutils). Executables
/// lose every symbol; libraries keep those the dynamic linker needs.
fn copy_stripped(from: &Path, to: &Path, executable: bool) -> Result<u64, DistError> {
    if !from.is_file() {
        return Err(DistError::NotBuilt(from.to_owned()));
    }
    let contents = std::fs::read(from).map_err(io_error(from))?;
    write_file(to, &contents, 0o755)?;
    let how = if executable {
        "--strip-all"
    } else {
        "--strip-unneeded"
    };
    command::output(Command::new("strip").arg(how).arg(to))?;
    Ok(std::fs::metadata(to).map_err(io_error(to))?.len())
}

/// One staged file and its size, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedFile {
    pub path: String,
    pub size: u64,
}

#[derive(Debug)]
pub struct Staged {
    pub root: PathBuf,
    /// The binaries and plugins, stripped.
    pub elf_files: Vec<StagedFile>,
}

/// Builds (unless told not to) and stages everything a package installs.
pub fn dist(ws: &Workspace, options: &DistOptions) -> Result<Staged, DistError> {
    if options.build {
        let mut cargo = Command::new("cargo");
        cargo
            .args(["build", "--profile", &options.profile])
            .current_dir(&ws.root);
        for package in ws.packages_to_build() {
            cargo.args(["-p", package]);
        }
        command::status(&mut cargo)?;
    }
    let built = &options.artifacts_dir;
    let root = staged_root(&options.out_dir);
    if root.exists() {
        std::fs::remove_dir_all(&root).map_err(io_error(&root))?;
    }

    // (file cargo wrote, folder it is installed in, whether it is an executable)
    let binaries = ws.binaries.iter().map(|b| (&b.name, BIN_DIR, true));
    let plugins = ws.plugins.iter().map(|p| (&p.file_name, PLUGIN_DIR, false));
    let mut elf_files = Vec::new();
    for (file, folder, executable) in binaries.chain(plugins) {
        let path = format!("{folder}/{file}");
        let size = copy_stripped(&built.join(file), &root.join(&path), executable)?;
        elf_files.push(StagedFile {
            path: format!("/{path}"),
            size,
        });
    }
    // The plugin folder exists even before there are plugins: it is where packages of
    // third-party plugins install theirs.
    let plugin_dir = root.join(PLUGIN_DIR);
    std::fs::create_dir_all(&plugin_dir).map_err(io_error(&plugin_dir))?;

    // Completions come from the real command line of the binary just staged.
    let mcpctl = root.join(BIN_DIR).join("mcpctl");
    for (shell, file) in COMPLETIONS {
        let script = command::output(Command::new(&mcpctl).args(["completion", shell]))?;
        write_file(&root.join(file), &script, 0o644)?;
    }

    write_file(
        &root.join(SYSTEM_UNIT_DIR).join("mcpd.service"),
        MCPD_UNIT.as_bytes(),
        0o644,
    )?;
    if ws.binaries.iter().any(|b| b.name == "mcplocal") {
        write_file(
            &root.join(USER_UNIT_DIR).join("mcplocal.service"),
            MCPLOCAL_UNIT.as_bytes(),
            0o644,
        )?;
    }
    write_file(&root.join(CONFIG_FILE), DEFAULT_CONFIG.as_bytes(), 0o644)?;

    // The system mcpd's home: private, with its config.yaml pointing at /etc.
    let state = root.join(STATE_DIR);
    std::fs::create_dir_all(&state).map_err(io_error(&state))?;
    let link = state.join("config.yaml");
    std::os::unix::fs::symlink(format!("/{CONFIG_FILE}"), &link).map_err(io_error(&link))?;
    set_folder_modes(&root, &state)?;

    Ok(Staged { root, elf_files })
}

/// Folders are 0755 whatever the umask, except the private `private` one (0700).
fn set_folder_modes(dir: &Path, private: &Path) -> Result<(), DistError> {
    let mode = if dir == private { 0o700 } else { 0o755 };
    std::fs::set_permissions(dir, PermissionsExt::from_mode(mode)).map_err(io_error(dir))?;
    for item in std::fs::read_dir(dir).map_err(io_error(dir))? {
        let path = item.map_err(io_error(dir))?.path();
        let meta = std::fs::symlink_metadata(&path).map_err(io_error(&path))?;
        if meta.is_dir() {
            set_folder_modes(&path, private)?;
        }
    }
    Ok(())
}
