//! The checks together, on the conformance suite's sample person and garment.

use std::sync::Arc;

use image::{Rgba, RgbaImage};

use super::*;
use crate::provider::conformance::{sample_garment, sample_person, sample_tryon_image};
use crate::request::GarmentCategory;

fn reference(size: (u32, u32)) -> Reference {
    let garment = PreparedGarment {
        image: Arc::new(sample_garment(size)),
        category: GarmentCategory::Top,
    };
    Reference::try_on(
        &sample_person(size),
        &Placement::full(size.0, size.1),
        None,
        &[garment],
    )
}

fn names(checks: &[Check]) -> Vec<CheckName> {
    checks.iter().map(|c| c.name).collect()
}

#[test]
fn a_good_try_on_passes_every_check() {
    let reference = reference((1024, 1024));
    assert!(reference.head_box().is_some());
    let checks = check(
        &sample_tryon_image((1024, 1024)),
        &reference,
        &ValidationConfig::default(),
    );
    assert_eq!(
        names(&checks),
        [
            CheckName::Size,
            CheckName::Aspect,
            CheckName::NotBlank,
            CheckName::ColourVariety,
            CheckName::KeepsPerson,
            CheckName::ShowsGarment
        ]
    );
    assert!(failed(checks.clone()).is_empty(), "{checks:#?}");
}

#[test]
fn a_blank_frame_fails_with_its_names() {
    let reference = reference((1024, 1024));
    let black = RgbaImage::from_pixel(1024, 1024, Rgba([0, 0, 0, 255]));
    let failed = failed(check(&black, &reference, &ValidationConfig::default()));
    let failed = names(&failed);
    for name in [
        CheckName::NotBlank,
        CheckName::ColourVariety,
        CheckName::KeepsPerson,
        CheckName::ShowsGarment,
    ] {
        assert!(failed.contains(&name), "{name} not in {failed:?}");
    }
    assert!(!failed.contains(&CheckName::Size));
}

#[test]
fn style_references_ask_for_the_input_or_the_canvas_whichever_is_smaller() {
    assert_eq!(
        Reference::style((300, 400), (768, 1024)).expected_size(),
        (300, 400)
    );
    assert_eq!(
        Reference::style((1536, 2048), (768, 1024)).expected_size(),
        (768, 1024)
    );
    let style = Reference::style((300, 400), (1024, 1024));
    let checks = check(
        &sample_tryon_image((300, 400)),
        &style,
        &ValidationConfig::default(),
    );
    assert_eq!(
        checks.len(),
        4,
        "style variations get the image checks only"
    );
    assert!(style.body_box().is_none());
}

#[test]
fn checks_serialize_with_their_names_and_print_what_failed() {
    let check = Check::new(CheckName::NotBlank, 0.123456, 5.0, Bound::AtLeast);
    let json = serde_json::to_value(&check).unwrap();
    assert_eq!(json["name"], "not_blank");
    assert_eq!(json["value"], 0.1235);
    assert_eq!(json["bound"], "at_least");
    assert!(json.get("detail").is_none());
    assert_eq!(
        check.to_string(),
        "not_blank on image 1: 0.1235 (needs ≥ 5)"
    );
}
