//! What a page shows of a product or a try-on, shared by the pages that list them.

use crate::db::products::ProductRow;
use crate::routes::tryon::{JobView, ResultImage};
use crate::web::photos::{model_photo_url, product_photo_url};

/// A model's photo URL, for pages that show a model.
pub fn model_photo(m: &crate::db::models::ModelRow) -> String {
    model_photo_url(&m.id, &m.image_file)
}

/// A product as a card in a listing.
#[derive(Debug, Clone)]
pub struct ProductCard {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Formatted price.
    pub price: String,
    /// Stock state in words.
    pub stock: String,
    /// Whether any unit is left.
    pub in_stock: bool,
    /// The photo's URL, once uploaded.
    pub photo: Option<String>,
}

impl ProductCard {
    /// The card of a product record.
    pub fn of(p: &ProductRow) -> ProductCard {
        ProductCard {
            id: p.id.clone(),
            name: p.name.clone(),
            price: price(p.price_cents, &p.currency),
            stock: stock_words(p.stock),
            in_stock: p.stock > 0,
            photo: p
                .image_file
                .as_deref()
                .map(|file| product_photo_url(&p.id, file)),
        }
    }
}

/// A price as shoppers read it: `39.50 EUR`.
pub fn price(cents: i64, currency: &str) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!("{sign}{}.{:02} {currency}", cents / 100, cents % 100)
}

/// Stock in words.
pub fn stock_words(stock: i64) -> String {
    match stock {
        s if s <= 0 => "Out of stock".to_owned(),
        s if s <= 5 => format!("Only {s} left"),
        _ => "In stock".to_owned(),
    }
}

/// A try-on image with the thumbnails a `srcset` offers.
#[derive(Debug, Clone)]
pub struct Picture {
    /// The full image.
    pub src: String,
    /// `url widthw, ...` of the image and its thumbnails.
    pub srcset: String,
    /// Width of the full image.
    pub width: u32,
    /// Height of the full image.
    pub height: u32,
}

impl Picture {
    /// The picture of a result image.
    pub fn of(image: &ResultImage) -> Picture {
        let mut sizes: Vec<(u32, &str)> = image
            .thumbnails
            .iter()
            .map(|t| (t.width, t.url.as_str()))
            .collect();
        sizes.push((image.image.width, image.image.url.as_str()));
        sizes.sort_unstable();
        Picture {
            src: image.image.url.clone(),
            srcset: sizes
                .iter()
                .map(|(w, url)| format!("{url} {w}w"))
                .collect::<Vec<_>>()
                .join(", "),
            width: image.image.width,
            height: image.image.height,
        }
    }

    /// The first picture of a finished job.
    pub fn of_job(job: &JobView) -> Option<Picture> {
        job.result
            .as_ref()
            .and_then(|r| r.images.first())
            .map(Picture::of)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn prices_and_stock_read_well() {
        assert_eq!(super::price(3950, "EUR"), "39.50 EUR");
        assert_eq!(super::price(5, "USD"), "0.05 USD");
        assert_eq!(super::stock_words(0), "Out of stock");
        assert_eq!(super::stock_words(3), "Only 3 left");
        assert_eq!(super::stock_words(40), "In stock");
    }
}
