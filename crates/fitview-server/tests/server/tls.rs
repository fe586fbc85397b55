//! HTTPS served by the server itself: a self-signed certificate made here, a client that trusts
//! exactly that certificate, and the API used over it.

use std::path::Path;
use std::time::Duration;

use crate::common::{Db, TestServer, mock_engine, test_state};
use fitview_server::tls::{TlsError, server_config};
use reqwest::StatusCode;

/// A self-signed certificate for 127.0.0.1 and localhost: (certificate PEM, key PEM).
fn self_signed() -> (String, String) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap();
    (certified.cert.pem(), certified.signing_key.serialize_pem())
}

/// Starts an HTTPS server with `cert`/`key` written to files; the client trusts only `cert`.
async fn start_https(dir: &Path, cert: &str, key: &str) -> TestServer {
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    std::fs::write(&cert_path, cert).unwrap();
    std::fs::write(&key_path, key).unwrap();
    let (state, data) = test_state(Db::Sqlite, mock_engine(), |_| {}).await;
    let tls = server_config(&cert_path, &key_path).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(fitview_server::serve_tls(
        listener,
        tls,
        state.clone(),
        std::future::pending(),
    ));
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(cert.as_bytes()).unwrap()])
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    TestServer::new(format!("https://{addr}"), client, state, data)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_is_served_over_https_with_the_configured_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed();
    let server = start_https(dir.path(), &cert, &key).await;
    assert!(server.base.starts_with("https://127.0.0.1:"));

    let response = server
        .client
        .get(format!("{}/health", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().contains_key("x-request-id"));

    // The whole API works over it: an account, then an authenticated call.
    let (token, user_id, _) = server.register("customer").await;
    let (status, me) = server.get("/api/v1/me", &token).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["id"], user_id.as_str());

    // A client that does not trust the certificate is refused by its own TLS check...
    let _ = rustls::crypto::ring::default_provider().install_default();
    let other = self_signed().0;
    let stranger = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(other.as_bytes()).unwrap()])
        .build()
        .unwrap();
    let refused = stranger.get(format!("{}/health", server.base)).send().await;
    assert!(refused.is_err(), "{refused:?}");
    // ...and plain HTTP to the HTTPS port gets no HTTP answer.
    let plain = reqwest::Client::new()
        .get(server.base.replacen("https://", "http://", 1) + "/health")
        .timeout(Duration::from_secs(15))
        .send()
        .await;
    assert!(plain.is_err(), "{plain:?}");

    // The server still serves after those failed handshakes.
    let (status, _) = server.get("/api/v1/me", &token).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn unusable_certificate_files_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&cert_path, &cert).unwrap();
    std::fs::write(&key_path, &key).unwrap();
    std::fs::write(&garbage, "not a pem file").unwrap();

    let missing = dir.path().join("missing.pem");
    assert!(matches!(
        server_config(&missing, &key_path),
        Err(TlsError::Pem { .. })
    ));
    assert!(matches!(
        server_config(&garbage, &key_path),
        Err(TlsError::Pem { .. })
    ));
    assert!(matches!(
        server_config(&cert_path, &garbage),
        Err(TlsError::Pem { .. })
    ));
    // A key that does not belong to the certificate.
    let (_, other_key) = self_signed();
    let other_key_path = dir.path().join("other-key.pem");
    std::fs::write(&other_key_path, other_key).unwrap();
    assert!(matches!(
        server_config(&cert_path, &other_key_path),
        Err(TlsError::Rustls(_))
    ));
    assert!(server_config(&cert_path, &key_path).is_ok());
}
