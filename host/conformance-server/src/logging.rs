//! Log notifications (`notifications/message`) and which of them a client gets.
//!
//! On the session-based revisions the session's `logging/setLevel` decides (everything
//! until the client sets a level). On `2026-07-28` each request carries its own
//! `_meta["io.modelcontextprotocol/logLevel"]`; a request without one gets no logs.
#![allow(deprecated)] // logging is deprecated by SEP-2577 but part of every revision

use std::sync::{Mutex, PoisonError};

use rmcp::model::{LoggingLevel, LoggingMessageNotificationParam};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};
use serde_json::Value;

use crate::input::asks_in_results;

/// Logger name in the notifications.
const LOGGER: &str = "mcp-conformance-server";

/// The level a session asked for with `logging/setLevel`.
#[derive(Default)]
pub struct SessionLogLevel(Mutex<Option<LoggingLevel>>);

impl SessionLogLevel {
    pub fn set(&self, level: LoggingLevel) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(level);
    }

    fn get(&self) -> Option<LoggingLevel> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Sends `message` at `level` to the client of `context`, if its level lets it through.
pub async fn log(
    context: &RequestContext<RoleServer>,
    session: &SessionLogLevel,
    level: LoggingLevel,
    message: &str,
) -> Result<(), ErrorData> {
    let threshold = if asks_in_results(context) {
        context.meta.log_level()
    } else {
        Some(session.get().unwrap_or(LoggingLevel::Debug))
    };
    let Some(threshold) = threshold else {
        return Ok(());
    };
    if severity(level) < severity(threshold) {
        return Ok(());
    }
    let notification =
        LoggingMessageNotificationParam::new(level, Value::String(message.to_owned()))
            .with_logger(LOGGER);
    context
        .peer
        .notify_logging_message(notification)
        .await
        .map_err(|error| ErrorData::internal_error(format!("sending a log: {error}"), None))
}

/// RFC 5424 order, least severe first.
fn severity(level: LoggingLevel) -> u8 {
    match level {
        LoggingLevel::Debug => 0,
        LoggingLevel::Info => 1,
        LoggingLevel::Notice => 2,
        LoggingLevel::Warning => 3,
        LoggingLevel::Error => 4,
        LoggingLevel::Critical => 5,
        LoggingLevel::Alert => 6,
        LoggingLevel::Emergency => 7,
    }
}
