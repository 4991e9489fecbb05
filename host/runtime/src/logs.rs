//! Recent output of an instance: a bounded ring of lines, and a broadcast for followers.

use std::collections::VecDeque;
use std::sync::Mutex;

use tokio::sync::broadcast;

/// Lines kept per instance.
pub const KEPT_LINES: usize = 2000;
/// Longest line kept; longer ones are cut.
pub const MAX_LINE: usize = 16 * 1024;

#[derive(Debug)]
pub struct LogBuffer {
    lines: Mutex<VecDeque<String>>,
    live: broadcast::Sender<String>,
}

impl Default for LogBuffer {
    fn default() -> Self {
        LogBuffer {
            lines: Mutex::new(VecDeque::new()),
            live: broadcast::channel(256).0,
        }
    }
}

impl LogBuffer {
    pub fn push(&self, mut line: String) {
        if line.len() > MAX_LINE {
            let mut cut = MAX_LINE;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
        }
        if let Ok(mut lines) = self.lines.lock() {
            if lines.len() == KEPT_LINES {
                lines.pop_front();
            }
            lines.push_back(line.clone());
        }
        let _ = self.live.send(line);
    }

    /// The last `n` lines.
    pub fn tail(&self, n: usize) -> Vec<String> {
        self.lines
            .lock()
            .map(|lines| {
                lines
                    .iter()
                    .skip(lines.len().saturating_sub(n))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn follow(&self) -> broadcast::Receiver<String> {
        self.live.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_lines_within_bounds() {
        let buffer = LogBuffer::default();
        for i in 0..KEPT_LINES + 10 {
            buffer.push(format!("line {i}"));
        }
        let tail = buffer.tail(3);
        assert_eq!(
            tail,
            [
                format!("line {}", KEPT_LINES + 7),
                format!("line {}", KEPT_LINES + 8),
                format!("line {}", KEPT_LINES + 9)
            ]
        );
        assert_eq!(buffer.tail(usize::MAX).len(), KEPT_LINES);
        buffer.push("é".repeat(MAX_LINE));
        assert!(buffer.tail(1)[0].len() <= MAX_LINE);
    }
}
