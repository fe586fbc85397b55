//! The offline draft on real photos and on the fixtures in real-photo conditions (grey-scale,
//! coloured or busy backdrops, one garment over another): what a shopper would see, in regions
//! located by the body points the vision models find on the input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use fitview_engine::pipeline;
use fitview_engine::provider::draft::DraftProvider;
use fitview_engine::provider::{GeneratedImage, PreparedGarment, ProviderRequest};
use fitview_engine::{GarmentCategory, Limits, QualityMode};
use fitview_vision::{BodyPoints, Landmark, Vision};
use image::{RgbImage, RgbaImage};

const CANVAS: (u32, u32) = (1024, 1024);

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn png(img: &RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn canvas_of(bytes: &[u8]) -> RgbaImage {
    pipeline::prepare_person(bytes, &Limits::default(), CANVAS, None)
        .unwrap()
        .canvas
}

fn fixture_person(id: &str) -> RgbImage {
    image::open(root().join(format!("fixtures/persons/{id}.jpg")))
        .unwrap()
        .to_rgb8()
}

fn photo(name: &str) -> RgbImage {
    image::open(root().join(format!("crates/fitview-vision/tests/photos/{name}")))
        .unwrap()
        .to_rgb8()
}

fn garment(stem: &str) -> RgbaImage {
    let path = ["jpg", "png"]
        .iter()
        .map(|ext| root().join(format!("fixtures/garments/{stem}.{ext}")))
        .find(|p| p.exists())
        .unwrap();
    pipeline::prepare_garment(&std::fs::read(path).unwrap(), &Limits::default(), CANVAS).unwrap()
}

fn render(person: &RgbaImage, garments: &[(&RgbaImage, GarmentCategory)]) -> RgbaImage {
    let request = ProviderRequest {
        person: Arc::new(person.clone()),
        garments: garments
            .iter()
            .map(|(g, category)| PreparedGarment {
                image: Arc::new((*g).clone()),
                category: *category,
            })
            .collect(),
        person_landmarks: None,
        seed: None,
        samples: 1,
        quality: QualityMode::Fast,
    };
    let out = DraftProvider::new()
        .render(&request)
        .unwrap_or_else(|e| panic!("not made: {e}"));
    match out.images.into_iter().next() {
        Some(GeneratedImage::Pixels(px)) => px,
        _ => panic!("the draft returns pixels"),
    }
}

fn points(img: &RgbaImage) -> BodyPoints {
    let rgb = RgbImage::from_fn(img.width(), img.height(), |x, y| {
        let [r, g, b, _] = img.get_pixel(x, y).0;
        image::Rgb([r, g, b])
    });
    Vision::global().unwrap().person(&rgb).unwrap().points
}

fn grey(img: &RgbImage) -> RgbImage {
    RgbImage::from_fn(img.width(), img.height(), |x, y| {
        let [r, g, b] = img.get_pixel(x, y).0;
        let v = (0.299 * f32::from(r) + 0.587 * f32::from(g) + 0.114 * f32::from(b)) as u8;
        image::Rgb([v, v, v])
    })
}

fn rgb_at(img: &RgbaImage, p: [f32; 2]) -> [f32; 3] {
    let (x, y) = (p[0].round() as u32, p[1].round() as u32);
    let mut sum = [0.0; 3];
    let mut n = 0.0;
    for yy in y.saturating_sub(2)..=y + 2 {
        for xx in x.saturating_sub(2)..=x + 2 {
            let q = img
                .get_pixel(xx.min(img.width() - 1), yy.min(img.height() - 1))
                .0;
            for c in 0..3 {
                sum[c] += f32::from(q[c]);
            }
            n += 1.0;
        }
    }
    sum.map(|v| v / n)
}

fn distance(a: [f32; 3], b: [f32; 3]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

fn median_garment_colour(g: &RgbaImage) -> [f32; 3] {
    let mut ch: [Vec<u8>; 3] = Default::default();
    for p in g.pixels().filter(|p| p.0[3] == 255) {
        for (channel, v) in ch.iter_mut().zip(p.0) {
            channel.push(v);
        }
    }
    ch.map(|mut v| {
        v.sort_unstable();
        f32::from(v[v.len() / 2])
    })
}

/// Points on a grid over the chest: between the shoulders, from a little below them down
/// `depth` of the shoulder span.
fn chest(p: &BodyPoints, depth: f32) -> Vec<[f32; 2]> {
    let (l, r) = (
        p.get(Landmark::LeftShoulder),
        p.get(Landmark::RightShoulder),
    );
    let (x0, x1) = (l.x.min(r.x), l.x.max(r.x));
    let span = x1 - x0;
    let y0 = (l.y + r.y) * 0.5 + 0.15 * span;
    let mut out = Vec::new();
    for i in 1..=6 {
        for k in 0..=4 {
            let x = x0 + span * (0.2 + 0.6 * i as f32 / 7.0);
            out.push([x, y0 + depth * span * k as f32 / 4.0]);
        }
    }
    out
}

/// Share of `at` where the output is closer to `garment` than the input was.
fn garment_share(before: &RgbaImage, after: &RgbaImage, garment: [f32; 3], at: &[[f32; 2]]) -> f32 {
    let hits = at
        .iter()
        .filter(|&&p| {
            distance(rgb_at(after, p), garment) < distance(rgb_at(before, p), garment) * 0.6
        })
        .count();
    hits as f32 / at.len() as f32
}

#[test]
fn a_grey_scale_photo_is_made_with_the_garment_on_the_chest() {
    for person in [
        grey(&photo("astronaut.png")),
        photo("camera.png"),
        grey(&fixture_person("average-olive-half")),
    ] {
        let canvas = canvas_of(&png(&person));
        let shirt = garment("tshirt-plain");
        let out = render(&canvas, &[(&shirt, GarmentCategory::Top)]);
        let p = points(&canvas);
        let share = garment_share(
            &canvas,
            &out,
            median_garment_colour(&shirt),
            &chest(&p, 0.5),
        );
        assert!(share >= 0.7, "garment on {share:.2} of the chest");
        // The face is kept as it was.
        let nose = p.get(Landmark::Nose);
        assert_eq!(
            distance(rgb_at(&canvas, nose.xy()), rgb_at(&out, nose.xy())),
            0.0
        );
    }
}

#[test]
fn a_person_on_a_coloured_backdrop_is_dressed_and_the_backdrop_kept() {
    let person = fixture_person("average-medium-full");
    // The light studio sweep replaced by a saturated teal.
    let teal = RgbImage::from_fn(person.width(), person.height(), |x, y| {
        let p = person.get_pixel(x, y).0;
        if p.iter().map(|&c| u32::from(c)).sum::<u32>() >= 600 {
            image::Rgb([20, 140, 150])
        } else {
            image::Rgb(p)
        }
    });
    let canvas = canvas_of(&png(&teal));
    let shirt = garment("shirt-striped");
    let out = render(&canvas, &[(&shirt, GarmentCategory::Top)]);
    let p = points(&canvas);
    let share = garment_share(
        &canvas,
        &out,
        median_garment_colour(&shirt),
        &chest(&p, 0.8),
    );
    assert!(share >= 0.7, "garment on {share:.2} of the chest");
    for (x, y) in [(5, 5), (1018, 5), (5, 1018), (1018, 1018), (120, 500)] {
        assert_eq!(
            canvas.get_pixel(x, y),
            out.get_pixel(x, y),
            "backdrop at ({x}, {y})"
        );
    }
}

#[test]
fn a_short_sleeve_over_a_long_one_leaves_bare_forearms() {
    let canvas = canvas_of(&png(&fixture_person("slim-light-full")));
    let long = garment("longsleeve-logo");
    let wearing_long = render(&canvas, &[(&long, GarmentCategory::Top)]);
    let p = points(&wearing_long);
    let long_colour = median_garment_colour(&long);
    // Points on each forearm, elbow to wrist.
    let forearms: Vec<[f32; 2]> = [
        (Landmark::LeftElbow, Landmark::LeftWrist),
        (Landmark::RightElbow, Landmark::RightWrist),
    ]
    .iter()
    .flat_map(|&(e, w)| {
        let (e, w) = (p.get(e), p.get(w));
        (3..=7).map(move |i| {
            let t = i as f32 / 10.0;
            [e.x + (w.x - e.x) * t, e.y + (w.y - e.y) * t]
        })
    })
    .collect();
    let sleeved = forearms
        .iter()
        .filter(|&&q| distance(rgb_at(&wearing_long, q), long_colour) < 60.0)
        .count();
    assert!(
        sleeved * 10 >= forearms.len() * 7,
        "the long sleeve covers the forearms first ({sleeved} of {})",
        forearms.len()
    );
    let tee = garment("tshirt-plain");
    let out = render(&wearing_long, &[(&tee, GarmentCategory::Top)]);
    let skin = rgb_at(&canvas, p.get(Landmark::Nose).xy());
    let left = forearms
        .iter()
        .filter(|&&q| {
            let c = rgb_at(&out, q);
            distance(c, long_colour) < distance(c, skin)
        })
        .count();
    assert!(
        left * 10 <= forearms.len(),
        "long sleeve left on {left} of {} forearm points",
        forearms.len()
    );
}

#[test]
fn full_length_trousers_reach_the_ankles() {
    for id in ["slim-light-full", "broad-deep-full"] {
        let canvas = canvas_of(&png(&fixture_person(id)));
        let jeans = garment("jeans-blue");
        let out = render(&canvas, &[(&jeans, GarmentCategory::Bottom)]);
        if let Ok(dir) = std::env::var("FITVIEW_DRAFT_DUMP") {
            out.save(format!("{dir}/jeans-{id}.png")).unwrap();
        }
        let p = points(&canvas);
        let colour = median_garment_colour(&jeans);
        let shins: Vec<[f32; 2]> = [
            (Landmark::LeftKnee, Landmark::LeftAnkle),
            (Landmark::RightKnee, Landmark::RightAnkle),
        ]
        .iter()
        .flat_map(|&(k, a)| {
            let (k, a) = (p.get(k), p.get(a));
            [0.3f32, 0.6, 0.85].map(|t| [k.x + (a.x - k.x) * t, k.y + (a.y - k.y) * t])
        })
        .collect();
        let covered = shins
            .iter()
            .filter(|&&q| {
                distance(rgb_at(&out, q), colour) < distance(rgb_at(&canvas, q), colour) * 0.6
            })
            .count();
        assert_eq!(
            covered,
            shins.len(),
            "{id}: jeans on {covered} of {} shin points",
            shins.len()
        );
    }
}
