//! The API's one error type: a stable machine `code`, a public `message`, an HTTP status.
//!
//! Internal causes (database, I/O, engine internals) are logged with the request's span and
//! never sent to the client.

use std::time::Duration;

use axum::Json;
use axum::extract::multipart::MultipartError;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed (bad JSON, bad query, missing field).
    #[error("{0}")]
    BadRequest(String),
    /// The request is well-formed but its values are not acceptable.
    #[error("{0}")]
    Validation(String),
    /// No valid credentials were presented.
    #[error("authentication required")]
    Unauthorized,
    /// Login with a wrong identifier or password.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The account is disabled.
    #[error("this account is disabled")]
    AccountDisabled,
    /// Authenticated, but this role may not do this.
    #[error("not allowed for this account")]
    Forbidden,
    /// Nothing here, or nothing this caller may see.
    #[error("not found")]
    NotFound,
    /// The resource already exists (e.g. an email already registered).
    #[error("{0}")]
    Conflict(String),
    /// Nothing to recommend a size from (no chart the shopper's measurements fit, no history).
    #[error("{0}")]
    NoSizeBasis(String),
    /// The body is larger than the limit.
    #[error("the request body is too large")]
    PayloadTooLarge,
    /// The upload is not an accepted image type.
    #[error("{0}")]
    UnsupportedMedia(String),
    /// Too many requests from this client; retry after the given time.
    #[error("too many requests")]
    RateLimited {
        /// When a retry can succeed.
        retry_after: Duration,
    },
    /// The try-on queue is full; retry after the given time.
    #[error("the try-on queue is full, try again shortly")]
    QueueFull {
        /// When a retry is likely to succeed.
        retry_after: Duration,
    },
    /// The server is shutting down or a dependency is not ready.
    #[error("the service is unavailable")]
    Unavailable,
    /// Too much work of this kind is waiting (e.g. password checks); retry after the given time.
    #[error("the server is busy, try again shortly")]
    Busy {
        /// When a retry is likely to succeed.
        retry_after: Duration,
    },
    /// An error from the engine, mapped by its kind.
    #[error(transparent)]
    Engine(#[from] fitview_engine::Error),
    /// A database error (never shown to the client).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// An I/O error (never shown to the client).
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// Any other internal failure (never shown to the client).
    #[error("internal error: {0}")]
    Internal(String),
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// A stable code and a public message.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code (e.g. `not_found`, `rate_limited`, `unsupported_format`).
    pub code: String,
    /// A message safe to show to the user.
    pub message: String,
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        use fitview_engine::Error as E;
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized | ApiError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            ApiError::AccountDisabled | ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) | ApiError::NoSizeBasis(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMedia(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::QueueFull { .. } | ApiError::Unavailable | ApiError::Busy { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Engine(e) => match e {
                E::InvalidInput { .. } | E::ContentPolicy { .. } | E::NotSupported { .. } => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                E::ImageTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                E::UnsupportedFormat { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                E::RateLimited { .. } | E::Unavailable { .. } | E::Cancelled => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
                E::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
                E::MalformedResponse { .. } => StatusCode::BAD_GATEWAY,
                E::BudgetExceeded { .. } => StatusCode::PAYMENT_REQUIRED,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ApiError::Database(_) | ApiError::Io(_) | ApiError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Validation(_) => "validation",
            ApiError::Unauthorized => "unauthorized",
            ApiError::InvalidCredentials => "invalid_credentials",
            ApiError::AccountDisabled => "account_disabled",
            ApiError::Forbidden => "forbidden",
            ApiError::NotFound => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::NoSizeBasis(_) => "no_size_basis",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::UnsupportedMedia(_) => "unsupported_media_type",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::QueueFull { .. } => "queue_full",
            ApiError::Unavailable => "unavailable",
            ApiError::Busy { .. } => "busy",
            ApiError::Engine(e) => e.code(),
            ApiError::Database(_) | ApiError::Io(_) | ApiError::Internal(_) => "internal",
        }
    }

    /// The message shown to the client: the error's own text for client errors, a generic
    /// sentence for everything the client cannot act on.
    pub fn public_message(&self) -> String {
        use fitview_engine::Error as E;
        match self {
            ApiError::Engine(e) => match e {
                E::InvalidInput { .. }
                | E::ImageTooLarge { .. }
                | E::NotSupported { .. }
                | E::BudgetExceeded { .. } => e.to_string(),
                E::UnsupportedFormat { .. } => {
                    "the image is not a JPEG, PNG or WebP, or it is corrupt".to_owned()
                }
                E::ContentPolicy { .. } => "the provider refused this image".to_owned(),
                E::RateLimited { .. } | E::Unavailable { .. } | E::Cancelled => {
                    "the try-on service is busy, try again shortly".to_owned()
                }
                E::Timeout { .. } => "the try-on took too long".to_owned(),
                _ => "something went wrong".to_owned(),
            },
            ApiError::Database(_) | ApiError::Io(_) | ApiError::Internal(_) => {
                "something went wrong".to_owned()
            }
            other => other.to_string(),
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::RateLimited { retry_after }
            | ApiError::QueueFull { retry_after }
            | ApiError::Busy { retry_after } => Some(*retry_after),
            ApiError::Engine(e) => e.retry_after(),
            _ => None,
        }
    }

    /// Shorthand for [`ApiError::Internal`].
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        ApiError::Internal(detail.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, code = self.code(), "request failed");
        } else {
            tracing::debug!(error = %self, code = self.code(), "request refused");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message: self.public_message(),
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(wait) = self.retry_after() {
            // Whole seconds, rounded up, at least one.
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            if let Ok(value) = HeaderValue::from_str(&secs.max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                ApiError::UnsupportedMedia("expected a JSON body (application/json)".to_owned())
            }
            StatusCode::UNPROCESSABLE_ENTITY => ApiError::Validation(rejection.body_text()),
            _ => ApiError::BadRequest(rejection.body_text()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::BadRequest(rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::BadRequest(rejection.body_text())
    }
}

impl From<MultipartError> for ApiError {
    fn from(error: MultipartError) -> Self {
        if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::BadRequest(format!("malformed multipart body: {}", error.body_text()))
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(error: tokio::task::JoinError) -> Self {
        ApiError::internal(error)
    }
}

impl From<axum::extract::multipart::MultipartRejection> for ApiError {
    fn from(rejection: axum::extract::multipart::MultipartRejection) -> Self {
        ApiError::UnsupportedMedia(format!(
            "expected a multipart/form-data body: {}",
            rejection.body_text()
        ))
    }
}
