//! Reading the files commands take (`-f FILE`, `-f -` for standard input).

use std::io::Read;
use std::path::Path;

use crate::error::{CommandError, io_reason};

/// The text of a file and the name to call it by in messages.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub name: String,
    pub text: String,
}

/// Reads `path`, or standard input for `-`.
pub fn read_input(path: &str) -> Result<InputFile, CommandError> {
    if path == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| CommandError::ReadFile {
                file: "<stdin>".to_owned(),
                reason: io_reason(&e),
            })?;
        return Ok(InputFile {
            name: "<stdin>".to_owned(),
            text,
        });
    }
    Ok(InputFile {
        name: path.to_owned(),
        text: read_text(Path::new(path))?,
    })
}

/// Reads a text file, naming it in the error.
pub fn read_text(path: &Path) -> Result<String, CommandError> {
    if path.is_dir() {
        return Err(CommandError::ReadFile {
            file: path.display().to_string(),
            reason: "is a directory, not a file".to_owned(),
        });
    }
    std::fs::read_to_string(path).map_err(|e| CommandError::ReadFile {
        file: path.display().to_string(),
        reason: io_reason(&e),
    })
}

/// Replaces `path` with `bytes` all at once: readers see the old file or the new one, never
/// half of it (a temporary file beside it, renamed over it).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|error| error.error)?;
    Ok(())
}
