//! Where browser sessions live: the database by default, Redis when the server has a Redis URL,
//! so several servers share sessions either way.
//!
//! In Redis a session is one key, `<prefix>:session:<token digest>`, holding the record as JSON
//! and expiring with it; each account's sessions are also listed in the set
//! `<prefix>:user-sessions:<user id>`, so deleting an account ends all of them at once. Every
//! command has the cache's Redis timeout; a Redis that does not answer makes the pages that need
//! a session answer 503 (sessions cannot fall back to one process's memory without signing
//! shoppers out on the other servers).

use std::time::Duration;

use redis::aio::MultiplexedConnection;
use sqlx::AnyPool;
use tokio::sync::Mutex;

use crate::db::{self, sessions::SessionRow};
use crate::error::ApiError;

/// The session store of a server.
#[derive(Debug)]
pub enum SessionStore {
    /// The `browser_sessions` table.
    Database(AnyPool),
    /// Keys in Redis.
    Redis(Box<RedisSessions>),
}

/// Sessions in Redis.
#[derive(Debug)]
pub struct RedisSessions {
    client: redis::Client,
    prefix: String,
    timeout: Duration,
    conn: Mutex<Option<MultiplexedConnection>>,
}

impl SessionStore {
    /// Sessions in the Redis at `url`, keys under `prefix`, each command waited on for at most
    /// `timeout`. Connects lazily: a Redis that is down at start does not stop the server.
    pub fn redis(url: &str, prefix: &str, timeout: Duration) -> Result<Self, redis::RedisError> {
        Ok(SessionStore::Redis(Box::new(RedisSessions {
            client: redis::Client::open(url)?,
            prefix: prefix.to_owned(),
            timeout,
            conn: Mutex::new(None),
        })))
    }

    /// Stores a new session.
    pub async fn insert(&self, row: &SessionRow) -> Result<(), ApiError> {
        match self {
            SessionStore::Database(pool) => Ok(db::sessions::insert(pool, row).await?),
            SessionStore::Redis(redis) => redis.insert(row).await,
        }
    }

    /// The live session with this token digest.
    pub async fn find(&self, token_hash: &str) -> Result<Option<SessionRow>, ApiError> {
        match self {
            SessionStore::Database(pool) => Ok(db::sessions::find(pool, token_hash).await?),
            SessionStore::Redis(redis) => redis.find(token_hash).await,
        }
    }

    /// Remembers the shopper's model in a live session (an ended one stays ended).
    pub async fn set_model(&self, token_hash: &str, model_id: &str) -> Result<(), ApiError> {
        match self {
            SessionStore::Database(pool) => {
                Ok(db::sessions::set_model(pool, token_hash, model_id).await?)
            }
            SessionStore::Redis(redis) => redis.set_model(token_hash, model_id).await,
        }
    }

    /// Ends a session.
    pub async fn delete(&self, token_hash: &str) -> Result<(), ApiError> {
        match self {
            SessionStore::Database(pool) => Ok(db::sessions::delete(pool, token_hash).await?),
            SessionStore::Redis(redis) => redis.delete(token_hash).await,
        }
    }

    /// Ends every session of an account (it is being deleted). In the database there is
    /// nothing to do here: the account's deletion (`db::users::delete`) takes its sessions along
    /// in the same transaction.
    pub async fn delete_of_user(&self, user_id: &str) -> Result<(), ApiError> {
        match self {
            SessionStore::Database(_) => Ok(()),
            SessionStore::Redis(redis) => redis.delete_of_user(user_id).await,
        }
    }
}

impl RedisSessions {
    fn key(&self, token_hash: &str) -> String {
        format!("{}:session:{token_hash}", self.prefix)
    }

    fn user_key(&self, user_id: &str) -> String {
        format!("{}:user-sessions:{user_id}", self.prefix)
    }

    /// Runs `command` on the shared connection (made on first use, and again after a failure),
    /// within the timeout.
    async fn run<T: redis::FromRedisValue>(&self, command: &redis::Cmd) -> Result<T, ApiError> {
        let unavailable = |error: &dyn std::fmt::Display| {
            tracing::warn!(%error, "the session store in Redis does not answer");
            ApiError::Unavailable
        };
        let mut conn = {
            let mut slot = self.conn.lock().await;
            match slot.as_ref() {
                Some(conn) => conn.clone(),
                None => {
                    let made = tokio::time::timeout(
                        self.timeout,
                        self.client.get_multiplexed_async_connection(),
                    )
                    .await
                    .map_err(|e| unavailable(&e))?
                    .map_err(|e| unavailable(&e))?;
                    *slot = Some(made.clone());
                    made
                }
            }
        };
        match tokio::time::timeout(self.timeout, command.query_async::<T>(&mut conn)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => {
                *self.conn.lock().await = None;
                Err(unavailable(&error))
            }
            Err(elapsed) => {
                *self.conn.lock().await = None;
                Err(unavailable(&elapsed))
            }
        }
    }

    async fn insert(&self, row: &SessionRow) -> Result<(), ApiError> {
        let ttl = row.expires_at.saturating_sub(db::now()).max(1);
        let json = serde_json::to_string(row).map_err(ApiError::internal)?;
        let mut set = redis::cmd("SET");
        set.arg(self.key(&row.token_hash))
            .arg(json)
            .arg("EX")
            .arg(ttl);
        self.run::<()>(&set).await?;
        if let Some(user_id) = &row.user_id {
            let user_key = self.user_key(user_id);
            let mut add = redis::cmd("SADD");
            add.arg(&user_key).arg(&row.token_hash);
            self.run::<()>(&add).await?;
            let mut expire = redis::cmd("EXPIRE");
            expire.arg(&user_key).arg(ttl);
            self.run::<()>(&expire).await?;
        }
        Ok(())
    }

    async fn find(&self, token_hash: &str) -> Result<Option<SessionRow>, ApiError> {
        let mut get = redis::cmd("GET");
        get.arg(self.key(token_hash));
        let Some(json) = self.run::<Option<String>>(&get).await? else {
            return Ok(None);
        };
        let row: SessionRow = serde_json::from_str(&json).map_err(ApiError::internal)?;
        Ok((row.expires_at > db::now()).then_some(row))
    }

    async fn set_model(&self, token_hash: &str, model_id: &str) -> Result<(), ApiError> {
        let Some(mut row) = self.find(token_hash).await? else {
            return Ok(());
        };
        row.model_id = Some(model_id.to_owned());
        let json = serde_json::to_string(&row).map_err(ApiError::internal)?;
        // XX: only while the session exists, so a sign-out meanwhile is not undone.
        let mut set = redis::cmd("SET");
        set.arg(self.key(token_hash))
            .arg(json)
            .arg("XX")
            .arg("KEEPTTL");
        self.run::<Option<String>>(&set).await?;
        Ok(())
    }

    async fn delete(&self, token_hash: &str) -> Result<(), ApiError> {
        let mut del = redis::cmd("DEL");
        del.arg(self.key(token_hash));
        self.run::<()>(&del).await
    }

    async fn delete_of_user(&self, user_id: &str) -> Result<(), ApiError> {
        let user_key = self.user_key(user_id);
        let mut members = redis::cmd("SMEMBERS");
        members.arg(&user_key);
        let tokens: Vec<String> = self.run(&members).await?;
        let mut del = redis::cmd("DEL");
        del.arg(&user_key);
        for token in &tokens {
            del.arg(self.key(token));
        }
        self.run::<()>(&del).await
    }
}
