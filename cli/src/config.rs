//! mcpctl's own state: the folder `$MCPCTL_HOME` (default `~/.mcpctl`) and the mcpd address
//! saved there by `mcpctl login`.

use std::path::{Path, PathBuf};

use reqwest::Url;
use serde::{Deserialize, Serialize};

/// Where mcpd listens when nothing else says.
pub const DEFAULT_MCPD_URL: &str = "http://127.0.0.1:3000";

const LOGIN_FILE: &str = "login.yaml";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot find the home folder: set MCPCTL_HOME or HOME")]
    NoHome,
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {message}; fix or delete it, or run 'mcpctl login --mcpd-url URL'", path.display())]
    Malformed { path: PathBuf, message: String },
    #[error("invalid mcpd URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
}

/// What `mcpctl login` saves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Login {
    pub mcpd_url: String,
}

/// The folder that holds mcpctl's state.
#[derive(Debug, Clone)]
pub struct Home {
    dir: PathBuf,
}

impl Home {
    /// `$MCPCTL_HOME`, else `$HOME/.mcpctl`.
    pub fn from_env() -> Result<Home, ConfigError> {
        let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        if let Some(dir) = non_empty("MCPCTL_HOME") {
            return Ok(Home { dir: dir.into() });
        }
        let home = non_empty("HOME").ok_or(ConfigError::NoHome)?;
        Ok(Home {
            dir: PathBuf::from(home).join(".mcpctl"),
        })
    }

    #[cfg(test)]
    pub fn at(dir: impl Into<PathBuf>) -> Home {
        Home { dir: dir.into() }
    }

    /// The folder itself.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn login_path(&self) -> PathBuf {
        self.dir.join(LOGIN_FILE)
    }

    /// The saved login, or `None` when there is none yet.
    pub fn load_login(&self) -> Result<Option<Login>, ConfigError> {
        let path = self.login_path();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        serde_yaml_ng::from_str(&text)
            .map(Some)
            .map_err(|e| ConfigError::Malformed {
                path,
                message: e.to_string(),
            })
    }

    /// Saves the login, creating the folder; returns the file written.
    pub fn save_login(&self, login: &Login) -> Result<PathBuf, ConfigError> {
        std::fs::create_dir_all(&self.dir).map_err(|source| ConfigError::Write {
            path: self.dir.clone(),
            source,
        })?;
        let path = self.login_path();
        let text = serde_yaml_ng::to_string(login).map_err(|e| ConfigError::Malformed {
            path: path.clone(),
            message: e.to_string(),
        })?;
        write_file(&path, &text)?;
        Ok(path)
    }
}

fn write_file(path: &Path, text: &str) -> Result<(), ConfigError> {
    std::fs::write(path, text).map_err(|source| ConfigError::Write {
        path: path.to_owned(),
        source,
    })
}

/// The mcpd address to use: the flag or `MCPCTL_MCPD_URL` (clap merges both, the flag first),
/// else the saved login, else [`DEFAULT_MCPD_URL`].
pub fn choose_mcpd_url(
    flag_or_env: Option<&str>,
    login: Option<&Login>,
) -> Result<String, ConfigError> {
    let chosen = flag_or_env
        .filter(|u| !u.trim().is_empty())
        .or(login.map(|l| l.mcpd_url.as_str()))
        .unwrap_or(DEFAULT_MCPD_URL);
    normalize_url(chosen)
}

/// Checks that `text` is an http(s) URL with a host; returns it without a trailing `/`.
pub fn normalize_url(text: &str) -> Result<String, ConfigError> {
    let text = text.trim();
    let invalid = |reason: &str| ConfigError::InvalidUrl {
        url: text.to_owned(),
        reason: reason.to_owned(),
    };
    let url = Url::parse(text).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("use an http:// address"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host"));
    }
    Ok(text.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_beats_the_login_which_beats_the_default() {
        let login = Login {
            mcpd_url: "http://saved:4000".into(),
        };
        assert_eq!(
            choose_mcpd_url(Some("http://flag:1/"), Some(&login)).expect("valid"),
            "http://flag:1"
        );
        assert_eq!(
            choose_mcpd_url(None, Some(&login)).expect("valid"),
            "http://saved:4000"
        );
        assert_eq!(
            choose_mcpd_url(Some(""), None).expect("valid"),
            DEFAULT_MCPD_URL
        );
    }

    #[test]
    fn bad_urls_are_refused() {
        assert!(normalize_url("localhost:3000").is_err());
        assert!(normalize_url("not a url").is_err());
        assert!(normalize_url("ftp://x").is_err());
    }

    #[test]
    fn logins_are_saved_and_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = Home::at(dir.path().join("nested"));
        assert_eq!(home.load_login().expect("readable"), None);
        let login = Login {
            mcpd_url: "http://127.0.0.1:9".into(),
        };
        let path = home.save_login(&login).expect("saved");
        let text = std::fs::read_to_string(path).expect("file");
        assert_eq!(text.trim(), "mcpdUrl: http://127.0.0.1:9");
        assert_eq!(home.load_login().expect("readable"), Some(login));
    }

    #[test]
    fn a_malformed_login_names_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(LOGIN_FILE), "mcpdUrl: [").expect("write");
        let err = Home::at(dir.path()).load_login().expect_err("malformed");
        assert!(err.to_string().contains("login.yaml"), "{err}");
    }
}
