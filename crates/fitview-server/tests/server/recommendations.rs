//! Recommendations over real sockets (issue 15): saved measurements, the size to buy, what to
//! try on next, their events and acceptance figures, and the storefront's slots. Each test runs
//! on SQLite and, given `FITVIEW_TEST_POSTGRES_URL`, on PostgreSQL.
//!
//! The shopper under test goes through the real routes (sign-up, measurements, try-ons, events
//! the retailer reports); the crowd of other buyers whose history the models learn from goes
//! straight into the analytics buffer as the server's events, which the flush stores exactly like
//! reported ones (registering forty accounts would only slow the tests down).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::analytics::shop::{id, send_ok};
use crate::common::{self, Db, TestServer, on_both_databases};
use crate::storefront::shopper::Shopper;

on_both_databases!(
    saved_measurements_get_the_chart_size,
    a_product_that_runs_small_moves_the_answer_up,
    never_out_of_stock_never_bought,
    another_retailers_data_never_leaks,
    invalid_charts_are_refused_with_the_field_path,
    measurements_are_exported_and_deleted_with_the_account,
    acceptance_counts_sizes_followed_and_their_returns,
    the_storefront_shows_your_size_and_suggestions,
    suggestions_prefer_the_size_the_shopper_kept,
    the_refresh_is_counted_in_the_metrics,
);

/// A shirt chart: S fits a chest of 84-90 cm, M 90-96, L 96-102. Sizes are ordered by their
/// place in the object, so charts go out as text (`json!` would sort the keys).
const SHIRT_CHART: &str = r#"{"unit": "cm", "sizes": {"S": {"chest": [84, 90]}, "M": {"chest": [90, 96]},
    "L": {"chest": [96, 102]}}}"#;

/// Sends a JSON body as the text given.
async fn send_text(
    server: &TestServer,
    method: Method,
    path: &str,
    token: &str,
    body: String,
) -> (StatusCode, Value) {
    let response = server
        .client
        .request(method, format!("{}{path}", server.base))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The body of a product with this name, stock and chart (JSON text).
fn product_body(name: &str, chart: Option<&str>, stock: i64) -> String {
    let details = json!({"name": name, "description": "Cotton, blue", "category": "shirts",
                         "garment_category": "top", "sizes": ["S", "M", "L"], "colour": "Blue",
                         "price_cents": 2999, "currency": "EUR", "stock": stock})
    .to_string();
    format!(
        r#"{}, "size_chart": {}}}"#,
        details.trim_end_matches('}'),
        chart.unwrap_or("null")
    )
}

/// Adds a product; returns its id.
async fn product(
    server: &TestServer,
    token: &str,
    name: &str,
    chart: Option<&str>,
    stock: i64,
) -> String {
    let body = product_body(name, chart, stock);
    let (status, body) = send_text(server, Method::POST, "/api/v1/products", token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// Adds a product in these sizes (no chart); returns its id.
async fn product_in(server: &TestServer, token: &str, name: &str, sizes: &[&str]) -> String {
    let (status, body) = server
        .post(
            "/api/v1/products",
            Some(token),
            json!({"name": name, "description": "Cotton, blue", "category": "shirts",
                   "garment_category": "top", "sizes": sizes, "colour": "Blue",
                   "price_cents": 2999, "currency": "EUR", "stock": 5}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// An event of another buyer, straight into the analytics buffer.
pub(crate) fn crowd(
    server: &TestServer,
    kind: &str,
    user: &str,
    product: &str,
    size: Option<&str>,
    reason: Option<&str>,
) {
    let kind = fitview_insights::EventKind::parse(kind).unwrap();
    let mut pending = fitview_server::analytics::server_event(kind, user, product, None, None);
    pending.event.size = size.map(str::to_owned);
    pending.event.reason = reason.map(|r| fitview_insights::ReturnReason::parse(r).unwrap());
    server.state.analytics.record(pending);
}

/// Stores the buffered events and rebuilds every model, as the background refresh does.
pub(crate) async fn refresh(server: &TestServer) {
    server.state.analytics.flush().await.unwrap();
    server.state.recommendations.refresh_all().await;
}

/// Flushes until the server's own `kind` event about `user` is stored (a finished try-on's event
/// is recorded just after the job is marked done). Bounded by count, not time.
async fn wait_for_event(server: &TestServer, user: &str, kind: &str) {
    for _ in 0..200 {
        server.state.analytics.flush().await.unwrap();
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM analytics_events WHERE user_id = $1 AND kind = $2",
        )
        .bind(user.to_owned())
        .bind(kind.to_owned())
        .fetch_one(&server.state.db)
        .await
        .unwrap();
        if n > 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("no {kind} event of {user} was stored");
}

async fn put(server: &TestServer, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    server
        .call(Method::PUT, path, Some(token), Some(body))
        .await
}

fn names(answer: &Value) -> Vec<String> {
    answer["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn saved_measurements_get_the_chart_size(db: Db) {
    let server = common::start(db, |_| {}).await;
    let (retailer, _, _) = server.register("retailer").await;
    let shirt = product(&server, &retailer, "Oxford shirt", Some(SHIRT_CHART), 5).await;
    let (shopper, _, _) = server.register("customer").await;
    let path = format!("/api/v1/products/{shirt}/size-recommendation");

    // Nothing to go on yet: a typed refusal that says what would help.
    let (status, body) = server.get(&path, &shopper).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "no_size_basis");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("measurements")
    );
    let (status, _) = server.get("/api/v1/me/measurements", &shopper).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Bad measurements are refused with the field named.
    let (status, body) = put(
        &server,
        "/api/v1/me/measurements",
        &shopper,
        json!({"shoe": 42}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("shoe"),
        "{body}"
    );
    let (status, body) = put(
        &server,
        "/api/v1/me/measurements",
        &shopper,
        json!({"chest": 9300}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("chest"),
        "{body}"
    );

    let (status, saved) = put(
        &server,
        "/api/v1/me/measurements",
        &shopper,
        json!({"bust": 93, "height": 170}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved, json!({"chest": 93.0, "height": 170.0}));
    let (status, read) = server.get("/api/v1/me/measurements", &shopper).await;
    assert_eq!((status, &read), (StatusCode::OK, &saved));

    // The same answer before the shop's models are rebuilt (from the product's own chart) and
    // after (from the model).
    for rebuilt in [false, true] {
        if rebuilt {
            refresh(&server).await;
        }
        let (status, advice) = server.get(&path, &shopper).await;
        assert_eq!(status, StatusCode::OK, "{advice}");
        assert_eq!(advice["size"], "M", "{advice}");
        assert_eq!(
            advice["basis"],
            json!([{"layer": "chart", "measurements": 1}])
        );
        assert_eq!(advice["fit_notes"], json!([]));
        let confidence = advice["confidence"].as_f64().unwrap();
        assert!(confidence > 0.4 && confidence <= 1.0, "{advice}");
        let alternatives = advice["alternatives"].as_array().unwrap();
        assert!(
            alternatives
                .iter()
                .all(|a| a["size"] != "M" && a["confidence"].as_f64().unwrap() < confidence)
        );
    }
    // A larger chest, a larger size; unknown products are 404.
    put(
        &server,
        "/api/v1/me/measurements",
        &shopper,
        json!({"chest": 100}),
    )
    .await;
    let (_, advice) = server.get(&path, &shopper).await;
    assert_eq!(advice["size"], "L", "{advice}");
    let (status, _) = server
        .get(
            "/api/v1/products/no-such-product/size-recommendation",
            &shopper,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn a_product_that_runs_small_moves_the_answer_up(db: Db) {
    let server = common::start(db, |_| {}).await;
    let (retailer, _, _) = server.register("retailer").await;
    let small = product(&server, &retailer, "Slim shirt", Some(SHIRT_CHART), 5).await;
    let true_to_size = product(&server, &retailer, "Regular shirt", Some(SHIRT_CHART), 5).await;
    // Forty buyers of M of each; thirty sent the slim one back as too small, two the regular.
    for i in 0..40 {
        let buyer = format!("crowd-{i}");
        for p in [&small, &true_to_size] {
            crowd(&server, "purchased", &buyer, p, Some("M"), None);
        }
        if i < 30 {
            crowd(
                &server,
                "returned",
                &buyer,
                &small,
                Some("M"),
                Some("too_small"),
            );
        }
        if i < 2 {
            crowd(
                &server,
                "returned",
                &buyer,
                &true_to_size,
                Some("M"),
                Some("too_small"),
            );
        }
    }
    refresh(&server).await;
    let (shopper, _, _) = server.register("customer").await;
    put(
        &server,
        "/api/v1/me/measurements",
        &shopper,
        json!({"chest": 93}),
    )
    .await;

    let (status, advice) = server
        .get(
            &format!("/api/v1/products/{small}/size-recommendation"),
            &shopper,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{advice}");
    assert_eq!(advice["size"], "L", "one size up: {advice}");
    let notes = advice["fit_notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{advice}");
    let note = notes[0].as_str().unwrap();
    assert!(note.starts_with("Runs small: 30 of 40 buyers"), "{note}");
    assert!(
        advice["basis"]
            .as_array()
            .unwrap()
            .contains(&json!({"layer": "article", "purchases": 40}))
    );

    // Two returns of forty say nothing: the chart's size stands.
    let (_, advice) = server
        .get(
            &format!("/api/v1/products/{true_to_size}/size-recommendation"),
            &shopper,
        )
        .await;
    assert_eq!(advice["size"], "M", "{advice}");
    assert_eq!(advice["fit_notes"], json!([]));
}

async fn never_out_of_stock_never_bought(db: Db) {
    let server = common::start(db, |_| {}).await;
    let (retailer, model, tried) = server.catalog().await; // "Striped shirt", with a photo
    let liked = product(&server, &retailer, "Linen trousers", None, 5).await;
    let sold_out = product(&server, &retailer, "Silk scarf", None, 0).await;
    let owned = product(&server, &retailer, "Denim jacket", None, 5).await;
    // Other shoppers try the striped shirt on with each of the others, the same day.
    for i in 0..12 {
        let other = format!("crowd-{i}");
        for p in [&tried, &liked, &sold_out, &owned] {
            crowd(&server, "tryon_completed", &other, p, None, None);
        }
    }
    let (shopper, shopper_id, _) = server.register("customer").await;
    let (status, job) = server
        .post(
            "/api/v1/tryon",
            Some(&shopper),
            json!({"model_id": model, "product_id": tried, "wait_ms": 20000}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{job}");
    assert_eq!(job["status"], "succeeded", "{job}");
    wait_for_event(&server, &shopper_id, "tryon_completed").await;
    refresh(&server).await;
    // Since the rebuild the shopper bought the jacket (the retailer's shop reports it): the
    // model does not know, the answer does.
    send_ok(
        &server,
        &retailer,
        vec![
            json!({"id": id(), "type": "purchased", "product_id": owned, "size": "M",
                     "user_id": shopper_id, "value_cents": 2999, "currency": "EUR"}),
        ],
    )
    .await;
    server.state.analytics.flush().await.unwrap();

    let (status, for_you) = server
        .get("/api/v1/recommendations?limit=10", &shopper)
        .await;
    assert_eq!(status, StatusCode::OK, "{for_you}");
    assert_eq!(names(&for_you), ["Linen trousers"], "{for_you}");
    let first = &for_you["products"][0];
    assert_eq!(first["id"], liked.as_str());
    assert_eq!(first["reason"], "Because you tried on Striped shirt");
    assert!(first["score"].as_f64().unwrap() > 0.0);

    let (status, similar) = server
        .get(
            &format!("/api/v1/recommendations?product_id={tried}&limit=5"),
            &shopper,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{similar}");
    assert_eq!(names(&similar), ["Linen trousers"], "{similar}");
    assert_eq!(
        similar["products"][0]["reason"],
        "Often tried on with Striped shirt"
    );

    // Sold out since the last rebuild: gone at once from both answers.
    let (status, body) = put(
        &server,
        &format!("/api/v1/products/{liked}"),
        &retailer,
        json!({"name": "Linen trousers", "description": "Cotton, blue", "category": "shirts",
               "garment_category": "top", "sizes": ["S", "M", "L"], "price_cents": 2999,
               "currency": "EUR", "stock": 0}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, for_you) = server
        .get("/api/v1/recommendations?limit=10", &shopper)
        .await;
    assert!(names(&for_you).is_empty(), "{for_you}");
    let (_, similar) = server
        .get(
            &format!("/api/v1/recommendations?product_id={tried}"),
            &shopper,
        )
        .await;
    assert!(names(&similar).is_empty(), "{similar}");

    // Bounds and unknown products.
    let (status, _) = server
        .get("/api/v1/recommendations?limit=0", &shopper)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = server
        .get("/api/v1/recommendations?limit=51", &shopper)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = server
        .get(
            "/api/v1/recommendations?product_id=no-such-product",
            &shopper,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn another_retailers_data_never_leaks(db: Db) {
    let server = common::start(db, |_| {}).await;
    let (first, _, _) = server.register("retailer").await;
    let (second, _, _) = server.register("retailer").await;
    let here = product(&server, &first, "Plain tee", None, 5).await;
    let there = product(&server, &second, "Rugby shirt", None, 5).await;
    let also_there = product(&server, &second, "Polo shirt", None, 5).await;
    let (shopper, shopper_id, _) = server.register("customer").await;
    // At the second shop the shopper kept M three times, and shoppers try its two shirts on
    // together with the first shop's tee.
    let kept: Vec<Value> = (0..3)
        .map(|_| {
            json!({"id": id(), "type": "purchased", "product_id": there, "size": "M",
                   "user_id": shopper_id, "value_cents": 2999, "currency": "EUR"})
        })
        .collect();
    send_ok(&server, &second, kept).await;
    for i in 0..10 {
        let other = format!("crowd-{i}");
        for p in [&here, &there, &also_there] {
            crowd(&server, "tryon_completed", &other, p, None, None);
        }
    }
    refresh(&server).await;

    let size = |p: &str| format!("/api/v1/products/{p}/size-recommendation");
    let (status, advice) = server.get(&size(&also_there), &shopper).await;
    assert_eq!(status, StatusCode::OK, "{advice}");
    assert_eq!(advice["size"], "M", "what the shopper kept there: {advice}");
    assert_eq!(
        advice["basis"][0],
        json!({"layer": "shopper", "purchases": 3})
    );
    // The first shop's model knows nothing of that history.
    let (status, body) = server.get(&size(&here), &shopper).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "no_size_basis");

    // Like the tee: only the first shop's products, though the crowd tried all three together.
    let (status, similar) = server
        .get(
            &format!("/api/v1/recommendations?product_id={here}"),
            &shopper,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{similar}");
    assert!(names(&similar).is_empty(), "{similar}");
    // A retailer sees suggestions of its own shop only.
    let (status, own) = server.get("/api/v1/recommendations", &first).await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert_eq!(names(&own), ["Plain tee"], "{own}");
    // The shopper's own suggestions at the second shop name what they did there.
    let (_, for_you) = server.get("/api/v1/recommendations", &shopper).await;
    assert_eq!(for_you["products"][0]["name"], "Polo shirt", "{for_you}");
    assert_eq!(
        for_you["products"][0]["reason"],
        "Because you bought Rugby shirt"
    );
}

async fn invalid_charts_are_refused_with_the_field_path(db: Db) {
    let server = common::start(db, |_| {}).await;
    let (retailer, _, _) = server.register("retailer").await;
    let products = "/api/v1/products";
    for (chart, path) in [
        (
            r#"{"unit": "cm", "sizes": {"M": {"chest": [96, 90]}}}"#,
            "sizes.M.chest",
        ),
        (
            r#"{"unit": "furlong", "sizes": {"M": {"chest": [90, 96]}}}"#,
            "unit",
        ),
        (
            r#"{"unit": "cm", "sizes": {"M": {"shoe": [40, 41]}}}"#,
            "sizes.M.shoe",
        ),
        (
            r#"{"unit": "cm", "sizes": {"M": {"chest": [90, 96]}, "L": {"chest": [80, 86]}}}"#,
            "sizes.L.chest",
        ),
        (r#"{"S": {"chest_cm": 88}}"#, "unit"),
    ] {
        let body = product_body("Shirt", Some(chart), 1);
        let (status, body) = send_text(&server, Method::POST, products, &retailer, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{chart}: {body}");
        assert_eq!(body["error"]["code"], "validation");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("size_chart") && message.contains(path),
            "{chart}: {message}"
        );
    }
    // Inches are accepted, and the sizes keep their order.
    let inches = r#"{"unit": "in", "sizes": {"M": {"chest": [36, 38]}, "L": {"chest": [38, 40]}}}"#;
    let body = product_body("Shirt", Some(inches), 1);
    let (status, body) = send_text(&server, Method::POST, products, &retailer, body).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body["size_chart"],
        serde_json::from_str::<Value>(inches).unwrap()
    );
    // Updates are checked the same way.
    let id = body["id"].as_str().unwrap();
    let bad = product_body(
        "Shirt",
        Some(r#"{"unit": "cm", "sizes": {"M": {"waist": "wide"}}}"#),
        1,
    );
    let (status, body) = send_text(
        &server,
        Method::PUT,
        &format!("{products}/{id}"),
        &retailer,
        bad,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("sizes.M.waist"),
        "{body}"
    );
}

async fn measurements_are_exported_and_deleted_with_the_account(db: Db) {
    let server = common::start(db, |_| {}).await;
    let (shopper, shopper_id, _) = server.register("customer").await;
    put(
        &server,
        "/api/v1/me/measurements",
        &shopper,
        json!({"chest": 96, "waist": 81.5}),
    )
    .await;
    let (status, export) = server.get("/api/v1/me/export", &shopper).await;
    assert_eq!(status, StatusCode::OK, "{export}");
    assert_eq!(
        export["measurements"],
        json!({"chest": 96.0, "waist": 81.5})
    );

    let stored = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM shopper_measurements WHERE user_id = $1")
            .bind(shopper_id.clone())
            .fetch_one(&server.state.db)
            .await
            .unwrap()
    };
    assert_eq!(stored().await, 1);
    let (status, _) = server
        .call(Method::DELETE, "/api/v1/me", Some(&shopper), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(stored().await, 0, "the measurements went with the account");
    // Another shopper's export has none.
    let (other, _, _) = server.register("customer").await;
    let (_, export) = server.get("/api/v1/me/export", &other).await;
    assert_eq!(export["measurements"], Value::Null);
}

async fn acceptance_counts_sizes_followed_and_their_returns(db: Db) {
    let server = common::start(db, |_| {}).await;
    let (retailer, _, _) = server.register("retailer").await;
    let shirt = product(&server, &retailer, "Oxford shirt", Some(SHIRT_CHART), 5).await;
    let mut shoppers = Vec::new();
    for chest in [93, 94] {
        let (token, id, _) = server.register("customer").await;
        put(
            &server,
            "/api/v1/me/measurements",
            &token,
            json!({"chest": chest}),
        )
        .await;
        let (status, advice) = server
            .get(
                &format!("/api/v1/products/{shirt}/size-recommendation"),
                &token,
            )
            .await;
        assert_eq!(
            (status, advice["size"].as_str()),
            (StatusCode::OK, Some("M"))
        );
        shoppers.push((token, id));
    }
    refresh(&server).await;
    let (_, shown) = server
        .get("/api/v1/recommendations?limit=3", &shoppers[0].0)
        .await;
    assert_eq!(names(&shown), ["Oxford shirt"], "{shown}");
    server.state.analytics.flush().await.unwrap();
    // The first follows the advice (and keeps it), the second buys L and returns it.
    for ((token, user), size) in shoppers.iter().zip(["M", "L"]) {
        send_ok(
            &server,
            token,
            vec![json!({"id": id(), "type": "cart_added", "product_id": shirt, "size": size})],
        )
        .await;
        let mut orders = vec![json!({"id": id(), "type": "purchased", "product_id": shirt,
                                     "size": size, "user_id": user})];
        if size == "L" {
            orders.push(json!({"id": id(), "type": "returned", "product_id": shirt,
                               "size": size, "user_id": user, "reason": "too_big"}));
        }
        send_ok(&server, &retailer, orders).await;
    }
    server.state.analytics.flush().await.unwrap();

    let (status, answer) = server
        .get("/api/v1/analytics/recommendations", &retailer)
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let a = &answer["acceptance"];
    assert_eq!(a["sizes_shown"], 2, "{answer}");
    assert_eq!(a["products_shown"], 1, "{answer}");
    assert_eq!(
        a["carts"],
        json!({"after_recommendation": 2, "in_recommended_size": 1, "share": 0.5})
    );
    assert_eq!(a["purchases"]["share"], 0.5);
    assert_eq!(
        a["returns_in_recommended_size"],
        json!({"purchased": 1, "returned": 0, "rate": 0.0})
    );
    assert_eq!(
        a["returns_in_other_sizes"],
        json!({"purchased": 1, "returned": 1, "rate": 1.0})
    );
    // Only the retailer sees it.
    let (status, _) = server
        .get("/api/v1/analytics/recommendations", &shoppers[0].0)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn the_storefront_shows_your_size_and_suggestions(db: Db) {
    let server = common::start(db, |_| {}).await;
    let (retailer, model, striped) = server.catalog().await; // "Striped shirt", with a photo
    let shirt = product(&server, &retailer, "Oxford shirt", Some(SHIRT_CHART), 5).await;
    product(&server, &retailer, "Linen trousers", None, 5).await;
    refresh(&server).await;

    let mut visitor = Shopper::new(&server.base);
    let page = visitor.get(&format!("/products/{shirt}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("Your size"), "signed out: no size");
    let home = visitor.get("/").await;
    assert!(!home.body.contains("For you"), "signed out: no suggestions");

    let email = visitor.sign_up("shopper").await;
    let (status, login) = server.login(&email, "a good password").await;
    assert_eq!(status, StatusCode::OK, "{login}");
    let token = login["access_token"].as_str().unwrap();
    let page = visitor.get(&format!("/products/{shirt}")).await;
    assert!(
        !page.body.contains("Your size"),
        "no measurements yet: no size"
    );
    put(
        &server,
        "/api/v1/me/measurements",
        token,
        json!({"chest": 99}),
    )
    .await;
    let page = visitor.get(&format!("/products/{shirt}")).await;
    assert!(
        page.body.contains("Your size: <strong>L</strong>"),
        "{}",
        page.body
    );

    let home = visitor.get("/").await;
    assert!(home.body.contains("id=\"for-you\""), "{}", home.body);
    let slot = &home.body[home.body.find("id=\"for-you\"").unwrap()..];
    let slot = &slot[..slot.find("</section>").unwrap()];
    assert!(
        slot.contains("Linen trousers") && slot.contains("Popular in the shop"),
        "{slot}"
    );

    // Under a finished try-on: products like the one tried on, with the reason.
    let (status, job) = server
        .post(
            "/api/v1/tryon",
            Some(token),
            json!({"model_id": model, "product_id": striped, "wait_ms": 20000}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{job}");
    let result = visitor
        .get(&format!("/tryons/{}", job["job_id"].as_str().unwrap()))
        .await;
    assert_eq!(result.status, StatusCode::OK, "{}", result.body);
    let slot = &result.body[result
        .body
        .find("id=\"also-like\"")
        .expect("a you-may-also-like slot")..];
    let slot = &slot[..slot.find("</section>").unwrap()];
    assert!(slot.contains("You may also like"), "{slot}");
    assert!(
        slot.contains("Oxford shirt") && slot.contains("Linen trousers"),
        "{slot}"
    );
    assert!(slot.contains("Similar in style to Striped shirt"), "{slot}");
}

async fn suggestions_prefer_the_size_the_shopper_kept(db: Db) {
    let server = common::start(db, |_| {}).await;
    let (retailer, _, _) = server.register("retailer").await;
    let kept = product_in(&server, &retailer, "Rugby shirt", &["S", "M", "L"]).await;
    let in_m = product_in(&server, &retailer, "Plain polo", &["S", "M", "L"]).await;
    let no_m = product_in(&server, &retailer, "Wide polo", &["S", "L"]).await;
    let (shopper, shopper_id, _) = server.register("customer").await;
    // The shopper kept M three times (the shop reports it).
    let purchases: Vec<Value> = (0..3)
        .map(|_| {
            json!({"id": id(), "type": "purchased", "product_id": kept, "size": "M",
                   "user_id": shopper_id, "value_cents": 2999, "currency": "EUR"})
        })
        .collect();
    send_ok(&server, &retailer, purchases).await;
    // The crowd tries both polos on with the rugby shirt equally often, and the wide one once
    // more on its own: the two are equal but for the wide one's popularity, which would put it
    // first.
    for i in 0..6 {
        let other = format!("crowd-{i}");
        for p in [&kept, &in_m, &no_m] {
            crowd(&server, "tryon_completed", &other, p, None, None);
        }
    }
    crowd(&server, "tryon_completed", "crowd-alone", &no_m, None, None);
    refresh(&server).await;

    let (status, advice) = server
        .get(
            &format!("/api/v1/products/{in_m}/size-recommendation"),
            &shopper,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{advice}");
    assert_eq!(advice["size"], "M", "{advice}");

    // For the shopper, the polo stocked in M first; the one without M after it.
    let (status, for_you) = server.get("/api/v1/recommendations", &shopper).await;
    assert_eq!(status, StatusCode::OK, "{for_you}");
    assert_eq!(names(&for_you), ["Plain polo", "Wide polo"], "{for_you}");
    assert_eq!(
        for_you["products"][0]["reason"],
        "Because you bought Rugby shirt"
    );
    let score = |answer: &Value, i: usize| answer["products"][i]["score"].as_f64().unwrap();
    assert!(score(&for_you, 0) > score(&for_you, 1), "{for_you}");
    let (status, similar) = server
        .get(
            &format!("/api/v1/recommendations?product_id={kept}"),
            &shopper,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{similar}");
    assert_eq!(names(&similar), ["Plain polo", "Wide polo"], "{similar}");

    // A shopper of no known size sees the more popular wide polo first, like the rugby shirt.
    let (newcomer, _, _) = server.register("customer").await;
    let (_, similar) = server
        .get(
            &format!("/api/v1/recommendations?product_id={kept}"),
            &newcomer,
        )
        .await;
    assert_eq!(names(&similar), ["Wide polo", "Plain polo"], "{similar}");
}

/// The value of the metric named `name` (no labels) on a `/metrics` page.
fn metric(page: &str, name: &str) -> f64 {
    let prefix = format!("{name} ");
    page.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        .parse()
        .unwrap()
}

async fn the_refresh_is_counted_in_the_metrics(db: Db) {
    let server = common::start(db, |_| {}).await;
    let before = server.metrics().await;
    assert_eq!(
        metric(&before, "fitview_recommend_refresh_failures_total"),
        0.0
    );
    assert_eq!(
        metric(&before, "fitview_recommend_oldest_model_age_seconds"),
        0.0,
        "no model yet"
    );
    let started = fitview_server::db::now() as f64;

    let (retailer, retailer_id, _) = server.register("retailer").await;
    product(&server, &retailer, "Oxford shirt", Some(SHIRT_CHART), 5).await;
    refresh(&server).await;
    let after = server.metrics().await;
    let refreshes = metric(&after, "fitview_recommend_refreshes_total");
    assert!(
        refreshes >= metric(&before, "fitview_recommend_refreshes_total") + 1.0,
        "{after}"
    );
    assert!(metric(&after, "fitview_recommend_last_refresh_seconds") > 0.0);
    assert!(
        metric(
            &after,
            "fitview_recommend_last_refresh_success_timestamp_seconds"
        ) >= started
    );
    assert!(metric(&after, "fitview_recommend_oldest_model_age_seconds") >= 0.0);
    assert_eq!(
        metric(&after, "fitview_recommend_refresh_failures_total"),
        0.0
    );

    // A rebuild that cannot read its rows is a failure; the model built before keeps answering.
    sqlx::query("DROP TABLE order_lines")
        .execute(&server.state.db)
        .await
        .unwrap();
    server.state.recommendations.refresh_all().await;
    let failed = server.metrics().await;
    assert!(
        metric(&failed, "fitview_recommend_refresh_failures_total") >= 1.0,
        "{failed}"
    );
    assert!(server.state.recommendations.model(&retailer_id).is_some());
}

/// `--recommend-refresh-secs` and `FITVIEW_RECOMMEND_REFRESH_SECS` outside 10..=86400 stop the
/// server before it starts, saying why.
#[test]
fn a_refresh_interval_out_of_bounds_is_refused_at_start() {
    let data = tempfile::tempdir().unwrap();
    // Runs the server with `args` and `env`; its exit code and stderr (a server that starts
    // is stopped after a bounded wait and reported as such).
    let run = |args: &[&str], env: Option<&str>| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_fitview-server"));
        command
            .args(["--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data.path())
            .args(args)
            .env_remove("FITVIEW_RECOMMEND_REFRESH_SECS")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        if let Some(value) = env {
            command.env("FITVIEW_RECOMMEND_REFRESH_SECS", value);
        }
        let mut child = command.spawn().unwrap();
        for _ in 0..200 {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
        }
        let output = child.wait_with_output().unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    for ((code, stderr), says) in [
        (
            run(&["--recommend-refresh-secs", "5"], None),
            "5 s is outside 10..=86400 seconds",
        ),
        (
            run(&[], Some("a day")),
            "\"a day\" is not a whole number of seconds",
        ),
    ] {
        assert_eq!(code, Some(2), "the server started: {stderr}");
        assert!(stderr.contains("--recommend-refresh-secs"), "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
    }
}
