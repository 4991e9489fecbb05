//! [`FolderWatch`]: watches one folder (not its subfolders) and calls back once the folder
//! has been quiet for a debounce interval after a change to a file that matters.
//!
//! Only creations, modifications and removals count: opening and reading files (as the
//! callback's own reload does) is not a change. A lost-events error from the watcher counts
//! as a change, so the callback looks again. The callback runs on a thread of its own; the
//! watch stops when the [`FolderWatch`] is dropped.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};

/// Why a folder cannot be watched.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("cannot create the folder {path}: {source}")]
    CreateFolder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot watch the folder {path}: {message}")]
    Watch { path: PathBuf, message: String },
}

/// A running watch; dropping it stops the watch and its thread.
pub struct FolderWatch {
    _watcher: RecommendedWatcher,
}

impl std::fmt::Debug for FolderWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FolderWatch").finish_non_exhaustive()
    }
}

impl FolderWatch {
    /// Watches `dir` (created when missing). When a file for which `relevant` is true is
    /// created, changed or removed, waits until no such change has come for `debounce`, then
    /// calls `on_quiet`. The thread it runs on is named `thread_name`.
    pub fn start(
        dir: &Path,
        relevant: fn(&Path) -> bool,
        debounce: Duration,
        thread_name: &str,
        on_quiet: impl Fn() + Send + 'static,
    ) -> Result<FolderWatch, WatchError> {
        std::fs::create_dir_all(dir).map_err(|source| WatchError::CreateFolder {
            path: dir.to_path_buf(),
            source,
        })?;
        let watch_error = |message: String| WatchError::Watch {
            path: dir.to_path_buf(),
            message,
        };
        // The watcher's callback only signals; the thread waits for quiet, then calls back.
        // It ends when the watcher, and with it the sender, is dropped.
        let (changed, changes) = mpsc::channel::<()>();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                let matters = match &event {
                    Ok(event) => {
                        matches!(
                            event.kind,
                            EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
                        ) && event.paths.iter().any(|path| relevant(path))
                    }
                    Err(_) => true,
                };
                if matters {
                    let _ = changed.send(());
                }
            })
            .map_err(|e| watch_error(e.to_string()))?;
        watcher
            .watch(dir, RecursiveMode::NonRecursive)
            .map_err(|e| watch_error(e.to_string()))?;
        std::thread::Builder::new()
            .name(thread_name.to_owned())
            .spawn(move || call_when_quiet(&changes, debounce, on_quiet))
            .map_err(|e| watch_error(format!("cannot start the watch thread: {e}")))?;
        Ok(FolderWatch { _watcher: watcher })
    }
}

/// Waits for a change, then for `debounce` without one, then calls `on_quiet`; until the
/// sender is gone.
fn call_when_quiet(changes: &mpsc::Receiver<()>, debounce: Duration, on_quiet: impl Fn()) {
    while changes.recv().is_ok() {
        loop {
            match changes.recv_timeout(debounce) {
                Ok(()) => continue,
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
        on_quiet();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    fn is_txt(path: &Path) -> bool {
        path.extension().is_some_and(|e| e == "txt")
    }

    fn wait_for(count: &AtomicUsize, want: usize) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if count.load(Ordering::SeqCst) >= want {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    #[test]
    fn a_burst_of_changes_calls_back_once_and_other_files_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let watch = FolderWatch::start(
            dir.path(),
            is_txt,
            Duration::from_millis(200),
            "test-watch",
            move || {
                counter.fetch_add(1, Ordering::SeqCst);
            },
        )
        .unwrap();
        for i in 0..5 {
            std::fs::write(dir.path().join("a.txt"), format!("{i}")).unwrap();
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(wait_for(&calls, 1), "no call back after the burst");
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(calls.load(Ordering::SeqCst), 1, "one burst, one call");

        std::fs::write(dir.path().join("ignored.bin"), "x").unwrap();
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(calls.load(Ordering::SeqCst), 1, "other files do not count");

        std::fs::remove_file(dir.path().join("a.txt")).unwrap();
        assert!(wait_for(&calls, 2), "a removal counts");
        drop(watch);
    }

    #[test]
    fn a_missing_folder_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("x/y");
        let _watch =
            FolderWatch::start(&nested, is_txt, Duration::from_millis(50), "t", || {}).unwrap();
        assert!(nested.is_dir());
    }
}
