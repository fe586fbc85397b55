//! Versioned prompt templates for style variations of a finished try-on photo with Grok Imagine
//! (image edits: the photo is the input image).
//!
//! Each template says what changes and, just as firmly, what must not: the person and the
//! garment. User-supplied words (a colour, a background description) are cleaned and bounded
//! before they enter a prompt. [`PROMPT_VERSION`] is part of every variation's identity: change
//! any wording here and bump it.

use crate::error::{Error, Result};
use crate::provider::Style;
use crate::provider::gemini::prompts::{KEEP, QUALITY_EXTRA, guide, squash_spaces};
use crate::request::{GarmentCategory, QualityMode};

/// Version of the whole template set; bump on any change to the text below.
pub const PROMPT_VERSION: &str = "grok-styles/1";

/// Version of the try-on template; bump on any change to its text (or to the garment wording
/// it shares with the Gemini set).
pub const TRYON_PROMPT_VERSION: &str = "grok-tryon/1";

/// The try-on edit prompt: the person is `<IMAGE_0>`, the garments `<IMAGE_1>` onwards (in
/// this order, outermost last), as xAI's multi-image edits name their sources. The garment
/// wording and what must be kept are the Gemini set's.
pub fn tryon_prompt(categories: &[GarmentCategory], quality: QualityMode) -> String {
    let mut text = String::from(
        "Virtual try-on for a professional e-commerce fashion photo. <IMAGE_0> is the photo of \
         the person; ",
    );
    let listed: Vec<String> = categories
        .iter()
        .enumerate()
        .map(|(i, c)| {
            format!(
                "<IMAGE_{}> is the product photo of a {}",
                i + 1,
                guide(*c).what
            )
        })
        .collect();
    text.push_str(&listed.join("; "));
    if categories.len() > 1 {
        text.push_str(". Dress the person in all of them together as one outfit, the later images outermost. ");
    } else {
        text.push_str(". Dress the person in it. ");
    }
    for (i, category) in categories.iter().enumerate() {
        if categories.len() > 1 {
            text.push_str(&format!("For <IMAGE_{}>: ", i + 1));
        }
        text.push_str(guide(*category).wear);
        text.push(' ');
    }
    text.push_str(&KEEP.replace("that photo", "<IMAGE_0>"));
    if quality == QualityMode::Best {
        text.push(' ');
        text.push_str(QUALITY_EXTRA);
    }
    text.push_str(" Return only the edited photo of the person, at the framing of <IMAGE_0>.");
    squash_spaces(&text)
}

/// The style names this template set covers, as listed in capabilities.
pub const STYLES: [&str; 5] = ["casual", "formal", "party", "color-variant", "background"];

const KEEP_PERSON_AND_GARMENT: &str = "Keep the same person: face, expression, hair, skin tone, \
    body shape and pose unchanged. Keep the same garment: its cut, fit, colour, pattern, prints, \
    logos and any text exactly as in the input photo.";

const SCENE_LIGHT: &str = "Change only the surroundings and the light: relight the person to \
    match the new scene, with natural shadows where they meet the ground. Photorealistic, \
    fashion-editorial quality, same framing.";

/// The edit prompt for `style`.
pub fn style_prompt(style: &Style) -> Result<String> {
    let text = match style {
        Style::Casual => format!(
            "Re-stage this fashion photo in a relaxed everyday scene: a sunny city street with a \
             café terrace, or a leafy park path, in soft natural daylight, candid lifestyle \
             mood. {KEEP_PERSON_AND_GARMENT} {SCENE_LIGHT}"
        ),
        Style::Formal => format!(
            "Re-stage this fashion photo in a refined formal setting: a modern office lobby with \
             glass and stone, or an elegant evening venue, in warm, even, flattering light. \
             {KEEP_PERSON_AND_GARMENT} {SCENE_LIGHT}"
        ),
        Style::Party => format!(
            "Re-stage this fashion photo at a festive evening party: warm string lights as soft \
             bokeh, a blurred celebrating crowd in the background, rich colour accents. \
             {KEEP_PERSON_AND_GARMENT} {SCENE_LIGHT}"
        ),
        Style::ColorVariant { color } => {
            let color = clean(color, 40, "colour")?;
            format!(
                "Change only the colour of the garment the person is wearing to {color}. Keep its \
                 fabric, texture, folds, shading and construction; recolour prints and trims only \
                 where they share the garment's main colour, and keep logos and text legible. \
                 Keep the person, pose, background and lighting exactly as they are."
            )
        }
        Style::Background { description } => {
            let description = clean(description, 200, "background description")?;
            format!(
                "Replace only the background of this photo with: {description}. Keep the person \
                 and the garment exactly as they are, and match the light direction and colour \
                 of the new background on them, with natural contact shadows. Photorealistic, \
                 same framing."
            )
        }
        #[allow(unreachable_patterns)]
        _ => {
            return Err(Error::NotSupported {
                provider: "grok".to_owned(),
                detail: format!("style `{}` has no prompt template", style.slug()),
            });
        }
    };
    Ok(squash_spaces(&text))
}

/// User words for a prompt: printable, single-line, bounded, not empty.
fn clean(text: &str, max_chars: usize, what: &str) -> Result<String> {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if cleaned.is_empty() {
        return Err(Error::invalid_input(format!("the {what} is empty")));
    }
    if cleaned.chars().count() > max_chars {
        return Err(Error::invalid_input(format!(
            "the {what} is longer than {max_chars} characters"
        )));
    }
    Ok(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenes_differ_and_all_keep_person_and_garment() {
        let prompts: Vec<String> = [Style::Casual, Style::Formal, Style::Party]
            .iter()
            .map(|s| style_prompt(s).unwrap())
            .collect();
        assert_ne!(prompts[0], prompts[1]);
        assert_ne!(prompts[1], prompts[2]);
        for p in &prompts {
            assert!(
                p.contains("Keep the same person") && p.contains("logos"),
                "{p}"
            );
        }
    }

    #[test]
    fn user_words_are_cleaned_and_bounded() {
        let p = style_prompt(&Style::ColorVariant {
            color: "emerald\n green".into(),
        })
        .unwrap();
        assert!(p.contains("to emerald green."), "{p}");
        let long = Style::Background {
            description: "x".repeat(500),
        };
        assert_eq!(style_prompt(&long).unwrap_err().code(), "invalid_input");
        let empty = Style::ColorVariant {
            color: " \t".into(),
        };
        assert_eq!(style_prompt(&empty).unwrap_err().code(), "invalid_input");
    }

    #[test]
    fn the_tryon_prompt_names_the_person_first_and_each_garment_by_position() {
        let one = tryon_prompt(&[GarmentCategory::Top], QualityMode::Fast);
        assert!(
            one.contains("<IMAGE_0> is the photo of the person"),
            "{one}"
        );
        assert!(
            one.contains("<IMAGE_1> is the product photo of a top"),
            "{one}"
        );
        assert!(
            !one.contains("<IMAGE_2>") && !one.contains("fine detail"),
            "{one}"
        );
        let outfit = tryon_prompt(
            &[GarmentCategory::Kurta, GarmentCategory::Dupatta],
            QualityMode::Best,
        );
        assert!(
            outfit.contains("<IMAGE_2> is the product photo of a dupatta"),
            "{outfit}"
        );
        assert!(
            outfit.contains("one outfit") && outfit.contains("fine detail"),
            "{outfit}"
        );
        assert!(!outfit.contains("  "));
    }
}
