//! CPU time and context switches of a process, summed over its threads, from `/proc`: where
//! the time of a call goes (busy in some process, or waiting for a wake-up).

use serde_json::{Value, json};

use crate::stats::round1;

/// CPU time (ns) and context switches (voluntary + involuntary) of every thread of `pid`.
/// Threads that ended before the read are not counted.
pub fn read(pid: u32) -> Option<Reading> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let (mut cpu, mut switches) = (0u64, 0u64);
    for task in tasks.flatten() {
        let path = task.path();
        // schedstat: time on CPU (ns), time waiting to run (ns), timeslices.
        if let Ok(schedstat) = std::fs::read_to_string(path.join("schedstat")) {
            cpu += schedstat
                .split_whitespace()
                .next()
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0);
        }
        if let Ok(status) = std::fs::read_to_string(path.join("status")) {
            switches += status
                .lines()
                .filter(|l| l.contains("ctxt_switches:"))
                .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum::<u64>();
        }
    }
    Some((cpu, switches))
}

/// CPU time (ns) and context switches at one moment.
type Reading = (u64, u64);

/// Processes watched during a measurement: label, pid, the starting reading.
#[derive(Debug, Default)]
pub struct Watch {
    processes: Vec<(String, u32, Option<Reading>)>,
}

impl Watch {
    pub fn add(&mut self, label: &str, pid: u32) {
        self.processes.push((label.to_owned(), pid, None));
    }

    /// Takes the starting reading.
    pub fn start(&mut self) {
        for (_, pid, start) in &mut self.processes {
            *start = read(*pid);
        }
    }

    /// `{label: {"cpu_us_per_call", "switches_per_call"}}` since [`Self::start`].
    pub fn per_call(&self, calls: usize) -> Value {
        let calls = calls.max(1) as f64;
        let mut out = serde_json::Map::new();
        for (label, pid, start) in &self.processes {
            let (Some((cpu0, sw0)), Some((cpu1, sw1))) = (*start, read(*pid)) else {
                continue;
            };
            out.insert(
                label.clone(),
                json!({
                    "cpu_us_per_call": round1(cpu1.saturating_sub(cpu0) as f64 / 1000.0 / calls),
                    "switches_per_call": round1(sw1.saturating_sub(sw0) as f64 / calls),
                }),
            );
        }
        Value::Object(out)
    }
}

/// Parses `LABEL=PID`.
pub fn parse_watch(text: &str) -> Result<(String, u32), String> {
    let (label, pid) = text
        .split_once('=')
        .ok_or_else(|| format!("--watch {text}: expected LABEL=PID"))?;
    let pid = pid
        .parse()
        .map_err(|_| format!("--watch {text}: {pid} is not a process id"))?;
    Ok((label.to_owned(), pid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let (cpu, _) = read(std::process::id()).expect("/proc is readable");
        assert!(cpu > 0);
    }

    #[test]
    fn watch_labels_parse() {
        assert_eq!(
            parse_watch("mcpd=42").expect("parses"),
            ("mcpd".to_owned(), 42)
        );
        assert!(parse_watch("mcpd").is_err());
        assert!(parse_watch("mcpd=x").is_err());
    }
}
