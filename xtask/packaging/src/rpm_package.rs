//! The RPM, written with the `rpm` crate from the staged tree and the package metadata.

use std::path::{Path, PathBuf};

use rpm::{BuildConfig, CompressionWithLevel, Dependency, FileOptions, PackageBuilder};

use crate::metadata::{self, Metadata};
use crate::tree::{Entry, Kind};

#[derive(Debug, thiserror::Error)]
pub enum RpmError {
    #[error("building the RPM: {0}")]
    Build(#[from] rpm::Error),
    #[error("the file mode of {path} does not fit RPM's 16 bits")]
    Mode { path: String },
}

fn permissions(entry: &Entry) -> Result<u16, RpmError> {
    u16::try_from(entry.mode).map_err(|_| RpmError::Mode {
        path: entry.path.clone(),
    })
}

/// Writes `<out_dir>/<name>-<version>-<release>.<arch>.rpm` and returns its path.
/// `level` is the gzip level of the payload (9 for releases, 1 for quick test builds).
pub fn write(
    meta: &Metadata,
    entries: &[Entry],
    out_dir: &Path,
    level: u32,
) -> Result<PathBuf, RpmError> {
    let config = BuildConfig::v4()
        .compression(CompressionWithLevel::Gzip(level))
        .source_date(meta.source_date);
    let mut builder = PackageBuilder::new(
        &meta.name,
        &meta.version,
        metadata::LICENSE,
        &meta.rpm_arch,
        metadata::SUMMARY,
    );
    builder
        .using_config(config)
        .release(&meta.release)
        .description(metadata::DESCRIPTION)
        .packager(metadata::MAINTAINER);
    if let Some(url) = &meta.url {
        builder.url(url);
    }
    builder.provides(Dependency::eq(
        metadata::PLUGIN_ABI_PROVIDES,
        &meta.plugin_abi,
    ));
    builder.recommends(Dependency::any(metadata::RPM_RECOMMENDS));
    for need in &meta.needs {
        let name = need.rpm_name();
        let dependency = match (&meta.glibc, need) {
            (Some(glibc), metadata::SystemPackage::Libc) => Dependency::greater_eq(name, glibc),
            _ => Dependency::any(name),
        };
        builder.requires(dependency);
    }
    for entry in entries.iter().filter(|e| e.is_owned()) {
        let mode = permissions(entry)?;
        match &entry.kind {
            Kind::Dir => {
                builder.with_dir_entry(FileOptions::dir(&entry.path).permissions(mode))?;
            }
            Kind::File { source, .. } => {
                let mut options = FileOptions::new(&entry.path).permissions(mode);
                if entry.is_config() {
                    options = options.config().noreplace();
                }
                builder.with_file(source, options)?;
            }
            Kind::Symlink { target } => {
                builder.with_symlink(FileOptions::symlink(&entry.path, target))?;
            }
        }
    }
    let package = builder.build()?;
    let path = out_dir.join(meta.rpm_file_name());
    package.write_file(&path)?;
    Ok(path)
}
