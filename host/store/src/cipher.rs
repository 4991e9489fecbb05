//! Sealing secret values at rest with XChaCha20-Poly1305.
//!
//! The key is 32 random bytes, kept base64-encoded in `$MCPCTL_HOME/secret.key` (created with
//! mode 0600 on first start) or given in `MCPD_SECRET_KEY`. Each sealed value carries its own
//! random 24-byte nonce, and the resource's name is bound in as associated data, so a sealed
//! value copied onto another secret does not open.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{Aead, Generate, Key, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

const PREFIX: &str = "sealed:v1:";
const NONCE_LEN: usize = 24;

#[derive(Debug, thiserror::Error)]
pub enum CipherError {
    #[error("cannot read the secret key file {path}: {source}")]
    ReadKey {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot create the secret key file {path}: {source}")]
    WriteKey {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the secret key from {origin} is not 32 bytes of base64; generate one with `head -c32 /dev/urandom | base64`"
    )]
    BadKey { origin: String },
    #[error(
        "secret {name} cannot be opened: it was sealed with another key than the one mcpd has now (check MCPD_SECRET_KEY or the key file)"
    )]
    WrongKey { name: String },
    #[error("secret {name} is stored in an unknown format")]
    Format { name: String },
}

/// Seals and opens secret values.
pub struct SecretCipher {
    aead: XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretCipher(..)")
    }
}

impl SecretCipher {
    /// A cipher from a base64 key; `origin` names where it came from, for errors.
    pub fn from_base64(text: &str, origin: &str) -> Result<SecretCipher, CipherError> {
        let bad = || CipherError::BadKey {
            origin: origin.to_owned(),
        };
        let bytes = BASE64.decode(text.trim()).map_err(|_| bad())?;
        let aead = XChaCha20Poly1305::new_from_slice(&bytes).map_err(|_| bad())?;
        Ok(SecretCipher { aead })
    }

    /// Reads the key file, creating it (mode 0600) with a fresh random key if it is absent.
    pub fn load_or_create(path: &Path) -> Result<SecretCipher, CipherError> {
        match std::fs::read_to_string(path) {
            Ok(text) => SecretCipher::from_base64(&text, &path.display().to_string()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let key = Key::<XChaCha20Poly1305>::generate();
                let text = BASE64.encode(key.as_slice());
                write_private(path, &text).map_err(|source| CipherError::WriteKey {
                    path: path.to_owned(),
                    source,
                })?;
                Ok(SecretCipher {
                    aead: XChaCha20Poly1305::new(&key),
                })
            }
            Err(source) => Err(CipherError::ReadKey {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Seals `plain` for the resource `name`.
    pub fn seal(&self, name: &str, plain: &str) -> String {
        let nonce = XNonce::generate();
        let payload = Payload {
            msg: plain.as_bytes(),
            aad: name.as_bytes(),
        };
        // Encryption only fails for messages beyond the cipher's 256 GiB limit, far above the
        // size limits validation enforces; an empty ciphertext would then fail to open.
        let sealed = self.aead.encrypt(&nonce, payload).unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{PREFIX}{}", BASE64.encode(out))
    }

    /// Opens what [`SecretCipher::seal`] produced for the resource `name`.
    pub fn open(&self, name: &str, sealed: &str) -> Result<String, CipherError> {
        let format = || CipherError::Format {
            name: name.to_owned(),
        };
        let encoded = sealed.strip_prefix(PREFIX).ok_or_else(format)?;
        let bytes = BASE64.decode(encoded).map_err(|_| format())?;
        if bytes.len() < NONCE_LEN {
            return Err(format());
        }
        let (nonce, body) = bytes.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| format())?;
        let payload = Payload {
            msg: body,
            aad: name.as_bytes(),
        };
        let plain = self
            .aead
            .decrypt(&nonce, payload)
            .map_err(|_| CipherError::WrongKey {
                name: name.to_owned(),
            })?;
        String::from_utf8(plain).map_err(|_| format())
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_for_their_name_and_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("secret.key");
        let cipher = SecretCipher::load_or_create(&path).expect("create");
        let sealed = cipher.seal("creds", r#"{"data":{"TOKEN":"abc"}}"#);
        assert!(!sealed.contains("abc"));
        assert_eq!(
            cipher.open("creds", &sealed).expect("open"),
            r#"{"data":{"TOKEN":"abc"}}"#
        );
        assert!(matches!(
            cipher.open("other", &sealed),
            Err(CipherError::WrongKey { .. })
        ));

        let again = SecretCipher::load_or_create(&path).expect("reload");
        assert!(
            again.open("creds", &sealed).is_ok(),
            "the key file is reused"
        );
        let other = SecretCipher::from_base64(&BASE64.encode([7u8; 32]), "test").expect("key");
        assert!(matches!(
            other.open("creds", &sealed),
            Err(CipherError::WrongKey { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn the_key_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("secret.key");
        SecretCipher::load_or_create(&path).expect("create");
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn short_or_garbled_keys_are_refused() {
        assert!(SecretCipher::from_base64("c2hvcnQ=", "env").is_err());
        assert!(SecretCipher::from_base64("not base64!", "env").is_err());
    }
}
