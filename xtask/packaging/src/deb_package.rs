//! The Debian package: an `ar` archive of `debian-binary`, `control.tar.gz` (the control file
//! and the list of configuration files) and `data.tar.gz` (the staged tree).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::metadata::{self, Metadata};
use crate::tree::{Entry, Kind};

#[derive(Debug, thiserror::Error)]
pub enum DebError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}: the path is longer than a tar header holds (99 bytes)")]
    LongPath(String),
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> DebError + '_ {
    move |source| DebError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The `control` file (deb-control(5)).
pub fn control(meta: &Metadata, entries: &[Entry]) -> String {
    // dpkg counts one KiB per started KiB of each file, and one per folder or link.
    let installed_kib: u64 = entries
        .iter()
        .map(|e| match e.kind {
            Kind::File { size, .. } => size.div_ceil(1024),
            Kind::Dir | Kind::Symlink { .. } => 1,
        })
        .sum();
    let depends: Vec<String> = meta
        .needs
        .iter()
        .map(|need| match (&meta.glibc, need) {
            (Some(glibc), metadata::SystemPackage::Libc) => {
                format!("{} (>= {glibc})", need.deb_name())
            }
            _ => need.deb_name().to_owned(),
        })
        .collect();
    let mut text = String::new();
    let mut field = |name: &str, value: &str| {
        let _ = writeln!(text, "{name}: {value}");
    };
    field("Package", &meta.name);
    field("Version", &meta.full_version());
    field("Architecture", &meta.deb_arch);
    field("Maintainer", metadata::MAINTAINER);
    field("Installed-Size", &installed_kib.to_string());
    if !depends.is_empty() {
        field("Depends", &depends.join(", "));
    }
    field("Recommends", metadata::DEB_RECOMMENDS);
    field(
        "Provides",
        &format!("{}-{}", metadata::PLUGIN_ABI_PROVIDES, meta.plugin_abi),
    );
    field("Section", "admin");
    field("Priority", "optional");
    if let Some(url) = &meta.url {
        field("Homepage", url);
    }
    field("Description", metadata::SUMMARY);
    // The long description: folded lines, each starting with a space.
    let mut line = String::new();
    for word in metadata::DESCRIPTION.split_whitespace() {
        if !line.is_empty() && line.len() + word.len() > 78 {
            let _ = writeln!(text, " {line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(text, " {line}");
    }
    text
}

/// A tar header for `./<path>`, owned by root, with the package's time.
fn header(
    name: &str,
    kind: tar::EntryType,
    mode: u32,
    size: u64,
    mtime: u32,
) -> Result<tar::Header, DebError> {
    let mut header = tar::Header::new_gnu();
    let slot = &mut header.as_old_mut().name;
    // Names as dpkg-deb writes them (`./usr/bin/mcpd`), set directly: the tar crate's
    // path setter drops the leading `./`.
    if name.len() >= slot.len() {
        return Err(DebError::LongPath(name.to_owned()));
    }
    slot[..name.len()].copy_from_slice(name.as_bytes());
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_size(size);
    header.set_mtime(u64::from(mtime));
    header.set_uid(0);
    header.set_gid(0);
    let named = header
        .set_username("root")
        .and_then(|()| header.set_groupname("root"));
    named.map_err(|source| DebError::Io {
        path: PathBuf::from(name),
        source,
    })?;
    header.set_cksum();
    Ok(header)
}

fn tar_error(name: &str) -> impl FnOnce(std::io::Error) -> DebError + '_ {
    move |source| DebError::Io {
        path: PathBuf::from(name),
        source,
    }
}

/// `data.tar.gz`: every entry of the tree, folders included, as `./path`.
fn data_tar(entries: &[Entry], mtime: u32, level: u32) -> Result<Vec<u8>, DebError> {
    let mut tar = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::new(level)));
    let top = header("./", tar::EntryType::Directory, 0o755, 0, mtime)?;
    tar.append(&top, std::io::empty())
        .map_err(tar_error("./"))?;
    for entry in entries {
        let mut name = format!(".{}", entry.path);
        match &entry.kind {
            Kind::Dir => {
                name.push('/');
                let header = header(&name, tar::EntryType::Directory, entry.mode, 0, mtime)?;
                tar.append(&header, std::io::empty())
                    .map_err(tar_error(&name))?;
            }
            Kind::File { source, size } => {
                let header = header(&name, tar::EntryType::Regular, entry.mode, *size, mtime)?;
                let file = std::fs::File::open(source).map_err(io_error(source))?;
                tar.append(&header, file).map_err(tar_error(&name))?;
            }
            Kind::Symlink { target } => {
                let mut header = header(&name, tar::EntryType::Symlink, 0o777, 0, mtime)?;
                header.set_link_name(target).map_err(tar_error(&name))?;
                header.set_cksum();
                tar.append(&header, std::io::empty())
                    .map_err(tar_error(&name))?;
            }
        }
    }
    let gz = tar.into_inner().map_err(tar_error("data.tar"))?;
    gz.finish().map_err(tar_error("data.tar.gz"))
}

/// `control.tar.gz`: `./control` and, when there are any, `./conffiles`.
fn control_tar(meta: &Metadata, entries: &[Entry], level: u32) -> Result<Vec<u8>, DebError> {
    let mut tar = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::new(level)));
    let top = header("./", tar::EntryType::Directory, 0o755, 0, meta.source_date)?;
    tar.append(&top, std::io::empty())
        .map_err(tar_error("./"))?;
    let conffiles: String = entries
        .iter()
        .filter(|e| e.is_config())
        .map(|e| format!("{}\n", e.path))
        .collect();
    let mut members = vec![("./control", control(meta, entries))];
    if !conffiles.is_empty() {
        members.push(("./conffiles", conffiles));
    }
    for (name, text) in members {
        let size = u64::try_from(text.len()).unwrap_or(u64::MAX);
        let header = header(name, tar::EntryType::Regular, 0o644, size, meta.source_date)?;
        tar.append(&header, text.as_bytes())
            .map_err(tar_error(name))?;
    }
    let gz = tar.into_inner().map_err(tar_error("control.tar"))?;
    gz.finish().map_err(tar_error("control.tar.gz"))
}

/// Writes `<out_dir>/<name>_<version>-<release>_<arch>.deb` and returns its path.
pub fn write(
    meta: &Metadata,
    entries: &[Entry],
    out_dir: &Path,
    level: u32,
) -> Result<PathBuf, DebError> {
    let members = [
        ("debian-binary", b"2.0\n".to_vec()),
        ("control.tar.gz", control_tar(meta, entries, level)?),
        ("data.tar.gz", data_tar(entries, meta.source_date, level)?),
    ];
    let path = out_dir.join(meta.deb_file_name());
    let file = std::fs::File::create(&path).map_err(io_error(&path))?;
    let mut archive = ar::Builder::new(std::io::BufWriter::new(file));
    for (name, data) in &members {
        let size = u64::try_from(data.len()).unwrap_or(u64::MAX);
        let mut header = ar::Header::new(name.as_bytes().to_vec(), size);
        header.set_mode(0o100644);
        header.set_mtime(u64::from(meta.source_date));
        archive
            .append(&header, data.as_slice())
            .map_err(io_error(&path))?;
    }
    archive
        .into_inner()
        .and_then(|mut w| w.flush())
        .map_err(io_error(&path))?;
    Ok(path)
}
