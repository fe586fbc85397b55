//! Password hashing with Argon2id (RustCrypto `argon2`, default parameters: 19 MiB, t=2, p=1),
//! bounded so that a flood of logins cannot exhaust memory or stall the runtime.
//!
//! [`Hashing`] runs at most a few hashes at once (about the number of cores), each on the
//! blocking pool in a memory buffer it keeps for the next hash: the server's hashing memory is
//! allocated once and is at most `permits × 19 MiB`, whatever the number of requests. A request
//! that waits longer than the queue timeout for a slot is answered 503 ([`ApiError::Busy`]).

use std::sync::Mutex;
use std::time::Duration;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::Semaphore;

use crate::error::{ApiError, ApiResult};

/// Shortest accepted password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest accepted password, in bytes: bounds the hashing work per request.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Checks a new password's length.
pub fn check_strength(password: &str) -> ApiResult<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError::Validation(format!(
            "the password must have at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(ApiError::Validation(format!(
            "the password must have at most {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    Ok(())
}

/// The server's password hashing: a few hashes at once, in reused memory.
#[derive(Debug)]
pub struct Hashing {
    permits: Semaphore,
    queue_timeout: Duration,
    /// Memory of finished hashes, kept for the next ones (at most one per permit).
    buffers: Mutex<Vec<Vec<Block>>>,
}

impl Hashing {
    /// At most `concurrency` hashes at once (0 is treated as 1); a request waits at most
    /// `queue_timeout` for its turn.
    pub fn new(concurrency: usize, queue_timeout: Duration) -> Self {
        Self {
            permits: Semaphore::new(concurrency.max(1)),
            queue_timeout,
            buffers: Mutex::new(Vec::new()),
        }
    }

    /// Hashes a password into a PHC string (`$argon2id$v=19$...`).
    pub async fn hash(&self, password: String) -> ApiResult<String> {
        self.run(move |memory| hash_with(password.as_bytes(), memory))
            .await
    }

    /// Whether `password` matches the PHC string `hash`. With `hash` `None` (unknown account) a
    /// dummy hash is checked anyway, so both cases take the same time.
    pub async fn verify(&self, password: String, hash: Option<String>) -> ApiResult<bool> {
        if password.len() > MAX_PASSWORD_BYTES {
            return Ok(false);
        }
        self.run(move |memory| {
            let known = hash.is_some();
            let hash = match hash {
                Some(hash) => hash,
                None => dummy_hash(memory)?,
            };
            let matches = verify_with(password.as_bytes(), &hash, memory)?;
            Ok(known && matches)
        })
        .await
    }

    /// Runs `work` on the blocking pool with a hashing buffer, once a permit is free.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut [Block]) -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        let _permit = tokio::time::timeout(self.queue_timeout, self.permits.acquire())
            .await
            .map_err(|_| ApiError::Busy {
                retry_after: self.queue_timeout.max(Duration::from_secs(1)),
            })?
            .map_err(|_| ApiError::Unavailable)?;
        let mut buffer = self
            .lock_buffers()
            .pop()
            .unwrap_or_else(|| vec![Block::default(); Params::default().block_count()]);
        let (buffer, result) = tokio::task::spawn_blocking(move || {
            let result = work(&mut buffer);
            (buffer, result)
        })
        .await?;
        self.lock_buffers().push(buffer);
        result
    }

    fn lock_buffers(&self) -> std::sync::MutexGuard<'_, Vec<Vec<Block>>> {
        self.buffers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A new Argon2id hash of `password` with the default parameters, computed in `memory`.
fn hash_with(password: &[u8], memory: &mut [Block]) -> ApiResult<String> {
    let params = Params::default();
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(ApiError::internal)?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password, salt_bytes, &mut out, &mut *memory)
        .map_err(ApiError::internal)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(ApiError::internal)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(ApiError::internal)?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `phc`, computed in `memory` (or, for a hash made
/// with more memory than the default, in a buffer of its own).
fn verify_with(password: &[u8], phc: &str, memory: &mut [Block]) -> ApiResult<bool> {
    let parsed = PasswordHash::new(phc).map_err(ApiError::internal)?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(ApiError::internal("a stored password hash has no salt"));
    };
    let algorithm = Algorithm::try_from(parsed.algorithm).map_err(ApiError::internal)?;
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(ApiError::internal)?
        .unwrap_or_default();
    let params = Params::try_from(&parsed).map_err(ApiError::internal)?;
    let mut salt_bytes = [0u8; 64];
    let salt = salt
        .decode_b64(&mut salt_bytes)
        .map_err(ApiError::internal)?;
    let mut own;
    let memory = if memory.len() < params.block_count() {
        own = vec![Block::default(); params.block_count()];
        own.as_mut_slice()
    } else {
        memory
    };
    let mut out = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password, salt, &mut out, memory)
        .map_err(ApiError::internal)?;
    // `Output`'s comparison takes constant time.
    Ok(Output::new(&out).map_err(ApiError::internal)? == expected)
}

/// The hash checked for unknown accounts, made once.
fn dummy_hash(memory: &mut [Block]) -> ApiResult<String> {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash.clone());
    }
    let hash = hash_with(b"not a password of anyone", memory)?;
    Ok(DUMMY.get_or_init(|| hash).clone())
}

#[cfg(test)]
mod tests {
    use argon2::PasswordVerifier;

    use super::*;

    fn hashing() -> Hashing {
        Hashing::new(2, Duration::from_secs(30))
    }

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let hashing = hashing();
        let hash = hashing.hash("correct horse".to_owned()).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            hashing
                .verify("correct horse".to_owned(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !hashing
                .verify("wrong horse".to_owned(), Some(hash))
                .await
                .unwrap()
        );
        assert!(
            !hashing
                .verify("correct horse".to_owned(), None)
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn hashes_agree_with_the_reference_implementation() {
        let hashing = hashing();
        // Ours, checked by the crate's own verifier.
        let ours = hashing.hash("correct horse".to_owned()).await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        Argon2::default()
            .verify_password(b"correct horse", &parsed)
            .unwrap();
        // The crate's, with other parameters (more memory than our buffers), checked by ours.
        let params = Params::new(32 * 1024, 1, 1, None).unwrap();
        let salt = SaltString::generate(&mut OsRng);
        let theirs = argon2::PasswordHasher::hash_password(
            &Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
            b"battery staple",
            &salt,
        )
        .unwrap()
        .to_string();
        assert!(
            hashing
                .verify("battery staple".to_owned(), Some(theirs.clone()))
                .await
                .unwrap()
        );
        assert!(
            !hashing
                .verify("battery stable".to_owned(), Some(theirs))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn a_request_waiting_longer_than_the_queue_timeout_is_refused_busy() {
        let hashing = Hashing::new(1, Duration::from_millis(1));
        let held = hashing.permits.acquire().await.unwrap();
        let error = hashing.hash("correct horse".to_owned()).await.unwrap_err();
        assert!(matches!(error, ApiError::Busy { .. }), "{error:?}");
        drop(held);
        hashing.hash("correct horse".to_owned()).await.unwrap();
        assert_eq!(hashing.lock_buffers().len(), 1, "the buffer is kept");
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_strength("short").is_err());
        assert!(check_strength("long enough").is_ok());
    }
}
