//! Multipart forms: text fields validated like urlencoded ones, files streamed into
//! [`UploadFile`]s (spilled to disk past `upload_memory_threshold`, refused past
//! `upload_max_file_size`; the whole request stays under `body_limit`).

use std::any::TypeId;

use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{StatusCode, header};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::io::AsyncWriteExt;

use super::describe::{Describe, Input, OperationInfo};
use super::typed::{Source, Stashed, Validated, check_value, conclude, spec};
use super::upload::{UploadFile, park, release};
use crate::response::HttpError;
use crate::validation::{ErrorItem, Loc, Validator, coerce_pairs, validator_for};

/// Limits for uploaded files, from the settings.
fn limits() -> (usize, usize) {
    match crate::app::current_app() {
        Some(app) => (
            app.settings().upload_memory_threshold,
            app.settings().upload_max_file_size,
        ),
        None => (1_048_576, 2_621_440),
    }
}

fn too_large(what: String) -> Response {
    HttpError::new(StatusCode::PAYLOAD_TOO_LARGE, what).into_response()
}

/// Read a multipart body as JSON for `validator`: text fields coerced by the schema, files
/// parked and represented by tokens. Returns the value and the tokens (to release on failure).
#[allow(clippy::result_large_err)]
pub(crate) async fn read_multipart(
    validator: &Validator,
    req: Request,
    errors: &mut Vec<ErrorItem>,
) -> Result<(Value, Vec<String>), Response> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    if !content_type
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        return Err(HttpError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("Expected a request body with `Content-Type: multipart/form-data`, got `{content_type}`"),
        )
        .into_response());
    }
    let mut form = axum::extract::Multipart::from_request(req, &())
        .await
        .map_err(IntoResponse::into_response)?;
    let (threshold, max_file) = limits();
    let mut text: Vec<(String, String)> = Vec::new();
    let mut files: Vec<(String, String)> = Vec::new();
    let mut tokens: Vec<String> = Vec::new();
    let outcome: Result<(), Response> = async {
        while let Some(mut field) = form.next_field().await.map_err(IntoResponse::into_response)? {
            let name = field.name().unwrap_or("").to_string();
            let Some(filename) = field.file_name().map(str::to_string) else {
                let value = field.text().await.map_err(IntoResponse::into_response)?;
                text.push((name, value));
                continue;
            };
            let content_type = field.content_type().map(str::to_string);
            let mut memory: Vec<u8> = Vec::new();
            let mut disk: Option<(tokio::fs::File, std::path::PathBuf)> = None;
            let mut size: usize = 0;
            while let Some(chunk) = field.chunk().await.map_err(IntoResponse::into_response)? {
                size += chunk.len();
                if size > max_file {
                    if let Some((_, path)) = disk.take() {
                        let _ = tokio::fs::remove_file(path).await;
                    }
                    return Err(too_large(format!(
                        "File `{filename}` of field `{name}` is over the {max_file}-byte upload limit"
                    )));
                }
                match &mut disk {
                    Some((file, _)) => file.write_all(&chunk).await.map_err(HttpError::internal).map_err(IntoResponse::into_response)?,
                    None if memory.len() + chunk.len() > threshold => {
                        let path = std::env::temp_dir().join(format!("trellis-upload-{}", uuid::Uuid::new_v4()));
                        let mut file = tokio::fs::File::create(&path)
                            .await
                            .map_err(HttpError::internal)
                            .map_err(IntoResponse::into_response)?;
                        file.write_all(&memory).await.map_err(HttpError::internal).map_err(IntoResponse::into_response)?;
                        file.write_all(&chunk).await.map_err(HttpError::internal).map_err(IntoResponse::into_response)?;
                        memory = Vec::new();
                        disk = Some((file, path));
                    }
                    None => memory.extend_from_slice(&chunk),
                }
            }
            let upload = match disk {
                Some((mut file, path)) => {
                    file.flush().await.map_err(HttpError::internal).map_err(IntoResponse::into_response)?;
                    UploadFile::on_disk(filename, content_type, size as u64, path)
                }
                None => UploadFile::in_memory(filename, content_type, Bytes::from(memory)),
            };
            let token = park(upload);
            tokens.push(token.clone());
            files.push((name, token));
        }
        Ok(())
    }
    .await;
    if let Err(resp) = outcome {
        release(&tokens);
        return Err(resp);
    }
    let mut value = coerce_pairs(
        validator,
        &text,
        false,
        &mut vec![Loc::from("body")],
        errors,
    );
    let root = validator.resolve(validator.schema());
    let props = root.get("properties").and_then(Value::as_object);
    if let Value::Object(map) = &mut value {
        for (name, token) in files {
            let is_list = props
                .and_then(|p| p.get(&name))
                .map(|s| validator.resolve(s))
                .is_some_and(|s| {
                    s.get("type").and_then(Value::as_str) == Some("array")
                        || s.get("items").is_some()
                });
            if is_list {
                match map.entry(name).or_insert_with(|| Value::Array(Vec::new())) {
                    Value::Array(items) => items.push(Value::String(token)),
                    other => *other = Value::Array(vec![Value::String(token)]),
                }
            } else {
                map.insert(name, Value::String(token));
            }
        }
    }
    Ok((value, tokens))
}

/// A multipart form body, validated into a struct whose file fields are [`UploadFile`]s
/// (or `Vec<UploadFile>`, `Option<UploadFile>`); text fields as in [`Form`](super::Form).
#[derive(Debug, Clone, Default)]
pub struct Multipart<T>(pub T);

impl<T> std::ops::Deref for Multipart<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<S: Send + Sync, T: DeserializeOwned + JsonSchema + Send + 'static> FromRequest<S>
    for Multipart<T>
{
    type Rejection = Response;

    async fn from_request(mut req: Request, _: &S) -> Result<Self, Response> {
        let stashed = req
            .extensions_mut()
            .get_mut::<Validated>()
            .and_then(|v| v.take(Source::Multipart, TypeId::of::<T>()));
        let mut errors = Vec::new();
        let (value, tokens) = match stashed {
            Some(Stashed::Value(v)) => (v, Vec::new()),
            Some(typed @ Stashed::Typed(_)) => {
                return typed.into_target(Source::Multipart, errors).map(Multipart);
            }
            None => {
                let validator = validator_for::<T>();
                let (value, tokens) = read_multipart(&validator, req, &mut errors).await?;
                check_value(&validator, Source::Multipart, &value, &mut errors, 0);
                (value, tokens)
            }
        };
        conclude(value, &[Loc::from("body")], errors)
            .map(Multipart)
            .inspect_err(|_| release(&tokens))
    }
}

impl<T: DeserializeOwned + JsonSchema + Send + 'static> Describe for Multipart<T> {
    fn describe(op: &mut OperationInfo) {
        op.inputs.push(Input::Form(std::any::type_name::<T>()));
        op.validated.push(spec::<T>(Source::Multipart));
    }
}
