//! Reading a built-in stage's `config` map: typed fields with defaults and ranges, unknown
//! fields refused, every error naming the stage and the field ([`StageError::Config`]).

use serde_json::{Map, Value};

use crate::stage::StageError;

/// One stage's config, read field by field.
pub struct StageConfig<'a> {
    stage: &'a str,
    map: &'a Map<String, Value>,
}

impl<'a> StageConfig<'a> {
    /// Refuses fields other than `known` (a typo would otherwise be ignored silently).
    pub fn new(
        stage: &'a str,
        map: &'a Map<String, Value>,
        known: &[&str],
    ) -> Result<Self, StageError> {
        if let Some(field) = map.keys().find(|k| !known.contains(&k.as_str())) {
            let message = if known.is_empty() {
                "unknown field; this stage takes no config".to_owned()
            } else {
                format!("unknown field; known fields: {}", known.join(", "))
            };
            return Err(config_error(stage, field, message));
        }
        Ok(StageConfig { stage, map })
    }

    /// A whole number in `min..=max`, `default` when absent.
    pub fn integer(
        &self,
        field: &str,
        default: u64,
        min: u64,
        max: u64,
    ) -> Result<u64, StageError> {
        let Some(value) = self.map.get(field) else {
            return Ok(default);
        };
        let number = value.as_u64().ok_or_else(|| {
            config_error(
                self.stage,
                field,
                format!("expected a whole number from {min} to {max}, got {value}"),
            )
        })?;
        if !(min..=max).contains(&number) {
            return Err(config_error(
                self.stage,
                field,
                format!("{number} is out of range; expected {min} to {max}"),
            ));
        }
        Ok(number)
    }

    /// One of `allowed`, `default` when absent.
    pub fn choice(
        &self,
        field: &str,
        default: &'static str,
        allowed: &[&'static str],
    ) -> Result<&'static str, StageError> {
        let Some(value) = self.map.get(field) else {
            return Ok(default);
        };
        value
            .as_str()
            .and_then(|s| allowed.iter().find(|a| **a == s).copied())
            .ok_or_else(|| {
                config_error(
                    self.stage,
                    field,
                    format!("expected one of {}, got {value}", allowed.join(", ")),
                )
            })
    }

    pub fn error(&self, field: &str, message: impl Into<String>) -> StageError {
        config_error(self.stage, field, message)
    }
}

fn config_error(stage: &str, field: &str, message: impl Into<String>) -> StageError {
    StageError::Config {
        stage: stage.to_owned(),
        field: field.to_owned(),
        message: message.into(),
    }
}
