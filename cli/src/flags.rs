//! Values of repeatable flags: `KEY=VALUE` pairs, `NAME[=description]` and env files.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// A `KEY=VALUE` flag value. The value may be empty and may contain `=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

/// Why a flag value is not `KEY=VALUE`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlagError {
    #[error("expected KEY=VALUE, got {0:?}")]
    NotKeyValue(String),
    #[error("the name before '=' is empty in {0:?}")]
    EmptyKey(String),
    #[error("{flag}: key {key:?} is given twice")]
    DuplicateKey { flag: String, key: String },
    #[error("{file} line {line}: expected KEY=VALUE, got {text:?}")]
    EnvFileLine {
        file: String,
        line: usize,
        text: String,
    },
}

impl FromStr for KeyValue {
    type Err = FlagError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (key, value) = text
            .split_once('=')
            .ok_or_else(|| FlagError::NotKeyValue(text.to_owned()))?;
        if key.trim().is_empty() {
            return Err(FlagError::EmptyKey(text.to_owned()));
        }
        Ok(KeyValue {
            key: key.trim().to_owned(),
            value: value.to_owned(),
        })
    }
}

impl fmt::Display for KeyValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.key, self.value)
    }
}

/// A `NAME` or `NAME=description` flag value (a template's variable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameDescription {
    pub name: String,
    pub description: Option<String>,
}

impl FromStr for NameDescription {
    type Err = FlagError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (name, description) = match text.split_once('=') {
            Some((name, description)) => (name, Some(description.to_owned())),
            None => (text, None),
        };
        if name.trim().is_empty() {
            return Err(FlagError::EmptyKey(text.to_owned()));
        }
        Ok(NameDescription {
            name: name.trim().to_owned(),
            description: description.filter(|d| !d.is_empty()),
        })
    }
}

/// Reads `KEY=VALUE` lines, skipping blank lines and `#` comments. `file` names the file in
/// errors.
pub fn parse_env_file(text: &str, file: &str) -> Result<Vec<KeyValue>, FlagError> {
    let mut pairs = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let pair = trimmed
            .parse::<KeyValue>()
            .map_err(|_| FlagError::EnvFileLine {
                file: file.to_owned(),
                line: index + 1,
                text: line.to_owned(),
            })?;
        pairs.push(pair);
    }
    Ok(pairs)
}

/// Collects pairs into a map, refusing a key given twice; `flag` names where they came from.
pub fn into_map(
    pairs: impl IntoIterator<Item = KeyValue>,
    flag: &str,
) -> Result<BTreeMap<String, String>, FlagError> {
    let mut map = BTreeMap::new();
    for KeyValue { key, value } in pairs {
        if map.contains_key(&key) {
            return Err(FlagError::DuplicateKey {
                flag: flag.to_owned(),
                key,
            });
        }
        map.insert(key, value);
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_values_split_at_the_first_equals_sign() {
        let kv: KeyValue = "URL=http://x?a=b".parse().expect("valid");
        assert_eq!(kv.key, "URL");
        assert_eq!(kv.value, "http://x?a=b");
        let empty: KeyValue = "EMPTY=".parse().expect("valid");
        assert_eq!(empty.value, "");
    }

    #[test]
    fn malformed_key_values_say_what_is_expected() {
        assert_eq!(
            "NOPE".parse::<KeyValue>(),
            Err(FlagError::NotKeyValue("NOPE".into()))
        );
        assert_eq!(
            "=v".parse::<KeyValue>(),
            Err(FlagError::EmptyKey("=v".into()))
        );
    }

    #[test]
    fn names_take_an_optional_description() {
        let plain: NameDescription = "TOKEN".parse().expect("valid");
        assert_eq!(plain.description, None);
        let described: NameDescription = "URL=Base URL, e.g. http://a=b".parse().expect("valid");
        assert_eq!(described.name, "URL");
        assert_eq!(
            described.description.as_deref(),
            Some("Base URL, e.g. http://a=b")
        );
    }

    #[test]
    fn env_files_skip_comments_and_name_bad_lines() {
        let pairs = parse_env_file("# creds\n\nA=1\n  B=two words\n", "x.env").expect("valid");
        assert_eq!(
            pairs,
            [
                KeyValue {
                    key: "A".into(),
                    value: "1".into()
                },
                KeyValue {
                    key: "B".into(),
                    value: "two words".into()
                }
            ]
        );
        let err = parse_env_file("A=1\noops\n", "x.env").expect_err("bad line");
        assert_eq!(
            err.to_string(),
            "x.env line 2: expected KEY=VALUE, got \"oops\""
        );
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let pairs = ["A=1", "A=2"].map(|t| t.parse::<KeyValue>().expect("valid"));
        let err = into_map(pairs, "--data").expect_err("twice");
        assert_eq!(err.to_string(), "--data: key \"A\" is given twice");
    }
}
