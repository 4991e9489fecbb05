//! The staged file tree (`target/dist/root`), read back as the entries of a package: the tree is
//! the file list, so the RPM and the deb cannot disagree about what they install.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::PACKAGE_NAME;

#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} is neither a file, a folder nor a symbolic link")]
    Special(PathBuf),
    #[error("{0} is not valid UTF-8")]
    Name(PathBuf),
    #[error("{0} is empty; run `cargo xtask dist` first")]
    Empty(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Dir,
    File { source: PathBuf, size: u64 },
    Symlink { target: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The installed path, absolute: `/usr/bin/mcpd`.
    pub path: String,
    pub kind: Kind,
    /// Permission bits (`0o755`).
    pub mode: u32,
}

impl Entry {
    /// Files under `/etc` are configuration: upgrades keep the administrator's edits.
    pub fn is_config(&self) -> bool {
        matches!(self.kind, Kind::File { .. }) && self.path.starts_with("/etc/")
    }

    /// Whether the package owns this entry. Files and links always; a folder only when it is the
    /// package's own (`/etc/mcpctl`, `/usr/lib/mcpctl/plugins`), not a system one (`/usr/bin`).
    pub fn is_owned(&self) -> bool {
        !matches!(self.kind, Kind::Dir) || self.path.split('/').any(|part| part == PACKAGE_NAME)
    }
}

fn read_error(path: &Path) -> impl FnOnce(std::io::Error) -> TreeError + '_ {
    move |source| TreeError::Read {
        path: path.to_owned(),
        source,
    }
}

fn walk(root: &Path, dir: &Path, entries: &mut Vec<Entry>) -> Result<(), TreeError> {
    for item in std::fs::read_dir(dir).map_err(read_error(dir))? {
        let item = item.map_err(read_error(dir))?;
        let source = item.path();
        let meta = std::fs::symlink_metadata(&source).map_err(read_error(&source))?;
        let relative = source
            .strip_prefix(root)
            .ok()
            .and_then(Path::to_str)
            .ok_or_else(|| TreeError::Name(source.clone()))?;
        let path = format!("/{relative}");
        let mode = meta.permissions().mode() & 0o7777;
        let kind = if meta.is_symlink() {
            let target = std::fs::read_link(&source).map_err(read_error(&source))?;
            let target = target
                .to_str()
                .ok_or_else(|| TreeError::Name(target.clone()))?
                .to_owned();
            Kind::Symlink { target }
        } else if meta.is_dir() {
            Kind::Dir
        } else if meta.is_file() {
            Kind::File {
                source: source.clone(),
                size: meta.len(),
            }
        } else {
            return Err(TreeError::Special(source));
        };
        let is_dir = kind == Kind::Dir;
        entries.push(Entry { path, kind, mode });
        if is_dir {
            walk(root, &source, entries)?;
        }
    }
    Ok(())
}

/// Every file, folder and link below `root`, sorted by installed path (folders before their
/// contents).
pub fn collect(root: &Path) -> Result<Vec<Entry>, TreeError> {
    let mut entries = Vec::new();
    walk(root, root, &mut entries)?;
    if !entries.iter().any(|e| matches!(e.kind, Kind::File { .. })) {
        return Err(TreeError::Empty(root.to_owned()));
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_files_links_and_folders_with_ownership_and_config() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("usr/bin")).expect("mkdir");
        std::fs::create_dir_all(root.join("etc/mcpctl")).expect("mkdir");
        std::fs::write(root.join("usr/bin/tool"), b"#!/bin/sh\n").expect("write");
        std::fs::set_permissions(root.join("usr/bin/tool"), PermissionsExt::from_mode(0o755))
            .expect("chmod");
        std::fs::write(root.join("etc/mcpctl/config.yaml"), b"a: 1\n").expect("write");
        std::os::unix::fs::symlink("/etc/mcpctl/config.yaml", root.join("usr/link"))
            .expect("symlink");
        let entries = collect(root).expect("collect");
        let paths: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/etc",
                "/etc/mcpctl",
                "/etc/mcpctl/config.yaml",
                "/usr",
                "/usr/bin",
                "/usr/bin/tool",
                "/usr/link"
            ]
        );
        let owned: Vec<&str> = entries
            .iter()
            .filter(|e| e.is_owned())
            .map(|e| e.path.as_str())
            .collect();
        assert_eq!(
            owned,
            [
                "/etc/mcpctl",
                "/etc/mcpctl/config.yaml",
                "/usr/bin/tool",
                "/usr/link"
            ]
        );
        let config: Vec<&str> = entries
            .iter()
            .filter(|e| e.is_config())
            .map(|e| e.path.as_str())
            .collect();
        assert_eq!(config, ["/etc/mcpctl/config.yaml"]);
        assert_eq!(entries[5].mode, 0o755);
        assert_eq!(
            entries[6].kind,
            Kind::Symlink {
                target: "/etc/mcpctl/config.yaml".into()
            }
        );
    }

    #[test]
    fn an_empty_tree_says_to_run_dist() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = collect(dir.path()).expect_err("empty");
        assert!(err.to_string().contains("cargo xtask dist"), "{err}");
    }
}
