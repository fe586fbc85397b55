//! Draws what the models see on a photo: `cargo run -p fitview-vision --example overlay --
//! IN.png OUT.png [garment]`. The person mode tints the background, draws the skeleton and the
//! face outline and prints the points; the garment mode tints what is not the garment.
use fitview_vision::{Landmark, Vision};
use image::{Rgb, RgbImage};

const EDGES: [(usize, usize); 12] = [
    (11, 12),
    (11, 13),
    (13, 15),
    (12, 14),
    (14, 16),
    (11, 23),
    (12, 24),
    (23, 24),
    (23, 25),
    (25, 27),
    (24, 26),
    (26, 28),
];

fn disc(img: &mut RgbImage, x: f32, y: f32, r: i32, c: Rgb<u8>) {
    for dy in -r..=r {
        for dx in -r..=r {
            let (px, py) = (x as i32 + dx, y as i32 + dy);
            if dx * dx + dy * dy <= r * r
                && px >= 0
                && py >= 0
                && (px as u32) < img.width()
                && (py as u32) < img.height()
            {
                img.put_pixel(px as u32, py as u32, c);
            }
        }
    }
}

fn line(img: &mut RgbImage, a: [f32; 2], b: [f32; 2], c: Rgb<u8>) {
    let n = ((b[0] - a[0]).abs().max((b[1] - a[1]).abs()) as usize).max(1);
    for i in 0..=n {
        let t = i as f32 / n as f32;
        disc(
            img,
            a[0] + (b[0] - a[0]) * t,
            a[1] + (b[1] - a[1]) * t,
            1,
            c,
        );
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (input, output) = (args.get(1).ok_or("input")?, args.get(2).ok_or("output")?);
    let img = image::open(input)?.to_rgb8();
    let vision = Vision::global()?;
    let mut vis = img.clone();
    if args.get(3).map(String::as_str) == Some("garment") {
        let t = std::time::Instant::now();
        let mask = vision.garment_mask(&img)?;
        eprintln!("garment mask in {:?}", t.elapsed());
        for (p, m) in vis.pixels_mut().zip(mask.pixels()) {
            let a = f32::from(m[0]) / 255.0;
            p[0] = (f32::from(p[0]) * (0.3 + 0.7 * a) + 255.0 * 0.7 * (1.0 - a)) as u8;
            p[1] = (f32::from(p[1]) * (0.3 + 0.7 * a)) as u8;
            p[2] = (f32::from(p[2]) * (0.3 + 0.7 * a) + 255.0 * 0.7 * (1.0 - a)) as u8;
        }
        vis.save(output)?;
        return Ok(());
    }
    let t = std::time::Instant::now();
    let person = vision.person(&img)?;
    let t_person = t.elapsed();
    let face = vision.face(&img, &person)?;
    eprintln!(
        "person {t_person:?}, +face {:?}; score {:.2} presence {:.3} roi {:?}",
        t.elapsed(),
        person.score,
        person.presence,
        person.roi
    );
    for (p, m) in vis.pixels_mut().zip(person.mask.pixels()) {
        let a = f32::from(m[0]) / 255.0;
        p[0] = (f32::from(p[0]) * (0.35 + 0.65 * a) + 255.0 * 0.65 * (1.0 - a)) as u8;
        p[1] = (f32::from(p[1]) * (0.35 + 0.65 * a)) as u8;
        p[2] = (f32::from(p[2]) * (0.35 + 0.65 * a) + 255.0 * 0.65 * (1.0 - a)) as u8;
    }
    let pts = &person.points.points;
    for (a, b) in EDGES {
        line(&mut vis, pts[a].xy(), pts[b].xy(), Rgb([0, 255, 0]));
    }
    for (i, p) in pts.iter().enumerate() {
        let c = if p.visibility < 0.5 {
            Rgb([128, 128, 128])
        } else if i % 2 == 1 {
            Rgb([255, 60, 0])
        } else {
            Rgb([0, 120, 255])
        };
        disc(&mut vis, p.x, p.y, 4, c);
    }
    if let Some(face) = &face {
        let oval = face.oval();
        for k in 0..oval.len() {
            line(
                &mut vis,
                oval[k],
                oval[(k + 1) % oval.len()],
                Rgb([255, 255, 255]),
            );
        }
        eprintln!("face score {:.2} bbox {:?}", face.score, face.bbox());
    }
    for which in [
        Landmark::Nose,
        Landmark::LeftShoulder,
        Landmark::RightShoulder,
        Landmark::LeftElbow,
        Landmark::RightElbow,
        Landmark::LeftWrist,
        Landmark::RightWrist,
        Landmark::LeftHip,
        Landmark::RightHip,
        Landmark::LeftKnee,
        Landmark::RightKnee,
        Landmark::LeftAnkle,
        Landmark::RightAnkle,
    ] {
        let p = person.points.get(which);
        eprintln!(
            "{which:?}: ({:.0}, {:.0}) vis {:.2}",
            p.x, p.y, p.visibility
        );
    }
    vis.save(output)?;
    Ok(())
}
