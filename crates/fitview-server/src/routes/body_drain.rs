//! Early answers keep keep-alive connections usable.
//!
//! A request refused before its body is read (a customer's model upload answered 403, an upload
//! over the limit answered 413) leaves the unread rest of the body on the connection; hyper then
//! closes it, and a client reusing it (or still writing the body) gets a broken pipe instead of
//! the answer. This layer hands the handler a body that returns to the layer when dropped
//! unfinished; before the answer goes out the layer reads (and discards) what is left, up to
//! [`DrainLimits::max_bytes`] within [`DrainLimits::timeout`]. A body with more left than that
//! is not waited for: the answer says `Connection: close`, so the client does not reuse the
//! connection.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Frame, SizeHint};

/// How much of an unread body is read before answering.
#[derive(Debug, Clone, Copy)]
pub struct DrainLimits {
    /// Most bytes read and discarded.
    pub max_bytes: usize,
    /// Longest spent reading them.
    pub timeout: Duration,
}

/// Middleware: drains what the handler left of the request body (see the module docs).
pub async fn drain_unread_body(
    State(limits): State<DrainLimits>,
    request: Request,
    next: Next,
) -> Response {
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    let returned = Arc::new(Mutex::new(None));
    let request = request.map(|body| {
        Body::new(Returning {
            inner: Some(body),
            returned: returned.clone(),
        })
    });
    let mut response = next.run(request).await;
    let left = returned
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take();
    if let Some(body) = left
        && !drain(body, limits).await
    {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Reads `body` to its end within the limits; whether it ended.
async fn drain(mut body: Body, limits: DrainLimits) -> bool {
    let read = async {
        let mut read = 0usize;
        loop {
            match std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
                None => return true,
                Some(Err(_)) => return false,
                Some(Ok(frame)) => {
                    read += frame.data_ref().map_or(0, Bytes::len);
                    if read > limits.max_bytes {
                        return false;
                    }
                }
            }
        }
    };
    tokio::time::timeout(limits.timeout, read)
        .await
        .unwrap_or(false)
}

/// The handler's body: the request's, given back to the layer when dropped before its end.
struct Returning {
    inner: Option<Body>,
    returned: Arc<Mutex<Option<Body>>>,
}

impl HttpBody for Returning {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        match self.inner.as_mut() {
            Some(body) => Pin::new(body).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(HttpBody::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), HttpBody::size_hint)
    }
}

impl Drop for Returning {
    fn drop(&mut self) {
        if let Some(body) = self.inner.take()
            && !body.is_end_stream()
        {
            *self
                .returned
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(body);
        }
    }
}
