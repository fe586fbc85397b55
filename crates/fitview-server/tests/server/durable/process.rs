//! The real `fitview-server` binary as a child process: started on a data directory and a
//! database, killed with SIGKILL like a crashed machine.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::{SECRET, TestServer};

/// A running `fitview-server` process.
pub struct ServerProcess {
    pub base: String,
    child: Child,
}

/// How to start one.
pub struct Launch<'a> {
    /// Its own data directory (database file for SQLite, worker id).
    pub data_dir: &'a Path,
    /// Where uploads and results live (shared by servers that serve the same shop).
    pub store: &'a Path,
    pub database_url: &'a str,
    /// How long each mock provider call takes.
    pub latency_ms: u64,
    pub workers: usize,
    pub lease_secs: u64,
    /// More flags, as the operator would type them.
    pub extra_args: &'a [&'a str],
}

impl ServerProcess {
    /// Starts the binary and waits (by count, not time) until it answers `/ready`.
    pub async fn start(launch: &Launch<'_>) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_fitview-server"))
            .arg("--addr")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(launch.data_dir)
            .arg("--store")
            .arg(launch.store)
            .arg("--database-url")
            .arg(launch.database_url)
            .args(["--provider", "mock"])
            .arg("--mock-latency-ms")
            .arg(launch.latency_ms.to_string())
            .arg("--workers")
            .arg(launch.workers.to_string())
            .arg("--job-lease-secs")
            .arg(launch.lease_secs.to_string())
            .args(["--tryon-per-minute", "1000"])
            .args(launch.extra_args)
            .env("FITVIEW_JWT_SECRET", SECRET)
            .env("FITVIEW_LOG", "warn")
            .env_remove("FITVIEW_REDIS_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        // Owned at once, so the process is killed and reaped on every path (Drop).
        let server = ServerProcess {
            base: format!("http://127.0.0.1:{port}"),
            child,
        };
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if let Ok(response) = client.get(format!("{}/ready", server.base)).send().await
                && response.status().is_success()
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("fitview-server did not become ready at {}", server.base);
    }

    /// Kills the process with SIGKILL: no shutdown, no drain, like a machine that died.
    pub fn kill_9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Stops the process with SIGTERM, as an operator or a service manager would, and waits
    /// until it has drained and exited.
    pub fn stop(mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -TERM: {status}");
        let exit = self.child.wait().unwrap();
        assert!(exit.success(), "a graceful stop exits 0: {exit}");
    }

    /// A client of this process, with the test helpers of `like` (whose state stays the
    /// in-process server's).
    pub fn client(&self, like: &TestServer) -> TestServer {
        TestServer::new(
            self.base.clone(),
            reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            like.state.clone(),
            tempfile::tempdir().unwrap(),
        )
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
