//! A [`Scene`] as an inline SVG element for the dashboard page: presentation attributes only
//! (no `style`, no script), so the storefront's content security policy lets it through, and
//! the title as the image's accessible name.

use std::fmt::Write;

use super::{Anchor, Item, Scene};

/// `&`, `<`, `>` and quotes as entities.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn points(points: &[(f32, f32)]) -> String {
    points
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The scene as `<svg>…</svg>`.
pub fn to_svg(scene: &Scene) -> String {
    let mut out = String::new();
    let (w, h) = (scene.width, scene.height);
    let title = escape(&scene.title);
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{title}" font-family="Helvetica, Arial, sans-serif"><title>{title}</title>"#
    );
    for item in &scene.items {
        match item {
            Item::Rect { x, y, w, h, fill } => {
                let _ = write!(
                    out,
                    r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{}"/>"#,
                    fill.hex()
                );
            }
            Item::Line {
                points: p,
                stroke,
                width,
                dashed,
            } => {
                let dash = if *dashed {
                    r#" stroke-dasharray="4 3""#
                } else {
                    ""
                };
                let _ = write!(
                    out,
                    r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="{width}"{dash}/>"#,
                    points(p),
                    stroke.hex()
                );
            }
            Item::Area { points: p, fill } => {
                let _ = write!(
                    out,
                    r#"<polygon points="{}" fill="{}"/>"#,
                    points(p),
                    fill.hex()
                );
            }
            Item::Text {
                x,
                y,
                text,
                size,
                anchor,
                colour,
                bold,
            } => {
                let anchor = match anchor {
                    Anchor::Start => "start",
                    Anchor::Middle => "middle",
                    Anchor::End => "end",
                };
                let weight = if *bold { r#" font-weight="bold""# } else { "" };
                let _ = write!(
                    out,
                    r#"<text x="{x:.1}" y="{y:.1}" font-size="{size}" text-anchor="{anchor}" fill="{}"{weight}>{}</text>"#,
                    colour.hex(),
                    escape(text)
                );
            }
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::bars::{Bar, horizontal};

    #[test]
    fn labels_are_escaped_and_the_title_names_the_image() {
        let bars = [Bar {
            label: "<script>alert(1)</script> & co".into(),
            value: 3.0,
            shown: "3".into(),
        }];
        let svg = to_svg(&horizontal("Top \"products\"", &bars, 300.0));
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(svg.ends_with("</svg>"));
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;"));
        assert!(
            svg.contains(r#"aria-label="Top &quot;products&quot;""#),
            "{svg}"
        );
        assert!(!svg.contains("style="));
    }
}
