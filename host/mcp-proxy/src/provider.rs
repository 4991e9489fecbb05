//! What the proxy asks of the runtime: links to healthy instances.

use std::future::Future;
use std::sync::Arc;

use crate::error::ProxyError;
use crate::link::UpstreamLink;

/// Whether a client session shares its instance's link or gets a link of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionMode {
    /// The instance's one link, shared by every client session routed to that instance.
    /// Right for stateless servers; many sessions cost one upstream connection.
    Shared,
    /// A new link opened for this client session alone and closed when the session ends.
    /// Right for servers that keep per-connection state (logging level, subscriptions,
    /// roots, session resources).
    Dedicated,
}

/// Hands out links to healthy instances of a server. Implemented by mcpd's runtime.
///
/// The provider owns instance choice (round-robin over healthy instances, starting one on
/// demand) and link lifetime: for [`SessionMode::Shared`] it keeps one link per instance and
/// returns clones of the same `Arc`; for [`SessionMode::Dedicated`] it opens a new link each
/// call. The proxy closes a dedicated link itself when the client session ends.
pub trait LinkProvider: Send + Sync + 'static {
    /// A link to a healthy instance of `server`.
    ///
    /// Errors: [`ProxyError::UnknownServer`] for a name the provider does not know (the
    /// client gets invalid-params), [`ProxyError::Unavailable`] when no instance can serve.
    fn link(
        &self,
        server: &str,
        mode: SessionMode,
    ) -> impl Future<Output = Result<Arc<UpstreamLink>, ProxyError>> + Send;

    /// `link`, obtained from this provider for `server`, is dead: its instance exited, its
    /// connection broke, or it answered "session not found". The provider should stop
    /// handing it out (compare with [`Arc::ptr_eq`] or [`UpstreamLink::id`]: several client
    /// sessions of a shared link may report the same link) and may restart the instance.
    fn report_broken(&self, server: &str, link: &Arc<UpstreamLink>);

    /// Which mode new client sessions of `server` use. Shared unless the provider says so.
    fn session_mode(&self, server: &str) -> SessionMode {
        let _ = server;
        SessionMode::Shared
    }
}

impl<P: LinkProvider> LinkProvider for Arc<P> {
    fn link(
        &self,
        server: &str,
        mode: SessionMode,
    ) -> impl Future<Output = Result<Arc<UpstreamLink>, ProxyError>> + Send {
        (**self).link(server, mode)
    }

    fn report_broken(&self, server: &str, link: &Arc<UpstreamLink>) {
        (**self).report_broken(server, link);
    }

    fn session_mode(&self, server: &str) -> SessionMode {
        (**self).session_mode(server)
    }
}
