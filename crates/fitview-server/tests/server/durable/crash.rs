//! Accepted try-ons survive the death of the server that accepted them: `kill -9` with jobs
//! running and waiting, start again on the same data directory and database, and every job id
//! the clients were given answers `succeeded`. On PostgreSQL, two servers share the queue: the
//! one left alive finishes the jobs of the one killed mid-job.
//!
//! The shop (accounts, models, products) is made by an in-process server whose workers are then
//! closed; it keeps answering reads, which is how the test sees the jobs while no binary runs.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use super::process::{Launch, ServerProcess};
use crate::common::{Db, TestServer, fixture, on_both_databases, start};

/// A retailer with one model and `n` products with photos: (token, model, products).
async fn shop_with_products(shop: &TestServer, n: usize) -> (String, String, Vec<String>) {
    let (token, model, first) = shop.catalog().await;
    let mut products = vec![first];
    for i in 1..n {
        let (status, product) = shop
            .post(
                "/api/v1/products",
                Some(&token),
                json!({"name": format!("Shirt {i}"), "description": "Cotton", "category": "shirts",
                       "garment_category": "top", "sizes": ["M"], "price_cents": 1999,
                       "currency": "EUR", "stock": 3}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{product}");
        let id = product["id"].as_str().unwrap().to_owned();
        let garment = if i % 2 == 0 {
            "garments/shirt-striped.jpg"
        } else {
            "garments/tshirt-plain.jpg"
        };
        let (status, body) = shop.upload_garment(&token, &id, fixture(garment)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        products.push(id);
    }
    (token, model, products)
}

/// Queues a try-on of each product, `per_product` times: the job ids the clients were given.
async fn queue_try_ons(
    api: &TestServer,
    token: &str,
    model: &str,
    products: &[String],
    per_product: usize,
) -> Vec<String> {
    let mut ids = Vec::new();
    for product in products {
        for _ in 0..per_product {
            let (status, job) = api
                .post(
                    "/api/v1/tryon",
                    Some(token),
                    json!({"model_id": model, "product_id": product}),
                )
                .await;
            assert_eq!(status, StatusCode::ACCEPTED, "{job}");
            ids.push(job["job_id"].as_str().unwrap().to_owned());
        }
    }
    ids
}

/// The statuses of `ids`, read through `api`.
async fn statuses(api: &TestServer, token: &str, ids: &[String]) -> Vec<String> {
    let mut statuses = Vec::new();
    for id in ids {
        let (status, job) = api.get(&format!("/api/v1/tryon/{id}"), token).await;
        assert_eq!(status, StatusCode::OK, "{job}");
        statuses.push(job["status"].as_str().unwrap().to_owned());
    }
    statuses
}

/// Polls (bounded by count) until `pred` holds for the statuses of `ids`.
async fn wait_statuses(
    api: &TestServer,
    token: &str,
    ids: &[String],
    pred: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    for _ in 0..400 {
        let now = statuses(api, token, ids).await;
        if pred(&now) {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the jobs never reached the awaited state");
}

/// Every job answers `succeeded` through `api`, and a result image decodes.
async fn all_succeed(api: &TestServer, token: &str, ids: &[String]) {
    for id in ids {
        let job = api.wait_job(token, id).await;
        assert_eq!(job["status"], "succeeded", "{job}");
    }
    let (_, job) = api.get(&format!("/api/v1/tryon/{}", ids[0]), token).await;
    api.check_result_image(&job["result"]["images"][0]).await;
}

async fn jobs_survive_kill_9_and_finish_after_a_restart(db: Db) {
    let shop = start(db, |_| {}).await;
    let (token, model, products) = shop_with_products(&shop, 3).await;
    shop.state.shutdown().await;
    let data_dir = shop.state.config.data_dir.clone();
    let database_url = shop.state.config.database_url();
    let launch = Launch {
        data_dir: &data_dir,
        store: &data_dir,
        database_url: &database_url,
        latency_ms: 2000,
        workers: 2,
        // Longer than the test: the restarted server resumes its own jobs at once.
        lease_secs: 600,
        extra_args: &[],
    };

    let first = ServerProcess::start(&launch).await;
    let ids = queue_try_ons(&first.client(&shop), &token, &model, &products, 2).await;
    wait_statuses(&shop, &token, &ids, |s| s.iter().any(|s| s == "running")).await;
    first.kill_9();

    let at_the_crash = statuses(&shop, &token, &ids).await;
    assert!(
        at_the_crash.iter().any(|s| s == "running" || s == "queued"),
        "{at_the_crash:?}"
    );

    let second = ServerProcess::start(&launch).await;
    let api = second.client(&shop);
    all_succeed(&api, &token, &ids).await;
    let metrics = api.metrics().await;
    for line in [
        "fitview_tryon_queue_depth 0",
        "fitview_tryon_jobs_running 0",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
}

on_both_databases!(jobs_survive_kill_9_and_finish_after_a_restart);

/// Two servers on one PostgreSQL, each with its own data directory (so its own worker id) and
/// the shop's store: the one killed mid-job loses nothing, the other takes its jobs over when
/// their leases run out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_the_surviving_server_finishes_the_killed_servers_jobs() {
    let Some(db) = Db::postgres("the_surviving_server_finishes_the_killed_servers_jobs") else {
        return;
    };
    let shop = start(db, |_| {}).await;
    let (token, model, products) = shop_with_products(&shop, 3).await;
    shop.state.shutdown().await;
    let store = shop.state.config.data_dir.clone();
    let database_url = shop.state.config.database_url();
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let launch = |data_dir| Launch {
        data_dir,
        store: &store,
        database_url: &database_url,
        latency_ms: 1500,
        workers: 2,
        lease_secs: 2,
        extra_args: &[],
    };
    let a = ServerProcess::start(&launch(dir_a.path())).await;
    let b = ServerProcess::start(&launch(dir_b.path())).await;
    let ids = queue_try_ons(&a.client(&shop), &token, &model, &products, 2).await;

    // Kill `a` while it holds a job.
    let a_worker = std::fs::read_to_string(dir_a.path().join("worker-id")).unwrap();
    let mut held = 0;
    for _ in 0..400 {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM queue_jobs WHERE status = 'running' AND locked_by = $1",
        )
        .bind(a_worker.trim().to_owned())
        .fetch_one(&shop.state.db)
        .await
        .unwrap();
        held = n;
        if held > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(held > 0, "server a never held a job");
    a.kill_9();

    let api = b.client(&shop);
    all_succeed(&api, &token, &ids).await;
    let metrics = api.metrics().await;
    let expiries: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("fitview_queue_lease_expiries_total "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(expiries >= 1, "{metrics}");
}
