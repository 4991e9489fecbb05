//! Tools that return fixed content, and the JSON Schema 2020-12 tool.

use rmcp::ErrorData;
use rmcp::model::{CallToolResult, ContentBlock, JsonObject, ResourceContents, Tool};
use serde_json::json;

use super::{no_arguments, tool};
use crate::arguments;
use crate::media::{RED_PIXEL_PNG, SILENT_WAV};

pub const SIMPLE_TEXT: &str = "This is a simple text response for testing.";
pub const ERROR_TEXT: &str = "This tool intentionally returns an error for testing";

pub fn tools() -> Vec<Tool> {
    vec![
        tool(
            "test_simple_text",
            "Returns a simple text response.",
            no_arguments(),
        ),
        tool(
            "test_image_content",
            "Returns an image (a 1x1 red PNG).",
            no_arguments(),
        ),
        tool(
            "test_audio_content",
            "Returns audio (a short silent WAV).",
            no_arguments(),
        ),
        tool(
            "test_embedded_resource",
            "Returns an embedded text resource.",
            no_arguments(),
        ),
        tool(
            "test_multiple_content_types",
            "Returns text, an image and an embedded resource.",
            no_arguments(),
        ),
        tool(
            "test_error_handling",
            "Always fails: returns a result with isError true.",
            no_arguments(),
        ),
        tool(
            "test_param_header",
            "Echoes `region`, which 2026-07-28 clients also send as the Mcp-Param-Region header (SEP-2243).",
            json!({
                "type": "object",
                "properties": {
                    "region": {
                        "type": "string",
                        "description": "Any text; mirrored in the Mcp-Param-Region header",
                        "x-mcp-header": "Region",
                    },
                },
                "required": ["region"],
            }),
        ),
        tool(
            "json_schema_2020_12_tool",
            "Tool with JSON Schema 2020-12 features",
            json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "$defs": {
                    "address": {
                        "$anchor": "addressDef",
                        "type": "object",
                        "properties": {
                            "street": {"type": "string"},
                            "city": {"type": "string"},
                        },
                    },
                },
                "properties": {
                    "name": {"type": "string"},
                    "address": {"$ref": "#/$defs/address"},
                    "contactMethod": {"type": "string", "enum": ["phone", "email"]},
                    "phone": {"type": "string"},
                    "email": {"type": "string"},
                },
                "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
                "if": {
                    "properties": {"contactMethod": {"const": "phone"}},
                    "required": ["contactMethod"],
                },
                "then": {"required": ["phone"]},
                "else": {"required": ["email"]},
                "additionalProperties": false,
            }),
        ),
    ]
}

/// The result of the fixed-content tool `name`; `None` for any other tool.
pub fn call(
    name: &str,
    arguments: Option<&JsonObject>,
) -> Result<Option<CallToolResult>, ErrorData> {
    let content = match name {
        "test_simple_text" => vec![ContentBlock::text(SIMPLE_TEXT)],
        "test_image_content" => vec![ContentBlock::image(RED_PIXEL_PNG, "image/png")],
        "test_audio_content" => vec![ContentBlock::audio(SILENT_WAV, "audio/wav")],
        "test_embedded_resource" => vec![ContentBlock::resource(ResourceContents::text(
            "This is an embedded resource content.",
            "test://embedded-resource",
        ))],
        "test_multiple_content_types" => vec![
            ContentBlock::text("Multiple content types test:"),
            ContentBlock::image(RED_PIXEL_PNG, "image/png"),
            ContentBlock::resource(
                ResourceContents::text(
                    json!({"test": "data", "value": 123}).to_string(),
                    "test://mixed-content-resource",
                )
                .with_mime_type("application/json"),
            ),
        ],
        "test_error_handling" => {
            return Ok(Some(CallToolResult::error(vec![ContentBlock::text(
                ERROR_TEXT,
            )])));
        }
        "test_param_header" => vec![ContentBlock::text(format!(
            "region={}",
            arguments::string(arguments, "region")?
        ))],
        "json_schema_2020_12_tool" => vec![ContentBlock::text(
            "json_schema_2020_12_tool called; its input schema is the point.",
        )],
        _ => return Ok(None),
    };
    Ok(Some(CallToolResult::success(content)))
}
