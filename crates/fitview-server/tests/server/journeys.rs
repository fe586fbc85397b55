//! The retailer's and the customer's journeys, over a real socket.

use crate::common::{Db, fixture, start};
use image::GenericImageView;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn retailer_journey(db: Db) {
    let server = start(db, |_| {}).await;
    let (token, _, _) = server.register("retailer").await;

    // Two models with metadata and landmarks.
    let landmarks = String::from_utf8(fixture("persons/slim-light-full.landmarks.json")).unwrap();
    let (status, slim) = server
        .upload_model(
            &token,
            fixture("persons/slim-light-full.jpg"),
            "slim.jpg",
            &[
                ("name", "Asha"),
                ("body_type", "slim"),
                ("size", "S"),
                ("height_cm", "168"),
                ("skin_tone", "light"),
                ("measurements", r#"{"chest_cm": 84}"#),
                ("landmarks", &landmarks),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{slim}");
    assert_eq!(slim["body_type"], "slim");
    assert_eq!(slim["measurements"]["chest_cm"], 84);
    assert!(slim["landmarks"]["neck"].is_array());
    let (status, curvy) = server
        .upload_model(
            &token,
            fixture("persons/curvy-tan-full.jpg"),
            "curvy.jpg",
            &[("name", "Mira"), ("body_type", "curvy"), ("size", "L")],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{curvy}");

    // The stored photo is the uploaded one, with its size.
    let photo = server
        .fetch_image_authed(&token, slim["image"]["url"].as_str().unwrap())
        .await;
    assert_eq!(
        photo.dimensions(),
        (
            slim["image"]["width"].as_u64().unwrap() as u32,
            slim["image"]["height"].as_u64().unwrap() as u32
        )
    );

    let (status, list) = server.get("/api/v1/models?body_type=curvy", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["name"], "Mira");
    let (_, list) = server.get("/api/v1/models?size=S", &token).await;
    assert_eq!(list[0]["name"], "Asha");

    // Products: create, photo, filters, search, update, categories.
    let (status, shirt) = server
            .post("/api/v1/products", Some(&token), json!({
                "name": "Striped shirt", "description": "Cotton with blue stripes", "category": "shirts",
                "garment_category": "top", "sizes": ["S", "M"], "colour": "Blue", "price_cents": 2999,
                "stock": 3, "size_chart": {"unit": "cm", "sizes": {"S": {"chest": [84, 90]}}}}))
            .await;
    assert_eq!(status, StatusCode::CREATED, "{shirt}");
    let shirt_id = shirt["id"].as_str().unwrap().to_owned();
    let (status, jeans) = server
            .post("/api/v1/products", Some(&token), json!({
                "name": "Blue jeans", "description": "Denim, straight leg", "category": "trousers",
                "garment_category": "bottom", "sizes": ["M", "L"], "colour": "indigo", "price_cents": 5999}))
            .await;
    assert_eq!(status, StatusCode::CREATED, "{jeans}");
    assert_eq!(jeans["in_stock"], false);
    let (status, with_photo) = server
        .upload_garment(&token, &shirt_id, fixture("garments/shirt-striped.jpg"))
        .await;
    assert_eq!(status, StatusCode::OK, "{with_photo}");
    assert!(with_photo["image"]["width"].as_u64().unwrap() > 0);

    for (query, expected) in [
        ("category=shirts", vec!["Striped shirt"]),
        ("size=L", vec!["Blue jeans"]),
        ("colour=blue", vec!["Striped shirt"]),
        ("min_price_cents=3000", vec!["Blue jeans"]),
        ("max_price_cents=3000", vec!["Striped shirt"]),
        ("q=denim", vec!["Blue jeans"]),
        ("q=STRIPES", vec!["Striped shirt"]),
        ("q=100%25", vec![]),
    ] {
        let (status, list) = server
            .get(&format!("/api/v1/products?{query}"), &token)
            .await;
        assert_eq!(status, StatusCode::OK, "{query}: {list}");
        let names: Vec<_> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(names, expected, "{query}");
    }
    let (status, updated) = server
            .call(Method::PUT, &format!("/api/v1/products/{shirt_id}"), Some(&token), Some(json!({
                "name": "Striped shirt", "description": "Cotton with blue stripes", "category": "shirts",
                "garment_category": "top", "sizes": ["S", "M", "L"], "price_cents": 2499, "stock": 0})))
            .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["price_cents"], 2499);
    assert_eq!(updated["in_stock"], false);
    assert!(updated["image"].is_object(), "the photo is kept: {updated}");
    let (_, categories) = server.get("/api/v1/categories", &token).await;
    assert_eq!(
        categories,
        json!([{"category": "shirts", "products": 1}, {"category": "trousers", "products": 1}])
    );

    // Try-on: queued, polled, fetched; then cached.
    let slim_id = slim["id"].as_str().unwrap();
    let (status, job) = server
        .post(
            "/api/v1/tryon",
            Some(&token),
            json!({"model_id": slim_id, "product_id": shirt_id}),
        )
        .await;
    assert!(
        status == StatusCode::ACCEPTED || status == StatusCode::OK,
        "{status} {job}"
    );
    assert_eq!(job["cached"], false);
    let job = server
        .wait_job(&token, job["job_id"].as_str().unwrap())
        .await;
    assert_eq!(job["status"], "succeeded", "{job}");
    server.check_result_image(&job["result"]["images"][0]).await;

    let (status, again) = server
        .post(
            "/api/v1/tryon",
            Some(&token),
            json!({"model_id": slim_id, "product_id": shirt_id}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["cached"], true);
    assert_eq!(again["result"]["key"], job["result"]["key"]);

    // A product without a photo cannot be tried on.
    let (status, body) = server
        .post(
            "/api/v1/tryon",
            Some(&token),
            json!({"model_id": slim_id, "product_id": jeans["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // Popularity counts try-ons.
    let (_, popular) = server.get("/api/v1/models?sort=popular", &token).await;
    assert_eq!(popular[0]["id"], slim["id"]);
    assert!(popular[0]["popularity"].as_i64().unwrap() >= 1);

    // Metrics saw a miss and a hit.
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("fitview_tryon_cache_hits_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("fitview_provider_calls_total 1"),
        "{metrics}"
    );

    // Deleting a product removes it and its cached results.
    let (status, _) = server
        .call(
            Method::DELETE,
            &format!("/api/v1/products/{shirt_id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server
        .post(
            "/api/v1/tryon",
            Some(&token),
            json!({"model_id": slim_id, "product_id": shirt_id}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn customer_journey(db: Db) {
    let server = start(db, |_| {}).await;
    let (_, model_id, product_id) = server.catalog().await;
    let (token, _, _) = server.register("customer").await;

    // The storefront: every retailer's catalog.
    let (status, products) = server.get("/api/v1/products?q=shirt", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(products[0]["id"], product_id.as_str());
    let (_, models) = server.get("/api/v1/models", &token).await;
    assert_eq!(models[0]["id"], model_id.as_str());

    // Waiting for the result answers 200 with it.
    let (status, job) = server
        .post(
            "/api/v1/tryon",
            Some(&token),
            json!({"model_id": model_id, "product_id": product_id, "wait_ms": 30000}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{job}");
    assert_eq!(job["status"], "succeeded");
    let url = job["result"]["images"][0]["url"].as_str().unwrap();
    assert_eq!(server.fetch_image(url).await.height(), 1024);
    let job_id = job["job_id"].as_str().unwrap();

    let (status, feedback) = server
        .post(
            &format!("/api/v1/tryon/{job_id}/feedback"),
            Some(&token),
            json!({"rating": 5, "comment": "fits"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{feedback}");
    let (status, _) = server
        .post(
            &format!("/api/v1/tryon/{job_id}/feedback"),
            Some(&token),
            json!({"rating": 9}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // One feedback per try-on: a second is refused, however often it is sent.
    for _ in 0..3 {
        let (status, body) = server
            .post(
                &format!("/api/v1/tryon/{job_id}/feedback"),
                Some(&token),
                json!({"rating": 1, "comment": "changed my mind"}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
    }

    let (status, history) = server.get("/api/v1/tryon/history", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(history.as_array().unwrap().len(), 1);
    assert_eq!(history[0]["job_id"], job_id);

    // GDPR: export, then delete.
    let (status, export) = server.get("/api/v1/me/export", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(export["tryons"][0]["job_id"], job_id);
    assert_eq!(export["feedback"][0]["rating"], 5);
    assert!(export["user"].get("password_hash").is_none());
    let email = export["user"]["email"].as_str().unwrap().to_owned();
    let (status, _) = server
        .call(Method::DELETE, "/api/v1/me", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server.login(&email, "a good password").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The deleted account's still-unexpired token opens nothing any more.
    let (status, _) = server.get(&format!("/api/v1/tryon/{job_id}"), &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn tokens_refresh_once_and_logout_revokes(db: Db) {
    let server = start(db, |_| {}).await;
    let (access, _, refresh) = server.register("customer").await;
    let (status, me) = server.get("/api/v1/me", &access).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["role"], "customer");

    let (status, rotated) = server
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": refresh}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_refresh = rotated["refresh_token"].as_str().unwrap().to_owned();
    // The old one is single use; reusing it revokes the whole family.
    let (status, _) = server
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": refresh}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = server
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": new_refresh}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Logout revokes.
    let (_, _, refresh) = server.register("customer").await;
    let (status, _) = server
        .post(
            "/api/v1/auth/logout",
            None,
            json!({"refresh_token": refresh}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": refresh}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn deleting_a_retailer_erases_the_results_of_its_photos(db: Db) {
    let server = start(db, |_| {}).await;
    let (retailer, model, product) = server.catalog().await;
    let (customer, _, _) = server.register("customer").await;
    let (status, job) = server
        .post(
            "/api/v1/tryon",
            Some(&customer),
            json!({"model_id": model, "product_id": product, "wait_ms": 30000}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{job}");
    let url = job["result"]["images"][0]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    server.fetch_image(&url).await;
    let job_id = job["job_id"].as_str().unwrap();
    let variations = format!("/api/v1/tryon/{job_id}/variations");
    let (status, variation) = server
        .post(&variations, Some(&customer), json!({"style": "casual"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{variation}");
    let store = server.state.results.store();
    assert_eq!(store.keys().await.unwrap().len(), 2);

    let (status, _) = server
        .call(Method::DELETE, "/api/v1/me", Some(&retailer), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(store.keys().await.unwrap().is_empty());
    let response = server
        .client
        .get(format!("{}{url}", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // No record of the erased results is left to answer from.
    let (left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM tryon_results")
        .fetch_one(&server.state.db)
        .await
        .unwrap();
    assert_eq!(left, 0);
    let (status, again) = server
        .post(&variations, Some(&customer), json!({"style": "casual"}))
        .await;
    assert_ne!(status, StatusCode::OK, "{again}");
}

/// Does any file of `dir` hold any of `needles`? The files and needles found.
fn files_holding(dir: &std::path::Path, needles: &[&str]) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_file() {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        for needle in needles {
            if bytes
                .windows(needle.len())
                .any(|window| window == needle.as_bytes())
            {
                found.push((path.display().to_string(), (*needle).to_owned()));
            }
        }
    }
    found
}

async fn an_erased_account_leaves_no_bytes_in_the_database_files(db: Db) {
    let sqlite = matches!(db, Db::Sqlite);
    let server = start(db, |_| {}).await;
    let (_, model, product) = server.catalog().await;
    let email = crate::common::email("erased");
    let name = format!("Erased Person {}", uuid::Uuid::new_v4().simple());
    let comment = format!("a private remark {}", uuid::Uuid::new_v4().simple());
    let (status, account) = server
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": email, "password": "a good password", "display_name": name}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{account}");
    let token = account["access_token"].as_str().unwrap();
    let (status, job) = server
        .post(
            "/api/v1/tryon",
            Some(token),
            json!({"model_id": model, "product_id": product, "wait_ms": 30000}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{job}");
    let job_id = job["job_id"].as_str().unwrap();
    let (status, body) = server
        .post(
            &format!("/api/v1/tryon/{job_id}/feedback"),
            Some(token),
            json!({"rating": 4, "comment": comment}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (hash,): (String,) = sqlx::query_as("SELECT password_hash FROM users WHERE email = $1")
        .bind(email.clone())
        .fetch_one(&server.state.db)
        .await
        .unwrap();
    let needles = [
        email.as_str(),
        name.as_str(),
        comment.as_str(),
        hash.as_str(),
    ];
    let dir = server.state.config.data_dir.clone();
    if sqlite {
        assert!(
            !files_holding(&dir, &needles).is_empty(),
            "the check sees the data"
        );
    }

    let (status, _) = server
        .call(Method::DELETE, "/api/v1/me", Some(token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (rows,): (i64,) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM users WHERE email = $1) + \
                (SELECT COUNT(*) FROM feedback WHERE comment = $2)",
    )
    .bind(email.clone())
    .bind(comment.clone())
    .fetch_one(&server.state.db)
    .await
    .unwrap();
    assert_eq!(rows, 0);
    if sqlite {
        let found = files_holding(&dir, &needles);
        assert!(found.is_empty(), "{found:?}");
    }
}

crate::common::on_both_databases!(
    retailer_journey,
    customer_journey,
    tokens_refresh_once_and_logout_revokes,
    deleting_a_retailer_erases_the_results_of_its_photos,
    an_erased_account_leaves_no_bytes_in_the_database_files,
);
