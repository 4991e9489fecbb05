//! `tools/list` round trips on one warm session: the first page alone, and every page
//! (following the cursors), as a client listing a project's tools does.

use std::time::Instant;

use rmcp::RoleClient;
use rmcp::model::PaginatedRequestParams;
use rmcp::service::Peer;
use serde_json::{Value, json};

use crate::calls::{CALL_TIMEOUT, connect_http, connect_stream};
use crate::stats::Samples;

/// Most pages followed in one full list (a server whose cursors never end is an error).
const MAX_PAGES: usize = 1_000;

/// One full list: the first page's latency, and the whole list's tools and pages.
struct Listed {
    first_page: std::time::Duration,
    all: std::time::Duration,
    tools: usize,
    pages: usize,
}

async fn list_once(peer: &Peer<RoleClient>) -> Result<Listed, String> {
    let started = Instant::now();
    let mut cursor = None;
    let mut first_page = None;
    let (mut tools, mut pages) = (0, 0);
    loop {
        let params =
            cursor.map(|cursor| PaginatedRequestParams::default().with_cursor(Some(cursor)));
        let page = tokio::time::timeout(CALL_TIMEOUT, peer.list_tools(params))
            .await
            .map_err(|_| "tools/list timed out".to_owned())?
            .map_err(|e| format!("tools/list: {e}"))?;
        first_page.get_or_insert_with(|| started.elapsed());
        tools += page.tools.len();
        pages += 1;
        match page.next_cursor {
            Some(next) if pages < MAX_PAGES => cursor = Some(next),
            Some(_) => return Err(format!("tools/list has more than {MAX_PAGES} pages")),
            None => break,
        }
    }
    Ok(Listed {
        first_page: first_page.unwrap_or_default(),
        all: started.elapsed(),
        tools,
        pages,
    })
}

/// Where a list session goes.
#[derive(Debug, Clone)]
pub enum Endpoint {
    Http {
        url: String,
        keep_alive: bool,
    },
    /// An `mcp-stdio` stream endpoint.
    Stream(String),
}

/// `rounds` full lists after `warmup` unmeasured ones, on one session at `endpoint`.
pub async fn run(endpoint: Endpoint, rounds: usize, warmup: usize) -> Result<Value, String> {
    let (client, url) = match endpoint {
        Endpoint::Http { url, keep_alive } => (connect_http(&url, keep_alive).await?, url),
        Endpoint::Stream(url) => (connect_stream(&url).await?, url),
    };
    let peer = client.peer().clone();
    let mut expected = None;
    for _ in 0..warmup.max(1) {
        expected = Some(list_once(&peer).await?);
    }
    let (tools, pages) = expected.map(|l| (l.tools, l.pages)).unwrap_or_default();
    let mut first = Samples::with_capacity(rounds);
    let mut all = Samples::with_capacity(rounds);
    for _ in 0..rounds {
        let listed = list_once(&peer).await?;
        if (listed.tools, listed.pages) != (tools, pages) {
            return Err(format!(
                "the list changed during the run: {} tools in {} pages, then {} in {}",
                tools, pages, listed.tools, listed.pages
            ));
        }
        first.push(listed.first_page);
        all.push(listed.all);
    }
    let _ = tokio::time::timeout(CALL_TIMEOUT, client.cancel()).await;
    Ok(json!({
        "target": url,
        "tools": tools,
        "pages": pages,
        "rounds": rounds,
        "first_page": first.summary(),
        "all_pages": all.summary(),
    }))
}
