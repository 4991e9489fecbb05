//! A client of the legacy HTTP+SSE transport (protocol 2024-11-05), which rmcp 3 lacks.
//!
//! The client opens `GET <url>` as a `text/event-stream`. The server's first event is
//! `endpoint`, whose data is the (relative or absolute) URL to POST messages to; every
//! message from the server then arrives as a `message` event with the JSON-RPC message in
//! its data. Messages to the server are POSTed to the endpoint one at a time, in the order
//! rmcp sends them, and answered 202 (their responses come over the stream).
//!
//! The stream cannot be resumed: the session lives as long as the GET. When it ends or
//! fails, [`SseTransport::receive`] returns `None`, so rmcp ends the session and the link
//! closes.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::future::Future;
use std::time::Duration;

use reqwest::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE};
use reqwest::{StatusCode, Url};
use rmcp::RoleClient;
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::Transport;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::{CancellationToken, DropGuard};

/// The largest SSE event accepted from a server: the bytes of its lines (field names
/// included, each line end counted as one byte, comments not). A bigger event fails the
/// stream, which closes the link.
pub const MAX_SSE_EVENT_BYTES: usize = 16 * 1024 * 1024;

/// How long one POST to the message endpoint may take to be answered. Servers answer at
/// once (the response to a request comes over the stream); one that does not is wedged.
const POST_TIMEOUT: Duration = Duration::from_secs(30);

/// At most this much of an error answer's body is read and quoted.
const ERROR_BODY_BYTES: usize = 512;

/// At most this much of a successful POST answer's body ("Accepted") is read.
const ACCEPTED_BODY_BYTES: usize = 64 * 1024;

/// How many server messages may wait for rmcp before the stream is no longer read.
const INBOUND_QUEUE: usize = 64;

/// What can go wrong talking to an HTTP+SSE server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SseError {
    /// The SSE URL does not parse or is not http(s).
    #[error("invalid SSE URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },

    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),

    /// `GET <url>` failed below HTTP (connection refused, connect timeout...).
    #[error("GET {url} failed: {}", causes(source))]
    Connect {
        url: String,
        #[source]
        source: reqwest::Error,
    },

    /// `GET <url>` was answered with an error status.
    #[error("GET {url} answered {status}: {body}")]
    Status {
        url: String,
        status: StatusCode,
        body: String,
    },

    /// `GET <url>` was answered with something else than an event stream.
    #[error("GET {url} answered content type {content_type:?}, not text/event-stream")]
    NotEventStream { url: String, content_type: String },

    /// No `endpoint` event arrived within the connect timeout.
    #[error("no endpoint event from {url} within {timeout:?}")]
    ConnectTimeout { url: String, timeout: Duration },

    /// The stream ended before the server sent its `endpoint` event.
    #[error("the event stream of {0} ended before the server sent its endpoint event")]
    NoEndpoint(String),

    /// The `endpoint` event is not a usable URL.
    #[error("unusable endpoint event {data:?}: {reason}")]
    BadEndpoint { data: String, reason: String },

    /// One event exceeded [`MAX_SSE_EVENT_BYTES`].
    #[error("an SSE event exceeded the maximum size of {max} bytes")]
    EventTooLarge { max: usize },

    /// Reading the event stream failed.
    #[error("reading the event stream failed: {}", causes(.0))]
    Read(#[source] reqwest::Error),

    /// A message could not be serialized.
    #[error("cannot serialize a message: {0}")]
    Serialize(#[source] serde_json::Error),

    /// A POST to the message endpoint failed below HTTP.
    #[error("POST to the message endpoint failed: {}", causes(.0))]
    Post(#[source] reqwest::Error),

    /// A POST to the message endpoint was answered with an error status.
    #[error("POST to the message endpoint answered {status}: {body}")]
    PostStatus { status: StatusCode, body: String },

    /// A POST to the message endpoint got no answer in time.
    #[error("POST to the message endpoint got no answer within {0:?}")]
    PostTimeout(Duration),

    /// The event stream is gone, so nothing more can be sent.
    #[error("the SSE connection is closed")]
    Closed,
}

/// An error and its causes, `: `-separated (reqwest's own message leaves out why a request
/// failed, e.g. "connection refused").
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// One dispatched SSE event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseEvent {
    /// The event type (`message` when the event named none).
    pub(crate) event: String,
    /// The data lines, joined with `\n`.
    pub(crate) data: String,
}

/// An incremental parser of `text/event-stream` (the WHATWG algorithm): lines end in CRLF,
/// LF or CR (also across chunk boundaries); `event:` and `data:` fields (one leading space
/// of a value dropped, several `data` lines joined with `\n`); a blank line dispatches;
/// comments (`:` lines) are dropped as they stream; `id`, `retry` and unknown fields are
/// ignored; a leading byte-order mark is skipped. Each event is capped (see
/// [`MAX_SSE_EVENT_BYTES`]); after an error the parser must not be used again.
#[derive(Debug)]
pub(crate) struct SseParser {
    max_event_bytes: usize,
    /// The line being read (never a comment).
    line: Vec<u8>,
    /// The line being read is a comment: its bytes are dropped as they come.
    in_comment: bool,
    /// The last byte seen was CR: a LF right after it ends no further line.
    after_cr: bool,
    /// No line has ended yet (a byte-order mark may start it).
    first_line: bool,
    event: Vec<u8>,
    data: Vec<u8>,
    /// Bytes of the current event's finished lines.
    event_bytes: usize,
}

impl SseParser {
    pub(crate) fn new(max_event_bytes: usize) -> Self {
        Self {
            max_event_bytes,
            line: Vec::new(),
            in_comment: false,
            after_cr: false,
            first_line: true,
            event: Vec::new(),
            data: Vec::new(),
            event_bytes: 0,
        }
    }

    /// Feeds the next chunk of the stream; returns the events it completed.
    pub(crate) fn push(&mut self, mut chunk: &[u8]) -> Result<Vec<SseEvent>, SseError> {
        let mut events = Vec::new();
        while let Some(&first) = chunk.first() {
            if self.after_cr {
                self.after_cr = false;
                if first == b'\n' {
                    chunk = &chunk[1..];
                    continue;
                }
            }
            match chunk.iter().position(|&b| b == b'\n' || b == b'\r') {
                Some(end) => {
                    self.extend_line(&chunk[..end])?;
                    self.after_cr = chunk[end] == b'\r';
                    chunk = &chunk[end + 1..];
                    events.extend(self.end_line());
                }
                None => {
                    self.extend_line(chunk)?;
                    chunk = &[];
                }
            }
        }
        Ok(events)
    }

    fn extend_line(&mut self, bytes: &[u8]) -> Result<(), SseError> {
        if bytes.is_empty() {
            return Ok(());
        }
        if self.line.is_empty() && bytes[0] == b':' {
            self.in_comment = true;
        }
        if self.in_comment {
            return Ok(());
        }
        // A line's terminator counts as one byte, so a line that cannot end within the
        // limit fails as soon as it reaches it.
        if self.event_bytes + self.line.len() + bytes.len() >= self.max_event_bytes {
            return Err(SseError::EventTooLarge {
                max: self.max_event_bytes,
            });
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    fn end_line(&mut self) -> Option<SseEvent> {
        let first_line = std::mem::replace(&mut self.first_line, false);
        if std::mem::replace(&mut self.in_comment, false) {
            return None;
        }
        let line = std::mem::take(&mut self.line);
        let mut line = line.as_slice();
        if first_line {
            line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        }
        if line.is_empty() {
            return self.dispatch();
        }
        if line[0] == b':' {
            // A comment after a byte-order mark.
            return None;
        }
        self.event_bytes += line.len() + 1;
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        };
        match field {
            b"event" => self.event = value.to_vec(),
            b"data" => {
                self.data.extend_from_slice(value);
                self.data.push(b'\n');
            }
            // `id` and `retry` serve reconnection, which this transport cannot do.
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        self.event_bytes = 0;
        let event = std::mem::take(&mut self.event);
        let mut data = std::mem::take(&mut self.data);
        if data.is_empty() {
            return None;
        }
        data.pop();
        let event = if event.is_empty() {
            "message".to_owned()
        } else {
            utf8_lossy(event)
        };
        Some(SseEvent {
            event,
            data: utf8_lossy(data),
        })
    }
}

fn utf8_lossy(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}

/// A message for the server and who waits for its POST.
struct Outgoing {
    message: ClientJsonRpcMessage,
    done: oneshot::Sender<Result<(), SseError>>,
}

/// An rmcp client transport over HTTP+SSE. Built by [`SseTransport::connect`]; a reader
/// task turns the event stream into messages and a writer task POSTs messages in order.
/// Closing or dropping it ends both tasks and the GET.
pub(crate) struct SseTransport {
    inbound: mpsc::Receiver<ServerJsonRpcMessage>,
    outbound: mpsc::UnboundedSender<Outgoing>,
    ct: CancellationToken,
    _guard: DropGuard,
}

impl SseTransport {
    /// Opens the event stream at `url` and waits for the server's `endpoint` event, for at
    /// most `timeout` in all (which is also the TCP connect timeout of later POSTs).
    pub(crate) async fn connect(url: &str, timeout: Duration) -> Result<Self, SseError> {
        let invalid = |reason: String| SseError::InvalidUrl {
            url: url.to_owned(),
            reason,
        };
        let sse_url = Url::parse(url).map_err(|error| invalid(error.to_string()))?;
        if !matches!(sse_url.scheme(), "http" | "https") {
            return Err(invalid("not an http or https URL".to_owned()));
        }
        let client = reqwest::Client::builder()
            .connect_timeout(timeout)
            .build()
            .map_err(SseError::Client)?;
        let opened = tokio::time::timeout(timeout, open(&client, &sse_url))
            .await
            .map_err(|_| SseError::ConnectTimeout {
                url: url.to_owned(),
                timeout,
            })??;
        let (inbound_tx, inbound) = mpsc::channel(INBOUND_QUEUE);
        let (outbound, outbound_rx) = mpsc::unbounded_channel();
        let ct = CancellationToken::new();
        tokio::spawn(write_loop(client, opened.endpoint, outbound_rx, ct.clone()));
        tokio::spawn(read_loop(
            opened.stream,
            inbound_tx,
            ct.clone(),
            url.to_owned(),
        ));
        Ok(Self {
            inbound,
            outbound,
            _guard: ct.clone().drop_guard(),
            ct,
        })
    }
}

/// An event stream whose `endpoint` has arrived.
struct Opened {
    endpoint: Url,
    stream: EventStream,
}

/// The body of the GET, parsed as it comes, with events parsed but not yet handled.
struct EventStream {
    response: reqwest::Response,
    parser: SseParser,
    pending: VecDeque<SseEvent>,
}

impl EventStream {
    /// The next event; `Ok(None)` when the server ended the stream.
    async fn next(&mut self) -> Result<Option<SseEvent>, SseError> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Ok(Some(event));
            }
            let Some(chunk) = self.response.chunk().await.map_err(SseError::Read)? else {
                return Ok(None);
            };
            self.pending.extend(self.parser.push(&chunk)?);
        }
    }
}

async fn open(client: &reqwest::Client, url: &Url) -> Result<Opened, SseError> {
    let response = client
        .get(url.clone())
        .header(ACCEPT, "text/event-stream")
        .header(CACHE_CONTROL, "no-cache")
        .send()
        .await
        .map_err(|source| SseError::Connect {
            url: url.to_string(),
            source,
        })?;
    let status = response.status();
    if !status.is_success() {
        return Err(SseError::Status {
            url: url.to_string(),
            status,
            body: body_snippet(response).await,
        });
    }
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("text/event-stream") {
        return Err(SseError::NotEventStream {
            url: url.to_string(),
            content_type,
        });
    }
    let mut stream = EventStream {
        response,
        parser: SseParser::new(MAX_SSE_EVENT_BYTES),
        pending: VecDeque::new(),
    };
    // Messages before the endpoint (none are expected) are kept for rmcp, in order.
    let mut early = VecDeque::new();
    loop {
        let Some(event) = stream.next().await? else {
            return Err(SseError::NoEndpoint(url.to_string()));
        };
        if event.event == "endpoint" {
            let endpoint = resolve_endpoint(url, &event.data)?;
            early.append(&mut stream.pending);
            stream.pending = early;
            return Ok(Opened { endpoint, stream });
        }
        early.push_back(event);
    }
}

/// The message endpoint named by an `endpoint` event, resolved against the SSE URL. It must
/// have the SSE URL's origin: a server cannot make mcpd POST elsewhere.
pub(crate) fn resolve_endpoint(sse_url: &Url, data: &str) -> Result<Url, SseError> {
    let bad = |reason: &str| SseError::BadEndpoint {
        data: data.to_owned(),
        reason: reason.to_owned(),
    };
    let data = data.trim();
    if data.is_empty() {
        return Err(bad("empty"));
    }
    let endpoint = sse_url
        .join(data)
        .map_err(|error| bad(&error.to_string()))?;
    if endpoint.origin() != sse_url.origin() {
        return Err(bad("not on the SSE stream's origin"));
    }
    Ok(endpoint)
}

/// Up to [`ERROR_BODY_BYTES`] of a response body, as text, for an error message.
async fn body_snippet(mut response: reqwest::Response) -> String {
    let mut body = Vec::new();
    while body.len() < ERROR_BODY_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body.truncate(ERROR_BODY_BYTES);
    String::from_utf8_lossy(&body).trim().to_owned()
}

/// Delivers the stream's messages to rmcp until the stream ends, fails, or the transport
/// closes; then closes the transport (dropping the sender ends rmcp's session).
async fn read_loop(
    mut stream: EventStream,
    inbound: mpsc::Sender<ServerJsonRpcMessage>,
    ct: CancellationToken,
    url: String,
) {
    let reason = loop {
        let event = tokio::select! {
            () = ct.cancelled() => return,
            event = stream.next() => event,
        };
        let event = match event {
            Ok(Some(event)) => event,
            Ok(None) => break Cow::Borrowed("the server ended the event stream"),
            Err(error) => break Cow::Owned(error.to_string()),
        };
        match event.event.as_str() {
            "message" => {
                for message in parse_messages(&event.data) {
                    tokio::select! {
                        () = ct.cancelled() => return,
                        sent = inbound.send(message) => if sent.is_err() { return },
                    }
                }
            }
            "endpoint" => tracing::debug!(%url, "SSE upstream sent a second endpoint; ignored"),
            other => tracing::debug!(%url, event = other, "SSE upstream event ignored"),
        }
    };
    tracing::warn!(%url, %reason, "SSE upstream stream closed");
    ct.cancel();
}

/// The JSON-RPC messages in a `message` event: one, or a batch (2024-11-05 allows them).
/// Data that is not JSON-RPC is logged and skipped, as the reference SDKs do.
fn parse_messages(data: &str) -> Vec<ServerJsonRpcMessage> {
    let parsed = if data.trim_start().starts_with('[') {
        serde_json::from_str::<Vec<ServerJsonRpcMessage>>(data)
    } else {
        serde_json::from_str::<ServerJsonRpcMessage>(data).map(|message| vec![message])
    };
    parsed.unwrap_or_else(|error| {
        let start: String = data.chars().take(200).collect();
        tracing::warn!(%error, data = %start, "SSE upstream sent a message that is not JSON-RPC; skipped");
        Vec::new()
    })
}

/// POSTs messages one at a time, in the order rmcp sent them (a notification such as
/// `initialized` or `cancelled` must not overtake the messages before it).
async fn write_loop(
    client: reqwest::Client,
    endpoint: Url,
    mut outbound: mpsc::UnboundedReceiver<Outgoing>,
    ct: CancellationToken,
) {
    loop {
        let item = tokio::select! {
            () = ct.cancelled() => break,
            item = outbound.recv() => match item {
                Some(item) => item,
                None => break,
            },
        };
        let result = tokio::select! {
            () = ct.cancelled() => Err(SseError::Closed),
            result = post(&client, &endpoint, &item.message) => result,
        };
        let _ = item.done.send(result);
    }
    // Queued messages fail with `Closed` as their senders drop.
}

async fn post(
    client: &reqwest::Client,
    endpoint: &Url,
    message: &ClientJsonRpcMessage,
) -> Result<(), SseError> {
    let body = serde_json::to_vec(message).map_err(SseError::Serialize)?;
    let exchange = async {
        let mut response = client
            .post(endpoint.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(SseError::Post)?;
        let status = response.status();
        if !status.is_success() {
            return Err(SseError::PostStatus {
                status,
                body: body_snippet(response).await,
            });
        }
        // Read the short answer ("Accepted") so the connection can be reused.
        let mut read = 0;
        while read <= ACCEPTED_BODY_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => read += chunk.len(),
                _ => break,
            }
        }
        Ok(())
    };
    tokio::time::timeout(POST_TIMEOUT, exchange)
        .await
        .map_err(|_| SseError::PostTimeout(POST_TIMEOUT))?
}

impl Transport<RoleClient> for SseTransport {
    type Error = SseError;

    fn name() -> Cow<'static, str> {
        "SseTransport".into()
    }

    fn send(
        &mut self,
        item: ClientJsonRpcMessage,
    ) -> impl Future<Output = Result<(), SseError>> + Send + 'static {
        // Queued now, not when the future first runs: rmcp runs send futures concurrently,
        // and the queue keeps them in the order they were sent.
        let (done, result) = oneshot::channel();
        let queued = self
            .outbound
            .send(Outgoing {
                message: item,
                done,
            })
            .is_ok();
        async move {
            if !queued {
                return Err(SseError::Closed);
            }
            result.await.unwrap_or(Err(SseError::Closed))
        }
    }

    async fn receive(&mut self) -> Option<ServerJsonRpcMessage> {
        self.inbound.recv().await
    }

    async fn close(&mut self) -> Result<(), SseError> {
        self.ct.cancel();
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn event(event: &str, data: &str) -> SseEvent {
        SseEvent {
            event: event.to_owned(),
            data: data.to_owned(),
        }
    }

    /// Feeds `stream` split at every position into two chunks, and byte by byte: the events
    /// must not depend on where the network cut the stream.
    fn parse_every_way(stream: &[u8]) -> Vec<SseEvent> {
        let mut whole = SseParser::new(MAX_SSE_EVENT_BYTES);
        let expected = whole.push(stream).unwrap();
        for cut in 0..=stream.len() {
            let mut parser = SseParser::new(MAX_SSE_EVENT_BYTES);
            let mut events = parser.push(&stream[..cut]).unwrap();
            events.extend(parser.push(&stream[cut..]).unwrap());
            assert_eq!(events, expected, "cut at {cut}");
        }
        let mut parser = SseParser::new(MAX_SSE_EVENT_BYTES);
        let mut events = Vec::new();
        for byte in stream {
            events.extend(parser.push(std::slice::from_ref(byte)).unwrap());
        }
        assert_eq!(events, expected, "byte by byte");
        expected
    }

    #[test]
    fn endpoint_then_messages() {
        let events = parse_every_way(
            b"event: endpoint\ndata: /message?sessionId=abc\n\n\
              event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n",
        );
        assert_eq!(
            events,
            [
                event("endpoint", "/message?sessionId=abc"),
                event("message", r#"{"jsonrpc":"2.0","id":1,"result":{}}"#),
            ]
        );
    }

    #[test]
    fn crlf_cr_and_lf_all_end_lines() {
        let events =
            parse_every_way(b"event: a\r\ndata: 1\r\n\r\nevent: b\rdata: 2\r\rdata: 3\n\n");
        assert_eq!(
            events,
            [event("a", "1"), event("b", "2"), event("message", "3")]
        );
    }

    #[test]
    fn multi_line_data_is_joined_with_newlines() {
        let events = parse_every_way(b"data: {\"a\":\ndata:  1}\ndata\ndata:\n\n");
        // One leading space is dropped; `data` without a colon and `data:` add empty lines.
        assert_eq!(events, [event("message", "{\"a\":\n 1}\n\n")]);
    }

    #[test]
    fn comments_and_other_fields_are_ignored() {
        let events = parse_every_way(
            b": keep-alive\n\n:ping\r\n\
              id: 7\nretry: 100\nfoo: bar\nevent: message\n: mid-event comment\ndata: x\n\n\
              id: only an id\n\n",
        );
        assert_eq!(events, [event("message", "x")]);
    }

    #[test]
    fn an_event_without_data_is_not_dispatched_but_empty_data_is() {
        let events = parse_every_way(b"event: endpoint\n\nevent: e\ndata:\n\n");
        assert_eq!(events, [event("e", "")]);
    }

    #[test]
    fn values_keep_colons_and_a_bom_is_skipped() {
        let events = parse_every_way(b"\xEF\xBB\xBFevent:endpoint\ndata:http://h:1/m?a=b:c\n\n");
        assert_eq!(events, [event("endpoint", "http://h:1/m?a=b:c")]);
        let events = parse_every_way(b"\xEF\xBB\xBF: comment\ndata: x\n\n");
        assert_eq!(events, [event("message", "x")]);
    }

    #[test]
    fn an_unfinished_event_is_not_dispatched() {
        let mut parser = SseParser::new(MAX_SSE_EVENT_BYTES);
        assert!(parser.push(b"data: x\n").unwrap().is_empty());
        assert_eq!(parser.push(b"\n").unwrap(), [event("message", "x")]);
    }

    #[test]
    fn multibyte_characters_split_across_chunks_survive() {
        let text = "data: žluťoučký kůň 🐎\n\n".as_bytes();
        assert_eq!(
            parse_every_way(text),
            [event("message", "žluťoučký kůň 🐎")]
        );
    }

    #[test]
    fn an_oversized_event_fails_and_a_large_one_passes() {
        let max = 64;
        // "data: " + 57 bytes + "\n" = 64 bytes: exactly at the limit.
        let fits = format!("data: {}\n\n", "x".repeat(57));
        let mut parser = SseParser::new(max);
        assert_eq!(parser.push(fits.as_bytes()).unwrap().len(), 1);
        // The limit is per event: the next one may be as large.
        assert_eq!(parser.push(fits.as_bytes()).unwrap().len(), 1);

        let mut parser = SseParser::new(max);
        let too_big = format!("data: {}\n\n", "x".repeat(58));
        assert!(matches!(
            parser.push(too_big.as_bytes()),
            Err(SseError::EventTooLarge { max: 64 })
        ));

        // Over several lines and chunks, without a line end in sight.
        let mut parser = SseParser::new(max);
        parser
            .push(b"data: 0123456789\ndata: 0123456789\n")
            .unwrap();
        parser.push(b"data: 0123456789").unwrap();
        let error = parser.push(b"0123456789012345678").unwrap_err();
        assert!(
            error.to_string().contains("maximum size of 64 bytes"),
            "{error}"
        );
    }

    #[test]
    fn long_comments_do_not_count_against_the_limit() {
        let mut parser = SseParser::new(16);
        let comment = format!(":{}\n", "c".repeat(1000));
        parser.push(comment.as_bytes()).unwrap();
        parser.push(b":").unwrap();
        parser.push("k".repeat(1000).as_bytes()).unwrap();
        assert_eq!(
            parser.push(b"\ndata: x\n\n").unwrap(),
            [event("message", "x")]
        );
    }

    #[test]
    fn endpoints_resolve_against_the_sse_url_on_its_origin() {
        let base = Url::parse("http://127.0.0.1:3001/api/sse?token=t").unwrap();
        let resolve = |data| resolve_endpoint(&base, data).map(|url| url.to_string());
        assert_eq!(
            resolve("/message?sessionId=1").unwrap(),
            "http://127.0.0.1:3001/message?sessionId=1"
        );
        assert_eq!(
            resolve("messages/?session_id=2").unwrap(),
            "http://127.0.0.1:3001/api/messages/?session_id=2"
        );
        assert_eq!(
            resolve(" http://127.0.0.1:3001/m ").unwrap(),
            "http://127.0.0.1:3001/m"
        );
        for bad in [
            "",
            "http://evil.example/m",
            "http://127.0.0.1:3002/m",
            "//other/m",
        ] {
            assert!(resolve(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn message_events_may_carry_batches_and_junk_is_skipped() {
        let one = parse_messages(r#"{"jsonrpc":"2.0","id":1,"result":{}}"#);
        assert_eq!(one.len(), 1);
        let batch = parse_messages(
            r#"[{"jsonrpc":"2.0","method":"notifications/tools/list_changed"},
                {"jsonrpc":"2.0","id":2,"result":{}}]"#,
        );
        assert_eq!(batch.len(), 2);
        assert!(parse_messages("not json").is_empty());
    }
}
