//! The account page over real sockets, on SQLite and PostgreSQL: a shopper downloads all their
//! data as a file and deletes their account after typing the password again; afterwards
//! nothing of it signs in, by page or by token.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::shopper::Shopper;
use crate::common::{self, Db, on_both_databases};

async fn a_shopper_downloads_their_data_and_deletes_the_account(db: Db) {
    let server = common::start(db, |_| {}).await;
    let (_, model_id, product_id) = server.catalog().await;
    let mut shopper = Shopper::new(&server.base);
    // Emails are kept in lower case.
    let email = shopper.sign_up("Noor").await.to_lowercase();
    let (status, login) = server.login(&email, "a good password").await;
    assert_eq!(status, StatusCode::OK, "{login}");
    let token = login["access_token"].as_str().unwrap().to_owned();
    let (status, job) = server
        .post(
            "/api/v1/tryon",
            Some(&token),
            json!({"model_id": model_id, "product_id": product_id, "wait_ms": 30000}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{job}");

    let page = shopper.get("/account").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(&email), "{}", page.body);
    assert!(page.body.contains("Shopper"), "{}", page.body);
    assert!(
        page.body.contains("id=\"account-link\""),
        "the header links the account"
    );

    // The download is a file of everything the API's export holds.
    let download = shopper.get("/account/data.json").await;
    assert_eq!(download.status, StatusCode::OK);
    let disposition = download.headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert_eq!(download.headers["cache-control"], "no-store");
    let data: Value = serde_json::from_str(&download.body).unwrap();
    assert_eq!(data["user"]["email"], email.as_str());
    assert_eq!(data["user"]["display_name"], "Noor");
    let tryons = data["tryons"].as_array().unwrap();
    assert_eq!(tryons.len(), 1, "{data}");
    assert_eq!(tryons[0]["job_id"], job["job_id"]);
    assert!(!download.body.contains("password_hash") && !download.body.contains("argon2"));

    // A wrong password deletes nothing; without the form token nothing either.
    let csrf = page.csrf();
    let wrong = shopper
        .post(
            "/account/delete",
            &[("csrf", &csrf), ("password", "not my password")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{}", wrong.body);
    assert!(
        wrong.body.contains("That password is not right."),
        "{}",
        wrong.body
    );
    let forged = shopper
        .post(
            "/account/delete",
            &[("csrf", "forged"), ("password", "a good password")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        server.login(&email, "a good password").await.0,
        StatusCode::OK
    );

    // The right one: erased, signed out, and nothing of the account opens any more.
    let deleted = shopper
        .post(
            "/account/delete",
            &[("csrf", &csrf), ("password", "a good password")],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    assert!(
        deleted
            .body
            .contains("Your account and your data are erased"),
        "{}",
        deleted.body
    );
    let cookie = deleted.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("Max-Age=0"), "{cookie}");
    assert_eq!(shopper.get("/account").await.status, StatusCode::SEE_OTHER);
    assert_eq!(
        server.login(&email, "a good password").await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = server.get("/api/v1/me", &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (jobs,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM tryon_jobs WHERE user_id = $1")
        .bind(data["user"]["id"].as_str().unwrap().to_owned())
        .fetch_one(&server.state.db)
        .await
        .unwrap();
    assert_eq!(jobs, 0, "the try-on history went with the account");
}

on_both_databases!(a_shopper_downloads_their_data_and_deletes_the_account);
