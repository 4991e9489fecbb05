//! `mcpctl logs SERVER [-f] [--tail N] [--instance ID]`: the output of a server's instances.

use std::io::Write;

use crate::api::LogRequest;
use crate::args::LogsArgs;
use crate::error::CommandError;
use crate::output::OutputError;

use super::Context;

pub fn logs(context: &Context, args: &LogsArgs) -> Result<(), CommandError> {
    let api = context.api()?;
    let request = LogRequest {
        tail: args.tail,
        follow: args.follow,
        instance: args.instance.as_deref(),
    };
    let mut lines = WholeLines::default();
    api.logs(&args.server, request, |chunk| -> Result<(), CommandError> {
        write_out(&lines.push(chunk))?;
        Ok(())
    })?;
    write_out(&lines.finish())?;
    Ok(())
}

/// Writes `bytes` to standard output and flushes, so that a followed line shows at once.
fn write_out(bytes: &[u8]) -> Result<(), OutputError> {
    if bytes.is_empty() {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}

/// Cuts a byte stream into whole lines: what arrives is passed on up to its last newline, the
/// rest waits for the next piece (lines never come out half-written, nor split mid-character).
#[derive(Debug, Default)]
struct WholeLines {
    pending: Vec<u8>,
}

impl WholeLines {
    /// The whole lines that `chunk` completes.
    fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        self.pending.extend_from_slice(chunk);
        match self.pending.iter().rposition(|&b| b == b'\n') {
            Some(end) => {
                let rest = self.pending.split_off(end + 1);
                std::mem::replace(&mut self.pending, rest)
            }
            None => Vec::new(),
        }
    }

    /// What is left when the stream ends: a last line without a newline.
    fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_passed_on_whole() {
        let mut lines = WholeLines::default();
        assert_eq!(lines.push(b"first\nsec"), b"first\n");
        assert_eq!(lines.push(b"ond"), b"");
        assert_eq!(lines.push(b"\nthird\nfourth\n"), b"second\nthird\nfourth\n");
        assert_eq!(lines.push(b"last"), b"");
        assert_eq!(lines.finish(), b"last");
        assert_eq!(lines.finish(), b"");
    }

    #[test]
    fn characters_split_between_pieces_stay_whole() {
        let text = "é\n".as_bytes();
        let mut lines = WholeLines::default();
        assert_eq!(lines.push(&text[..1]), b"");
        assert_eq!(lines.push(&text[1..]), text);
    }
}
