//! The batch plan: which (model, product) pairs to generate, and each pair's fingerprint.
//!
//! The fingerprint hashes everything that decides the item's images: both photos' bytes, the
//! model's landmarks, the product's category and the run's settings (provider, model id, output
//! options, variations). A journal entry counts as done only while its fingerprint still matches,
//! so after a manifest edit exactly the changed pairs are generated again.

use super::manifest::{Manifest, Model, Product};

/// One pair to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Index into the manifest's models.
    pub model: usize,
    /// Index into the manifest's products.
    pub product: usize,
    /// What the item's output depends on, as 64 hex characters.
    pub fingerprint: String,
}

impl Item {
    /// `model/sku`: the item's place in the output, and its name in logs.
    pub fn label(&self, manifest: &Manifest) -> String {
        let (model, product) = self.parts(manifest);
        slot(&model.id, &product.sku)
    }

    /// The item's model and product.
    pub fn parts<'m>(&self, manifest: &'m Manifest) -> (&'m Model, &'m Product) {
        (
            &manifest.models[self.model],
            &manifest.products[self.product],
        )
    }
}

/// The journal's and report's name for a pair.
pub fn slot(model: &str, sku: &str) -> String {
    format!("{model}/{sku}")
}

/// Every selected pair, product by product (a gallery row) and model by model within it.
/// `settings` is a stable text of the run's settings that change outputs.
pub fn plan(manifest: &Manifest, settings: &str) -> Vec<Item> {
    let generate = &manifest.generate;
    let models: Vec<usize> = (0..manifest.models.len())
        .filter(|&m| {
            generate
                .models
                .as_ref()
                .is_none_or(|ids| ids.contains(&manifest.models[m].id))
        })
        .collect();
    let mut items = Vec::new();
    for (p, product) in manifest.products.iter().enumerate() {
        let wanted = generate
            .skus
            .as_ref()
            .is_none_or(|skus| skus.contains(&product.sku))
            && generate
                .categories
                .as_ref()
                .is_none_or(|cats| cats.contains(&product.category));
        if !wanted {
            continue;
        }
        for &m in &models {
            let fingerprint = fingerprint(&manifest.models[m], product, settings);
            items.push(Item {
                model: m,
                product: p,
                fingerprint,
            });
        }
    }
    items
}

fn fingerprint(model: &Model, product: &Product, settings: &str) -> String {
    let landmarks = model
        .landmarks
        .as_ref()
        .and_then(|l| serde_json::to_string(l).ok())
        .unwrap_or_default();
    let mut h = blake3::Hasher::new();
    for field in [
        "fitview-batch-item-1",
        &model.image_digest,
        &landmarks,
        &product.image_digest,
        product.category.as_str(),
        settings,
    ] {
        h.update(&(field.len() as u64).to_le_bytes());
        h.update(field.as_bytes());
    }
    h.finalize().to_hex().to_string()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use fitview_engine::GarmentCategory;

    use super::super::manifest::Generate;
    use super::super::source::ImageSource;
    use super::*;

    fn manifest() -> Manifest {
        let model = |id: &str, digest: &str| Model {
            id: id.into(),
            image: ImageSource::File(PathBuf::from(format!("{id}.jpg"))),
            image_digest: digest.into(),
            landmarks: None,
            facts: Vec::new(),
        };
        let product = |sku: &str, category, digest: &str| Product {
            sku: sku.into(),
            name: sku.into(),
            category,
            image: ImageSource::File(PathBuf::from(format!("{sku}.jpg"))),
            image_digest: digest.into(),
            sizes: Vec::new(),
            colour: None,
            price: None,
        };
        Manifest {
            name: "shop".into(),
            models: vec![model("ava", "a"), model("bea", "b")],
            products: vec![
                product("T1", GarmentCategory::Top, "t1"),
                product("B1", GarmentCategory::Bottom, "b1"),
                product("T2", GarmentCategory::Top, "t1"),
            ],
            generate: Generate::default(),
            max_image_bytes: 25 << 20,
        }
    }

    #[test]
    fn all_pairs_product_by_product_and_filters_narrow_them() {
        let mut m = manifest();
        let labels: Vec<_> = plan(&m, "").iter().map(|i| i.label(&m)).collect();
        assert_eq!(
            labels,
            ["ava/T1", "bea/T1", "ava/B1", "bea/B1", "ava/T2", "bea/T2"]
        );
        m.generate.models = Some(vec!["bea".into()]);
        m.generate.categories = Some(vec![GarmentCategory::Top]);
        let labels: Vec<_> = plan(&m, "").iter().map(|i| i.label(&m)).collect();
        assert_eq!(labels, ["bea/T1", "bea/T2"]);
        m.generate.skus = Some(vec!["T2".into()]);
        assert_eq!(plan(&m, "").len(), 1);
    }

    #[test]
    fn fingerprints_change_with_inputs_and_settings_only() {
        let mut m = manifest();
        let before = plan(&m, "webp");
        // T1 and T2 share image and category: same fingerprint per model.
        assert_eq!(before[0].fingerprint, before[4].fingerprint);
        m.products[1].category = GarmentCategory::OnePiece;
        let after = plan(&m, "webp");
        let changed: Vec<_> = before
            .iter()
            .zip(&after)
            .filter(|(a, b)| a.fingerprint != b.fingerprint)
            .map(|(a, _)| a.label(&m))
            .collect();
        assert_eq!(changed, ["ava/B1", "bea/B1"]);
        assert!(
            plan(&m, "png")
                .iter()
                .zip(&after)
                .all(|(a, b)| a.fingerprint != b.fingerprint)
        );
    }
}
