//! List changes: the trigger tools add or remove one extra tool or prompt, and every client
//! that listens hears about it — sessions (up to `2025-11-25`) through
//! `notifications/*/list_changed` on the calling session, `2026-07-28` clients through their
//! `subscriptions/listen` streams.

use std::sync::atomic::{AtomicBool, Ordering};

use rmcp::service::{SubscriptionContext, SubscriptionSendError};
use rmcp::{ErrorData, RoleServer, service::RequestContext};
use tokio::sync::broadcast;

/// Changes a listener may lag behind by before it misses some.
const BACKLOG: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Tools,
    Prompts,
}

pub struct Changes {
    extra_tool: AtomicBool,
    extra_prompt: AtomicBool,
    sender: broadcast::Sender<Change>,
}

impl Changes {
    pub fn new() -> Changes {
        Changes {
            extra_tool: AtomicBool::new(false),
            extra_prompt: AtomicBool::new(false),
            sender: broadcast::channel(BACKLOG).0,
        }
    }

    /// Whether the extra tool (`test_dynamic_tool`) is listed now.
    pub fn has_extra_tool(&self) -> bool {
        self.extra_tool.load(Ordering::SeqCst)
    }

    /// Whether the extra prompt (`test_dynamic_prompt`) is listed now.
    pub fn has_extra_prompt(&self) -> bool {
        self.extra_prompt.load(Ordering::SeqCst)
    }

    /// Adds or removes the extra tool or prompt and tells every listener.
    pub async fn toggle(
        &self,
        change: Change,
        context: &RequestContext<RoleServer>,
    ) -> Result<bool, ErrorData> {
        let flag = match change {
            Change::Tools => &self.extra_tool,
            Change::Prompts => &self.extra_prompt,
        };
        let present = !flag.fetch_xor(true, Ordering::SeqCst);
        // No listener is not an error.
        let _ = self.sender.send(change);
        if !crate::input::asks_in_results(context) {
            let sent = match change {
                Change::Tools => context.peer.notify_tool_list_changed().await,
                Change::Prompts => context.peer.notify_prompt_list_changed().await,
            };
            sent.map_err(|error| {
                ErrorData::internal_error(format!("sending list_changed: {error}"), None)
            })?;
        }
        Ok(present)
    }

    /// Serves one `subscriptions/listen` stream until the client cancels it.
    pub async fn listen(&self, subscription: SubscriptionContext) -> Result<(), ErrorData> {
        let mut changes = self.sender.subscribe();
        loop {
            let change = tokio::select! {
                () = subscription.cancelled() => return Ok(()),
                change = changes.recv() => change,
            };
            let change = match change {
                Ok(change) => change,
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return Ok(()),
            };
            let sink = subscription.sink();
            let sent = match change {
                Change::Tools => sink.notify_tool_list_changed().await,
                Change::Prompts => sink.notify_prompt_list_changed().await,
            };
            match sent {
                // A kind of change the client did not ask for is not sent.
                Ok(()) | Err(SubscriptionSendError::NotificationNotAccepted(_)) => {}
                Err(SubscriptionSendError::SubscriptionClosed) => return Ok(()),
                Err(error) => {
                    return Err(ErrorData::internal_error(
                        format!("sending on the subscription: {error}"),
                        None,
                    ));
                }
            }
        }
    }
}
