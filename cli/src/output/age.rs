//! Ages the way kubectl shows them: `45s`, `3m`, `5h`, `2d`, `3y`.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_millis()).ok())
        .unwrap_or_default()
}

/// The age of something created at `created_ms`, seen at `now_ms`; `<unknown>` without a time.
pub fn format_age(created_ms: Option<i64>, now_ms: i64) -> String {
    let Some(created_ms) = created_ms else {
        return "<unknown>".to_owned();
    };
    let seconds = (now_ms - created_ms).max(0) / 1000;
    let minutes = seconds / 60;
    let hours = minutes / 60;
    let days = hours / 24;
    if seconds < 60 {
        format!("{seconds}s")
    } else if minutes < 60 {
        format!("{minutes}m")
    } else if hours < 24 {
        format!("{hours}h")
    } else if days < 365 {
        format!("{days}d")
    } else {
        format!("{}y", days / 365)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    fn ago(seconds: i64) -> String {
        format_age(Some(NOW - seconds * 1000), NOW)
    }

    #[test]
    fn ages_use_the_largest_whole_unit() {
        assert_eq!(ago(0), "0s");
        assert_eq!(ago(45), "45s");
        assert_eq!(ago(3 * 60 + 59), "3m");
        assert_eq!(ago(5 * 3600), "5h");
        assert_eq!(ago(2 * 86400 + 7), "2d");
        assert_eq!(ago(800 * 86400), "2y");
    }

    #[test]
    fn clock_skew_and_missing_times_are_harmless() {
        assert_eq!(ago(-30), "0s");
        assert_eq!(format_age(None, NOW), "<unknown>");
    }
}
