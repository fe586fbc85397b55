//! `GET /api/v1/tryon/{id}/events`: a job's status as Server-Sent Events, from where it stands
//! now until it ends, so a client shows progress without polling.
//!
//! Each change is one `status` event whose data is the job as `GET /api/v1/tryon/{id}` shows it;
//! the stream ends after the event of `succeeded` or `failed`. Word of a change comes from
//! [`crate::job_events`] (every server's, with Redis); the database is looked at again every
//! `status_recheck` (2 s) as well. When the server stops, open streams end and the client reconnects (the
//! `retry` field says after how long), to this server once it is back or to another.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::tryon::{JobStatus, JobView, job_view};
use crate::auth::AuthUser;
use crate::db;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiPath;
use crate::state::AppState;

/// How long a client waits before reconnecting after the stream broke.
const RECONNECT: Duration = Duration::from_secs(1);

/// The job's status as Server-Sent Events until it ends.
#[utoipa::path(get, path = "/api/v1/tryon/{id}/events", tag = "tryon", security(("bearer" = [])),
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 200, description = "`status` events, each the job as GET /api/v1/tryon/{id} shows it, until it has succeeded or failed",
            body = String, content_type = "text/event-stream"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "No such job of the caller", body = ErrorBody),
    ))]
pub async fn events(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    status_stream(state, id, user.id).await
}

/// The status stream of job `job_id` of `owner`; 404 when there is no such job of theirs.
pub async fn status_stream(
    state: AppState,
    job_id: String,
    owner: String,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    if db::tryon::get_job(&state.db, &job_id, Some(&owner))
        .await?
        .is_none()
    {
        return Err(ApiError::NotFound);
    }
    let watch = Watch {
        changes: state.jobs.subscribe(),
        closing: state.jobs.events().closing(),
        state,
        job_id,
        owner,
        last: None,
        ended: false,
    };
    let stream = futures::stream::unfold(watch, |mut watch| async move {
        let event = watch.next().await?;
        Some((Ok(event), watch))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// One stream's place.
struct Watch {
    state: AppState,
    job_id: String,
    owner: String,
    changes: tokio::sync::broadcast::Receiver<String>,
    closing: tokio::sync::watch::Receiver<bool>,
    /// The status last sent.
    last: Option<JobStatus>,
    ended: bool,
}

impl Watch {
    /// The next event: the job's status once it differs from the last one sent; `None` when
    /// the job ended, is gone, or the server stops.
    async fn next(&mut self) -> Option<Event> {
        if self.ended {
            return None;
        }
        loop {
            if *self.closing.borrow() {
                return None;
            }
            let view = self.current().await?;
            if self.last != Some(view.status) {
                let first = self.last.is_none();
                self.last = Some(view.status);
                self.ended = view.status.is_final();
                let mut event = Event::default().event("status").json_data(&view).ok()?;
                if first {
                    event = event.retry(RECONNECT);
                }
                return Some(event);
            }
            self.wait_for_change().await;
        }
    }

    /// The job now; `None` when it is gone (deleted with its account) or cannot be read.
    async fn current(&self) -> Option<JobView> {
        match db::tryon::get_job(&self.state.db, &self.job_id, Some(&self.owner)).await {
            Ok(Some(row)) => job_view(row).ok(),
            Ok(None) => None,
            Err(error) => {
                tracing::warn!(%error, "a status stream cannot read its job");
                None
            }
        }
    }

    /// Waits for word that this job changed, the recheck, or the server stopping.
    async fn wait_for_change(&mut self) {
        let deadline = tokio::time::sleep(self.state.config.limits.status_recheck);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                () = &mut deadline => return,
                _ = self.closing.changed() => return,
                change = self.changes.recv() => match change {
                    Ok(id) if id == self.job_id => return,
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => return,
                    Err(RecvError::Closed) => {
                        deadline.as_mut().await;
                        return;
                    }
                },
            }
        }
    }
}
