//! Role boundaries and token checks: what each caller must be refused.

use crate::common::{Db, SECRET, fixture, start};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn a_retailer_cannot_see_or_change_another_retailers_catalog(db: Db) {
    let server = start(db, |_| {}).await;
    let (_, model_a, product_a) = server.catalog().await;
    let (token_b, _, _) = server.register("retailer").await;

    for path in [
        format!("/api/v1/products/{product_a}"),
        format!("/api/v1/products/{product_a}/image"),
        format!("/api/v1/models/{model_a}"),
        format!("/api/v1/models/{model_a}/image"),
    ] {
        let (status, body) = server.get(&path, &token_b).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert_eq!(body["error"]["code"], "not_found");
    }
    let (_, list) = server.get("/api/v1/products", &token_b).await;
    assert_eq!(list, json!([]));
    let (_, list) = server
        .get(
            &format!("/api/v1/models?retailer_id={}", "anything"),
            &token_b,
        )
        .await;
    assert_eq!(list, json!([]));

    let update = json!({"name": "Mine now", "category": "x", "price_cents": 1});
    let (status, _) = server
        .call(
            Method::PUT,
            &format!("/api/v1/products/{product_a}"),
            Some(&token_b),
            Some(update),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server
        .call(
            Method::DELETE,
            &format!("/api/v1/products/{product_a}"),
            Some(&token_b),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server
        .call(
            Method::DELETE,
            &format!("/api/v1/models/{model_a}"),
            Some(&token_b),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server
        .upload_garment(&token_b, &product_a, fixture("garments/tshirt-plain.jpg"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Nor edit another's model, with or without a new photo.
    for photo in [None, Some(fixture("persons/slim-light-full.jpg"))] {
        let mut form = reqwest::multipart::Form::new().text("name", "Mine now");
        if let Some(photo) = photo {
            form = form.part(
                "image",
                reqwest::multipart::Part::bytes(photo).file_name("p.jpg"),
            );
        }
        let response = server
            .client
            .put(format!("{}/api/v1/models/{model_a}", server.base))
            .bearer_auth(&token_b)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
    let model = fitview_server::db::models::get(&server.state.db, &model_a, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(model.name, "Asha", "unchanged");
    let (status, _) = server
        .post(
            "/api/v1/tryon",
            Some(&token_b),
            json!({"model_id": model_a, "product_id": product_a}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Another retailer's job is invisible too.
    let (token_c, _, _) = server.register("customer").await;
    let (status, job) = server
        .post(
            "/api/v1/tryon",
            Some(&token_c),
            json!({"model_id": model_a, "product_id": product_a, "wait_ms": 30000}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{job}");
    let job_id = job["job_id"].as_str().unwrap();
    let (status, _) = server
        .get(&format!("/api/v1/tryon/{job_id}"), &token_b)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server
        .post(
            &format!("/api/v1/tryon/{job_id}/feedback"),
            Some(&token_b),
            json!({"rating": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Even once cached, B's lookup of A's pair is refused.
    let (status, _) = server
        .post(
            "/api/v1/tryon",
            Some(&token_b),
            json!({"model_id": model_a, "product_id": product_a}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn a_customer_cannot_write_the_catalog_and_only_admins_manage_retailers(db: Db) {
    let server = start(db, |_| {}).await;
    let (retailer, retailer_id, _) = server.register("retailer").await;
    let (customer, _, _) = server.register("customer").await;

    let (status, body) = server
        .post(
            "/api/v1/products",
            Some(&customer),
            json!({"name": "x", "category": "y", "price_cents": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
    let (status, _) = server
        .upload_model(
            &customer,
            fixture("persons/slim-light-full.jpg"),
            "p.jpg",
            &[("name", "x")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Nobody registers as admin.
    let (status, _) = server
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": crate::common::email("x"), "password": "a good password", "role": "admin"}),
        )
        .await;
    assert!(status.is_client_error());

    for token in [&customer, &retailer] {
        let (status, _) = server.get("/api/v1/admin/retailers", token).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let admin = server.admin_token().await;
    let (status, list) = server.get("/api/v1/admin/retailers", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|u| u["id"] == retailer_id.as_str())
    );

    let (status, me) = server.get("/api/v1/me", &retailer).await;
    assert_eq!(status, StatusCode::OK);
    let retailer_email = me["email"].as_str().unwrap().to_owned();
    let (status, updated) = server
        .call(
            Method::PATCH,
            &format!("/api/v1/admin/retailers/{retailer_id}"),
            Some(&admin),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["disabled"], true);
    let (status, body) = server.login(&retailer_email, "a good password").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "account_disabled");
}

/// The files under `<data_dir>/uploads/models`.
fn model_uploads(server: &crate::common::TestServer) -> usize {
    let dir = server.state.config.data_dir.join("uploads/models");
    std::fs::read_dir(dir).map_or(0, |entries| entries.count())
}

async fn tokens_of_deleted_and_disabled_accounts_are_refused(db: Db) {
    let server = start(db, |_| {}).await;
    let (retailer, model, product) = server.catalog().await;
    let (status, me) = server.get("/api/v1/me", &retailer).await;
    assert_eq!(status, StatusCode::OK);
    let retailer_path = format!("/api/v1/admin/retailers/{}", me["id"].as_str().unwrap());
    let admin = server.admin_token().await;
    let (server_ref, admin_ref, path) = (&server, &admin, &retailer_path);
    let set_disabled = |disabled: bool| async move {
        server_ref
            .call(
                Method::PATCH,
                path,
                Some(admin_ref),
                Some(json!({"disabled": disabled})),
            )
            .await
    };
    let new_product = json!({"name": "Linen shirt", "description": "", "category": "shirts",
        "garment_category": "top", "sizes": ["M"], "price_cents": 1999, "currency": "EUR",
        "stock": 1});

    // Disabled: the retailer's still-valid access token is refused, reading and writing.
    let (status, body) = set_disabled(true).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = server
        .post("/api/v1/products", Some(&retailer), new_product.clone())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "account_disabled");
    let (status, body) = server.get("/api/v1/me", &retailer).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let uploads = model_uploads(&server);
    let (status, body) = server
        .upload_model(
            &retailer,
            fixture("persons/slim-light-full.jpg"),
            "p.jpg",
            &[("name", "x")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(
        model_uploads(&server),
        uploads,
        "no photo without its model"
    );
    // Enabled again: the same token works.
    let (status, _) = set_disabled(false).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = server
        .post("/api/v1/products", Some(&retailer), new_product.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // Deleted: a customer's token no longer starts try-ons, a retailer's no longer writes, and
    // a refused upload leaves no photo behind.
    let (customer, _, _) = server.register("customer").await;
    let (status, _) = server
        .call(Method::DELETE, "/api/v1/me", Some(&customer), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = server
        .post(
            "/api/v1/tryon",
            Some(&customer),
            json!({"model_id": model, "product_id": product}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "unauthorized");
    let (status, _) = server
        .call(Method::DELETE, "/api/v1/me", Some(&retailer), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let uploads = model_uploads(&server);
    let (status, body) = server
        .upload_model(
            &retailer,
            fixture("persons/slim-light-full.jpg"),
            "p.jpg",
            &[("name", "x")],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, body) = server
        .post("/api/v1/products", Some(&retailer), new_product)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(model_uploads(&server), uploads);
    let (status, _) = server.get("/api/v1/me", &retailer).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

fn forge(header: serde_json::Value, claims: serde_json::Value, signature: &str) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        signature
    )
}

async fn tampered_expired_and_wrong_algorithm_tokens_are_refused(db: Db) {
    let server = start(db, |_| {}).await;
    let (token, user_id, _) = server.register("customer").await;
    let now = jsonwebtoken::get_current_timestamp();
    let claims = |role: &str, exp: u64, aud: &str| json!({"sub": user_id, "role": role, "iss": "fitview", "aud": aud, "iat": now, "exp": exp});
    let sign = |claims: serde_json::Value| {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap()
    };

    // Control: a token we sign like the server is accepted.
    let (status, _) = server
        .get(
            "/api/v1/me",
            &sign(claims("customer", now + 600, "fitview-api")),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Tampered payload (role raised to admin), same signature.
    let parts: Vec<&str> = token.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims("admin", now + 600, "fitview-api").to_string()),
        parts[2]
    );
    // Expired, not yet valid, wrong audience, wrong secret.
    let expired = sign(claims("customer", now - 3600, "fitview-api"));
    let mut early = claims("customer", now + 7200, "fitview-api");
    early["nbf"] = json!(now + 3600);
    let not_yet_valid = sign(early);
    let wrong_audience = sign(claims("customer", now + 600, "elsewhere"));
    let wrong_secret = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims("customer", now + 600, "fitview-api"),
        &EncodingKey::from_secret(b"some other secret of thirty-two bytes"),
    )
    .unwrap();
    // alg=none with no signature, and an RS256 header over an HS256 signature.
    let none = forge(
        json!({"alg": "none", "typ": "JWT"}),
        claims("admin", now + 600, "fitview-api"),
        "",
    );
    let rs256 = forge(
        json!({"alg": "RS256", "typ": "JWT"}),
        claims("admin", now + 600, "fitview-api"),
        parts[2],
    );

    for (what, bad) in [
        ("tampered", tampered),
        ("expired", expired),
        ("not yet valid", not_yet_valid),
        ("wrong audience", wrong_audience),
        ("wrong secret", wrong_secret),
        ("alg none", none),
        ("RS256 header", rs256),
        ("garbage", "not.a.token".to_owned()),
    ] {
        let (status, body) = server.get("/api/v1/me", &bad).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {body}");
        assert_eq!(body["error"]["code"], "unauthorized", "{what}");
        let (status, _) = server.get("/api/v1/admin/retailers", &bad).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}");
    }
    let (status, _) = server.call(Method::GET, "/api/v1/me", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

crate::common::on_both_databases!(
    a_retailer_cannot_see_or_change_another_retailers_catalog,
    a_customer_cannot_write_the_catalog_and_only_admins_manage_retailers,
    tampered_expired_and_wrong_algorithm_tokens_are_refused,
    tokens_of_deleted_and_disabled_accounts_are_refused,
);
