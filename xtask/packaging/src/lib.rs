//! Packaging for mcpctl: `cargo xtask dist` stages the built binaries, plugins, completions,
//! systemd units and default configuration into `target/dist/root`; `cargo xtask rpm` and
//! `cargo xtask deb` write packages of that tree. A crate of its own so that the xtask binary
//! stays std-only and fast to build, and the archive crates are built only when packaging.

pub mod command;
pub mod deb_package;
pub mod dist;
pub mod metadata;
pub mod rpm_package;
pub mod tree;
pub mod workspace;

use std::path::{Path, PathBuf};

/// The name of the package, and of the folders it owns (`/etc/mcpctl`, `/usr/lib/mcpctl`).
pub const PACKAGE_NAME: &str = "mcpctl";

/// The gzip level of release packages.
pub const BEST_COMPRESSION: u32 = 9;
/// The gzip level of quick test packages (`--fast`).
pub const FAST_COMPRESSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Workspace(#[from] workspace::WorkspaceError),
    #[error(transparent)]
    Dist(#[from] dist::DistError),
    #[error(transparent)]
    Tree(#[from] tree::TreeError),
    #[error(transparent)]
    Metadata(#[from] metadata::MetadataError),
    #[error(transparent)]
    Rpm(#[from] rpm_package::RpmError),
    #[error(transparent)]
    Deb(#[from] deb_package::DebError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Rpm,
    Deb,
}

/// Writes a package of the tree staged in `out_dir` (by [`dist::dist`]) into `out_dir`.
pub fn package(
    ws: &workspace::Workspace,
    out_dir: &Path,
    format: Format,
    level: u32,
) -> Result<PathBuf, Error> {
    let entries = tree::collect(&dist::staged_root(out_dir))?;
    let meta = metadata::Metadata::new(ws, &entries)?;
    Ok(match format {
        Format::Rpm => rpm_package::write(&meta, &entries, out_dir, level)?,
        Format::Deb => deb_package::write(&meta, &entries, out_dir, level)?,
    })
}
