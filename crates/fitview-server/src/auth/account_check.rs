//! The account behind an access token, checked on every authenticated request: a token of a
//! deleted account is refused (401) and one of a disabled account too (403), for as long as the
//! token would otherwise stay valid.
//!
//! The check reads the account's role and `disabled` flag by primary key and remembers them a
//! moment ([`STATUS_TTL`]) so a burst of requests costs one read; this server forgets an account
//! at once when it deletes or disables it, other servers sharing the database within the TTL.

use std::time::Duration;

use sqlx::AnyPool;

use crate::auth::Role;
use crate::error::{ApiError, ApiResult};

/// How long an account's status is remembered.
pub const STATUS_TTL: Duration = Duration::from_secs(2);
/// Most accounts remembered at once.
const MAX_ACCOUNTS: u64 = 100_000;

/// What a request needs to know of its caller's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountStatus {
    /// The account's role now (not when the token was issued).
    pub role: Role,
    /// Disabled by an admin.
    pub disabled: bool,
}

/// Recently read account statuses.
#[derive(Debug, Clone)]
pub struct AccountCheck {
    recent: moka::future::Cache<String, AccountStatus>,
}

impl Default for AccountCheck {
    fn default() -> Self {
        Self {
            recent: moka::future::Cache::builder()
                .max_capacity(MAX_ACCOUNTS)
                .time_to_live(STATUS_TTL)
                .build(),
        }
    }
}

impl AccountCheck {
    /// The status of account `id`, or `None` when it no longer exists.
    pub async fn status(&self, db: &AnyPool, id: &str) -> ApiResult<Option<AccountStatus>> {
        if let Some(status) = self.recent.get(id).await {
            return Ok(Some(status));
        }
        let Some((role, disabled)) = crate::db::users::status(db, id).await? else {
            return Ok(None);
        };
        let status = AccountStatus {
            role: Role::parse(&role)
                .ok_or_else(|| ApiError::internal("unknown role in database"))?,
            disabled: disabled != 0,
        };
        self.recent.insert(id.to_owned(), status).await;
        Ok(Some(status))
    }

    /// Forgets what is remembered of account `id` (after deleting, disabling or enabling it).
    pub async fn forget(&self, id: &str) {
        self.recent.invalidate(id).await;
    }
}
