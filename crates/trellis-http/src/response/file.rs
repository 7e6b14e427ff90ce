//! File responses: a file from disk, streamed, with its content type.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

use super::HttpError;

/// Streams a file from disk with a guessed `Content-Type`; optionally as a download.
///
/// ```no_run
/// use trellis_http::response::{FileResponse, HttpError};
///
/// async fn report() -> Result<FileResponse, HttpError> {
///     FileResponse::open("reports/latest.pdf").await.map(|f| f.attachment("report.pdf"))
/// }
/// ```
#[derive(Debug)]
pub struct FileResponse {
    file: tokio::fs::File,
    path: PathBuf,
    len: u64,
    download_name: Option<String>,
}

impl FileResponse {
    /// Open a file; a missing file is a 404, other errors a 500.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, HttpError> {
        let path = path.as_ref().to_path_buf();
        let file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => HttpError::not_found("Not Found"),
                _ => HttpError::internal(format!("cannot open {}: {e}", path.display())),
            })?;
        let meta = file.metadata().await.map_err(HttpError::internal)?;
        if !meta.is_file() {
            return Err(HttpError::not_found("Not Found"));
        }
        Ok(FileResponse {
            file,
            path,
            len: meta.len(),
            download_name: None,
        })
    }

    /// Send as an attachment (`Content-Disposition: attachment; filename=...`).
    #[must_use]
    pub fn attachment(mut self, filename: impl Into<String>) -> Self {
        self.download_name = Some(filename.into());
        self
    }
}

impl IntoResponse for FileResponse {
    fn into_response(self) -> Response {
        let mime = mime_guess::from_path(&self.path).first_or_octet_stream();
        let stream = tokio_util_stream(self.file);
        let mut resp = (StatusCode::OK, Body::from_stream(stream)).into_response();
        let h = resp.headers_mut();
        if let Ok(v) = HeaderValue::from_str(mime.as_ref()) {
            h.insert(header::CONTENT_TYPE, v);
        }
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(self.len));
        if let Some(name) = self.download_name {
            let safe: String = name
                .chars()
                .filter(|c| *c != '"' && *c != '\\' && !c.is_control())
                .collect();
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
        }
        resp
    }
}

fn tokio_util_stream(
    file: tokio::fs::File,
) -> impl futures_util::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static {
    use tokio::io::AsyncReadExt;
    futures_util::stream::unfold(Some(file), |state| async move {
        let mut file = state?;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(bytes::Bytes::from(buf)), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    })
}
