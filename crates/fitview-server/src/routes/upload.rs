//! Reading a multipart form holding images (parts named `image`, `person` or `garment`) and a few
//! short text fields.

use std::collections::HashMap;

use axum::extract::Multipart;
use bytes::Bytes;

use crate::error::{ApiError, ApiResult};

/// Most parts a form may have.
const MAX_PARTS: usize = 16;
/// Longest text field, in bytes.
const MAX_TEXT_BYTES: usize = 16 * 1024;
/// The parts read as files; every other part is a text field.
const FILE_PARTS: [&str; 3] = ["image", "person", "garment"];

/// A parsed form: the file parts and the text fields.
#[derive(Debug, Default)]
pub struct Upload {
    /// The bytes of the file parts, by name.
    pub files: HashMap<String, Bytes>,
    /// Text fields by name.
    pub fields: HashMap<String, String>,
}

impl Upload {
    /// Reads the form; the body limit of the route bounds the total size.
    pub async fn read(mut multipart: Multipart) -> ApiResult<Self> {
        let mut upload = Upload::default();
        let mut parts = 0;
        while let Some(field) = multipart.next_field().await? {
            parts += 1;
            if parts > MAX_PARTS {
                return Err(ApiError::Validation(format!(
                    "at most {MAX_PARTS} form fields"
                )));
            }
            let name = field.name().unwrap_or_default().to_owned();
            if FILE_PARTS.contains(&name.as_str()) {
                let bytes = field.bytes().await?;
                upload.files.insert(name, bytes);
            } else {
                let text = field.text().await?;
                if text.len() > MAX_TEXT_BYTES {
                    return Err(ApiError::Validation(format!("field `{name}` is too long")));
                }
                upload.fields.insert(name, text);
            }
        }
        Ok(upload)
    }

    /// The `image` part, required.
    pub fn image(&self) -> ApiResult<Bytes> {
        self.file("image")
    }

    /// A file part, required and not empty.
    pub fn file(&self, name: &str) -> ApiResult<Bytes> {
        self.files
            .get(name)
            .filter(|b| !b.is_empty())
            .cloned()
            .ok_or_else(|| ApiError::Validation(format!("the `{name}` file is required")))
    }

    /// A non-empty text field.
    pub fn text(&self, name: &str) -> Option<String> {
        self.fields
            .get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }
}
