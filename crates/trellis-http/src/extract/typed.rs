//! Validated extractors: [`Path`], [`Query`], [`Header`], [`Cookies`], [`Json`], [`Form`].
//!
//! Each reads its source as JSON guided by the target type's schema, validates it (every
//! error, located), and deserializes it. On a route, all of a handler's validated inputs
//! are checked together before the handler runs, so one 422 lists the errors of the path,
//! the query, the headers, the cookies and the body at once, as FastAPI does.

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::request::Parts;
use http::{StatusCode, header};
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use smallvec::SmallVec;

use super::describe::{Describe, Input, OperationInfo};
use crate::response::HttpError;
use crate::validation::{
    Checks, ErrorItem, Loc, Pairs, Plan, Shape, Text, ValidationErrors, Validator, coerce_pairs,
    coerce_scalar, finish, validator_for,
};

/// Where a validated input comes from; the first element of every error's `loc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// Path parameters.
    Path,
    /// The query string.
    Query,
    /// Request headers.
    Header,
    /// Cookies.
    Cookie,
    /// A JSON body.
    Json,
    /// An urlencoded form body.
    Form,
    /// A multipart form body (files and fields).
    Multipart,
}

impl Source {
    /// The name used in `loc`.
    pub fn loc(self) -> &'static str {
        match self {
            Source::Path => "path",
            Source::Query => "query",
            Source::Header => "header",
            Source::Cookie => "cookie",
            Source::Json | Source::Form | Source::Multipart => "body",
        }
    }

    fn is_body(self) -> bool {
        matches!(self, Source::Json | Source::Form | Source::Multipart)
    }
}

/// A validated handler input, recorded at start-up (for validation before the handler,
/// and later for the OpenAPI document).
#[derive(Clone)]
pub struct InputSpec {
    /// The source.
    pub source: Source,
    /// The target type's name.
    pub type_name: &'static str,
    pub(crate) type_id: TypeId,
    /// The target type's validator (its JSON Schema inside).
    pub validator: fn() -> Arc<Validator>,
    /// Reads the source straight into the target type, validating on the way.
    pub(crate) fast: FastFn,
}

/// A source's raw input for the fast path ([`Plan`]).
pub(crate) enum Raw<'a> {
    /// A JSON body.
    Json(&'a [u8]),
    /// Named text values (query, form).
    Pairs(&'a [(Cow<'a, str>, Cow<'a, str>)]),
    /// Path parameters: by name for a struct, in order for a tuple.
    Params(&'a [(&'a str, &'a str)]),
    /// One text value (a single path parameter).
    Text(&'a str),
}

/// A value of the target type, validated.
pub(crate) type Typed = Box<dyn Any + Send>;

/// The fast path of one target type: the value when the input passes every rule
/// (custom checks included), `None` when the full path must say what is wrong.
pub(crate) type FastFn = fn(&Plan, Raw<'_>) -> Option<Typed>;

fn fast<T: DeserializeOwned + Send + 'static>(plan: &Plan, raw: Raw<'_>) -> Option<Typed> {
    let t: T = match raw {
        Raw::Json(bytes) => {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            let t = plan.deserialize(&mut de).ok()?;
            de.end().ok()?;
            t
        }
        Raw::Pairs(pairs) => plan.deserialize(Pairs::new(pairs)).ok()?,
        Raw::Params(pairs) => plan.deserialize(Pairs::new(pairs)).ok()?,
        Raw::Text(text) => plan.deserialize(Text(text)).ok()?,
    };
    let failed = crate::app::with_current_app(|app| {
        app.get::<Checks>().is_some_and(|c| !c.run(&t).is_empty())
    })
    .unwrap_or(false);
    if failed {
        return None; // the full path reports the custom checks' errors
    }
    Some(Box::new(t))
}

impl std::fmt::Debug for InputSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputSpec")
            .field("source", &self.source)
            .field("type_name", &self.type_name)
            .finish()
    }
}

pub(crate) fn spec<T: DeserializeOwned + JsonSchema + Send + 'static>(source: Source) -> InputSpec {
    InputSpec {
        source,
        type_name: std::any::type_name::<T>(),
        type_id: TypeId::of::<T>(),
        validator: validator_for::<T>,
        fast: fast::<T>,
    }
}

/// An input that passed validation before the handler.
pub(crate) enum Stashed {
    /// Read and validated by the full path, still to deserialize.
    Value(Value),
    /// Already the target type (the fast path).
    Typed(Typed),
}

impl Stashed {
    /// The target type: downcast, or deserialized from the value (custom checks run;
    /// an error is located under `source`).
    #[allow(clippy::result_large_err)] // the error is the response itself, made once
    pub(crate) fn into_target<T: DeserializeOwned + 'static>(
        self,
        source: Source,
        errors: Vec<ErrorItem>,
    ) -> Result<T, Response> {
        match self {
            Stashed::Typed(t) => match t.downcast::<T>() {
                Ok(t) => Ok(*t),
                Err(_) => {
                    Err(HttpError::internal("validated input of another type").into_response())
                }
            },
            // The location is made here, on the full path only: a value that came through
            // the fast path needs none.
            Stashed::Value(v) => conclude(v, &[Loc::from(source.loc())], errors),
        }
    }
}

/// One input that passed validation before the handler.
type Entry = (Source, TypeId, Stashed);

/// Inputs that passed validation before the handler, by source and type, taken by the
/// extractors. A handler has a few validated inputs: they are kept inline, in the
/// extension itself.
///
/// A clone (of the request's extensions) is empty: each input is taken once, and an
/// extractor that finds none reads and validates its source itself.
#[derive(Default)]
pub(crate) struct Validated(Mutex<Stash>);

impl Clone for Validated {
    fn clone(&self) -> Self {
        Validated::default()
    }
}

#[derive(Default)]
struct Stash(SmallVec<[Entry; 3]>);

impl Validated {
    /// Take the input of `source` read into `type_id`. Through `&mut` (the extractors
    /// own the request or borrow its parts mutably): the mutex is not locked.
    pub(crate) fn take(&mut self, source: Source, type_id: TypeId) -> Option<Stashed> {
        let stash = self
            .0
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let i = stash
            .0
            .iter()
            .position(|(s, t, _)| *s == source && *t == type_id)?;
        Some(stash.0.swap_remove(i).2)
    }
}

impl Drop for Stash {
    /// Uploaded files parked for a form that no extractor took (a dependency failed before
    /// the handler, say) are released here, and their temporary files removed.
    fn drop(&mut self) {
        let mut tokens = Vec::new();
        for (_, _, v) in &self.0 {
            if let Stashed::Value(v @ Value::Object(_)) = v {
                super::upload::collect_tokens(v, &mut tokens);
            }
        }
        if !tokens.is_empty() {
            super::upload::release(&tokens);
        }
    }
}

/// Read one non-body source of the request as JSON for `validator`, collecting errors.
pub(crate) fn read_source(
    source: Source,
    validator: &Validator,
    parts: &Parts,
    path_params: &[(&str, &str)],
    errors: &mut Vec<ErrorItem>,
) -> Value {
    let mut loc = vec![Loc::from(source.loc())];
    match source {
        Source::Path => {
            let root = validator.resolve(validator.schema());
            if root.get("properties").is_some() {
                coerce_pairs(validator, path_params, false, &mut loc, errors)
            } else if let Some(items) = root.get("prefixItems").and_then(Value::as_array) {
                let list = items
                    .iter()
                    .zip(path_params)
                    .map(|(schema, (name, raw))| {
                        loc.push(Loc::Key(name.to_string()));
                        let v = coerce_scalar(validator, schema, raw, &loc, errors);
                        loc.pop();
                        v
                    })
                    .collect();
                Value::Array(list)
            } else {
                match path_params.first() {
                    Some((name, raw)) => {
                        loc.push(Loc::Key(name.to_string()));
                        coerce_scalar(validator, validator.schema(), raw, &loc, errors)
                    }
                    None => Value::Null,
                }
            }
        }
        Source::Query => {
            let pairs: Vec<(String, String)> =
                form_pairs(parts.uri.query().unwrap_or("").as_bytes());
            coerce_pairs(validator, &pairs, false, &mut loc, errors)
        }
        Source::Header => {
            let pairs: Vec<(String, String)> = parts
                .headers
                .iter()
                .filter_map(|(k, v)| {
                    v.to_str()
                        .ok()
                        .map(|v| (k.as_str().to_string(), v.to_string()))
                })
                .collect();
            coerce_pairs(validator, &pairs, true, &mut loc, errors)
        }
        Source::Cookie => {
            let pairs: Vec<(String, String)> = parts
                .headers
                .get_all(header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(';'))
                .filter_map(|c| {
                    c.trim()
                        .split_once('=')
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                })
                .collect();
            coerce_pairs(validator, &pairs, false, &mut loc, errors)
        }
        Source::Json | Source::Form | Source::Multipart => Value::Null,
    }
}

fn form_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A body of the wrong content type for `source` is a 415.
#[allow(clippy::result_large_err)]
fn check_content_type(source: Source, headers: &http::HeaderMap) -> Result<(), Response> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim();
    let expected = match source {
        Source::Json => {
            let json = mime.eq_ignore_ascii_case("application/json")
                || (mime.len() > 17
                    && mime[..12].eq_ignore_ascii_case("application/")
                    && mime[mime.len() - 5..].eq_ignore_ascii_case("+json"));
            if json {
                return Ok(());
            }
            "application/json"
        }
        Source::Form => {
            if mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
                return Ok(());
            }
            "application/x-www-form-urlencoded"
        }
        _ => return Ok(()),
    };
    Err(HttpError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        format!("Expected a request body with `Content-Type: {expected}`, got `{content_type}`"),
    )
    .into_response())
}

/// Read an input through the fast path: the value when it passes every rule, `None` when
/// the full path must read it (and say what is wrong), or when the source has no fast
/// path (headers, cookies, multipart). A body's content type is checked by the caller.
fn try_fast(
    spec: &InputSpec,
    plan: &Plan,
    parts: &Parts,
    path_params: &[(&str, &str)],
    body: Option<&Bytes>,
) -> Option<Typed> {
    let text_pairs = |bytes: &[u8]| -> Option<Typed> {
        if plan.shape() != Shape::Struct {
            return None;
        }
        // A query string or form has a few fields: kept on the stack.
        let pairs: SmallVec<[(Cow<'_, str>, Cow<'_, str>); 8]> =
            form_urlencoded::parse(bytes).collect();
        (spec.fast)(plan, Raw::Pairs(&pairs))
    };
    match spec.source {
        Source::Json => match body {
            Some(b) if !b.is_empty() => (spec.fast)(plan, Raw::Json(b)),
            _ => None,
        },
        Source::Form => match body {
            Some(b) if !b.is_empty() => text_pairs(b),
            _ => None,
        },
        Source::Query => text_pairs(parts.uri.query().unwrap_or("").as_bytes()),
        Source::Path => match plan.shape() {
            Shape::Struct | Shape::Tuple => (spec.fast)(plan, Raw::Params(path_params)),
            Shape::Scalar => (spec.fast)(plan, Raw::Text(path_params.first()?.1)),
            Shape::Other => None,
        },
        Source::Header | Source::Cookie | Source::Multipart => None,
    }
}

/// Read a body source as JSON for `validator`. `Err` is an answer other than 422 (415).
#[allow(clippy::result_large_err)]
pub(crate) fn read_body(
    source: Source,
    validator: &Validator,
    headers: &http::HeaderMap,
    body: &Bytes,
    errors: &mut Vec<ErrorItem>,
) -> Result<Value, Response> {
    let loc = vec![Loc::from("body")];
    if body.is_empty() {
        errors.push(ErrorItem::new(
            "missing",
            loc,
            "Field required",
            Value::Null,
        ));
        return Ok(Value::Null);
    }
    check_content_type(source, headers)?;
    match source {
        Source::Json => match serde_json::from_slice::<Value>(body) {
            Ok(v) => Ok(v),
            Err(e) => {
                let offset = line_col_offset(body, e.line(), e.column());
                errors.push(
                    ErrorItem::new(
                        "json_invalid",
                        vec![Loc::from("body"), Loc::Index(offset)],
                        "JSON decode error",
                        Value::Object(Default::default()),
                    )
                    .with_ctx("error", e.to_string()),
                );
                Ok(Value::Null)
            }
        },
        Source::Form => {
            let pairs = form_pairs(body);
            Ok(coerce_pairs(
                validator,
                &pairs,
                false,
                &mut vec![Loc::from("body")],
                errors,
            ))
        }
        _ => Ok(Value::Null),
    }
}

/// The end of every validated extraction: the value if reading and validation found no
/// error and it deserializes (custom checks included), else the 422 with every error.
#[allow(clippy::result_large_err)] // the error is the response itself, made once
pub(crate) fn conclude<T: DeserializeOwned + 'static>(
    value: Value,
    loc: &[Loc],
    mut errors: Vec<ErrorItem>,
) -> Result<T, Response> {
    if errors.is_empty()
        && let Some(t) = finish::<T>(value, loc, &mut errors)
    {
        return Ok(t);
    }
    Err(ValidationErrors(errors).into_response())
}

/// Read a whole body, up to the app's `body_limit` (413 past it).
#[allow(clippy::result_large_err)]
pub(crate) async fn read_bytes(body: axum::body::Body) -> Result<Bytes, Response> {
    let (read, limit) = start_read(body);
    match read.await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) => Err(read_error(&*e, limit)),
    }
}

/// A whole body being read, up to a limit.
type ReadBody = http_body_util::combinators::Collect<http_body_util::Limited<axum::body::Body>>;

/// Start reading a whole body, up to the app's `body_limit` (returned too).
fn start_read(body: axum::body::Body) -> (ReadBody, usize) {
    use http_body_util::BodyExt;
    let limit = crate::app::with_current_app(|a| a.settings().body_limit).unwrap_or(2_621_440);
    (http_body_util::Limited::new(body, limit).collect(), limit)
}

/// The answer to a body that could not be read: 413 past the limit, else 400.
fn read_error(e: &(dyn std::error::Error + Send + Sync + 'static), limit: usize) -> Response {
    if is_length_limit(e) {
        HttpError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("Payload Too Large: the request body is over the {limit}-byte limit"),
        )
        .into_response()
    } else {
        HttpError::bad_request(format!("Failed to read the request body: {e}")).into_response()
    }
}

/// Whether a body error is (or wraps) a length limit, from any layer's limit.
fn is_length_limit(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        if err.is::<http_body_util::LengthLimitError>()
            || err.to_string().contains("length limit exceeded")
        {
            return true;
        }
        current = err.source();
    }
    false
}

fn line_col_offset(body: &[u8], line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in body.split(|b| *b == b'\n').enumerate() {
        if i + 1 == line {
            return offset + column.saturating_sub(1);
        }
        offset += l.len() + 1;
    }
    offset
}

/// Validate an already-read value. Errors at places where reading already failed (text
/// that did not parse as a number, say) are not repeated.
pub(crate) fn check_value(
    validator: &Validator,
    source: Source,
    value: &Value,
    errors: &mut Vec<ErrorItem>,
    read_from: usize,
) {
    if errors[read_from..]
        .iter()
        .any(|e| e.loc.len() <= 1 || e.kind == "json_invalid")
    {
        return; // the source as a whole could not be read (malformed JSON, no body)
    }
    let failed: Vec<Vec<Loc>> = errors[read_from..].iter().map(|e| e.loc.clone()).collect();
    let mut loc = vec![Loc::from(source.loc())];
    let mut found = Vec::new();
    validator.validate(value, &mut loc, &mut found);
    errors.extend(
        found
            .into_iter()
            .filter(|e| !failed.iter().any(|f| e.loc.starts_with(f))),
    );
}

/// The route's path parameters, percent-decoded (none when no route matched).
fn path_params(parts: &mut Parts) -> Option<axum::extract::RawPathParams> {
    // RawPathParams never fails on a matched route (and its future is ready at once).
    futures_util::FutureExt::now_or_never(axum::extract::RawPathParams::from_request_parts(
        parts,
        &(),
    ))
    .and_then(Result::ok)
}

/// Borrowed `(name, value)` pairs of the path parameters (a few: on the stack).
fn param_pairs(raw: &Option<axum::extract::RawPathParams>) -> SmallVec<[(&str, &str); 4]> {
    raw.iter().flat_map(|r| r.iter()).collect()
}

/// Extract a parts-based input: from the values validated before the handler, or read
/// and validated now (inside a dependency, say).
#[allow(clippy::result_large_err)] // the error is the response itself, made once
fn extract_parts<T: DeserializeOwned + JsonSchema + Send + 'static>(
    parts: &mut Parts,
    source: Source,
) -> Result<T, Response> {
    // The value validated before the handler is taken, not copied.
    let stashed = parts
        .extensions
        .get_mut::<Validated>()
        .and_then(|v| v.take(source, TypeId::of::<T>()));
    if let Some(stashed) = stashed {
        return stashed.into_target(source, Vec::new());
    }
    let validator = validator_for::<T>();
    let raw_params = if source == Source::Path {
        path_params(parts)
    } else {
        None
    };
    let params = param_pairs(&raw_params);
    if let Some(plan) = validator.plan() {
        let spec = spec::<T>(source);
        if let Some(t) = try_fast(&spec, plan, parts, &params, None) {
            return Stashed::Typed(t).into_target(source, Vec::new());
        }
    }
    let mut errors = Vec::new();
    let value = read_source(source, &validator, parts, &params, &mut errors);
    check_value(&validator, source, &value, &mut errors, 0);
    conclude(value, &[Loc::from(source.loc())], errors)
}

macro_rules! parts_extractor {
    ($(#[$doc:meta])* $name:ident, $source:expr, $input:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $name<T>(pub T);

        impl<T> std::ops::Deref for $name<T> {
            type Target = T;
            fn deref(&self) -> &T {
                &self.0
            }
        }

        impl<S: Send + Sync, T: DeserializeOwned + JsonSchema + Send + 'static> FromRequestParts<S> for $name<T> {
            type Rejection = Response;

            async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
                extract_parts::<T>(parts, $source).map($name)
            }
        }

        impl<T: DeserializeOwned + JsonSchema + Send + 'static> Describe for $name<T> {
            fn describe(op: &mut OperationInfo) {
                op.inputs.push(Input::$input(std::any::type_name::<T>()));
                op.validated.push(spec::<T>($source));
            }
        }
    };
}

parts_extractor!(
    /// Path parameters, validated: `Path<u64>`, `Path<(String, u32)>`, or a struct whose
    /// fields are the parameters. Errors are located at `["path", name]`.
    Path, Source::Path, Path
);
parts_extractor!(
    /// The query string, validated into a struct; repeated keys fill `Vec` fields. Errors
    /// are located at `["query", field]`.
    Query, Source::Query, Query
);
parts_extractor!(
    /// Request headers, validated into a struct: field `x_token` reads header `x-token`.
    Header, Source::Header, Header
);
parts_extractor!(
    /// Cookies, validated into a struct: field `session_id` reads cookie `session_id`.
    Cookies, Source::Cookie, Cookie
);

/// Extract a body input from a request whose body has been read.
async fn extract_body<T: DeserializeOwned + JsonSchema + Send + 'static>(
    mut req: Request,
    source: Source,
) -> Result<T, Response> {
    let stashed = req
        .extensions_mut()
        .get_mut::<Validated>()
        .and_then(|v| v.take(source, TypeId::of::<T>()));
    if let Some(stashed) = stashed {
        return stashed.into_target(source, Vec::new());
    }
    let mut errors = Vec::new();
    let (parts, body) = req.into_parts();
    let bytes = read_bytes(body).await?;
    let validator = validator_for::<T>();
    if let Some(plan) = validator.plan()
        && !bytes.is_empty()
    {
        check_content_type(source, &parts.headers)?;
        let spec = spec::<T>(source);
        if let Some(t) = try_fast(&spec, plan, &parts, &[], Some(&bytes)) {
            return Stashed::Typed(t).into_target(source, errors);
        }
    }
    let value = read_body(source, &validator, &parts.headers, &bytes, &mut errors)?;
    check_value(&validator, source, &value, &mut errors, 0);
    conclude(value, &[Loc::from(source.loc())], errors)
}

macro_rules! body_extractor {
    ($(#[$doc:meta])* $name:ident, $source:expr, $input:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $name<T>(pub T);

        impl<T> std::ops::Deref for $name<T> {
            type Target = T;
            fn deref(&self) -> &T {
                &self.0
            }
        }

        impl<S: Send + Sync, T: DeserializeOwned + JsonSchema + Send + 'static> FromRequest<S> for $name<T> {
            type Rejection = Response;

            async fn from_request(req: Request, _: &S) -> Result<Self, Response> {
                extract_body::<T>(req, $source).await.map($name)
            }
        }

        impl<T: DeserializeOwned + JsonSchema + Send + 'static> Describe for $name<T> {
            fn describe(op: &mut OperationInfo) {
                op.inputs.push(Input::$input(std::any::type_name::<T>()));
                op.validated.push(spec::<T>($source));
            }
        }
    };
}

body_extractor!(
    /// A JSON body, validated: every error of the body in one 422, located at
    /// `["body", field, ...]`; malformed JSON is `json_invalid`; another content type 415.
    /// Also a response: `Json(value)` serializes `value`.
    Json, Source::Json, Json
);
body_extractor!(
    /// An urlencoded form body, validated into a struct.
    Form, Source::Form, Form
);

/// Header room of a JSON response: its content type, plus what the default middleware
/// stack adds (four security headers, HSTS, the request id, `Vary`), so that adding them
/// never grows (and rehashes) the map.
const JSON_RESPONSE_HEADERS: usize = 8;

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        use bytes::BufMut;
        let mut buf = bytes::BytesMut::with_capacity(128).writer();
        match serde_json::to_writer(&mut buf, &self.0) {
            Ok(()) => {
                let mut headers = http::HeaderMap::with_capacity(JSON_RESPONSE_HEADERS);
                headers.insert(
                    header::CONTENT_TYPE,
                    http::HeaderValue::from_static("application/json"),
                );
                let mut resp = Response::new(axum::body::Body::from(buf.into_inner().freeze()));
                *resp.headers_mut() = headers;
                resp
            }
            Err(e) => HttpError::internal(format!("Failed to serialize the response: {e}"))
                .into_response(),
        }
    }
}

/// All the validated inputs of one method of a route, checked before the handler.
#[derive(Debug, Clone)]
pub(crate) struct RouteInputs {
    /// Per method, each input with its validator (looked up once, at start-up).
    pub(crate) by_method: Vec<(http::Method, Vec<CheckedInput>)>,
}

/// An input with its validator.
pub(crate) type CheckedInput = (InputSpec, Arc<Validator>);

impl RouteInputs {
    pub(crate) fn new(by_method: Vec<(http::Method, Vec<InputSpec>)>) -> Self {
        let by_method = by_method
            .into_iter()
            .map(|(m, specs)| {
                (
                    m,
                    specs
                        .into_iter()
                        .map(|s| {
                            let v = (s.validator)();
                            (s, v)
                        })
                        .collect(),
                )
            })
            .collect();
        RouteInputs { by_method }
    }
}

/// Validate one input that is not multipart: its value into `stash`, or its errors into
/// `errors`. `Err` is an answer other than 422 (415). `body` is the body read whole, when
/// the input is a body.
#[allow(clippy::result_large_err)] // the error is the response itself, made once
fn check_input(
    (spec, validator): &CheckedInput,
    parts: &Parts,
    params: &[(&str, &str)],
    body: &Bytes,
    errors: &mut Vec<ErrorItem>,
    stash: &mut Stash,
) -> Result<(), Response> {
    let before = errors.len();
    let value = if spec.source.is_body() {
        if let Some(plan) = validator.plan()
            && !body.is_empty()
        {
            check_content_type(spec.source, &parts.headers)?;
            if let Some(t) = try_fast(spec, plan, parts, params, Some(body)) {
                stash.0.push((spec.source, spec.type_id, Stashed::Typed(t)));
                return Ok(());
            }
        }
        read_body(spec.source, validator, &parts.headers, body, errors)?
    } else {
        if let Some(plan) = validator.plan()
            && let Some(t) = try_fast(spec, plan, parts, params, None)
        {
            stash.0.push((spec.source, spec.type_id, Stashed::Typed(t)));
            return Ok(());
        }
        read_source(spec.source, validator, parts, params, errors)
    };
    check_value(validator, spec.source, &value, errors, before);
    stash
        .0
        .push((spec.source, spec.type_id, Stashed::Value(value)));
    Ok(())
}

/// Path parameters, if an input reads them.
fn params_for(specs: &[CheckedInput], parts: &mut Parts) -> Option<axum::extract::RawPathParams> {
    if specs.iter().any(|(s, _)| s.source == Source::Path) {
        path_params(parts)
    } else {
        None
    }
}

/// The end of validation before the handler: the 422 with every error, or the request
/// with the values stashed for the extractors (and its body, read or not).
#[allow(clippy::result_large_err)] // the error is the response itself, made once
fn conclude_inputs(
    mut parts: Parts,
    body: axum::body::Body,
    errors: Vec<ErrorItem>,
    stash: Stash,
) -> Result<Request, Response> {
    if !errors.is_empty() {
        return Err(ValidationErrors(errors).into_response());
    }
    parts.extensions.insert(Validated(Mutex::new(stash)));
    Ok(Request::from_parts(parts, body))
}

/// Validate every input of a route without a multipart one, the body (if an input reads
/// it) read already: no await, so the route's future needs no box of its own.
#[allow(clippy::result_large_err)] // the error is the response itself, made once
fn validate_inputs(
    specs: &[CheckedInput],
    mut parts: Parts,
    body: Result<Bytes, axum::body::Body>,
) -> Result<Request, Response> {
    let raw_params = params_for(specs, &mut parts);
    let params = param_pairs(&raw_params);
    let mut errors = Vec::new();
    let mut stash = Stash::default();
    let bytes = match &body {
        Ok(bytes) => bytes.clone(),
        Err(_) => Bytes::new(),
    };
    for input in specs {
        check_input(input, &parts, &params, &bytes, &mut errors, &mut stash)?;
    }
    let body = match body {
        Ok(bytes) => axum::body::Body::from(bytes),
        Err(body) => body,
    };
    conclude_inputs(parts, body, errors, stash)
}

/// Validate every input of a route with a multipart input (read as it streams).
#[allow(clippy::result_large_err)] // the error is the response itself, made once
async fn prevalidate_multipart(specs: &[CheckedInput], req: Request) -> Result<Request, Response> {
    let (mut parts, body) = req.into_parts();
    let raw_params = params_for(specs, &mut parts);
    let params = param_pairs(&raw_params);
    let mut errors = Vec::new();
    let mut stash = Stash::default();
    let mut body_bytes: Option<Bytes> = None;
    let mut body = Some(body);
    let mut parked: Vec<String> = Vec::new();
    for input in specs {
        let (spec, validator) = input;
        if spec.source == Source::Multipart {
            let before = errors.len();
            let b = body.take().unwrap_or_default();
            let (value, tokens) = match super::multipart::read_multipart(
                validator,
                Request::from_parts(parts.clone(), b),
                &mut errors,
            )
            .await
            {
                Ok(read) => read,
                Err(resp) => {
                    super::upload::release(&parked);
                    return Err(resp);
                }
            };
            parked.extend(tokens);
            check_value(validator, spec.source, &value, &mut errors, before);
            stash
                .0
                .push((spec.source, spec.type_id, Stashed::Value(value)));
            continue;
        }
        if spec.source.is_body() && body_bytes.is_none() {
            match read_bytes(body.take().unwrap_or_default()).await {
                Ok(bytes) => body_bytes = Some(bytes),
                Err(resp) => {
                    super::upload::release(&parked);
                    return Err(resp);
                }
            }
        }
        let bytes = body_bytes.clone().unwrap_or_default();
        if let Err(resp) = check_input(input, &parts, &params, &bytes, &mut errors, &mut stash) {
            super::upload::release(&parked);
            return Err(resp);
        }
    }
    if !errors.is_empty() {
        super::upload::release(&parked);
    }
    let body = match (body_bytes, body) {
        (Some(bytes), _) => axum::body::Body::from(bytes),
        (None, Some(b)) => b,
        (None, None) => axum::body::Body::empty(),
    };
    conclude_inputs(parts, body, errors, stash)
}

/// The route layer of validation before the handler: every declared input validated at
/// once (a 422 with all errors, or the values stashed for the extractors).
#[derive(Clone)]
pub(crate) struct PrevalidateLayer(pub(crate) Arc<RouteInputs>);

impl<S> tower::Layer<S> for PrevalidateLayer {
    type Service = Prevalidate<S>;

    fn layer(&self, inner: S) -> Prevalidate<S> {
        Prevalidate {
            inner,
            inputs: self.0.clone(),
        }
    }
}

/// See [`PrevalidateLayer`].
#[derive(Clone)]
pub(crate) struct Prevalidate<S> {
    inner: S,
    inputs: Arc<RouteInputs>,
}

impl<S> tower::Service<Request> for Prevalidate<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = PrevalidateFuture<S, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        // The service that was polled ready is the one called; a clone stays for the next.
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let method = if req.method() == http::Method::HEAD {
            &http::Method::GET
        } else {
            req.method()
        };
        let Some(at) = self.inputs.by_method.iter().position(|(m, _)| m == method) else {
            return PrevalidateFuture::Inner {
                fut: inner.call(req),
            };
        };
        let specs = &self.inputs.by_method[at].1;
        if specs.iter().any(|(s, _)| s.source == Source::Multipart) {
            // Rare: a multipart body is read as it streams, in a future of its own.
            let inputs = self.inputs.clone();
            return PrevalidateFuture::Boxed {
                fut: Box::pin(async move {
                    let specs = &inputs.by_method[at].1;
                    match prevalidate_multipart(specs, req).await {
                        Ok(req) => inner.call(req).await,
                        Err(resp) => Ok(resp),
                    }
                }),
            };
        }
        let (parts, body) = req.into_parts();
        if specs.iter().any(|(s, _)| s.source.is_body()) {
            // The body is read first, then every input validated at once.
            let (read, limit) = start_read(body);
            return PrevalidateFuture::Reading {
                read,
                limit,
                rest: Some(Pending {
                    parts,
                    inner,
                    inputs: self.inputs.clone(),
                    at,
                }),
            };
        }
        match validate_inputs(specs, parts, Err(body)) {
            Ok(req) => PrevalidateFuture::Inner {
                fut: inner.call(req),
            },
            Err(resp) => PrevalidateFuture::Ready { resp: Some(resp) },
        }
    }
}

/// What waits for the body to be read.
pub(crate) struct Pending<S> {
    parts: Parts,
    inner: S,
    inputs: Arc<RouteInputs>,
    /// The method's index in `inputs`.
    at: usize,
}

pin_project_lite::pin_project! {
    /// The future of [`Prevalidate`]: read the body (if an input is one), validate, call
    /// the handler.
    #[project = PrevalidateProj]
    pub(crate) enum PrevalidateFuture<S, F> {
        /// Reading the body whole, up to `limit`.
        Reading { #[pin] read: ReadBody, limit: usize, rest: Option<Pending<S>> },
        /// The handler (or the route, when it has no validated input for the method).
        Inner { #[pin] fut: F },
        /// A route with a multipart input.
        Boxed { fut: Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>> },
        /// Answered without the handler (422, 413, 415).
        Ready { resp: Option<Response> },
    }
}

impl<S> Future for PrevalidateFuture<S, S::Future>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
{
    type Output = Result<Response, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            let next = match self.as_mut().project() {
                PrevalidateProj::Reading { read, limit, rest } => {
                    let read = std::task::ready!(read.poll(cx));
                    let Pending {
                        parts,
                        mut inner,
                        inputs,
                        at,
                    } = rest.take().expect("polled after completion");
                    let checked = match read {
                        Ok(collected) => validate_inputs(
                            &inputs.by_method[at].1,
                            parts,
                            Ok(collected.to_bytes()),
                        ),
                        Err(e) => Err(read_error(&*e, *limit)),
                    };
                    match checked {
                        Ok(req) => PrevalidateFuture::Inner {
                            fut: inner.call(req),
                        },
                        Err(resp) => PrevalidateFuture::Ready { resp: Some(resp) },
                    }
                }
                PrevalidateProj::Inner { fut } => return fut.poll(cx),
                PrevalidateProj::Boxed { fut } => return fut.as_mut().poll(cx),
                PrevalidateProj::Ready { resp } => {
                    return Poll::Ready(Ok(resp.take().expect("polled after completion")));
                }
            };
            self.set(next);
        }
    }
}
