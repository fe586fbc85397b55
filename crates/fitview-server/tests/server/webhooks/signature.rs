//! Verifying a delivery as a receiver would: with the specification's algorithm written here
//! from its text, and with its reference library (Python `standardwebhooks`, when
//! `FITVIEW_PYTHON_SDKS` names a python3 that has it; .ci/services/python-sdks.sh installs it).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::receiver::Received;

/// Whether one of the `v1,` signatures of the delivery is the HMAC-SHA256 of
/// `id.timestamp.body` under `secret`'s key.
pub fn verifies(secret: &str, delivery: &Received) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    let signed = format!(
        "{}.{}.",
        delivery.header("webhook-id"),
        delivery.header("webhook-timestamp")
    );
    mac.update(signed.as_bytes());
    mac.update(&delivery.body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    delivery
        .header("webhook-signature")
        .split(' ')
        .any(|signature| signature == expected)
}

/// The reference library's verdict (`Webhook(secret).verify(body, headers)`, which also checks
/// that the timestamp is recent); `None`, after saying so, when it is not installed.
pub fn reference_verifies(secret: &str, delivery: &Received) -> Option<bool> {
    let Ok(python) = std::env::var("FITVIEW_PYTHON_SDKS") else {
        eprintln!(
            "SKIPPED the standardwebhooks check: FITVIEW_PYTHON_SDKS is not set \
             (.ci/services/python-sdks.sh installs the library and sets it)"
        );
        return None;
    };
    let script = r#"
import sys
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
secret, msg_id, timestamp, signature = sys.argv[1:5]
body = sys.stdin.buffer.read()
headers = {"webhook-id": msg_id, "webhook-timestamp": timestamp, "webhook-signature": signature}
try:
    Webhook(secret).verify(body, headers)
except WebhookVerificationError as e:
    print(e)
    sys.exit(3)
"#;
    use std::io::Write as _;
    let mut child = std::process::Command::new(python)
        .args([
            "-c",
            script,
            secret,
            delivery.header("webhook-id"),
            delivery.header("webhook-timestamp"),
            delivery.header("webhook-signature"),
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&delivery.body)
        .unwrap();
    let output = child.wait_with_output().unwrap();
    match output.status.code() {
        Some(0) => Some(true),
        Some(3) => Some(false),
        other => panic!(
            "the reference check did not run ({other:?}): {}",
            String::from_utf8_lossy(&output.stdout)
        ),
    }
}
