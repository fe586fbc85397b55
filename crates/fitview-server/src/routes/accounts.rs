//! Registration, login, token refresh and logout, the caller's profile, and admin management
//! of retailers.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{AuthUser, Role, identifier, password, refresh};
use crate::db::{self, users::UserRow};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, ClientIp};
use crate::routes::Page;
use crate::state::AppState;
use crate::text::{self, Lines};

/// Roles open to self-registration.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RegisterRole {
    /// A shopper.
    #[default]
    Customer,
    /// A shop owning a catalog.
    Retailer,
}

/// A new account: an email or a phone number, and a password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// Email address.
    pub email: Option<String>,
    /// Phone number in international form (`+` or `00`, the country code, the number; spaces,
    /// dashes, dots and parentheses ignored), stored in E.164.
    pub phone: Option<String>,
    /// At least 8 characters.
    pub password: String,
    /// `customer` (default) or `retailer`.
    #[serde(default)]
    pub role: RegisterRole,
    /// Shown name.
    pub display_name: Option<String>,
}

/// Login with an email or a phone number.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Email address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Password.
    pub password: String,
}

/// A refresh token presented to rotate or revoke it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The opaque refresh token.
    pub refresh_token: String,
}

/// An account as shown to its owner and to admins.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    /// Id.
    pub id: String,
    /// Email.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Role.
    pub role: Role,
    /// Shown name.
    pub display_name: Option<String>,
    /// Disabled by an admin.
    pub disabled: bool,
    /// Creation time (seconds since the epoch).
    pub created_at: i64,
}

impl UserView {
    /// The view of a record.
    pub fn from_row(row: UserRow) -> ApiResult<Self> {
        Ok(UserView {
            role: Role::parse(&row.role)
                .ok_or_else(|| ApiError::internal("unknown role in database"))?,
            id: row.id,
            email: row.email,
            phone: row.phone,
            display_name: row.display_name,
            disabled: row.disabled != 0,
            created_at: row.created_at,
        })
    }
}

/// Tokens issued at registration, login and refresh.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthTokens {
    /// Short-lived JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Opaque token to get a new access token; single use.
    pub refresh_token: String,
    /// The account.
    pub user: UserView,
}

/// An admin's change to a retailer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetailerUpdate {
    /// Disable (true) or enable (false) the retailer; absent: unchanged.
    pub disabled: Option<bool>,
    /// The retailer's own daily cap on provider spend for its catalog, in US dollars; `null`:
    /// the server's default (`--retailer-daily-budget-usd`); absent: unchanged.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<f64>, minimum = 0)]
    pub daily_budget_usd: Option<Option<f64>>,
}

/// A field that may be absent (`None`), `null` (`Some(None)`) or a value.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Issues an access token and a new refresh token for a user.
async fn issue_tokens(state: &AppState, user: UserRow) -> ApiResult<AuthTokens> {
    let view = UserView::from_row(user)?;
    let access_token = state.jwt.issue(&view.id, view.role)?;
    let (refresh_token, digest) = refresh::generate();
    let ttl = i64::try_from(state.config.tokens.refresh_ttl.as_secs()).unwrap_or(i64::MAX);
    db::users::insert_refresh(&state.db, &view.id, &digest, db::now().saturating_add(ttl)).await?;
    Ok(AuthTokens {
        access_token,
        token_type: "Bearer".to_owned(),
        expires_in: state.jwt.ttl().as_secs(),
        refresh_token,
        user: view,
    })
}

/// Creates an account and logs it in.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "accounts", request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created", body = AuthTokens),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 409, description = "Email or phone already registered", body = ErrorBody),
        (status = 422, description = "Invalid email, phone or password", body = ErrorBody),
        (status = 429, description = "Too many registrations", body = ErrorBody),
        (status = 503, description = "Too many password checks waiting; see Retry-After", body = ErrorBody),
    ))]
pub async fn register(
    State(state): State<AppState>,
    ip: ClientIp,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<AuthTokens>)> {
    let user = create_account(&state, ip, body).await?;
    Ok((StatusCode::CREATED, Json(issue_tokens(&state, user).await?)))
}

/// Creates an account from a registration (checked, and limited per IP), for the API and the
/// storefront's sign-up page alike.
pub async fn create_account(
    state: &AppState,
    ip: ClientIp,
    body: RegisterRequest,
) -> ApiResult<UserRow> {
    let (email, phone) =
        identifier::login_identifiers(body.email.as_deref(), body.phone.as_deref())?;
    password::check_strength(&body.password)?;
    state.register_limiter.check(&ip.to_string()).await?;
    let role = match body.role {
        RegisterRole::Customer => Role::Customer,
        RegisterRole::Retailer => Role::Retailer,
    };
    let display_name = match body.display_name.as_deref().map(str::trim) {
        Some(name) => {
            text::check("display_name", name, Lines::One)?;
            Some(name.chars().take(100).collect::<String>())
        }
        None => None,
    };
    let user = UserRow {
        id: db::new_id(),
        email,
        phone,
        password_hash: state.passwords.hash(body.password).await?,
        role: role.as_str().to_owned(),
        display_name,
        disabled: 0,
        created_at: db::now(),
    };
    match db::users::insert(&state.db, &user).await {
        Ok(()) => {
            if role == Role::Retailer {
                // A new shop in the catalog's shop filter.
                state.catalog.changed();
            }
            Ok(user)
        }
        Err(e) if db::is_unique_violation(&e) => Err(ApiError::Conflict(
            "this email or phone number is already registered".to_owned(),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Logs in with an email or phone and a password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "accounts", request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = AuthTokens),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Wrong identifier or password", body = ErrorBody),
        (status = 403, description = "Account disabled", body = ErrorBody),
        (status = 422, description = "Invalid identifier", body = ErrorBody),
        (status = 429, description = "Too many attempts; see Retry-After", body = ErrorBody),
        (status = 503, description = "Too many password checks waiting; see Retry-After", body = ErrorBody),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ip: ClientIp,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<Json<AuthTokens>> {
    let user = authenticate(&state, ip, &body).await?;
    Ok(Json(issue_tokens(&state, user).await?))
}

/// The enabled account a login opens (attempts limited per IP and per account), for the API
/// and the storefront's sign-in page alike.
pub async fn authenticate(
    state: &AppState,
    ip: ClientIp,
    body: &LoginRequest,
) -> ApiResult<UserRow> {
    let (email, phone) =
        identifier::login_identifiers(body.email.as_deref(), body.phone.as_deref())?;
    // One IP's attempts over every account, then one account's over every IP and whichever of
    // its identifiers is typed (an unknown identifier counts on its own).
    state.login_ip_limiter.check(&ip.to_string()).await?;
    let user = db::users::find_by_login(&state.db, email.as_deref(), phone.as_deref()).await?;
    let account = match &user {
        Some(user) => format!("id:{}", user.id),
        None => format!(
            "unknown:{}",
            email.as_deref().or(phone.as_deref()).unwrap_or_default()
        ),
    };
    state.login_limiter.check(&account).await?;
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    if !state.passwords.verify(body.password.clone(), hash).await? {
        return Err(ApiError::InvalidCredentials);
    }
    let user = user.ok_or(ApiError::InvalidCredentials)?;
    if user.disabled != 0 {
        return Err(ApiError::AccountDisabled);
    }
    Ok(user)
}

/// Checks that `password` is the signed-in `user`'s own before a step that cannot be undone
/// (attempts limited like the account's logins).
pub async fn confirm_password(state: &AppState, user: &UserRow, password: String) -> ApiResult<()> {
    state
        .login_limiter
        .check(&format!("id:{}", user.id))
        .await?;
    if !state
        .passwords
        .verify(password, Some(user.password_hash.clone()))
        .await?
    {
        return Err(ApiError::InvalidCredentials);
    }
    Ok(())
}

/// Exchanges a refresh token for new tokens; the old refresh token stops working.
///
/// Presenting an already used refresh token revokes every refresh token of its account, since it
/// means the token was copied.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "accounts", request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = AuthTokens),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Unknown, used, revoked or expired token", body = ErrorBody),
        (status = 403, description = "Account disabled", body = ErrorBody),
    ))]
pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> ApiResult<Json<AuthTokens>> {
    let digest = refresh::digest(&body.refresh_token);
    let token = db::users::find_refresh(&state.db, &digest)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    if token.revoked_at.is_some() {
        tracing::warn!(user_id = %token.user_id, "refresh token reused; revoking all of the account's tokens");
        db::users::revoke_all_refresh(&state.db, &token.user_id).await?;
        return Err(ApiError::Unauthorized);
    }
    if token.expires_at <= db::now() || !db::users::revoke_refresh(&state.db, &token.id).await? {
        return Err(ApiError::Unauthorized);
    }
    let user = db::users::find(&state.db, &token.user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    if user.disabled != 0 {
        return Err(ApiError::AccountDisabled);
    }
    Ok(Json(issue_tokens(&state, user).await?))
}

/// Revokes a refresh token (logs out this session). Access tokens expire on their own.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "accounts", request_body = RefreshRequest,
    responses(
        (status = 204, description = "Revoked (or already unknown)"),
        (status = 400, description = "Malformed body", body = ErrorBody),
    ))]
pub async fn logout(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> ApiResult<StatusCode> {
    if let Some(token) =
        db::users::find_refresh(&state.db, &refresh::digest(&body.refresh_token)).await?
    {
        db::users::revoke_refresh(&state.db, &token.id).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes every refresh token of the caller (logs out everywhere).
#[utoipa::path(post, path = "/api/v1/auth/logout-all", tag = "accounts", security(("bearer" = [])),
    responses(
        (status = 204, description = "Every refresh token revoked"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
    ))]
pub async fn logout_all(State(state): State<AppState>, user: AuthUser) -> ApiResult<StatusCode> {
    db::users::revoke_all_refresh(&state.db, &user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's account.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", security(("bearer" = [])),
    responses(
        (status = 200, description = "The account", body = UserView),
        (status = 401, description = "Not authenticated", body = ErrorBody),
    ))]
pub async fn me(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<UserView>> {
    let row = db::users::find(&state.db, &user.id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    Ok(Json(UserView::from_row(row)?))
}

/// Retailers, oldest first (admins only).
#[utoipa::path(get, path = "/api/v1/admin/retailers", tag = "admin", params(Page), security(("bearer" = [])),
    responses(
        (status = 200, description = "Retailers", body = Vec<UserView>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
    ))]
pub async fn list_retailers(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<Json<Vec<UserView>>> {
    user.require(&[Role::Admin])?;
    let (limit, offset) = page.bounds(&state)?;
    let rows = db::users::list_by_role(&state.db, Role::Retailer.as_str(), limit, offset).await?;
    Ok(Json(
        rows.into_iter()
            .map(UserView::from_row)
            .collect::<ApiResult<_>>()?,
    ))
}

/// Disables or enables a retailer (admins only); disabling revokes its refresh tokens, and its
/// access tokens are refused from then on (403).
#[utoipa::path(patch, path = "/api/v1/admin/retailers/{id}", tag = "admin", request_body = RetailerUpdate,
    params(("id" = String, Path, description = "Retailer id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The retailer", body = UserView),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such retailer", body = ErrorBody),
    ))]
pub async fn update_retailer(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RetailerUpdate>,
) -> ApiResult<Json<UserView>> {
    user.require(&[Role::Admin])?;
    let retailer = db::users::find(&state.db, &id)
        .await?
        .filter(|row| row.role == Role::Retailer.as_str())
        .ok_or(ApiError::NotFound)?;
    if let Some(Some(cap)) = body.daily_budget_usd
        && !(cap.is_finite() && (0.0..=1e6).contains(&cap))
    {
        return Err(ApiError::Validation(
            "`daily_budget_usd` must be between 0 and 1000000".to_owned(),
        ));
    }
    if let Some(cap) = body.daily_budget_usd {
        crate::spend::set_cap(&state.db, &retailer.id, cap).await?;
    }
    if let Some(disabled) = body.disabled {
        db::users::set_disabled(&state.db, &id, Role::Retailer.as_str(), disabled).await?;
        state.accounts.forget(&id).await;
        state.catalog.changed();
        if disabled {
            db::users::revoke_all_refresh(&state.db, &id).await?;
        }
    }
    let row = db::users::find(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(UserView::from_row(row)?))
}
