//! The demo shop of a first run (`fitview serve --demo`): a retailer with models and products
//! made from the repository's `fixtures/` (embedded in the binary), so a fresh machine shows a
//! working shop at once. Seeding is skipped when the demo retailer already exists.

use crate::auth::{Role, refresh};
use crate::db::{self, models::ModelRow, products::ProductRow, users::UserRow};
use crate::error::ApiResult;
use crate::files::{Files, UploadKind};
use crate::state::AppState;

/// The demo retailer's email.
pub const DEMO_RETAILER: &str = "demo-shop@fitview.invalid";

struct DemoModel {
    name: &'static str,
    photo: &'static [u8],
    landmarks: &'static str,
    body_type: &'static str,
    size: &'static str,
    height_cm: f64,
    skin_tone: &'static str,
}

struct DemoProduct {
    name: &'static str,
    description: &'static str,
    category: &'static str,
    garment: &'static str,
    sizes: &'static [&'static str],
    colour: &'static str,
    price_cents: i64,
    stock: i64,
    photo: &'static [u8],
}

macro_rules! fixture {
    ($path:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/",
            $path
        ))
    };
}
macro_rules! fixture_text {
    ($path:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/",
            $path
        ))
    };
}

const MODELS: [DemoModel; 4] = [
    DemoModel {
        name: "Ava",
        photo: fixture!("persons/slim-light-full.jpg"),
        landmarks: fixture_text!("persons/slim-light-full.landmarks.json"),
        body_type: "slim",
        size: "S",
        height_cm: 172.0,
        skin_tone: "light",
    },
    DemoModel {
        name: "Bea",
        photo: fixture!("persons/curvy-tan-full.jpg"),
        landmarks: fixture_text!("persons/curvy-tan-full.landmarks.json"),
        body_type: "curvy",
        size: "L",
        height_cm: 165.0,
        skin_tone: "tan",
    },
    DemoModel {
        name: "Cai",
        photo: fixture!("persons/broad-deep-full.jpg"),
        landmarks: fixture_text!("persons/broad-deep-full.landmarks.json"),
        body_type: "broad",
        size: "XL",
        height_cm: 184.0,
        skin_tone: "deep",
    },
    DemoModel {
        name: "Dee",
        photo: fixture!("persons/average-medium-full.jpg"),
        landmarks: fixture_text!("persons/average-medium-full.landmarks.json"),
        body_type: "average",
        size: "M",
        height_cm: 170.0,
        skin_tone: "medium",
    },
];

const PRODUCTS: [DemoProduct; 6] = [
    DemoProduct {
        name: "Shirt with blue stripes",
        description: "A crisp cotton shirt with fine blue stripes and a button-down collar.",
        category: "shirts",
        garment: "top",
        sizes: &["S", "M", "L", "XL"],
        colour: "blue",
        price_cents: 3950,
        stock: 12,
        photo: fixture!("garments/shirt-striped.jpg"),
    },
    DemoProduct {
        name: "Plain tee",
        description: "A soft white T-shirt for every day; goes with everything.",
        category: "t-shirts",
        garment: "top",
        sizes: &["XS", "S", "M", "L", "XL"],
        colour: "white",
        price_cents: 1900,
        stock: 40,
        photo: fixture!("garments/tshirt-plain.jpg"),
    },
    DemoProduct {
        name: "Logo long-sleeve",
        description: "A grey long-sleeve top with a small chest logo.",
        category: "t-shirts",
        garment: "top",
        sizes: &["S", "M", "L"],
        colour: "grey",
        price_cents: 2995,
        stock: 3,
        photo: fixture!("garments/longsleeve-logo.png"),
    },
    DemoProduct {
        name: "Straight jeans",
        description: "Indigo denim jeans with a straight leg and a mid rise.",
        category: "trousers",
        garment: "bottom",
        sizes: &["28", "30", "32", "34"],
        colour: "indigo",
        price_cents: 6900,
        stock: 20,
        photo: fixture!("garments/jeans-blue.jpg"),
    },
    DemoProduct {
        name: "Checked skirt",
        description: "A red checked skirt that falls just above the knee.",
        category: "skirts",
        garment: "bottom",
        sizes: &["S", "M", "L"],
        colour: "red",
        price_cents: 4500,
        stock: 0,
        photo: fixture!("garments/skirt-checks.png"),
    },
    DemoProduct {
        name: "Polka-dot dress",
        description: "A navy dress with white polka dots, for summer evenings.",
        category: "dresses",
        garment: "one-piece",
        sizes: &["S", "M", "L"],
        colour: "navy",
        price_cents: 5990,
        stock: 8,
        photo: fixture!("garments/dress-dots.jpg"),
    },
];

/// A fixture's landmarks as the server stores them (parsed, so a bad fixture fails here).
fn landmarks(json: &str) -> ApiResult<String> {
    let parsed: fitview_engine::BodyLandmarks =
        serde_json::from_str(json).map_err(crate::error::ApiError::internal)?;
    serde_json::to_string(&parsed).map_err(crate::error::ApiError::internal)
}

/// Creates the demo retailer with its models and products, unless it exists; true when seeded.
pub async fn seed(state: &AppState) -> ApiResult<bool> {
    if db::users::find_by_login(&state.db, Some(DEMO_RETAILER), None)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    // Nobody signs in as the demo retailer: its password is random and forgotten.
    let (secret, _) = refresh::generate();
    let retailer = UserRow {
        id: db::new_id(),
        email: Some(DEMO_RETAILER.to_owned()),
        phone: None,
        password_hash: state.passwords.hash(secret).await?,
        role: Role::Retailer.as_str().to_owned(),
        display_name: Some("FitView demo shop".to_owned()),
        disabled: 0,
        created_at: db::now(),
    };
    db::users::insert(&state.db, &retailer).await?;
    let limits = state.engine.config().limits;
    for model in &MODELS {
        let bytes = bytes::Bytes::from_static(model.photo);
        let info = Files::validate(bytes.clone(), limits).await?;
        let id = db::new_id();
        let image_file = state
            .files
            .save_upload(UploadKind::Model, &id, info.format, &bytes)
            .await?;
        db::models::insert(
            &state.db,
            &ModelRow {
                id,
                retailer_id: retailer.id.clone(),
                name: model.name.to_owned(),
                body_type: Some(model.body_type.to_owned()),
                size: Some(model.size.to_owned()),
                height_cm: Some(model.height_cm),
                measurements: None,
                skin_tone: Some(model.skin_tone.to_owned()),
                landmarks: Some(landmarks(model.landmarks)?),
                image_file,
                image_width: i64::from(info.width),
                image_height: i64::from(info.height),
                tryon_count: 0,
                created_at: db::now(),
            },
        )
        .await?;
    }
    for product in &PRODUCTS {
        let bytes = bytes::Bytes::from_static(product.photo);
        let info = Files::validate(bytes.clone(), limits).await?;
        let id = db::new_id();
        let image_file = state
            .files
            .save_upload(UploadKind::Product, &id, info.format, &bytes)
            .await?;
        let now = db::now();
        db::products::insert(
            &state.db,
            &ProductRow {
                id,
                retailer_id: retailer.id.clone(),
                name: product.name.to_owned(),
                description: product.description.to_owned(),
                category: product.category.to_owned(),
                garment_category: product.garment.to_owned(),
                sizes: serde_json::to_string(product.sizes)
                    .map_err(crate::error::ApiError::internal)?,
                colour: Some(product.colour.to_owned()),
                price_cents: product.price_cents,
                currency: "EUR".to_owned(),
                stock: product.stock,
                size_chart: None,
                image_file: Some(image_file),
                image_width: Some(i64::from(info.width)),
                image_height: Some(i64::from(info.height)),
                created_at: now,
                updated_at: now,
            },
        )
        .await?;
    }
    state.catalog.changed();
    Ok(true)
}
