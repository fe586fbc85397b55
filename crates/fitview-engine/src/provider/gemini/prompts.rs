//! Versioned try-on prompt templates for Gemini image models, per garment category and quality
//! mode.
//!
//! They follow Google's documented try-on pattern ("Create a professional e-commerce fashion
//! photo. Take the [garment] from the first image and let the [person] from the second image wear
//! it ...", image-generation guide, "Advanced composition") with its advice on preserving detail
//! ("Ensure the face and features remain completely unchanged") and on describing the scene in
//! sentences. Images go first, garments then person, and the prompt refers to them by position.
//!
//! [`PROMPT_VERSION`] is part of every cache key: change any wording here and bump it.

use crate::request::{GarmentCategory, QualityMode};

/// Version of the whole template set; bump on any change to the text below.
pub const PROMPT_VERSION: &str = "nano-banana-tryon/1";

/// How a category is named and worn (shared with the other try-on prompt sets).
pub(crate) struct Guide {
    /// What the garment is, as the prompt names it.
    pub(crate) what: &'static str,
    /// How it is worn or draped.
    pub(crate) wear: &'static str,
}

pub(crate) fn guide(category: GarmentCategory) -> Guide {
    match category {
        GarmentCategory::Top => Guide {
            what: "top (shirt, t-shirt, blouse or jacket)",
            wear: "Replace only the clothing on the upper body; keep the person's trousers, skirt and \
                   shoes as they are. Keep the sleeve length, collar and hem length of the product.",
        },
        GarmentCategory::Bottom => Guide {
            what: "bottom garment (trousers, skirt or shorts)",
            wear: "Replace only the clothing from the waist down; keep the person's top as it is. \
                   Keep the length, rise and leg shape of the product.",
        },
        GarmentCategory::OnePiece => Guide {
            what: "one-piece garment (dress or jumpsuit)",
            wear: "It replaces both the top and the bottom, from the shoulders down. Keep its \
                   neckline, sleeve length and hem length exactly as in the product photo.",
        },
        GarmentCategory::Saree => Guide {
            what: "saree",
            wear: "Drape it in the classic Nivi style: wrapped around the waist, with five to seven \
                   neat, even pleats tucked in at the front and falling straight to the ankles, and \
                   the pallu (the decorated end piece) brought across the chest and over the left \
                   shoulder, falling behind to about the back of the knees. Show the pallu's border \
                   and motifs clearly. Pair it with a fitted blouse as shown in the product photo, \
                   or in the saree's own colour. Let the fabric fall with the weight its sheen \
                   suggests (silk, chiffon or cotton).",
        },
        GarmentCategory::Lehenga => Guide {
            what: "lehenga (a long, flared skirt, with its choli blouse if shown)",
            wear: "Wear the skirt at the natural waist, flaring to the floor with its full volume \
                   and even gathers or panels; keep its embroidery, mirror work and hem border. If \
                   the product photo includes a choli or a dupatta, dress the person in them too; \
                   otherwise keep a fitted top that matches.",
        },
        GarmentCategory::SalwarKameez => Guide {
            what: "salwar kameez (a long tunic worn over loose trousers)",
            wear: "The kameez falls from the shoulders to the knees or below, with side slits from \
                   the hips; the salwar is gathered at the waist, loose through the legs and narrow \
                   at the ankles. Keep the neckline, yoke and embroidery where they are on the \
                   product. If a dupatta is included, drape it over both shoulders, falling in front.",
        },
        GarmentCategory::Kurta => Guide {
            what: "kurta (a long tunic)",
            wear: "It falls from the shoulders to the hips or knees as in the product photo, with \
                   its side slits, placket and collar. Keep the person's trousers or leggings; if \
                   the legs would otherwise be bare, add plain churidar in a matching colour.",
        },
        GarmentCategory::Dupatta => Guide {
            what: "dupatta (a long, light scarf)",
            wear: "Add it over the person's existing outfit, draped across both shoulders with the \
                   ends falling in front to about the knees, or over one shoulder and across the \
                   chest. Never cover the face. Keep its border, tassels and print visible, in soft, \
                   natural folds.",
        },
        GarmentCategory::Auto => Guide {
            what: "garment",
            wear: "Recognise what kind of garment it is and dress the person the way it is \
                   normally worn, replacing only the clothing it would replace.",
        },
    }
}

/// What every try-on keeps, in every mode ("that photo" names the person's photo).
pub(crate) const KEEP: &str = "Keep the person's face, expression, hair, skin tone, body shape and pose exactly \
    the same, and keep the background, framing, camera angle and lighting of that photo unchanged. \
    Keep the garment's colours, pattern, prints, logos and any text exactly as in its product \
    photo: legible, not mirrored, not invented. The garment must fit this person's body naturally, \
    with realistic folds, drape and shadows that match the lighting of the scene. Do not add \
    accessories or change anything else.";

/// Extra care asked for in the best mode.
pub(crate) const QUALITY_EXTRA: &str = "Preserve fine detail at full resolution: fabric texture, weave, \
    stitching, embroidery, buttons, trims and borders. Match the photo's grain, sharpness and white \
    balance so the garment looks photographed in place, not pasted. Where the new garment covers \
    the original clothing, replace it completely with no trace of the old garment; keep hands and \
    fingers as they are.";

/// The try-on prompt for garments given as images 1..=n (in this order), the person as image
/// n + 1.
pub fn tryon_prompt(categories: &[GarmentCategory], quality: QualityMode) -> String {
    let n = categories.len().max(1);
    let person = n + 1;
    let mut text = String::from("Create a professional e-commerce fashion photo. ");
    if let [category] = categories {
        text.push_str(&format!(
            "Take the {} from image 1 and let the person from image 2 wear it. ",
            guide(*category).what
        ));
    } else {
        text.push_str(&format!(
            "Dress the person from image {person} in the garments from images 1 to {n}, worn \
             together as one outfit, the later images outermost: "
        ));
        let listed: Vec<String> = categories
            .iter()
            .enumerate()
            .map(|(i, c)| format!("image {} is the {}", i + 1, guide(*c).what))
            .collect();
        text.push_str(&listed.join("; "));
        text.push_str(". ");
    }
    for (i, category) in categories.iter().enumerate() {
        if categories.len() > 1 {
            text.push_str(&format!("For image {}: ", i + 1));
        }
        text.push_str(guide(*category).wear);
        text.push(' ');
    }
    text.push_str(&KEEP.replace("that photo", &format!("image {person}")));
    if quality == QualityMode::Best {
        text.push(' ');
        text.push_str(QUALITY_EXTRA);
    }
    text.push_str(" Return only the finished photo.");
    squash_spaces(&text)
}

/// Collapses the runs of spaces the line continuations above leave.
pub(crate) fn squash_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_garment_refers_to_images_by_position_and_keeps_identity() {
        let prompt = tryon_prompt(&[GarmentCategory::Top], QualityMode::Fast);
        assert!(
            prompt.contains("from image 1 and let the person from image 2"),
            "{prompt}"
        );
        assert!(prompt.contains("image 2 unchanged"), "{prompt}");
        assert!(prompt.contains("logos"), "{prompt}");
        assert!(!prompt.contains("  "));
        assert!(!prompt.contains("fine detail"));
        assert!(tryon_prompt(&[GarmentCategory::Top], QualityMode::Best).contains("fine detail"));
    }

    #[test]
    fn south_asian_garments_get_their_own_draping() {
        let saree = tryon_prompt(&[GarmentCategory::Saree], QualityMode::Fast);
        assert!(
            saree.contains("pallu") && saree.contains("pleats"),
            "{saree}"
        );
        let dupatta = tryon_prompt(&[GarmentCategory::Dupatta], QualityMode::Fast);
        assert!(dupatta.contains("Never cover the face"), "{dupatta}");
        for category in GarmentCategory::ALL {
            assert!(!guide(category).wear.is_empty());
        }
    }

    #[test]
    fn outfits_name_every_garment_and_the_person_last() {
        let prompt = tryon_prompt(
            &[GarmentCategory::Lehenga, GarmentCategory::Dupatta],
            QualityMode::Fast,
        );
        assert!(prompt.contains("person from image 3"), "{prompt}");
        assert!(prompt.contains("image 1 is the lehenga"), "{prompt}");
        assert!(prompt.contains("image 2 is the dupatta"), "{prompt}");
    }
}
