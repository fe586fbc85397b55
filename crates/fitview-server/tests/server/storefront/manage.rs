//! The retailer's catalog pages over real sockets, on SQLite and PostgreSQL: a retailer adds,
//! edits and deletes products and models with photos through the forms, shoppers see the
//! changes, refused forms come back filled in with what is wrong and leave nothing behind, and
//! nobody else reaches another retailer's catalog.

use reqwest::StatusCode;
use serde_json::json;

use super::shopper::{Answer, Shopper};
use crate::common::{self, Db, TestServer, on_both_databases};

/// A retailer signed in through the sign-in page: its browser and its API token.
async fn retailer(server: &TestServer) -> (Shopper, String) {
    let (token, email) = server.register_with_email("retailer").await;
    let mut browser = Shopper::new(&server.base);
    browser.sign_in(&email, "a good password").await;
    (browser, token)
}

/// The id in a catalog-page link such as `/manage/products/<id>` next to `name`.
fn linked_id(html: &str, kind: &str, name: &str) -> String {
    let end = html
        .find(&format!("\" class=\"name\">{name}</a>"))
        .unwrap_or_else(|| panic!("no {name} in {html}"));
    let marker = format!("/manage/{kind}/");
    let start = html[..end].rfind(&marker).unwrap() + marker.len();
    html[start..end].to_owned()
}

fn product_fields<'a>(
    csrf: &'a str,
    name: &'a str,
    price: &'a str,
    stock: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("name", name),
        ("description", "Soft cotton."),
        ("category", "shirts"),
        ("garment_category", "top"),
        ("sizes", "S, M, L"),
        ("colour", "green"),
        ("price", price),
        ("currency", "EUR"),
        ("stock", stock),
        (
            "size_chart",
            r#"{"unit": "cm", "sizes": {"S": {"chest": [84, 90]}, "M": {"chest": [90, 96]}}}"#,
        ),
    ]
}

/// The product photo's URL in a product page.
fn photo_url(html: &str) -> String {
    let start = html.find("src=\"/shop/photos/products/").unwrap() + 5;
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

fn assert_redirect(answer: &Answer, to: &str) {
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(answer.location(), to);
}

async fn a_retailer_keeps_its_catalog_in_the_browser(db: Db) {
    let server = common::start(db, |_| {}).await;
    let (mut browser, token) = retailer(&server).await;
    let shirt = common::fixture("garments/shirt-striped.jpg");

    let page = browser.get("/manage").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("No products yet"), "{}", page.body);
    assert!(
        page.body.contains("id=\"manage-link\""),
        "the header links the catalog"
    );

    // A price that cannot be read comes back with the form filled in, and no product is made.
    let csrf = browser.csrf_of("/manage/products/new").await;
    let refused = browser
        .post_multipart(
            "/manage/products",
            &product_fields(&csrf, "Linen shirt", "39,50", "7"),
            &[("image", "shirt.jpg", shirt.clone())],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains("The price must be an amount like 39.50."),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("value=\"Linen shirt\""),
        "the name stays typed"
    );
    // A file that is not an image: refused before anything is stored.
    let refused = browser
        .post_multipart(
            "/manage/products",
            &product_fields(&csrf, "Linen shirt", "39.50", "7"),
            &[("image", "shirt.jpg", b"<html>not a photo</html>".to_vec())],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "{}",
        refused.body
    );
    let (_, listed) = server.get("/api/v1/products", &token).await;
    assert_eq!(listed.as_array().unwrap().len(), 0, "{listed}");
    // Without the session's form token nothing is made.
    let mut fields = product_fields(&csrf, "Linen shirt", "39.50", "7");
    fields[0] = ("csrf", "forged");
    let forged = browser
        .post_multipart("/manage/products", &fields, &[])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // Added with its photo: the shop shows it to any visitor.
    let added = browser
        .post_multipart(
            "/manage/products",
            &product_fields(&csrf, "Linen shirt", "39.5", "7"),
            &[("image", "shirt.jpg", shirt.clone())],
        )
        .await;
    assert_redirect(&added, "/manage?done=product-added");
    let page = browser.get(added.location()).await;
    assert!(
        page.body.contains("The product is in your shop."),
        "{}",
        page.body
    );
    let product_id = linked_id(&page.body, "products", "Linen shirt");
    let mut visitor = Shopper::new(&server.base);
    let home = visitor.get("/").await;
    assert!(home.body.contains("Linen shirt"), "{}", home.body);
    let shown = visitor.get(&format!("/products/{product_id}")).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.body.contains("39.50 EUR"), "{}", shown.body);
    assert!(shown.body.contains("In stock"), "{}", shown.body);
    let photo = server
        .client
        .get(format!("{}/shop/photos/products/{product_id}", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(photo.status(), StatusCode::OK);
    let photo = image::load_from_memory(&photo.bytes().await.unwrap()).unwrap();
    let original = image::load_from_memory(&shirt).unwrap();
    assert_eq!(
        (photo.width(), photo.height()),
        (original.width(), original.height())
    );
    let (_, api) = server
        .get(&format!("/api/v1/products/{product_id}"), &token)
        .await;
    assert_eq!(api["sizes"], json!(["S", "M", "L"]));
    assert_eq!(api["price_cents"], 3950);
    assert_eq!(api["size_chart"]["sizes"]["M"]["chest"], json!([90, 96]));

    // Edited: sold out, renamed; the photo is kept when no new one is chosen.
    let edit = browser.get(&format!("/manage/products/{product_id}")).await;
    assert_eq!(edit.status, StatusCode::OK);
    assert!(edit.body.contains("value=\"39.50\""), "{}", edit.body);
    let saved = browser
        .post_multipart(
            &format!("/manage/products/{product_id}"),
            &product_fields(&edit.csrf(), "Linen shirt, sage", "42", "0"),
            &[("image", "", Vec::new())],
        )
        .await;
    assert_redirect(&saved, "/manage?done=product-saved");
    let shown = visitor.get(&format!("/products/{product_id}")).await;
    assert!(shown.body.contains("Linen shirt, sage"), "{}", shown.body);
    assert!(shown.body.contains("Out of stock"), "{}", shown.body);
    assert!(shown.body.contains("42.00 EUR"), "{}", shown.body);
    let (_, api) = server
        .get(&format!("/api/v1/products/{product_id}"), &token)
        .await;
    assert!(api["image"].is_object(), "the photo is kept: {api}");

    // A new photo: the shop's pages name it by a new URL (no browser keeps showing the old
    // one), which serves the new photo.
    let old_url = photo_url(&shown.body);
    let dots = common::fixture("garments/dress-dots.jpg");
    let edit = browser.get(&format!("/manage/products/{product_id}")).await;
    let saved = browser
        .post_multipart(
            &format!("/manage/products/{product_id}"),
            &product_fields(&edit.csrf(), "Linen shirt, sage", "42", "0"),
            &[("image", "dots.jpg", dots.clone())],
        )
        .await;
    assert_redirect(&saved, "/manage?done=product-saved");
    let shown = visitor.get(&format!("/products/{product_id}")).await;
    let new_url = photo_url(&shown.body);
    assert_ne!(new_url, old_url);
    let served = server
        .client
        .get(format!("{}{new_url}", server.base))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(served.as_ref(), dots.as_slice(), "the new photo is served");

    // A model with its photo; the shoppers' model page shows it, then its new name.
    let csrf = browser.csrf_of("/manage/models/new").await;
    let no_photo = browser
        .post_multipart("/manage/models", &[("csrf", &csrf), ("name", "Mira")], &[])
        .await;
    assert_eq!(
        no_photo.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        no_photo.body
    );
    assert!(no_photo.body.contains("value=\"Mira\""));
    let added = browser
        .post_multipart(
            "/manage/models",
            &[
                ("csrf", &csrf),
                ("name", "Mira"),
                ("body_type", "curvy"),
                ("size", "L"),
                ("height_cm", "168"),
                ("skin_tone", "deep"),
            ],
            &[(
                "image",
                "mira.jpg",
                common::fixture("persons/slim-light-full.jpg"),
            )],
        )
        .await;
    assert_redirect(&added, "/manage?done=model-added");
    let page = browser.get("/manage").await;
    let model_id = linked_id(&page.body, "models", "Mira");
    let models = visitor.get(&format!("/models?product={product_id}")).await;
    assert!(models.body.contains("Mira"), "{}", models.body);
    assert!(
        models
            .body
            .contains("curvy body · size L · 168 cm · deep skin"),
        "{}",
        models.body
    );
    let edit = browser.get(&format!("/manage/models/{model_id}")).await;
    let saved = browser
        .post_multipart(
            &format!("/manage/models/{model_id}"),
            &[
                ("csrf", &edit.csrf()),
                ("name", "Mira K."),
                ("body_type", "curvy"),
                ("size", "XL"),
            ],
            &[],
        )
        .await;
    assert_redirect(&saved, "/manage?done=model-saved");
    let models = visitor.get(&format!("/models?product={product_id}")).await;
    assert!(models.body.contains("Mira K."), "{}", models.body);
    assert!(
        models.body.contains("curvy body · size XL"),
        "{}",
        models.body
    );
    let bad_height = browser
        .post_multipart(
            &format!("/manage/models/{model_id}"),
            &[
                ("csrf", &edit.csrf()),
                ("name", "Mira K."),
                ("height_cm", "tall"),
            ],
            &[],
        )
        .await;
    assert_eq!(bad_height.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad_height.body.contains("between 0 and 300"),
        "{}",
        bad_height.body
    );

    // Shoppers' try-ons of the catalog appear on the try-ons page, without the shopper.
    let (shopper, _, _) = server.register("customer").await;
    let (status, job) = server
        .post(
            "/api/v1/tryon",
            Some(&shopper),
            json!({"model_id": model_id, "product_id": product_id, "wait_ms": 30000}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{job}");
    let tryons = browser.get("/manage/tryons").await;
    assert_eq!(tryons.status, StatusCode::OK);
    assert!(
        tryons.body.contains("Mira K. wearing Linen shirt, sage"),
        "{}",
        tryons.body
    );
    assert!(tryons.body.contains("/api/v1/images/"), "{}", tryons.body);
    assert!(!tryons.body.contains("customer-"), "no shopper is named");

    // Deleted: gone from the shop.
    let edit = browser.get(&format!("/manage/products/{product_id}")).await;
    let deleted = browser
        .post(
            &format!("/manage/products/{product_id}/delete"),
            &[("csrf", &edit.csrf())],
        )
        .await;
    assert_redirect(&deleted, "/manage?done=product-deleted");
    assert_eq!(
        visitor.get(&format!("/products/{product_id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let edit = browser.get(&format!("/manage/models/{model_id}")).await;
    let deleted = browser
        .post(
            &format!("/manage/models/{model_id}/delete"),
            &[("csrf", &edit.csrf())],
        )
        .await;
    assert_redirect(&deleted, "/manage?done=model-deleted");
    let page = browser.get("/manage").await;
    assert!(page.body.contains("No models yet"), "{}", page.body);
}

async fn nobody_else_reaches_a_retailers_catalog_pages(db: Db) {
    let server = common::start(db, |_| {}).await;
    let (token, model_id, product_id) = server.catalog().await;
    let (mut other, _) = retailer(&server).await;

    for path in [
        format!("/manage/products/{product_id}"),
        format!("/manage/models/{model_id}"),
    ] {
        assert_eq!(
            other.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let csrf = other.csrf_of("/manage").await;
    let changed = other
        .post_multipart(
            &format!("/manage/products/{product_id}"),
            &product_fields(&csrf, "Stolen", "1", "1"),
            &[],
        )
        .await;
    assert_eq!(changed.status, StatusCode::NOT_FOUND);
    let changed = other
        .post_multipart(
            &format!("/manage/models/{model_id}"),
            &[("csrf", &csrf), ("name", "Stolen")],
            &[],
        )
        .await;
    assert_eq!(changed.status, StatusCode::NOT_FOUND);
    let deleted = other
        .post(
            &format!("/manage/products/{product_id}/delete"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NOT_FOUND);
    let page = other.get("/manage").await;
    assert!(!page.body.contains("Striped shirt"), "{}", page.body);
    let (_, product) = server
        .get(&format!("/api/v1/products/{product_id}"), &token)
        .await;
    assert_eq!(product["name"], "Striped shirt", "unchanged");
    let (_, model) = server
        .get(&format!("/api/v1/models/{model_id}"), &token)
        .await;
    assert_eq!(model["name"], "Asha", "unchanged");

    // A shopper gets 404, a visitor the sign-in page.
    let mut shopper = Shopper::new(&server.base);
    shopper.sign_up("shopper").await;
    assert_eq!(shopper.get("/manage").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        shopper.get("/manage/tryons").await.status,
        StatusCode::NOT_FOUND
    );
    let mut visitor = Shopper::new(&server.base);
    let page = visitor.get("/manage/tryons").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/signin?next=/manage/tryons");
}

on_both_databases!(
    a_retailer_keeps_its_catalog_in_the_browser,
    nobody_else_reaches_a_retailers_catalog_pages,
);
