//! The HTTP transport every HTTP provider shares: one reqwest client (rustls with the ring
//! provider), auth headers, the per-provider [`Throttle`], a hard cap on response size before
//! anything is parsed, and transport failures mapped to typed errors.
//!
//! A provider makes one attempt per call; the engine's [`RetryPolicy`](crate::RetryPolicy) owns
//! retries and the per-attempt timeout, so no timeout or retry loop lives here beyond a connect
//! timeout. Redirects are not followed: an API key header must never be replayed to another host.

mod redact;
mod status;

use std::fmt;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::time::Instant;

use super::throttle::{Throttle, ThrottleConfig, ThrottlePermit};
use crate::error::{Error, Result};

pub(crate) use redact::redact;
pub(crate) use status::{Failure, error_for_status, parse_retry_after};

/// Time to establish a TCP (and TLS) connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// A credential that never shows in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a key or token.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// How a request proves who sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Auth {
    /// A named header carrying the key (Gemini API: `x-goog-api-key`).
    Header(&'static str, Secret),
    /// `Authorization: Bearer <token>` (xAI, Vertex AI).
    Bearer(Secret),
}

/// A provider's answer: status, the `Retry-After` header if any, and the capped body.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    /// HTTP status code.
    pub(crate) status: u16,
    /// `Retry-After`, in seconds, when the provider sent one.
    pub(crate) retry_after: Option<Duration>,
    /// Every response header (a provider may report its cost in one).
    pub(crate) headers: reqwest::header::HeaderMap,
    /// The whole body, at most the configured cap.
    pub(crate) body: Bytes,
}

/// One provider's HTTP client, throttle and response cap.
#[derive(Debug)]
pub(crate) struct HttpClient {
    client: reqwest::Client,
    throttle: Throttle,
    max_response_bytes: u64,
}

impl HttpClient {
    /// A client enforcing `throttle` whose responses may be at most `max_response_bytes` long.
    pub(crate) fn new(throttle: ThrottleConfig, max_response_bytes: u64) -> Result<Self> {
        // reqwest is built without a default crypto provider; the ring one builds with a C
        // compiler alone. Installing fails harmlessly when the process already chose one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .user_agent(concat!("fitview/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(CONNECT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Config {
                problems: vec![format!("cannot build the HTTP client: {}", e.without_url())],
            })?;
        Ok(Self {
            client,
            throttle: Throttle::new(throttle),
            max_response_bytes,
        })
    }

    /// POSTs a JSON body and reads the whole answer (any status), within the throttle.
    pub(crate) async fn post_json(&self, url: &str, auth: &Auth, body: Vec<u8>) -> Result<Reply> {
        let _permit = self.throttle.acquire().await?;
        self.send_post_json(url, auth, body).await
    }

    /// Waits for the throttle to allow one more provider request and holds it until the permit
    /// is dropped, for providers whose one request is several HTTP calls (a job submitted,
    /// then polled): the `send_*` calls made meanwhile do not count again.
    pub(crate) async fn acquire(&self) -> Result<ThrottlePermit> {
        self.throttle.acquire().await
    }

    /// POSTs a JSON body outside the throttle (the caller holds a permit from [`Self::acquire`]).
    pub(crate) async fn send_post_json(
        &self,
        url: &str,
        auth: &Auth,
        body: Vec<u8>,
    ) -> Result<Reply> {
        let request = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        let body_len = body.len();
        self.send(authorized(request, auth).body(body), body_len)
            .await
    }

    /// GETs `url` outside the throttle (the caller holds a permit from [`Self::acquire`]), with
    /// `auth` when it is the provider's API and without when it is a file the provider serves
    /// elsewhere (a result on a CDN): a key is only ever sent to the API.
    pub(crate) async fn send_get(&self, url: &str, auth: Option<&Auth>) -> Result<Reply> {
        let request = self.client.get(url);
        let request = match auth {
            Some(auth) => authorized(request, auth),
            None => request,
        };
        self.send(request, 0).await
    }

    async fn send(&self, request: reqwest::RequestBuilder, request_bytes: usize) -> Result<Reply> {
        let started = Instant::now();
        let response = request
            .send()
            .await
            .map_err(|e| transport_error(e, started))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let headers = response.headers().clone();
        let body = read_capped(response, self.max_response_bytes, started).await?;
        tracing::debug!(
            status,
            request_bytes,
            response_bytes = body.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "provider http call"
        );
        Ok(Reply {
            status,
            retry_after,
            headers,
            body,
        })
    }
}

fn authorized(request: reqwest::RequestBuilder, auth: &Auth) -> reqwest::RequestBuilder {
    match auth {
        Auth::Header(name, key) => request.header(*name, key.expose()),
        Auth::Bearer(token) => request.bearer_auth(token.expose()),
    }
}

/// Reads a body, refusing (before reading it) one that declares more than `cap` bytes and
/// stopping as soon as a streamed one passes `cap`.
async fn read_capped(mut response: reqwest::Response, cap: u64, started: Instant) -> Result<Bytes> {
    let too_large = |len: u64| Error::MalformedResponse {
        detail: format!("response of {len} bytes or more exceeds the cap of {cap} bytes"),
    };
    if let Some(len) = response.content_length().filter(|len| *len > cap) {
        return Err(too_large(len));
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| transport_error(e, started))?
    {
        if (body.len() + chunk.len()) as u64 > cap {
            return Err(too_large((body.len() + chunk.len()) as u64));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// A transport failure as a typed error, without the URL (which may carry `?key=`).
fn transport_error(err: reqwest::Error, started: Instant) -> Error {
    if err.is_timeout() {
        return Error::Timeout {
            after: started.elapsed(),
        };
    }
    let what = if err.is_connect() {
        "cannot connect to the provider"
    } else if err.is_body() || err.is_decode() {
        "the connection failed while reading the response"
    } else if err.is_request() {
        "the request could not be sent"
    } else {
        "HTTP transport error"
    };
    let source = std::error::Error::source(&err)
        .map(|s| format!(": {}", redact(&s.to_string())))
        .unwrap_or_default();
    Error::Unavailable {
        detail: format!("{what}{source}"),
    }
}
