//! The pages over real sockets, on SQLite and PostgreSQL: search, escaping, headers, sessions,
//! CSRF, carts and checkout.

use reqwest::StatusCode;
use serde_json::json;

use super::shopper::Shopper;
use crate::common::{self, Db, TestServer, on_both_databases};

/// Adds a product (with the catalog's garment photo) for a retailer; returns its id.
async fn product(server: &TestServer, token: &str, name: &str, description: &str) -> String {
    let (status, product) = server
        .post(
            "/api/v1/products",
            Some(token),
            json!({"name": name, "description": description, "category": "shirts",
                   "garment_category": "top", "sizes": ["S", "M"], "colour": "blue",
                   "price_cents": 2500, "currency": "EUR", "stock": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{product}");
    let id = product["id"].as_str().unwrap().to_owned();
    let (status, body) = server
        .upload_garment(token, &id, common::fixture("garments/shirt-striped.jpg"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    id
}

/// Where each name first appears in the page, in the order given (`None` when absent).
fn positions(html: &str, names: &[&str]) -> Vec<Option<usize>> {
    names.iter().map(|n| html.find(&format!(">{n}<"))).collect()
}

async fn search_ranks_the_better_match_first(db: Db) {
    let server = common::start(db, |_| {}).await;
    let (token, _, _) = server.register("retailer").await;
    let tee = product(
        &server,
        &token,
        "Plain tee",
        "Wear it under a striped shirt.",
    )
    .await;
    product(&server, &token, "Shirt with blue stripes", "Cotton poplin.").await;
    product(&server, &token, "Straight jeans", "Indigo denim.").await;
    let mut shopper = Shopper::new(&server.base);

    let page = shopper.get("/?q=striped+shirt").await;
    assert_eq!(page.status, StatusCode::OK);
    let found = positions(
        &page.body,
        &["Shirt with blue stripes", "Plain tee", "Straight jeans"],
    );
    assert!(found[0].is_some() && found[1].is_some(), "{}", page.body);
    assert!(found[0] < found[1], "the name's match ranks first");
    assert_eq!(found[2], None, "jeans match neither word");

    // The API's search is the same search, in any word order.
    let (status, body) = server
        .get("/api/v1/products?q=shirt%20striped", &token)
        .await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Shirt with blue stripes", "Plain tee"]);

    // The index follows edits and deletions.
    let (status, _) = server
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/products/{tee}"),
            Some(&token),
            Some(
                json!({"name": "Plain tee", "description": "Soft cotton.", "category": "shirts",
                   "garment_category": "top", "sizes": ["S"], "colour": "white",
                   "price_cents": 1900, "currency": "EUR", "stock": 5}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let page = shopper.get("/?q=striped+shirt").await;
    assert_eq!(positions(&page.body, &["Plain tee"]), [None], "edited away");
    let page = shopper.get("/?q=soft").await;
    assert!(page.body.contains(">Plain tee<"));
    let (status, _) = server
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/products/{tee}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let page = shopper.get("/?q=soft").await;
    assert!(!page.body.contains(">Plain tee<"));
}

async fn typed_text_is_escaped_and_pages_are_locked_down(db: Db) {
    let server = common::start(db, |_| {}).await;
    let (token, _, _) = server.register("retailer").await;
    let id = product(
        &server,
        &token,
        "<script>alert(1)</script> shirt",
        "\"><img src=x onerror=alert(2)>",
    )
    .await;
    let mut shopper = Shopper::new(&server.base);
    for path in ["/".to_owned(), format!("/products/{id}")] {
        let page = shopper.get(&path).await;
        assert_eq!(page.status, StatusCode::OK);
        // The template engine escapes `<` and `>` as numeric character references.
        assert!(
            page.body
                .contains("&#60;script&#62;alert(1)&#60;/script&#62; shirt"),
            "{path}"
        );
        assert!(!page.body.contains("<script>alert"), "{path}");
        assert!(!page.body.contains("<img src=x"), "{path}");
        let csp = page.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(page.headers["x-frame-options"], "DENY");
        assert_eq!(page.headers["referrer-policy"], "same-origin");
    }
    // The assets the page names are served for a year.
    let page = shopper.get("/").await;
    let css = page.body.split("href=\"/assets/").nth(1).unwrap();
    let css = &css[..css.find('"').unwrap()];
    let asset = shopper.get(&format!("/assets/{css}")).await;
    assert_eq!(asset.status, StatusCode::OK);
    assert!(
        asset.headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert_eq!(
        shopper.get("/assets/app.0000.css").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn forms_need_the_sessions_token(db: Db) {
    let server = common::start(db, |_| {}).await;
    let (token, _, _) = server.register("retailer").await;
    let id = product(&server, &token, "Oxford shirt", "Blue.").await;
    let mut shopper = Shopper::new(&server.base);
    shopper.sign_up("ann").await;
    let csrf = shopper.csrf_of("/cart").await;

    let forms: [&[(&str, &str)]; 3] = [
        &[("product_id", &id), ("size", "M")],
        &[("csrf", "forged"), ("product_id", &id), ("size", "M")],
        &[("csrf", ""), ("product_id", &id), ("size", "M")],
    ];
    for fields in forms {
        let refused = shopper.post("/cart/add", fields).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    }
    // A token of another session is no better.
    let mut other = Shopper::new(&server.base);
    let other_csrf = other.csrf_of("/signin").await;
    let refused = shopper
        .post(
            "/cart/add",
            &[("csrf", &other_csrf), ("product_id", &id), ("size", "M")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let cart = shopper.get("/cart").await;
    assert!(cart.body.contains("Your cart is empty"));

    let added = shopper
        .post(
            "/cart/add",
            &[("csrf", &csrf), ("product_id", &id), ("size", "M")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    assert!(shopper.get("/cart").await.body.contains(">Oxford shirt<"));
    // Signing out needs the token too.
    let refused = shopper.post("/signout", &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

async fn sessions_end_at_sign_out_and_carts_stay_with_their_owner(db: Db) {
    let server = common::start(db, |_| {}).await;
    let (token, _, _) = server.register("retailer").await;
    let id = product(&server, &token, "Linen shirt", "White.").await;

    let mut ann = Shopper::new(&server.base);
    let ann_email = ann.sign_up("ann").await;
    let cookie = ann.cookie().unwrap().to_owned();
    assert!(cookie.starts_with("fitview_session="));
    let csrf = ann.csrf_of("/cart").await;
    ann.post(
        "/cart/add",
        &[("csrf", &csrf), ("product_id", &id), ("size", "S")],
    )
    .await;
    let cart = ann.get("/cart").await;
    let line = cart.body.split("action=\"/cart/lines/").nth(1).unwrap();
    let line_id = line[..line.find('"').unwrap()].to_owned();

    // Bob sees his own (empty) cart and cannot change Ann's.
    let mut bob = Shopper::new(&server.base);
    bob.sign_up("bob").await;
    assert!(bob.get("/cart").await.body.contains("Your cart is empty"));
    let bob_csrf = bob.csrf_of("/cart").await;
    let refused = bob
        .post(
            &format!("/cart/lines/{line_id}"),
            &[("csrf", &bob_csrf), ("quantity", "0")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert!(ann.get("/cart").await.body.contains(">Linen shirt<"));

    // Signing out ends the session on the server: the old cookie opens nothing.
    let out = ann.post("/signout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(
        out.headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let mut replay = Shopper::with_cookie(&server.base, &cookie);
    let cart = replay.get("/cart").await;
    assert_eq!(cart.status, StatusCode::SEE_OTHER);
    assert!(cart.location().starts_with("/signin"));

    // The cart is on the server: a new browser signing in finds it.
    let mut again = Shopper::new(&server.base);
    let csrf = again.csrf_of("/signin").await;
    let wrong = again
        .post(
            "/signin",
            &[
                ("csrf", &csrf),
                ("login", &ann_email),
                ("password", "not it at all"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("That email or password is not right."));
    let done = again
        .post(
            "/signin",
            &[
                ("csrf", &csrf),
                ("login", &ann_email),
                ("password", "a good password"),
                ("next", "/cart"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), "/cart");
    let cookie = done.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert!(!cookie.contains("Secure"), "plain HTTP");
    assert!(again.get("/cart").await.body.contains(">Linen shirt<"));
}

async fn checkout_hands_the_cart_to_the_retailer(db: Db) {
    let server = common::start(db, |_| {}).await;
    let (token, retailer_id, _) = server.register("retailer").await;
    let id = product(&server, &token, "Denim shirt", "Blue.").await;
    let mut ann = Shopper::new(&server.base);
    ann.sign_up("ann").await;
    let csrf = ann.csrf_of("/cart").await;
    for _ in 0..3 {
        ann.post(
            "/cart/add",
            &[("csrf", &csrf), ("product_id", &id), ("size", "M")],
        )
        .await;
    }
    // Three asked, two in stock: refused in words, nothing ordered.
    let refused = ann.post("/checkout", &[("csrf", &csrf)]).await;
    assert_eq!(refused.status, StatusCode::OK);
    assert!(
        refused
            .body
            .contains("Only 2 of Denim shirt left in stock."),
        "{}",
        refused.body
    );
    let cart = ann.get("/cart").await;
    assert!(cart.body.contains("FitView takes no payment"));
    let line = cart.body.split("action=\"/cart/lines/").nth(1).unwrap();
    let line_id = line[..line.find('"').unwrap()].to_owned();
    ann.post(
        &format!("/cart/lines/{line_id}"),
        &[("csrf", &csrf), ("quantity", "2")],
    )
    .await;
    let done = ann.post("/checkout", &[("csrf", &csrf)]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("Order sent") && done.body.contains("50.00 EUR"));
    assert!(ann.get("/cart").await.body.contains("Your cart is empty"));
    let orders = fitview_server::db::orders::for_retailer(&server.state.db, &retailer_id, 10)
        .await
        .unwrap();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].total_cents, 5000);
    let (_, product) = server.get(&format!("/api/v1/products/{id}"), &token).await;
    assert_eq!(product["stock"], 0);
}

async fn a_cart_submitted_twice_at_once_makes_one_order(db: Db) {
    let server = common::start(db, |_| {}).await;
    let (token, retailer_id, _) = server.register("retailer").await;
    let id = product(&server, &token, "Linen shirt", "White.").await;
    let mut ann = Shopper::new(&server.base);
    ann.sign_up("ann").await;
    let csrf = ann.csrf_of("/cart").await;
    ann.post(
        "/cart/add",
        &[("csrf", &csrf), ("product_id", &id), ("size", "M")],
    )
    .await;
    // A double click, twice over: four submissions of the checkout form at the same moment.
    let submits = (0..4).map(|_| ann.post_request("/checkout", &[("csrf", &csrf)]).send());
    for answer in futures::future::join_all(submits).await {
        assert_eq!(answer.unwrap().status(), StatusCode::OK);
    }
    let orders = fitview_server::db::orders::for_retailer(&server.state.db, &retailer_id, 10)
        .await
        .unwrap();
    assert_eq!(orders.len(), 1, "{orders:?}");
    let (_, product) = server.get(&format!("/api/v1/products/{id}"), &token).await;
    assert_eq!(product["stock"], 1, "one unit taken: {product}");
}

/// A stored event as the test compares it: (type, size, quantity, value, signed in, has a
/// session).
type Seen = (String, Option<String>, i64, Option<i64>, bool, bool);

/// A row of `analytics_events`: (kind, size, quantity, value, user, session).
type StoredRow = (
    String,
    Option<String>,
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
);

/// What the store holds of the shoppers' events.
async fn stored_events(server: &TestServer) -> Vec<Seen> {
    let rows: Vec<StoredRow> = sqlx::query_as(
        "SELECT kind, size, quantity, value_cents, user_id, session_id FROM analytics_events",
    )
    .fetch_all(&server.state.db)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(kind, size, quantity, value, user, session)| {
            (
                kind,
                size,
                quantity,
                value,
                user.is_some(),
                session.is_some(),
            )
        })
        .collect()
}

async fn the_storefront_records_what_its_shoppers_do(db: Db) {
    let server = common::start(db, |_| {}).await;
    let (token, model_id, product_id) = server.catalog().await;
    let mut ann = Shopper::new(&server.base);
    // Signed out, before any session: a view of no one.
    ann.get(&format!("/products/{product_id}")).await;
    ann.sign_up("ann").await;
    let csrf = ann.csrf_of(&format!("/products/{product_id}")).await;
    let picked = ann
        .post(
            "/models",
            &[
                ("csrf", &csrf),
                ("model_id", &model_id),
                ("product", &product_id),
            ],
        )
        .await;
    assert_eq!(picked.status, StatusCode::SEE_OTHER, "{}", picked.body);
    for _ in 0..3 {
        ann.post(
            "/cart/add",
            &[("csrf", &csrf), ("product_id", &product_id), ("size", "M")],
        )
        .await;
    }
    let cart = ann.get("/cart").await;
    let line = cart.body.split("action=\"/cart/lines/").nth(1).unwrap();
    let line_id = line[..line.find('"').unwrap()].to_owned();
    ann.post(
        &format!("/cart/lines/{line_id}"),
        &[("csrf", &csrf), ("quantity", "2")],
    )
    .await;
    let done = ann.post("/checkout", &[("csrf", &csrf)]).await;
    assert!(done.body.contains("Order sent"), "{}", done.body);
    server.state.analytics.flush().await.unwrap();

    let mut events = stored_events(&server).await;
    events.sort();
    let m = Some("M".to_owned());
    assert_eq!(
        events,
        [
            (
                "cart_added".to_owned(),
                m.clone(),
                1,
                Some(2999),
                true,
                true
            ),
            (
                "cart_added".to_owned(),
                m.clone(),
                1,
                Some(2999),
                true,
                true
            ),
            (
                "cart_added".to_owned(),
                m.clone(),
                1,
                Some(2999),
                true,
                true
            ),
            (
                "cart_removed".to_owned(),
                m.clone(),
                1,
                Some(2999),
                true,
                true
            ),
            (
                "checkout_started".to_owned(),
                m.clone(),
                2,
                Some(5998),
                true,
                true
            ),
            ("model_selected".to_owned(), None, 1, None, true, true),
            ("product_viewed".to_owned(), None, 1, None, false, false),
            ("product_viewed".to_owned(), None, 1, None, true, true),
        ]
    );
    // The retailer's figures count them: two views, three units carted.
    let (status, products) = server.get("/api/v1/analytics/products", &token).await;
    assert_eq!(status, StatusCode::OK, "{products}");
    let row = &products["products"][0];
    assert_eq!(row["product_id"], product_id.as_str());
    assert_eq!(
        (row["views"].as_i64(), row["cart_units"].as_i64()),
        (Some(2), Some(3))
    );
}

on_both_databases!(
    the_storefront_records_what_its_shoppers_do,
    search_ranks_the_better_match_first,
    typed_text_is_escaped_and_pages_are_locked_down,
    forms_need_the_sessions_token,
    sessions_end_at_sign_out_and_carts_stay_with_their_owner,
    checkout_hands_the_cart_to_the_retailer,
    a_cart_submitted_twice_at_once_makes_one_order,
);
