//! Content features: the words that describe a product's style, weighted by TF-IDF.
//!
//! A product's tokens are its category, its garment category, its colour, the colour, pattern and
//! material words of its description (from the fixed word lists below) and its price band
//! (`floor(log2(price / 10.00))`, so bands double). Token `t` of product `p` weighs
//! `idf_t = ln(1 + N / df_t)` (`N` products, `df_t` of them with `t`), and each product's vector
//! is scaled to unit length, so the dot product of two vectors is their cosine similarity
//! (Salton and Buckley, "Term-weighting approaches in automatic text retrieval", 1988).

use std::collections::HashMap;

use crate::recommend::shop::Product;

const COLOURS: &[&str] = &[
    "black", "white", "grey", "gray", "navy", "blue", "red", "green", "olive", "yellow", "orange",
    "pink", "purple", "brown", "beige", "cream", "khaki", "burgundy", "teal", "gold", "silver",
];
const PATTERNS: &[&str] = &[
    "striped",
    "stripes",
    "checked",
    "check",
    "plaid",
    "floral",
    "dotted",
    "polka",
    "paisley",
    "printed",
    "print",
    "plain",
    "solid",
    "camouflage",
    "geometric",
    "embroidered",
    "houndstooth",
];
const MATERIALS: &[&str] = &[
    "cotton",
    "linen",
    "wool",
    "silk",
    "denim",
    "leather",
    "polyester",
    "viscose",
    "cashmere",
    "jersey",
    "corduroy",
    "velvet",
    "satin",
    "chiffon",
    "fleece",
    "suede",
    "nylon",
];

/// The style tokens of `product` (`category:shirts`, `colour:blue`, `material:linen`, ...).
pub fn style_tokens(product: &Product) -> Vec<String> {
    let mut tokens = vec![
        format!("category:{}", product.category.to_lowercase()),
        format!("garment:{}", product.garment_category.to_lowercase()),
        format!("price:{}", price_band(product.price_cents)),
    ];
    let colour = product.colour.as_deref().unwrap_or("").to_lowercase();
    let description = product.description.to_lowercase();
    for word in colour
        .split(|c: char| !c.is_alphanumeric())
        .chain(description.split(|c: char| !c.is_alphanumeric()))
    {
        let kind = if COLOURS.contains(&word) {
            "colour"
        } else if PATTERNS.contains(&word) {
            "pattern"
        } else if MATERIALS.contains(&word) {
            "material"
        } else {
            continue;
        };
        let token = format!("{kind}:{word}");
        if !tokens.contains(&token) {
            tokens.push(token);
        }
    }
    tokens
}

fn price_band(price_cents: i64) -> i64 {
    let ratio = price_cents.max(1) as f64 / 1000.0;
    ratio.log2().floor() as i64
}

/// Unit-length TF-IDF vectors of a catalogue, and the inverted index to score against them.
#[derive(Debug, Clone, Default)]
pub struct StyleVectors {
    /// Per product (by position in the catalogue), `(token, weight)` sorted by token.
    vectors: Vec<Vec<(u32, f32)>>,
    /// Per token, `(product, weight)`.
    postings: Vec<Vec<(u32, f32)>>,
}

impl StyleVectors {
    /// The vectors of `products`, numbered by their position.
    pub fn build(products: &[Product]) -> Self {
        let mut dictionary: HashMap<String, u32> = HashMap::new();
        let mut documents: Vec<Vec<u32>> = Vec::with_capacity(products.len());
        for product in products {
            let mut ids: Vec<u32> = style_tokens(product)
                .into_iter()
                .map(|t| {
                    let next = dictionary.len() as u32;
                    *dictionary.entry(t).or_insert(next)
                })
                .collect();
            ids.sort_unstable();
            ids.dedup();
            documents.push(ids);
        }
        let mut df = vec![0u32; dictionary.len()];
        for ids in &documents {
            for &t in ids {
                df[t as usize] += 1;
            }
        }
        let n = products.len() as f32;
        let mut postings = vec![Vec::new(); dictionary.len()];
        let vectors = documents
            .iter()
            .enumerate()
            .map(|(p, ids)| {
                let raw: Vec<(u32, f32)> = ids
                    .iter()
                    .map(|&t| (t, (1.0 + n / df[t as usize] as f32).ln()))
                    .collect();
                let norm = raw
                    .iter()
                    .map(|(_, w)| w * w)
                    .sum::<f32>()
                    .sqrt()
                    .max(f32::MIN_POSITIVE);
                let unit: Vec<(u32, f32)> = raw.iter().map(|&(t, w)| (t, w / norm)).collect();
                for &(t, w) in &unit {
                    postings[t as usize].push((p as u32, w));
                }
                unit
            })
            .collect();
        Self { vectors, postings }
    }

    /// Cosine similarity of products `a` and `b`.
    pub fn similarity(&self, a: usize, b: usize) -> f32 {
        let (Some(x), Some(y)) = (self.vectors.get(a), self.vectors.get(b)) else {
            return 0.0;
        };
        let (mut i, mut j, mut dot) = (0, 0, 0.0);
        while i < x.len() && j < y.len() {
            match x[i].0.cmp(&y[j].0) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    dot += x[i].1 * y[j].1;
                    i += 1;
                    j += 1;
                }
            }
        }
        dot
    }

    /// Adds `weight · (profile · vector_p)` to `scores[p]` for every product, where the profile is
    /// the `weights`-weighted sum of the given products' vectors.
    pub fn score_against(&self, weights: &[(usize, f32)], scores: &mut [f32]) {
        let mut profile: HashMap<u32, f32> = HashMap::new();
        for &(p, w) in weights {
            for &(t, x) in self.vectors.get(p).map_or(&[][..], Vec::as_slice) {
                *profile.entry(t).or_default() += w * x;
            }
        }
        for (t, w) in profile {
            for &(p, x) in &self.postings[t as usize] {
                if let Some(s) = scores.get_mut(p as usize) {
                    *s += w * x;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommend::shop::ProductId;

    fn product(id: u32, category: &str, description: &str, price_cents: i64) -> Product {
        Product {
            id: ProductId(id),
            name: format!("P{id}"),
            category: category.into(),
            garment_category: "top".into(),
            description: description.into(),
            colour: None,
            price_cents,
            sizes: Vec::new(),
            in_stock: Vec::new(),
            chart: None,
        }
    }

    #[test]
    fn reads_style_words_from_the_description() {
        let mut shirt = product(
            1,
            "Shirts",
            "A navy striped LINEN shirt, navy buttons.",
            4500,
        );
        shirt.colour = Some("Navy".into());
        assert_eq!(
            style_tokens(&shirt),
            [
                "category:shirts",
                "garment:top",
                "price:2",
                "colour:navy",
                "pattern:striped",
                "material:linen"
            ]
        );
    }

    #[test]
    fn shared_rare_words_count_more_than_shared_common_ones() {
        let products = [
            product(0, "shirts", "blue linen", 3000),
            product(1, "shirts", "blue linen", 3000),
            product(2, "shirts", "red wool", 3000),
            product(3, "shirts", "red cotton", 3000),
        ];
        let vectors = StyleVectors::build(&products);
        assert!((vectors.similarity(0, 1) - 1.0).abs() < 1e-6);
        assert!(vectors.similarity(0, 1) > vectors.similarity(2, 3));
        assert!(vectors.similarity(2, 3) > vectors.similarity(0, 2));
        let mut scores = vec![0.0; 4];
        vectors.score_against(&[(0, 1.0)], &mut scores);
        assert!((scores[1] - vectors.similarity(0, 1)).abs() < 1e-6);
        assert!((scores[2] - vectors.similarity(0, 2)).abs() < 1e-6);
    }
}
