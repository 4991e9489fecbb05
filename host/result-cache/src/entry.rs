//! The on-disk form of one entry: a fixed header, the key and the value.
//!
//! ```text
//! magic "MCPCACH1" | created (u64 ms, LE) | key length (u32 LE) | value length (u64 LE)
//! | SHA-256 of (created, key, value) | key | value
//! ```
//!
//! A file whose length, magic or checksum does not match is corrupt and read as a miss.

use sha2::{Digest, Sha256};

const MAGIC: &[u8; 8] = b"MCPCACH1";
pub(crate) const HEADER_LEN: usize = 8 + 8 + 4 + 8 + 32;

/// The hash that names an entry file: the first 16 bytes of SHA-256(key).
pub(crate) type KeyHash = [u8; 16];

pub(crate) fn key_hash(key: &[u8]) -> KeyHash {
    let digest = Sha256::digest(key);
    let mut hash = [0u8; 16];
    hash.copy_from_slice(&digest[..16]);
    hash
}

pub(crate) fn hex(hash: &KeyHash) -> String {
    use std::fmt::Write as _;
    hash.iter().fold(String::with_capacity(32), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

pub(crate) fn parse_hex(text: &str) -> Option<KeyHash> {
    if text.len() != 32 {
        return None;
    }
    let mut hash = [0u8; 16];
    for (i, byte) in hash.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(hash)
}

fn checksum(created_ms: u64, key: &[u8], value: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(created_ms.to_le_bytes());
    hasher.update(key);
    hasher.update(value);
    let digest = hasher.finalize();
    let mut sum = [0u8; 32];
    sum.copy_from_slice(&digest);
    sum
}

pub(crate) fn encode(created_ms: u64, key: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + key.len() + value.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&created_ms.to_le_bytes());
    out.extend_from_slice(&(key.len() as u32).to_le_bytes());
    out.extend_from_slice(&(value.len() as u64).to_le_bytes());
    out.extend_from_slice(&checksum(created_ms, key, value));
    out.extend_from_slice(key);
    out.extend_from_slice(value);
    out
}

/// Why a file is not a whole entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Corruption {
    #[error("shorter than its header")]
    Truncated,
    #[error("not a cache entry (bad magic)")]
    Magic,
    #[error("length does not match its header")]
    Length,
    #[error("checksum mismatch")]
    Checksum,
}

pub(crate) struct Decoded<'a> {
    pub created_ms: u64,
    pub key: &'a [u8],
    pub value: &'a [u8],
}

pub(crate) fn decode(bytes: &[u8]) -> Result<Decoded<'_>, Corruption> {
    if bytes.len() < HEADER_LEN {
        return Err(Corruption::Truncated);
    }
    if &bytes[..8] != MAGIC {
        return Err(Corruption::Magic);
    }
    let u64_at = |at: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&bytes[at..at + 8]);
        u64::from_le_bytes(b)
    };
    let created_ms = u64_at(8);
    let mut k = [0u8; 4];
    k.copy_from_slice(&bytes[16..20]);
    let key_len = u32::from_le_bytes(k) as usize;
    let value_len = u64_at(20);
    let expected = (HEADER_LEN as u64)
        .checked_add(key_len as u64)
        .and_then(|n| n.checked_add(value_len));
    if expected != Some(bytes.len() as u64) {
        return Err(Corruption::Length);
    }
    let key = &bytes[HEADER_LEN..HEADER_LEN + key_len];
    let value = &bytes[HEADER_LEN + key_len..];
    if bytes[28..60] != checksum(created_ms, key, value) {
        return Err(Corruption::Checksum);
    }
    Ok(Decoded {
        created_ms,
        key,
        value,
    })
}
