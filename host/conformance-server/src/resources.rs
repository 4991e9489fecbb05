//! Resources under `test://`: three static ones and the template `test://template/{id}/data`.
//!
//! | URI | MIME type | contents |
//! |---|---|---|
//! | `test://static-text` | `text/plain` | [`STATIC_TEXT`] |
//! | `test://static-binary` | `image/png` | a 1×1 PNG, as `blob` |
//! | `test://watched-resource` | `text/plain` | the resource the subscription scenarios watch |
//! | `test://template/{id}/data` | `application/json` | `{"id":ID,"templateTest":true,"data":"Data for ID: ID"}` |

use rmcp::ErrorData;
use rmcp::model::{ReadResourceResult, Resource, ResourceContents, ResourceTemplate};
use serde_json::json;

use crate::media::RED_PIXEL_PNG;

pub const STATIC_TEXT_URI: &str = "test://static-text";
pub const STATIC_TEXT: &str = "This is the content of the static text resource.";
pub const STATIC_BINARY_URI: &str = "test://static-binary";
pub const WATCHED_URI: &str = "test://watched-resource";
const WATCHED_TEXT: &str = "The watched resource's current content.";
pub const TEMPLATE: &str = "test://template/{id}/data";
const TEMPLATE_PREFIX: &str = "test://template/";
const TEMPLATE_SUFFIX: &str = "/data";
/// Longest `{id}` the template accepts.
const TEMPLATE_ID_MAX_CHARS: usize = 256;

pub fn list() -> Vec<Resource> {
    vec![
        Resource::new(STATIC_TEXT_URI, "static-text")
            .with_description("A static text resource.")
            .with_mime_type("text/plain"),
        Resource::new(STATIC_BINARY_URI, "static-binary")
            .with_description("A static binary resource: a 1x1 PNG image.")
            .with_mime_type("image/png"),
        Resource::new(WATCHED_URI, "watched-resource")
            .with_description("A resource clients can subscribe to.")
            .with_mime_type("text/plain"),
    ]
}

pub fn templates() -> Vec<ResourceTemplate> {
    vec![
        ResourceTemplate::new(TEMPLATE, "template-data")
            .with_description("JSON data for any ID, substituted into the URI.")
            .with_mime_type("application/json"),
    ]
}

/// Whether `uri` names one of the static resources (the ones a client can subscribe to).
pub fn is_static(uri: &str) -> bool {
    [STATIC_TEXT_URI, STATIC_BINARY_URI, WATCHED_URI].contains(&uri)
}

pub fn read(uri: &str) -> Result<ReadResourceResult, ErrorData> {
    let contents = match uri {
        STATIC_TEXT_URI => ResourceContents::text(STATIC_TEXT, uri),
        STATIC_BINARY_URI => ResourceContents::blob(RED_PIXEL_PNG, uri).with_mime_type("image/png"),
        WATCHED_URI => ResourceContents::text(WATCHED_TEXT, uri),
        _ => {
            let id = template_id(uri).ok_or_else(|| not_found(uri))?;
            let data =
                json!({"id": id, "templateTest": true, "data": format!("Data for ID: {id}")});
            ResourceContents::text(data.to_string(), uri).with_mime_type("application/json")
        }
    };
    Ok(ReadResourceResult::new(vec![contents]))
}

/// `-32002` (`2025-11-25`; rmcp turns it into `-32602` for `2026-07-28`, SEP-2164) with the
/// URI in `data`.
pub fn not_found(uri: &str) -> ErrorData {
    ErrorData::resource_not_found(format!("no resource {uri}"), Some(json!({"uri": uri})))
}

fn template_id(uri: &str) -> Option<&str> {
    let id = uri
        .strip_prefix(TEMPLATE_PREFIX)?
        .strip_suffix(TEMPLATE_SUFFIX)?;
    let valid = !id.is_empty()
        && id.len() <= TEMPLATE_ID_MAX_CHARS
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    valid.then_some(id)
}
