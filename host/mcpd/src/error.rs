//! How errors leave the API: one JSON object with the status, a reason word, a message that
//! says what is wrong and where, and the offending field when there is one.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use resource_model::ModelError;
use serde_json::json;
use store::StoreError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            field: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    fn reason(&self) -> &'static str {
        match self.status {
            StatusCode::BAD_REQUEST => "BadRequest",
            StatusCode::NOT_FOUND => "NotFound",
            StatusCode::METHOD_NOT_ALLOWED => "MethodNotAllowed",
            StatusCode::CONFLICT if self.message.ends_with("already exists") => "AlreadyExists",
            StatusCode::CONFLICT => "Conflict",
            StatusCode::PAYLOAD_TOO_LARGE => "PayloadTooLarge",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "UnsupportedMediaType",
            StatusCode::UNPROCESSABLE_ENTITY => "Invalid",
            _ if self.status.is_server_error() => "Internal",
            _ => "Error",
        }
    }
}

impl From<ModelError> for ApiError {
    fn from(err: ModelError) -> Self {
        let status = match err {
            ModelError::Syntax { .. } => StatusCode::BAD_REQUEST,
            ModelError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError {
            status,
            field: err.field().map(str::to_owned),
            message: err.to_string(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        let status = match &err {
            StoreError::Invalid(model) => return ApiError::from(model.clone()),
            StoreError::NotFound(_) => StatusCode::NOT_FOUND,
            StoreError::AlreadyExists(_) | StoreError::Conflict(_) => StatusCode::CONFLICT,
            StoreError::MissingReference(_) => StatusCode::UNPROCESSABLE_ENTITY,
            StoreError::ReadOnly(_) => StatusCode::METHOD_NOT_ALLOWED,
            StoreError::Ambiguous(_) => StatusCode::BAD_REQUEST,
            StoreError::Pool(_) | StoreError::Connect { .. } => StatusCode::SERVICE_UNAVAILABLE,
            StoreError::Migration(_)
            | StoreError::Database(_)
            | StoreError::Cipher(_)
            | StoreError::Corrupt { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error() {
            tracing::error!(error = %err, "request failed");
        }
        ApiError::new(status, err.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({
            "status": self.status.as_u16(),
            "reason": self.reason(),
            "message": self.message,
        });
        if let (Some(field), Some(obj)) = (self.field, error.as_object_mut()) {
            obj.insert("field".into(), field.into());
        }
        (self.status, Json(json!({ "error": error }))).into_response()
    }
}
