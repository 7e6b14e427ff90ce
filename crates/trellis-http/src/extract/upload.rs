//! [`UploadFile`]: a file of a multipart form, in memory when small and spilled to a
//! temporary file past the threshold (removed when the last handle is dropped).

use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use serde::{Deserialize, Deserializer};

#[derive(Debug)]
enum Storage {
    Memory(Bytes),
    Disk(PathBuf),
}

#[derive(Debug)]
struct Inner {
    filename: String,
    content_type: Option<String>,
    size: u64,
    storage: Storage,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Storage::Disk(p) = &self.storage {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// A file uploaded in a multipart form: a field of a `Multipart<T>` form type.
///
/// ```
/// use trellis_http::extract::{Multipart, UploadFile};
///
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct Avatar { user: String, picture: UploadFile }
///
/// async fn upload(Multipart(form): Multipart<Avatar>) -> String {
///     format!("{} sent {} ({} bytes)", form.user, form.picture.filename(), form.picture.size())
/// }
/// ```
#[derive(Debug, Clone)]
pub struct UploadFile(Arc<Inner>);

impl UploadFile {
    pub(crate) fn in_memory(filename: String, content_type: Option<String>, data: Bytes) -> Self {
        UploadFile(Arc::new(Inner {
            filename,
            content_type,
            size: data.len() as u64,
            storage: Storage::Memory(data),
        }))
    }

    pub(crate) fn on_disk(
        filename: String,
        content_type: Option<String>,
        size: u64,
        path: PathBuf,
    ) -> Self {
        UploadFile(Arc::new(Inner {
            filename,
            content_type,
            size,
            storage: Storage::Disk(path),
        }))
    }

    /// The file name the client gave.
    pub fn filename(&self) -> &str {
        &self.0.filename
    }

    /// The content type the client gave.
    pub fn content_type(&self) -> Option<&str> {
        self.0.content_type.as_deref()
    }

    /// Its size in bytes.
    pub fn size(&self) -> u64 {
        self.0.size
    }

    /// The temporary file holding it, when it was spilled to disk.
    pub fn path(&self) -> Option<&FsPath> {
        match &self.0.storage {
            Storage::Disk(p) => Some(p),
            Storage::Memory(_) => None,
        }
    }

    /// Its content.
    pub async fn bytes(&self) -> std::io::Result<Bytes> {
        match &self.0.storage {
            Storage::Memory(b) => Ok(b.clone()),
            Storage::Disk(p) => tokio::fs::read(p).await.map(Bytes::from),
        }
    }
}

impl schemars::JsonSchema for UploadFile {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "UploadFile".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "binary" })
    }

    fn inline_schema() -> bool {
        true
    }
}

const TOKEN_PREFIX: &str = "trellis-upload:";

fn registry() -> &'static Mutex<HashMap<u64, UploadFile>> {
    static REGISTRY: OnceLock<Mutex<HashMap<u64, UploadFile>>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

/// Park a file while its form is validated; the token stands for it in the form's JSON.
pub(crate) fn park(file: UploadFile) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    registry()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(id, file);
    format!("{TOKEN_PREFIX}{id}")
}

/// The upload tokens in a form value.
pub(crate) fn collect_tokens(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) if s.starts_with(TOKEN_PREFIX) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|i| collect_tokens(i, out)),
        serde_json::Value::Object(map) => map.values().for_each(|i| collect_tokens(i, out)),
        _ => {}
    }
}

/// Drop parked files that were not claimed (the form failed validation).
pub(crate) fn release(tokens: &[String]) {
    let mut reg = registry()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for t in tokens {
        if let Some(id) = t
            .strip_prefix(TOKEN_PREFIX)
            .and_then(|n| n.parse::<u64>().ok())
        {
            reg.remove(&id);
        }
    }
}

impl<'de> Deserialize<'de> for UploadFile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let token = String::deserialize(d)?;
        let id = token
            .strip_prefix(TOKEN_PREFIX)
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| serde::de::Error::custom("expected an uploaded file"))?;
        registry()
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&id)
            .ok_or_else(|| serde::de::Error::custom("the uploaded file is gone"))
    }
}
