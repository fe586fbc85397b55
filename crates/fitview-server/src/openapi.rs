//! The OpenAPI 3 document, generated from the handlers' and types' annotations.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{accounts, images, models, ops, privacy, products, tryon};

/// The API description served at `/openapi.json`.
#[derive(OpenApi)]
#[openapi(
    info(title = "FitView storefront API", description = "Accounts, catalog and virtual try-on."),
    paths(
        ops::health, ops::ready, ops::metrics, ops::openapi,
        accounts::register, accounts::login, accounts::refresh, accounts::logout, accounts::logout_all,
        accounts::me, accounts::list_retailers, accounts::update_retailer,
        privacy::export, privacy::delete_me,
        models::create, models::list, models::get_one, models::image, models::delete,
        products::create, products::update, products::list, products::get_one, products::delete,
        products::upload_image, products::image, products::categories,
        tryon::create, tryon::get_job, tryon::history, tryon::feedback,
        images::result_image,
    ),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail, crate::auth::Role)),
    modifiers(&BearerAuth),
    tags(
        (name = "accounts", description = "Registration, login, tokens, the caller's data"),
        (name = "admin", description = "Administration of retailers"),
        (name = "models", description = "A retailer's model photos"),
        (name = "products", description = "A retailer's products"),
        (name = "tryon", description = "Try-on jobs and results"),
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
            "/health",
            "/metrics",
        ] {
            assert!(doc.paths.paths.contains_key(path), "{path} missing");
        }
        let json = doc.to_json().unwrap();
        assert!(json.contains("\"bearer\""));
    }
}
