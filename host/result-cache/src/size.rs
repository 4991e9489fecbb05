//! Cache size limits: a byte count, a count with a unit (`512MB`, `1.5GB`, `64MiB`) or a share
//! of the partition that holds the cache (`10%`).
//!
//! Units: `KB`, `MB`, `GB`, `TB` are decimal (10^3, 10^6, 10^9, 10^12 bytes), as disk makers and
//! the SI mean them; `KiB`, `MiB`, `GiB`, `TiB` are binary (2^10 ...). Units are case-insensitive,
//! the trailing `B` is optional (`512M` = `512MB`), and a space may stand before the unit.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The default limit of one namespace: 256 MB (256 × 10^6 bytes).
pub const DEFAULT_LIMIT: SizeLimit = SizeLimit::Bytes(256_000_000);

#[derive(Debug, thiserror::Error)]
pub enum SizeError {
    #[error(
        "invalid cache size {0:?}: expected bytes (268435456), a number with a unit (512MB, 1.5GB, 64MiB) or a percentage of the partition (10%)"
    )]
    Syntax(String),
    #[error(
        "invalid cache size {0:?}: unknown unit {1:?}; one of B, KB, MB, GB, TB, KiB, MiB, GiB, TiB"
    )]
    Unit(String, String),
    #[error("invalid cache size {0:?}: must be more than 0 bytes")]
    Zero(String),
    #[error("invalid cache size {0:?}: too large")]
    TooLarge(String),
    #[error("invalid cache size {0:?}: a percentage must be more than 0 and at most 100")]
    Percent(String),
    #[error("cannot measure the partition of {path} for a {percent}% cache limit: {source}")]
    Partition {
        path: String,
        percent: f64,
        source: std::io::Error,
    },
}

/// How large a namespace may grow before least-recently-used entries are evicted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SizeLimit {
    Bytes(u64),
    /// A share of the partition's total size, in percent (0, 100].
    PercentOfPartition(f64),
}

impl Default for SizeLimit {
    fn default() -> Self {
        DEFAULT_LIMIT
    }
}

impl SizeLimit {
    /// The limit in bytes; a percentage is taken of the total size of the partition holding
    /// `dir` (statvfs).
    pub fn resolve(&self, dir: &Path) -> Result<u64, SizeError> {
        match *self {
            SizeLimit::Bytes(bytes) => Ok(bytes),
            SizeLimit::PercentOfPartition(percent) => {
                let fs = rustix::fs::statvfs(dir).map_err(|e| SizeError::Partition {
                    path: dir.display().to_string(),
                    percent,
                    source: e.into(),
                })?;
                let total = fs.f_blocks as f64 * fs.f_frsize as f64;
                Ok(((total * percent / 100.0) as u64).max(1))
            }
        }
    }
}

impl FromStr for SizeLimit {
    type Err = SizeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        if let Some(number) = trimmed.strip_suffix('%') {
            let percent: f64 = number
                .trim()
                .parse()
                .map_err(|_| SizeError::Syntax(text.to_owned()))?;
            if !(percent > 0.0 && percent <= 100.0) {
                return Err(SizeError::Percent(text.to_owned()));
            }
            return Ok(SizeLimit::PercentOfPartition(percent));
        }
        let split = trimmed
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(trimmed.len());
        let (number, unit) = trimmed.split_at(split);
        if number.is_empty() {
            return Err(SizeError::Syntax(text.to_owned()));
        }
        let unit = unit.trim();
        let multiplier: u64 = match unit.to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "k" | "kb" => 1_000,
            "m" | "mb" => 1_000_000,
            "g" | "gb" => 1_000_000_000,
            "t" | "tb" => 1_000_000_000_000,
            "ki" | "kib" => 1 << 10,
            "mi" | "mib" => 1 << 20,
            "gi" | "gib" => 1 << 30,
            "ti" | "tib" => 1 << 40,
            _ => return Err(SizeError::Unit(text.to_owned(), unit.to_owned())),
        };
        let bytes = if let Ok(whole) = number.parse::<u64>() {
            whole
                .checked_mul(multiplier)
                .ok_or_else(|| SizeError::TooLarge(text.to_owned()))?
        } else {
            let value: f64 = number
                .parse()
                .map_err(|_| SizeError::Syntax(text.to_owned()))?;
            let bytes = (value * multiplier as f64).round();
            if !bytes.is_finite() || bytes >= u64::MAX as f64 {
                return Err(SizeError::TooLarge(text.to_owned()));
            }
            bytes as u64
        };
        if bytes == 0 {
            return Err(SizeError::Zero(text.to_owned()));
        }
        Ok(SizeLimit::Bytes(bytes))
    }
}

impl fmt::Display for SizeLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SizeLimit::Bytes(bytes) => write!(f, "{bytes}"),
            SizeLimit::PercentOfPartition(percent) => write!(f, "{percent}%"),
        }
    }
}

impl Serialize for SizeLimit {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SizeLimit {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Number(0) => Err(serde::de::Error::custom(SizeError::Zero("0".into()))),
            Raw::Number(bytes) => Ok(SizeLimit::Bytes(bytes)),
            Raw::Text(text) => text.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// `1.5 GB`-style text for people (decimal units, matching the parser's).
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
