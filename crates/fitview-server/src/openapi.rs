//! The OpenAPI 3 document, generated from the handlers' and types' annotations.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::analytics::{export, report, routes as analytics};
use crate::recommend::routes as recommend;
use crate::routes::{
    accounts, images, models, ops, privacy, products, spend, tryon, tryon_events, tryon_upload,
    variations,
};
use crate::webhooks::routes as webhooks;

/// The API description served at `/openapi.json`.
#[derive(OpenApi)]
#[openapi(
    info(title = "FitView storefront API", description = "Accounts, catalog and virtual try-on."),
    paths(
        ops::health, ops::ready, ops::metrics, ops::openapi,
        accounts::register, accounts::login, accounts::refresh, accounts::logout, accounts::logout_all,
        accounts::me, accounts::list_retailers, accounts::update_retailer, spend::ledger,
        privacy::export, privacy::delete_me,
        models::create, models::list, models::get_one, models::update, models::image,
        models::delete,
        products::create, products::update, products::list, products::get_one, products::delete,
        products::upload_image, products::image, products::categories,
        tryon::create, tryon::get_job, tryon::history, tryon::feedback, tryon_events::events,
        tryon_upload::create, variations::create,
        images::result_image,
        analytics::post_events, analytics::funnel_route, analytics::products, analytics::models,
        analytics::sizes, analytics::tryons, analytics::forecast_route, export::export_csv,
        report::report_pdf,
        recommend::put_measurements, recommend::get_measurements, recommend::size_recommendation,
        recommend::recommendations, recommend::acceptance_route,
        webhooks::create, webhooks::list, webhooks::get_one, webhooks::update, webhooks::delete,
        webhooks::rotate_secret, webhooks::send_test, webhooks::deliveries,
    ),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail, crate::auth::Role)),
    modifiers(&BearerAuth, &CommonErrors),
    tags(
        (name = "accounts", description = "Registration, login, tokens, the caller's data"),
        (name = "admin", description = "Administration of retailers"),
        (name = "models", description = "A retailer's model photos"),
        (name = "products", description = "A retailer's products"),
        (name = "tryon", description = "Try-on jobs and results"),
        (name = "analytics", description = "Shopper and order events in, a retailer's figures out"),
        (name = "recommendations", description = "The size to buy and what to try on next"),
        (name = "webhooks", description = "A retailer's webhook endpoints and their deliveries"),
        (name = "ops", description = "Health, readiness, metrics"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The error answers any operation can give, added where a handler does not list them: 400 for a
/// malformed path, query or body on every operation, and 413, 415 and 422 (too large, not the
/// expected content type, well-formed but invalid values) on every operation with a body.
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{Content, Ref, ResponseBuilder};
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    Content::new(Some(Ref::from_schema_name("ErrorBody"))),
                )
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                let mut common = vec![("400", "Malformed path, query or body")];
                if operation.request_body.is_some() {
                    common.extend([
                        ("413", "Body too large"),
                        ("415", "Not the expected content type"),
                        ("422", "Invalid values"),
                    ]);
                }
                for (status, description) in common {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| error(description).into());
                }
            }
        }
    }
}

/// The OpenAPI document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_route_is_documented() {
        let doc = super::document();
        for path in [
            "/api/v1/tryon",
            "/api/v1/products/{id}",
            "/api/v1/models",
            "/api/v1/events",
            "/api/v1/analytics/funnel",
            "/api/v1/analytics/export.csv",
            "/health",
            "/metrics",
        ] {
            assert!(doc.paths.paths.contains_key(path), "{path} missing");
        }
        let json = doc.to_json().unwrap();
        assert!(json.contains("\"bearer\""));
        // Common errors are documented on every operation, body errors where there is a body.
        let feedback = doc.paths.paths["/api/v1/tryon/{id}/feedback"]
            .post
            .as_ref()
            .unwrap();
        for status in ["400", "413", "415", "422"] {
            assert!(
                feedback.responses.responses.contains_key(status),
                "{status}"
            );
        }
        let history = doc.paths.paths["/api/v1/tryon/history"]
            .get
            .as_ref()
            .unwrap();
        assert!(history.responses.responses.contains_key("400"));
        assert!(!history.responses.responses.contains_key("415"));
    }
}
