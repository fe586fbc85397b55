//! Style variations of a finished try-on, and try-ons of uploaded photos instead of catalog ids.

use crate::common::{Db, TestServer, fixture, start};
use base64::Engine as _;
use image::GenericImageView;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A customer's finished try-on of a fresh catalog: (customer token, job id, result image URL).
async fn finished_tryon(server: &TestServer) -> (String, String, String) {
    let (_, model_id, product_id) = server.catalog().await;
    let (token, _, _) = server.register("customer").await;
    let (status, job) = server
        .post(
            "/api/v1/tryon",
            Some(&token),
            json!({"model_id": model_id, "product_id": product_id, "wait_ms": 30000}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{job}");
    (
        token,
        job["job_id"].as_str().unwrap().to_owned(),
        job["result"]["images"][0]["url"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

async fn style_variations_of_a_result_are_made_once_and_served_as_images(db: Db) {
    let server = start(db, |_| {}).await;
    let (token, job_id, result_url) = finished_tryon(&server).await;
    let original = server.fetch_image(&result_url).await;
    let path = format!("/api/v1/tryon/{job_id}/variations");

    let (status, party) = server
        .post(&path, Some(&token), json!({"style": "party", "samples": 2}))
        .await;
    assert_eq!(status, StatusCode::OK, "{party}");
    assert_eq!(party["job_id"], job_id.as_str());
    assert_eq!(party["style"], "party");
    assert_eq!(party["cached"], false);
    let images = party["images"].as_array().unwrap();
    assert_eq!(images.len(), 2);
    let first = server.fetch_image(images[0]["url"].as_str().unwrap()).await;
    let second = server.fetch_image(images[1]["url"].as_str().unwrap()).await;
    assert_eq!(first.dimensions(), original.dimensions());
    assert_ne!(
        first.to_rgb8().into_raw(),
        original.to_rgb8().into_raw(),
        "a party scene differs from the plain result"
    );
    assert_ne!(first.to_rgb8().into_raw(), second.to_rgb8().into_raw());
    let thumbnail = images[0]["thumbnails"][0]["url"].as_str().unwrap();
    assert_eq!(server.fetch_image(thumbnail).await.width(), 256);

    // Asked again: the same images, from storage.
    let (status, again) = server
        .post(&path, Some(&token), json!({"style": "party", "samples": 2}))
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["cached"], true);
    assert_eq!(again["key"], party["key"]);
    assert_eq!(again["images"], party["images"]);

    // Another style, a colour, a background: other keys.
    let (status, formal) = server
        .post(&path, Some(&token), json!({"style": "formal"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{formal}");
    assert_eq!(formal["images"].as_array().unwrap().len(), 1);
    assert_ne!(formal["key"], party["key"]);
    let (status, red) = server
        .post(
            &path,
            Some(&token),
            json!({"style": "colour", "colour": "red"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{red}");
    assert_eq!(red["style"], "color-red");
    let (status, beach) = server
        .post(
            &path,
            Some(&token),
            json!({"style": "background", "background": "a sunny beach"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{beach}");
    assert_ne!(beach["key"], red["key"]);

    // Invalid asks are typed errors.
    for (body, code) in [
        (json!({"style": "colour"}), "validation"),
        (
            json!({"style": "background", "background": "  "}),
            "validation",
        ),
        (json!({"style": "casual", "samples": 9}), "validation"),
        (json!({"style": "casual", "samples": 0}), "validation"),
        (json!({"style": "disco"}), "validation"),
        (json!({"style": "casual", "extra": 1}), "validation"),
    ] {
        let (status, error) = server.post(&path, Some(&token), body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {error}");
        assert_eq!(error["error"]["code"], code, "{body}");
    }
    // Only the job's owner may vary it; an unknown job is not found.
    let (other, _, _) = server.register("customer").await;
    let (status, _) = server
        .post(&path, Some(&other), json!({"style": "casual"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server
        .post(
            "/api/v1/tryon/no-such-job/variations",
            Some(&token),
            json!({"style": "casual"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server.post(&path, None, json!({"style": "casual"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// Posts a try-on of uploads with these parts.
async fn post_upload(
    server: &TestServer,
    token: &str,
    files: &[(&str, Vec<u8>)],
    fields: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut form = reqwest::multipart::Form::new();
    for (name, bytes) in files {
        form = form.part(
            name.to_string(),
            reqwest::multipart::Part::bytes(bytes.clone()).file_name(format!("{name}.jpg")),
        );
    }
    for (name, value) in fields {
        form = form.text(name.to_string(), value.to_string());
    }
    let response = server
        .client
        .post(format!("{}/api/v1/tryon/upload", server.base))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Every file under `dir`, as paths relative to it.
fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    found
}

async fn a_try_on_of_uploaded_photos_answers_with_the_image_inline(db: Db) {
    let server = start(db, |c| c.limits.max_upload_bytes = 4 * 1024 * 1024).await;
    let (token, _, _) = server.register("customer").await;
    let person = fixture("persons/slim-light-full.jpg");
    let garment = fixture("garments/shirt-striped.jpg");

    let (status, result) = post_upload(
        &server,
        &token,
        &[("person", person.clone()), ("garment", garment.clone())],
        &[("category", "top")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result["cached"], false);
    let image = &result["images"][0];
    assert_eq!(image["mime"], "image/webp");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(image["data_base64"].as_str().unwrap())
        .unwrap();
    let decoded = image::load_from_memory(&bytes).unwrap();
    assert_eq!(
        decoded.dimensions(),
        (
            image["width"].as_u64().unwrap() as u32,
            image["height"].as_u64().unwrap() as u32
        )
    );
    assert_eq!(decoded.height(), 1024);

    // Nothing of it is kept: no image under its key, no file in the data directory, nothing
    // cached (the same photos again are made again, with the same key).
    let key = result["key"].as_str().unwrap();
    let response = server
        .client
        .get(format!("{}/api/v1/images/{key}/image.webp", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let kept = files_under(&server.state.config.data_dir);
    assert!(
        kept.iter()
            .all(|path| !path.contains("results") && !path.contains("by-input")),
        "{kept:?}"
    );
    let (status, again) = post_upload(
        &server,
        &token,
        &[("person", person.clone()), ("garment", garment.clone())],
        &[("category", "top")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["key"], result["key"]);
    assert_eq!(again["cached"], false);
    let (_, export) = server.get("/api/v1/me/export", &token).await;
    assert_eq!(export["tryons"], json!([]), "{export}");

    // The engine's decode limits apply to both photos; bad parts are typed errors.
    let (status, error) = post_upload(
        &server,
        &token,
        &[
            ("person", fixture("bad/bomb.png")),
            ("garment", garment.clone()),
        ],
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{error}");
    assert_eq!(error["error"]["code"], "image_too_large");
    let (status, error) = post_upload(
        &server,
        &token,
        &[
            ("person", person.clone()),
            ("garment", b"%PDF-1.4".to_vec()),
        ],
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{error}");
    let (status, error) = post_upload(&server, &token, &[("person", person.clone())], &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("garment"),
        "{error}"
    );
    let (status, error) = post_upload(
        &server,
        &token,
        &[("person", person.clone()), ("garment", garment.clone())],
        &[("category", "hat")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    // Over the upload limit: refused with 413, answered after the rest of the body is read.
    let (status, error) = post_upload(
        &server,
        &token,
        &[("person", vec![0u8; 5 * 1024 * 1024]), ("garment", garment)],
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{error}");
}

crate::common::on_both_databases!(
    style_variations_of_a_result_are_made_once_and_served_as_images,
    a_try_on_of_uploaded_photos_answers_with_the_image_inline,
);
