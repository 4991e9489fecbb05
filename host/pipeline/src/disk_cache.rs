//! `ctx.cache` over one namespace of the persistent pipeline cache (`result-cache`).

use std::sync::Arc;

use result_cache::NamespaceCache;

use crate::stage::{BoxFuture, CacheHandle};

/// A [`CacheHandle`] storing values (UTF-8 text) in a [`NamespaceCache`]: single-flight,
/// atomic on disk, kept across restarts.
#[derive(Debug, Clone)]
pub struct DiskCache(pub Arc<NamespaceCache>);

impl CacheHandle for DiskCache {
    fn get_or_compute<'a>(
        &'a self,
        key: String,
        compute: BoxFuture<'a, Result<String, String>>,
    ) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move {
            let bytes = self
                .0
                .get_or_compute(key.as_bytes(), || async {
                    compute.await.map(String::into_bytes)
                })
                .await?;
            String::from_utf8(bytes).map_err(|error| error.to_string())
        })
    }
}
