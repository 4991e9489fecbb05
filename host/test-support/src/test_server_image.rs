//! A Docker image of `mcp-test-server`, built from the local binary: no registry is needed.
//!
//! The image is the binary, every shared library `ldd` lists for it (and the dynamic loader),
//! a `/etc/passwd` with `nobody` and an empty `/tmp`, imported with `docker import`. Its tag,
//! `mcpctl-test-server:<12 hex of the binary's hash>`, names the binary's bytes, so an image
//! built by an earlier test process is reused and a rebuilt binary gets a new image.

use std::hash::Hasher;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Duration;

/// The binary the image runs, found like [`crate::binary`] (override: `MCP_TEST_SERVER_BIN`).
pub const TEST_SERVER_BINARY: &str = "mcp-test-server";
/// The repository part of the image's tag.
pub const TEST_SERVER_REPOSITORY: &str = "mcpctl-test-server";

/// The uid and gid the container runs as (`nobody`).
const NOBODY: u32 = 65534;

/// The tag of the test server's image, built on first use in this process (and reused from
/// Docker when an earlier process built the same binary). Panics when Docker is unreachable.
pub fn test_server_image() -> String {
    static IMAGE: OnceLock<String> = OnceLock::new();
    IMAGE.get_or_init(build_test_server_image).clone()
}

/// Panics with a one-line reason unless a Docker engine answers.
pub fn require_docker() {
    match Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
    {
        Err(error) => panic!(
            "cannot run `docker` ({error}): install Docker and start the engine with `dockerd &`"
        ),
        Ok(output) if !output.status.success() => panic!(
            "the Docker engine is not reachable (`docker info`: {}); start it with `dockerd &`",
            first_line(&output.stderr)
        ),
        Ok(_) => {}
    }
}

fn build_test_server_image() -> String {
    require_docker();
    let binary = crate::binary(TEST_SERVER_BINARY);
    let bytes = std::fs::read(&binary)
        .unwrap_or_else(|error| panic!("reading {}: {error}", binary.display()));
    let hash = content_hash(&bytes);
    let tag = format!("{TEST_SERVER_REPOSITORY}:{hash}");
    // Parallel test processes want the same image at the same moment: one builds it while
    // the others wait for the tag to appear.
    loop {
        if image_exists(&tag) {
            return tag;
        }
        if let Some(_lock) = BuildLock::acquire(&hash) {
            if !image_exists(&tag) {
                import_image(&binary, &tag);
            }
            return tag;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Packs the root filesystem and imports it as `tag`.
fn import_image(binary: &Path, tag: &str) {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("rootfs");
    stage_root_filesystem(&root, binary);
    let archive = work.path().join("rootfs.tar");
    run(Command::new("tar")
        .arg("--create")
        .arg("--file")
        .arg(&archive)
        .args(["--owner=0", "--group=0", "--numeric-owner", "--directory"])
        .arg(&root)
        .arg("."));
    // Imported untagged, then tagged: a tag only ever names a complete image.
    let imported = run(Command::new("docker")
        .arg("import")
        .args([
            "--change",
            &format!(r#"ENTRYPOINT ["/{TEST_SERVER_BINARY}"]"#),
            "--change",
            &format!("USER {NOBODY}"),
        ])
        .arg(&archive));
    let image_id = String::from_utf8_lossy(&imported.stdout).trim().to_owned();
    run(Command::new("docker").args(["tag", &image_id, tag]));
}

/// A lock file (created with O_EXCL) that one process at a time holds while building the
/// image of one binary; removed when dropped. A lock older than [`STALE_LOCK`] is left from
/// a killed process and is taken over.
struct BuildLock(PathBuf);

const STALE_LOCK: Duration = Duration::from_secs(300);

impl BuildLock {
    fn acquire(hash: &str) -> Option<BuildLock> {
        let path = std::env::temp_dir().join(format!("{TEST_SERVER_REPOSITORY}-{hash}.lock"));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(_) => Some(BuildLock(path)),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                let stale = std::fs::metadata(&path)
                    .and_then(|metadata| metadata.modified())
                    .is_ok_and(|modified| modified.elapsed().unwrap_or_default() > STALE_LOCK);
                if stale {
                    let _ = std::fs::remove_file(&path);
                }
                None
            }
            Err(error) => panic!("creating {}: {error}", path.display()),
        }
    }
}

impl Drop for BuildLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// 12 hex digits of a hash of `bytes` (SipHash; stable for a given Rust release).
fn content_hash(bytes: &[u8]) -> String {
    let mut hasher = std::hash::DefaultHasher::new();
    hasher.write(bytes);
    format!("{:016x}", hasher.finish())[..12].to_owned()
}

fn image_exists(tag: &str) -> bool {
    Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Id}}", tag])
        .output()
        .is_ok_and(|output| output.status.success())
}

/// Lays out the container's files under `root`.
fn stage_root_filesystem(root: &Path, binary: &Path) {
    let target = root.join(TEST_SERVER_BINARY);
    std::fs::create_dir_all(root).unwrap();
    std::fs::copy(binary, &target).unwrap();
    set_mode(&target, 0o755);
    for library in shared_libraries(binary) {
        let inside = root.join(library.strip_prefix("/").unwrap());
        std::fs::create_dir_all(inside.parent().unwrap()).unwrap();
        // `copy` follows symbolic links: the image holds the files themselves.
        std::fs::copy(&library, &inside)
            .unwrap_or_else(|error| panic!("copying {}: {error}", library.display()));
        set_mode(&inside, 0o755);
    }
    let etc = root.join("etc");
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::write(
        etc.join("passwd"),
        format!(
            "root:x:0:0:root:/:/sbin/nologin\nnobody:x:{NOBODY}:{NOBODY}:nobody:/nonexistent:/sbin/nologin\n"
        ),
    )
    .unwrap();
    std::fs::write(
        etc.join("group"),
        format!("root:x:0:\nnogroup:x:{NOBODY}:\n"),
    )
    .unwrap();
    let tmp = root.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    set_mode(&tmp, 0o1777);
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The absolute paths `ldd` prints for `binary`: its libraries and the dynamic loader.
fn shared_libraries(binary: &Path) -> Vec<PathBuf> {
    let output = Command::new("ldd")
        .arg(binary)
        .output()
        .unwrap_or_else(|error| {
            panic!("cannot run `ldd` ({error}); it comes with libc (Debian: libc-bin)")
        });
    let listing = String::from_utf8_lossy(&output.stdout);
    parse_ldd(&listing).unwrap_or_else(|line| {
        panic!(
            "ldd cannot resolve a library of {}: {line}",
            binary.display()
        )
    })
}

/// `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)` gives the path after `=>`;
/// `/lib64/ld-linux-x86-64.so.2 (0x...)` is the loader; `linux-vdso.so.1 (0x...)` is in the
/// kernel. A static binary lists nothing usable. Err is the line of a library not found.
fn parse_ldd(listing: &str) -> Result<Vec<PathBuf>, String> {
    let mut paths = Vec::new();
    for line in listing.lines().map(str::trim) {
        let path = match line.split_once("=>") {
            Some((_, resolved)) => resolved.trim(),
            None => line,
        };
        if path.starts_with("not found") {
            return Err(line.to_owned());
        }
        let path = path.split(" (").next().unwrap_or_default().trim();
        if path.starts_with('/') {
            paths.push(PathBuf::from(path));
        }
    }
    Ok(paths)
}

/// Runs a command to completion; panics with its stderr when it fails.
fn run(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("cannot run {command:?}: {error}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr).trim()
    );
    output
}

fn first_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("no output")
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ldd_listing_gives_libraries_and_loader() {
        let listing = "\tlinux-vdso.so.1 (0x00007ffd)\n\
                       \tlibgcc_s.so.1 => /lib/x86_64-linux-gnu/libgcc_s.so.1 (0x00007f4e)\n\
                       \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f4e)\n\
                       \t/lib64/ld-linux-x86-64.so.2 (0x00007f4e)\n";
        assert_eq!(
            parse_ldd(listing).unwrap(),
            [
                "/lib/x86_64-linux-gnu/libgcc_s.so.1",
                "/lib/x86_64-linux-gnu/libc.so.6",
                "/lib64/ld-linux-x86-64.so.2"
            ]
            .map(PathBuf::from)
        );
    }

    #[test]
    fn missing_library_is_an_error() {
        let listing = "\tlibfoo.so.1 => not found\n";
        assert_eq!(parse_ldd(listing).unwrap_err(), "libfoo.so.1 => not found");
    }

    #[test]
    fn static_binary_has_no_libraries() {
        assert!(parse_ldd("\tstatically linked\n").unwrap().is_empty());
        assert!(
            parse_ldd("\tnot a dynamic executable\n")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn hash_is_twelve_hex_digits_and_depends_on_content() {
        let one = content_hash(b"one");
        assert_eq!(one.len(), 12);
        assert!(one.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(one, content_hash(b"one"));
        assert_ne!(one, content_hash(b"two"));
    }
}
