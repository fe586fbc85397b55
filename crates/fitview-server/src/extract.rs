//! Extractors whose rejections use the API's error format.

use std::net::{IpAddr, SocketAddr};

use std::borrow::Cow;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body (`application/json`), rejecting with [`ApiError`]: 415 without a JSON content
/// type, 400 for malformed JSON, 422 naming the field for a value of the wrong shape.
///
/// A number with no fraction is an integer, however it is written (`11810.0`), as JSON Schema
/// and the OpenAPI document say (`"type": "integer"` means a number whose fraction is zero);
/// serde alone would refuse it for an integer field. The text is rewritten, not re-parsed, so
/// everything else (the order of keys, raw JSON fields) stays as sent.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(request.headers()) {
            return Err(ApiError::UnsupportedMedia(
                "expected a JSON body (application/json)".to_owned(),
            ));
        }
        let bytes =
            Bytes::from_request(request, state)
                .await
                .map_err(|rejection| match rejection.status() {
                    StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
                    _ => ApiError::BadRequest(rejection.body_text()),
                })?;
        let text = whole_numbers_as_integers(&bytes);
        let axum::Json(value) = axum::Json::<T>::from_bytes(&text)?;
        Ok(ApiJson(value))
    }
}

/// Whether the content type is JSON (`application/json`, or any `…+json`).
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|subtype| subtype.ends_with("+json"))
}

/// The JSON text with every number written as a whole number with a zero fraction (`11810.0`,
/// `-3.00`) written as that integer; strings and every other number are left as they are.
fn whole_numbers_as_integers(json: &[u8]) -> Cow<'_, [u8]> {
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    let mut in_string = false;
    let mut escaped = false;
    let mut i = 0;
    while i < json.len() {
        let byte = json[i];
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if byte == b'"' {
            in_string = true;
            i += 1;
            continue;
        }
        if byte == b'-' || byte.is_ascii_digit() {
            let end = json[i..]
                .iter()
                .position(|b| !matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                .map_or(json.len(), |n| i + n);
            let token = &json[i..end];
            if let Some(dot) = token.iter().position(|&b| b == b'.') {
                let (whole, fraction) = (&token[..dot], &token[dot + 1..]);
                let digits = whole.strip_prefix(b"-").unwrap_or(whole);
                if !digits.is_empty()
                    && digits.iter().all(u8::is_ascii_digit)
                    && !fraction.is_empty()
                    && fraction.iter().all(|&b| b == b'0')
                {
                    let out = out.get_or_insert_with(|| Vec::with_capacity(json.len()));
                    out.extend_from_slice(&json[copied..i]);
                    out.extend_from_slice(whole);
                    copied = end;
                }
            }
            i = end;
            continue;
        }
        i += 1;
    }
    match out {
        Some(mut out) => {
            out.extend_from_slice(&json[copied..]);
            Cow::Owned(out)
        }
        None => Cow::Borrowed(json),
    }
}

/// `axum::extract::Query`, rejecting with [`ApiError`].
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// `axum::extract::Path`, rejecting with [`ApiError`].
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// The peer's IP address (the socket's; forwarded headers are not trusted).
///
/// Unknown when the router runs without connection info (e.g. in `oneshot` tests).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0.ip()),
        ))
    }
}

impl std::fmt::Display for ClientIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(ip) => write!(f, "{ip}"),
            None => f.write_str("unknown"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Body {
        price_cents: i64,
        sizes: Vec<Item>,
    }

    #[derive(Debug, serde::Deserialize)]
    struct Item {
        stock: u32,
    }

    async fn parse(json: &str) -> Result<Body, ApiError> {
        let request = Request::builder()
            .header("content-type", "application/json")
            .body(axum::body::Body::from(json.to_owned()))
            .unwrap();
        ApiJson::<Body>::from_request(request, &())
            .await
            .map(|b| b.0)
    }

    #[tokio::test]
    async fn whole_numbers_written_as_floats_are_integers() {
        let body = parse(r#"{"price_cents": 11810.0, "sizes": [{"stock": 3.0}]}"#)
            .await
            .unwrap();
        assert_eq!((body.price_cents, body.sizes[0].stock), (11810, 3));
    }

    #[test]
    fn only_whole_numbers_outside_strings_are_rewritten() {
        let text = |json: &str| {
            String::from_utf8(whole_numbers_as_integers(json.as_bytes()).into_owned()).unwrap()
        };
        assert_eq!(
            text(
                r#"{"a": 11810.0, "b": -3.00, "c": [1.0,2.5], "d": "7.0 \" 8.0", "e": 1e3, "f": 0.0}"#
            ),
            r#"{"a": 11810, "b": -3, "c": [1,2.5], "d": "7.0 \" 8.0", "e": 1e3, "f": 0}"#
        );
        assert!(matches!(
            whole_numbers_as_integers(b"{\"a\": 1}"),
            Cow::Borrowed(_)
        ));
    }

    #[tokio::test]
    async fn a_fraction_is_refused_naming_the_field() {
        let Err(ApiError::Validation(message)) =
            parse(r#"{"price_cents": 1, "sizes": [{"stock": 2.5}]}"#).await
        else {
            panic!("a fraction for an integer is a validation error");
        };
        assert!(message.contains("sizes[0].stock"), "{message}");
        assert!(matches!(
            parse(r#"{"price_cents": 1e300, "sizes": []}"#).await,
            Err(ApiError::Validation(_))
        ));
        assert!(matches!(
            parse(r#"{"price_cents": 1,"#).await,
            Err(ApiError::BadRequest(_))
        ));
    }
}
