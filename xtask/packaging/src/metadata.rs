//! What both package formats say about the package: name, version, description, and the
//! dependencies, which are read from the ELF files themselves (`readelf`), the way rpmbuild and
//! dpkg-shlibdeps derive them.

use std::path::Path;
use std::process::Command;

use crate::PACKAGE_NAME;
use crate::command::{self, CommandError};
use crate::tree::{Entry, Kind};
use crate::workspace::Workspace;

pub const SUMMARY: &str = "kubectl for MCP servers: mcpctl, the mcpd daemon and the mcplocal proxy";
pub const DESCRIPTION: &str = "Declare the Model Context Protocol servers a team runs as resources, \
let the mcpd daemon run them (as local processes or Docker/Podman containers) and keep them \
healthy, group them into projects, and connect Claude Code or any MCP client to a project \
through one local endpoint. Includes the mcpctl command line, the mcpd system service, shell \
completions and the built-in plugins.";
pub const LICENSE: &str = "MIT";
pub const MAINTAINER: &str = "mcpctl developers <mcpctl@example.invalid>";
/// Package release (the `-1` of `0.1.0-1`): the packaging of one upstream version.
pub const RELEASE: &str = "1";

/// A container engine: recommended, not required (`command` servers need none).
pub const RPM_RECOMMENDS: &str = "(podman or docker)";
pub const DEB_RECOMMENDS: &str = "docker.io | podman";

/// The virtual package a third-party plugin package depends on.
pub const PLUGIN_ABI_PROVIDES: &str = "mcpctl-plugin-abi";

#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    #[error("readelf: {0} (readelf comes with binutils)")]
    Readelf(#[from] CommandError),
    #[error(
        "{file} needs the shared library {library}, which no declared dependency provides; \
         add it to LIBRARIES in xtask/packaging/src/metadata.rs"
    )]
    UnknownLibrary { file: String, library: String },
    #[error("unsupported architecture {0}: add its RPM and Debian names in metadata.rs")]
    Architecture(String),
}

/// A system package the binaries need, by its RPM and its Debian name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SystemPackage {
    Libc,
    Libgcc,
}

impl SystemPackage {
    pub fn rpm_name(self) -> &'static str {
        match self {
            SystemPackage::Libc => "glibc",
            SystemPackage::Libgcc => "libgcc",
        }
    }

    pub fn deb_name(self) -> &'static str {
        match self {
            SystemPackage::Libc => "libc6",
            SystemPackage::Libgcc => "libgcc-s1",
        }
    }
}

/// The shared libraries the binaries may link, and who provides them.
const LIBRARIES: [(&str, SystemPackage); 9] = [
    ("libc.so.6", SystemPackage::Libc),
    ("libm.so.6", SystemPackage::Libc),
    ("libpthread.so.0", SystemPackage::Libc),
    ("libdl.so.2", SystemPackage::Libc),
    ("librt.so.1", SystemPackage::Libc),
    ("libutil.so.1", SystemPackage::Libc),
    ("ld-linux-x86-64.so.2", SystemPackage::Libc),
    ("ld-linux-aarch64.so.1", SystemPackage::Libc),
    ("libgcc_s.so.1", SystemPackage::Libgcc),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    pub name: String,
    pub version: String,
    pub release: String,
    pub rpm_arch: String,
    pub deb_arch: String,
    pub url: Option<String>,
    /// `MAJOR.MINOR` of the plugin ABI.
    pub plugin_abi: String,
    /// The system packages the ELF files need.
    pub needs: Vec<SystemPackage>,
    /// The newest `GLIBC_2.N` symbol version the ELF files use (`2.34`).
    pub glibc: Option<String>,
    /// Build time and file times, for reproducible packages.
    pub source_date: u32,
}

/// `(rpm, deb)` names of the architecture this runs on (packages are built natively).
fn architecture() -> Result<(&'static str, &'static str), MetadataError> {
    match std::env::consts::ARCH {
        "x86_64" => Ok(("x86_64", "amd64")),
        "aarch64" => Ok(("aarch64", "arm64")),
        other => Err(MetadataError::Architecture(other.into())),
    }
}

fn is_elf(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok_and(|()| magic == *b"\x7fELF")
}

/// `NEEDED` libraries of an ELF file (`readelf -d`).
fn needed_libraries(path: &Path) -> Result<Vec<String>, MetadataError> {
    let out = command::output(Command::new("readelf").args(["-d", "-W"]).arg(path))?;
    Ok(String::from_utf8_lossy(&out)
        .lines()
        .filter(|line| line.contains("(NEEDED)"))
        .filter_map(|line| {
            let start = line.find('[')? + 1;
            let end = line.rfind(']')?;
            line.get(start..end).map(str::to_owned)
        })
        .collect())
}

/// The `GLIBC_2.N[.M]` versions an ELF file requires (`readelf -V`), as numbers.
fn glibc_versions(path: &Path) -> Result<Vec<Vec<u32>>, MetadataError> {
    let out = command::output(Command::new("readelf").args(["-V", "-W"]).arg(path))?;
    let text = String::from_utf8_lossy(&out);
    Ok(text
        .split(|c: char| c.is_whitespace())
        .filter_map(|word| word.strip_prefix("GLIBC_"))
        .filter_map(|version| {
            version
                .split('.')
                .map(|n| n.parse::<u32>().ok())
                .collect::<Option<Vec<u32>>>()
        })
        .collect())
}

/// `SOURCE_DATE_EPOCH`, else the time of the checked-out commit, else now.
fn source_date(root: &Path) -> u32 {
    let from_env = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse().ok());
    let from_git = || {
        command::output(
            Command::new("git")
                .arg("-C")
                .arg(root)
                .args(["log", "-1", "--format=%ct"]),
        )
        .ok()
        .and_then(|out| String::from_utf8_lossy(&out).trim().parse().ok())
    };
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
            .unwrap_or_default()
    };
    from_env.or_else(from_git).unwrap_or_else(now)
}

impl Metadata {
    /// The metadata of the package of `entries`, built from `ws`.
    pub fn new(ws: &Workspace, entries: &[Entry]) -> Result<Metadata, MetadataError> {
        let (rpm_arch, deb_arch) = architecture()?;
        let mut needs = Vec::new();
        let mut newest_glibc: Option<Vec<u32>> = None;
        for entry in entries {
            let Kind::File { source, .. } = &entry.kind else {
                continue;
            };
            if !is_elf(source) {
                continue;
            }
            for library in needed_libraries(source)? {
                let provider = LIBRARIES
                    .iter()
                    .find(|(name, _)| *name == library)
                    .map(|(_, package)| *package)
                    .ok_or_else(|| MetadataError::UnknownLibrary {
                        file: entry.path.clone(),
                        library: library.clone(),
                    })?;
                if !needs.contains(&provider) {
                    needs.push(provider);
                }
            }
            for version in glibc_versions(source)? {
                if newest_glibc.as_ref().is_none_or(|newest| version > *newest) {
                    newest_glibc = Some(version);
                }
            }
        }
        needs.sort();
        Ok(Metadata {
            name: PACKAGE_NAME.to_owned(),
            version: ws.version.clone(),
            release: RELEASE.to_owned(),
            rpm_arch: rpm_arch.to_owned(),
            deb_arch: deb_arch.to_owned(),
            url: ws.repository.clone(),
            plugin_abi: ws.plugin_abi.clone(),
            needs,
            glibc: newest_glibc.map(|v| v.iter().map(u32::to_string).collect::<Vec<_>>().join(".")),
            source_date: source_date(&ws.root),
        })
    }

    /// `0.1.0-1`
    pub fn full_version(&self) -> String {
        format!("{}-{}", self.version, self.release)
    }

    pub fn rpm_file_name(&self) -> String {
        format!(
            "{}-{}.{}.rpm",
            self.name,
            self.full_version(),
            self.rpm_arch
        )
    }

    pub fn deb_file_name(&self) -> String {
        format!(
            "{}_{}_{}.deb",
            self.name,
            self.full_version(),
            self.deb_arch
        )
    }
}
