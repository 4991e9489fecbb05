//! Plugin archives: a `.tar.gz` holding `mcpctl-plugin.json` (name, kind, version, file,
//! sha256) and the one file it names. `plugin pack` writes them from a validated candidate;
//! `plugin install` checks the manifest against the file (checksum, name, kind) and validates
//! the file again as if it had been given directly.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::args::PluginPackArgs;
use crate::output::notice;

use super::candidate::{self, Candidate, Kind, MAX_LIBRARY_BYTES};
use super::{PluginCommandError, sha256_hex};

/// The manifest's name inside an archive.
pub const MANIFEST: &str = "mcpctl-plugin.json";

/// The largest manifest read, in bytes.
const MAX_MANIFEST_BYTES: u64 = 64 * 1024;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    name: String,
    kind: String,
    version: String,
    file: String,
    sha256: String,
}

pub fn pack(args: &PluginPackArgs) -> Result<(), PluginCommandError> {
    let candidate = candidate::from_path(&args.path)?;
    let output = args.output.clone().unwrap_or_else(|| {
        let version = match candidate.version.as_str() {
            "-" => String::new(),
            version => format!("-{version}"),
        };
        PathBuf::from(format!("{}{version}.tar.gz", candidate.name))
    });
    let manifest = Manifest {
        name: candidate.name.clone(),
        kind: candidate.kind.as_str().to_owned(),
        version: candidate.version.clone(),
        file: candidate.file_name.clone(),
        sha256: candidate.sha256.clone(),
    };
    let manifest = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| PluginCommandError::invalid(&output, e.to_string()))?;
    let partial = output.with_extension("partial");
    let written = write_archive(&partial, &manifest, &candidate)
        .and_then(|()| std::fs::rename(&partial, &output));
    if let Err(error) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(PluginCommandError::io(&output, error));
    }
    notice(&format!(
        "Packed {} {} ({}, sha256 {}) into {}",
        candidate.kind.as_str(),
        candidate.name,
        candidate.file_name,
        candidate.sha256,
        output.display()
    ));
    Ok(())
}

fn write_archive(path: &Path, manifest: &[u8], candidate: &Candidate) -> std::io::Result<()> {
    let file = std::fs::File::create(path)?;
    let gzip = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut tar = tar::Builder::new(gzip);
    for (name, bytes, mode) in [
        (MANIFEST, manifest, 0o644),
        (candidate.file_name.as_str(), &candidate.bytes[..], 0o755),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(mode);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, name, bytes)?;
    }
    tar.into_inner()?.finish()?.sync_all()
}

/// Reads the archive at `path`: its manifest, and the file the manifest names (validated).
pub fn unpack(path: &Path) -> Result<Candidate, PluginCommandError> {
    let invalid = |reason: String| PluginCommandError::invalid(path, reason);
    let file = std::fs::File::open(path).map_err(|e| PluginCommandError::io(path, e))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut manifest: Option<Vec<u8>> = None;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut count = 0;
    let entries = tar
        .entries()
        .map_err(|e| invalid(format!("not a .tar.gz archive: {e}")))?;
    for entry in entries {
        let entry = entry.map_err(|e| invalid(format!("not a .tar.gz archive: {e}")))?;
        let name = entry
            .path()
            .map(|p| p.to_string_lossy().into_owned())
            .map_err(|e| invalid(format!("an entry has a bad name: {e}")))?;
        if !entry.header().entry_type().is_file() {
            return Err(invalid(format!(
                "{name}: only regular files may be in a plugin archive"
            )));
        }
        count += 1;
        if count > 2 {
            return Err(invalid(format!(
                "holds more than {MANIFEST} and one file (found {name})"
            )));
        }
        let max = if name == MANIFEST {
            MAX_MANIFEST_BYTES
        } else {
            MAX_LIBRARY_BYTES
        };
        let mut bytes = Vec::new();
        entry
            .take(max + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| invalid(format!("{name}: {e}")))?;
        if bytes.len() as u64 > max {
            return Err(invalid(format!(
                "{name} is larger than the {max}-byte limit"
            )));
        }
        if name == MANIFEST {
            manifest = Some(bytes);
        } else {
            files.push((name, bytes));
        }
    }
    let manifest = manifest.ok_or_else(|| invalid(format!("has no {MANIFEST}")))?;
    let manifest: Manifest = serde_json::from_slice(&manifest)
        .map_err(|e| invalid(format!("{MANIFEST} is not valid: {e}")))?;
    let kind = Kind::parse(&manifest.kind).ok_or_else(|| {
        invalid(format!(
            "{MANIFEST}: kind {:?} is neither \"plugin\" nor \"js-stage\"",
            manifest.kind
        ))
    })?;
    let (_, bytes) = files
        .into_iter()
        .find(|(name, _)| *name == manifest.file)
        .ok_or_else(|| {
            invalid(format!(
                "{MANIFEST} names {:?}, which is not in the archive",
                manifest.file
            ))
        })?;
    let actual = sha256_hex(&bytes);
    if !actual.eq_ignore_ascii_case(&manifest.sha256) {
        return Err(PluginCommandError::Checksum {
            path: path.join(&manifest.file),
            expected: manifest.sha256,
            actual,
        });
    }
    let inner = path.join(&manifest.file);
    let candidate = match kind {
        Kind::Plugin => candidate::library(&inner, bytes)?,
        Kind::JsStage => {
            let extension = Path::new(&manifest.file)
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or("js")
                .to_owned();
            candidate::js_stage(&inner, &manifest.name, &extension, bytes)?
        }
    };
    if candidate.name != manifest.name {
        return Err(invalid(format!(
            "{MANIFEST} names {:?}, but the library declares plugin {:?}",
            manifest.name, candidate.name
        )));
    }
    Ok(candidate)
}
