//! Turning resources into rows and back. Secret specs are sealed on the way in.

use resource_model::{Kind, Meta, Resource, Spec};
use serde_json::Value;

use crate::cipher::SecretCipher;
use crate::error::StoreError;
use crate::rows::Row;

pub(crate) fn to_row(
    cipher: &SecretCipher,
    resource: &Resource,
    version: i64,
    created_at: i64,
    updated_at: i64,
) -> Row {
    let kind = resource.kind();
    let json = resource.spec.to_value().to_string();
    let spec = if kind == Kind::Secret {
        cipher.seal(&resource.name, &json)
    } else {
        json
    };
    Row {
        kind: kind.as_str().to_owned(),
        project: resource.project.clone().unwrap_or_default(),
        name: resource.name.clone(),
        spec,
        resource_version: version,
        created_at,
        updated_at,
    }
}

pub(crate) fn from_row(cipher: &SecretCipher, row: Row) -> Result<Resource, StoreError> {
    let corrupt = |message: String| StoreError::Corrupt {
        what: format!("{} {}", row.kind, row.name),
        message,
    };
    let kind = Kind::parse(&row.kind).ok_or_else(|| corrupt("unknown kind".into()))?;
    let json = if kind == Kind::Secret {
        cipher.open(&row.name, &row.spec)?
    } else {
        row.spec.clone()
    };
    let value: Value = serde_json::from_str(&json).map_err(|e| corrupt(e.to_string()))?;
    let spec = Spec::from_value(kind, value).map_err(|e| corrupt(e.to_string()))?;
    Ok(Resource {
        project: (!row.project.is_empty()).then(|| row.project.clone()),
        name: row.name.clone(),
        spec,
        meta: Meta {
            resource_version: Some(row.resource_version),
            created_at_ms: Some(row.created_at),
            updated_at_ms: Some(row.updated_at),
        },
    })
}
