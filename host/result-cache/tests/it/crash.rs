//! kill -9 in the middle of writes: the test binary runs itself as a child that writes entries
//! in a loop, the parent kills it with SIGKILL, reopens the cache and checks every entry is
//! whole (its value matches the pattern its key implies) or absent.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{clock, entry_files, open};

const DIR_VAR: &str = "RESULT_CACHE_CRASH_WRITER_DIR";
const KEYS: usize = 40;

/// A value that proves itself whole: `KEY|ROUND|LEN|` then LEN bytes derived from the round.
fn value_for(key: usize, round: usize) -> Vec<u8> {
    let len = 1_000 + (round * 7_919 + key * 104_729) % 150_000;
    let mut value = format!("k{key}|{round}|{len}|").into_bytes();
    value.extend((0..len).map(|i| (i.wrapping_mul(31) ^ round) as u8));
    value
}

fn check_whole(key: usize, value: &[u8]) {
    let text = String::from_utf8_lossy(&value[..value.len().min(64)]).into_owned();
    let mut parts = text.splitn(4, '|');
    let (k, round) = (parts.next(), parts.next());
    assert_eq!(
        k,
        Some(format!("k{key}").as_str()),
        "value of k{key}: {text}"
    );
    let round: usize = round.and_then(|r| r.parse().ok()).expect("round");
    assert_eq!(value, value_for(key, round), "k{key} round {round} is torn");
}

#[test]
#[ignore = "the child process of kill_9_during_writes_leaves_no_torn_entry"]
fn crash_writer_child() {
    let Ok(dir) = std::env::var(DIR_VAR) else {
        return;
    };
    let cache = open(Path::new(&dir), 4 << 20, clock());
    for round in 0.. {
        let key = round % KEYS;
        cache
            .put(format!("k{key}").as_bytes(), &value_for(key, round))
            .expect("put");
        if round == KEYS {
            println!("written");
        }
    }
}

#[test]
fn kill_9_during_writes_leaves_no_torn_entry() {
    let exe = std::env::current_exe().expect("test binary");
    for (attempt, delay_ms) in [30u64, 170, 400].into_iter().enumerate() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash::crash_writer_child",
                "--ignored",
                "--nocapture",
            ])
            .env(DIR_VAR, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the writer");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let ready = lines.find(|line| line.as_deref().is_ok_and(|l| l.contains("written")));
        assert!(ready.is_some(), "the writer wrote its first round");
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().expect("SIGKILL");
        let status = child.wait().expect("reaped");
        assert!(!status.success(), "killed, not finished");

        let cache = open(dir.path(), 4 << 20, clock());
        assert!(
            std::fs::read_dir(cache.dir().join("tmp"))
                .expect("tmp")
                .next()
                .is_none(),
            "half-written temporaries are removed at open"
        );
        let mut present = 0;
        for key in 0..KEYS {
            if let Some(value) = cache.get(format!("k{key}").as_bytes()) {
                check_whole(key, &value);
                present += 1;
            }
        }
        let stats = cache.stats();
        assert_eq!(stats.corrupt, 0, "attempt {attempt}: no torn entry");
        assert!(present > 0, "attempt {attempt}: entries survived");
        assert!(stats.bytes <= 4 << 20, "within the limit");
        assert_eq!(entry_files(cache.dir()).len() as u64, stats.entries);
    }
}
