//! The report as a PDF a retailer can forward: A4 pages with the headline figures, the funnel,
//! the top products, models and sizes as charts and tables, try-ons per day and the best
//! sellers' forecasts with how far to trust them; page numbers at the foot.

use pdf_writer::{Content, Date, Finish, Name, Pdf, Rect, Ref, TextStr};

use super::charts;
use super::figures::Figures;
use super::words::{count, forecast_note, money, percent, tryons_note};
use crate::charts::pdf::{Fonts, draw, text};
use crate::charts::text_width::{fit, width};
use crate::charts::{Colour, Scene};

/// A4 in points.
const PAGE: (f32, f32) = (595.0, 842.0);
/// Margin on every side.
const MARGIN: f32 = 48.0;
/// Width between the margins.
const BODY: f32 = PAGE.0 - 2.0 * MARGIN;
/// Space after a block.
const GAP: f32 = 18.0;
/// Height of a table row.
const ROW: f32 = 14.0;
/// The fonts as the pages' resources name them.
const FONTS: Fonts<'static> = Fonts {
    regular: Name(b"F1"),
    bold: Name(b"F2"),
};

/// How a column of a table is aligned.
#[derive(Clone, Copy)]
enum Align {
    Left,
    Right,
}

/// Pages being filled top to bottom.
struct Pages {
    done: Vec<Content>,
    page: Content,
    /// Top of the free space on this page, in PDF coordinates.
    y: f32,
}

impl Pages {
    fn new() -> Self {
        Pages {
            done: Vec::new(),
            page: Content::new(),
            y: PAGE.1 - MARGIN,
        }
    }

    /// Starts a new page unless `height` more fits on this one.
    fn need(&mut self, height: f32) {
        if self.y - height < MARGIN + ROW {
            let full = std::mem::replace(&mut self.page, Content::new());
            self.done.push(full);
            self.y = PAGE.1 - MARGIN;
        }
    }

    fn line(&mut self, words: &str, size: f32, bold: bool, colour: Colour) {
        self.need(size + 4.0);
        self.y -= size;
        let words = fit(words, size, BODY);
        text(
            &mut self.page,
            FONTS,
            (MARGIN, self.y),
            &words,
            size,
            bold,
            colour,
        );
        self.y -= 4.0;
    }

    /// Words broken into lines that fit the body.
    fn paragraph(&mut self, words: &str, size: f32, colour: Colour) {
        let mut line = String::new();
        for word in words.split_whitespace() {
            let longer = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if width(&longer, size, false) > BODY && !line.is_empty() {
                self.line(&line, size, false, colour);
                line = word.to_owned();
            } else {
                line = longer;
            }
        }
        if !line.is_empty() {
            self.line(&line, size, false, colour);
        }
    }

    fn heading(&mut self, words: &str) {
        // A heading never ends a page: it keeps two rows of what follows with it.
        self.need(14.0 + 4.0 + 3.0 * ROW);
        self.line(words, 14.0, true, Colour::INK);
        self.y -= 4.0;
    }

    fn chart(&mut self, scene: &Scene) {
        self.need(scene.height);
        draw(&mut self.page, FONTS, scene, MARGIN, self.y);
        self.y -= scene.height + GAP;
    }

    /// A table: a bold header row, a rule, then the rows; columns' widths are shares of the body.
    fn table(&mut self, columns: &[(&str, f32, Align)], rows: &[Vec<String>]) {
        let header: Vec<String> = columns.iter().map(|c| c.0.to_owned()).collect();
        self.need(3.0 * ROW);
        self.row(columns, &header, true);
        self.rule();
        for cells in rows {
            if self.y - ROW < MARGIN + ROW {
                self.need(ROW * 3.0);
                self.row(columns, &header, true);
                self.rule();
            }
            self.row(columns, cells, false);
        }
        self.y -= GAP;
    }

    fn row(&mut self, columns: &[(&str, f32, Align)], cells: &[String], bold: bool) {
        self.y -= ROW;
        let size = 9.0;
        let mut x = MARGIN;
        for ((_, share, align), cell) in columns.iter().zip(cells) {
            let room = share * BODY;
            let words = fit(cell, size, room - 6.0);
            let at = match align {
                Align::Left => x,
                Align::Right => x + room - width(&words, size, bold),
            };
            text(
                &mut self.page,
                FONTS,
                (at, self.y + 4.0),
                &words,
                size,
                bold,
                Colour::INK,
            );
            x += room;
        }
    }

    fn rule(&mut self) {
        self.page.set_stroke_rgb(0.6, 0.6, 0.6);
        self.page.set_line_width(0.5);
        self.page.move_to(MARGIN, self.y + 1.0);
        self.page.line_to(MARGIN + BODY, self.y + 1.0);
        self.page.stroke();
    }

    /// Headline figures side by side: a small label over a large value.
    fn headlines(&mut self, figures: &[(&str, String)]) {
        self.need(40.0);
        let room = BODY / figures.len() as f32;
        for (i, (label, value)) in figures.iter().enumerate() {
            let x = MARGIN + room * i as f32;
            text(
                &mut self.page,
                FONTS,
                (x, self.y - 9.0),
                label,
                9.0,
                false,
                Colour::MUTED,
            );
            text(
                &mut self.page,
                FONTS,
                (x, self.y - 28.0),
                &fit(value, 16.0, room - 8.0),
                16.0,
                true,
                Colour::INK,
            );
        }
        self.y -= 40.0 + GAP;
    }

    fn finish(mut self) -> Vec<Content> {
        self.done.push(self.page);
        self.done
    }
}

fn product_rows(figures: &Figures) -> Vec<Vec<String>> {
    figures
        .products
        .iter()
        .map(|p| {
            let f = &p.figures;
            vec![
                p.name.clone(),
                count(f.views),
                count(f.tryons),
                count(f.cart_units),
                count(f.purchased_units),
                count(f.returned_units),
                money(f.revenue_cents, None),
                percent(f.conversion),
            ]
        })
        .collect()
}

fn size_rows(figures: &Figures) -> Vec<Vec<String>> {
    figures
        .sizes
        .iter()
        .map(|s| {
            let main_reason = s
                .return_reasons
                .iter()
                .max_by_key(|(_, n)| **n)
                .map_or_else(|| "–".to_owned(), |(r, n)| format!("{} ({n})", r.as_str()));
            vec![
                if s.size.is_empty() {
                    "no size".to_owned()
                } else {
                    s.size.clone()
                },
                count(s.cart_units),
                count(s.purchased_units),
                count(s.returned_units),
                percent(s.return_rate),
                main_reason,
            ]
        })
        .collect()
}

/// The report's pages as a PDF file.
pub fn pdf(figures: &Figures) -> Vec<u8> {
    let mut pages = Pages::new();
    let scope = match &figures.product {
        Some(name) => format!("product: {name}"),
        None => "whole catalog".to_owned(),
    };
    pages.line(
        &format!("{}: try-on report", figures.shop),
        20.0,
        true,
        Colour::INK,
    );
    pages.line(
        &format!(
            "{} to {}, {scope}. Made on {} by FitView.",
            figures.from, figures.to, figures.made_on
        ),
        10.0,
        false,
        Colour::MUTED,
    );
    pages.y -= GAP / 2.0;
    pages.headlines(&figures.headlines());
    pages.heading("Funnel");
    pages.chart(&charts::funnel(figures, BODY));
    pages.heading("Top products");
    pages.chart(&charts::top_products(figures, BODY));
    pages.table(
        &[
            ("Product", 0.28, Align::Left),
            ("Viewed", 0.09, Align::Right),
            ("Tried on", 0.1, Align::Right),
            ("Carted", 0.09, Align::Right),
            ("Bought", 0.09, Align::Right),
            ("Returned", 0.1, Align::Right),
            ("Revenue", 0.14, Align::Right),
            ("Conv.", 0.11, Align::Right),
        ],
        &product_rows(figures),
    );
    pages.heading("Models");
    pages.chart(&charts::models(figures, BODY));
    pages.heading("Sizes");
    pages.chart(&charts::sizes(figures, BODY));
    pages.table(
        &[
            ("Size", 0.16, Align::Left),
            ("Carted", 0.13, Align::Right),
            ("Bought", 0.13, Align::Right),
            ("Returned", 0.13, Align::Right),
            ("Return rate", 0.15, Align::Right),
            ("Main return reason", 0.3, Align::Right),
        ],
        &size_rows(figures),
    );
    pages.heading("Try-ons");
    pages.chart(&charts::tryons(figures, BODY));
    pages.paragraph(&tryons_note(&figures.days), 9.0, Colour::MUTED);
    pages.y -= GAP;
    if !figures.forecasts.is_empty() {
        pages.heading("Demand forecasts");
    }
    for one in &figures.forecasts {
        pages.chart(&charts::forecast(one, BODY));
        pages.paragraph(&forecast_note(&one.figures), 9.0, Colour::MUTED);
        pages.y -= GAP;
    }
    write(figures, pages.finish())
}

fn write(figures: &Figures, contents: Vec<Content>) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let first_page = 6;
    let total = contents.len();
    let page_ids: Vec<Ref> = (0..total)
        .map(|i| Ref::new(first_page + 2 * i as i32))
        .collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(total as i32);
    pdf.type1_font(regular)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    let made = figures.made_on;
    let title = format!(
        "{}: try-on report {} to {}",
        figures.shop, figures.from, figures.to
    );
    pdf.document_info(info)
        .title(TextStr(&title))
        .producer(TextStr("FitView"))
        .creation_date(
            Date::new(u16::try_from(chrono::Datelike::year(&made)).unwrap_or(2000))
                .month(chrono::Datelike::month(&made) as u8)
                .day(chrono::Datelike::day(&made) as u8),
        );
    for (i, mut content) in contents.into_iter().enumerate() {
        let footer = format!("{} · page {} of {total}", figures.shop, i + 1);
        text(
            &mut content,
            FONTS,
            (MARGIN, MARGIN / 2.0),
            &footer,
            8.0,
            false,
            Colour::MUTED,
        );
        let page_id = page_ids[i];
        let content_id = Ref::new(page_id.get() + 1);
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE.0, PAGE.1));
        page.parent(tree);
        page.contents(content_id);
        let mut resources = page.resources();
        resources
            .fonts()
            .pair(FONTS.regular, regular)
            .pair(FONTS.bold, bold);
        resources.finish();
        page.finish();
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use fitview_insights::aggregate::{ProductFigures, SizeFigures};

    use super::*;
    use crate::analytics::report::figures::Named;

    fn figures(sizes: usize) -> Figures {
        let day = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        let product = ProductFigures {
            product_id: "p1".to_owned(),
            views: 1200,
            tryons: 300,
            cart_units: 90,
            purchased_units: 40,
            returned_units: 6,
            revenue_cents: 119_960,
            conversion: Some(40.0 / 1200.0),
            tryon_conversion: Some(40.0 / 300.0),
        };
        Figures {
            shop: "Shop (one) \\ two".to_owned(),
            product: None,
            from: day,
            to: day + chrono::Days::new(29),
            made_on: day + chrono::Days::new(30),
            funnel: Vec::new(),
            totals: product.clone(),
            products: vec![Named {
                name: "Robe (été) ) 日本".to_owned(),
                figures: product,
            }],
            models: Vec::new(),
            sizes: (0..sizes)
                .map(|i| SizeFigures {
                    size: format!("EU {i}"),
                    cart_units: 3,
                    purchased_units: 2,
                    returned_units: 1,
                    return_rate: Some(0.5),
                    return_reasons: Default::default(),
                })
                .collect(),
            days: Vec::new(),
            forecasts: Vec::new(),
        }
    }

    /// The page tree's count.
    fn pages(pdf: &[u8]) -> usize {
        let raw = String::from_utf8_lossy(pdf);
        let at = raw.find("/Count ").expect("a page tree") + "/Count ".len();
        raw[at..]
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// The PDF's text as `pdftotext` reads it, or `None` without poppler-utils.
    fn text_of(pdf: &[u8]) -> Option<String> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("report.pdf");
        std::fs::write(&file, pdf).unwrap();
        let Ok(out) = std::process::Command::new("pdftotext")
            .arg("-layout")
            .arg(&file)
            .arg("-")
            .output()
        else {
            eprintln!(
                "SKIPPED: pdftotext not found (.ci/debian-packages.sh installs poppler-utils)"
            );
            return None;
        };
        assert!(out.status.success(), "{out:?}");
        Some(String::from_utf8(out.stdout).unwrap())
    }

    #[test]
    fn names_read_back_as_written_whatever_they_hold() {
        let pdf = pdf(&figures(3));
        assert!(pdf.starts_with(b"%PDF-"));
        let raw = String::from_utf8_lossy(&pdf);
        assert!(raw.contains("/BaseFont /Helvetica"));
        assert!(raw.contains("/Encoding /WinAnsiEncoding"));
        let Some(text) = text_of(&pdf) else { return };
        // Parentheses and backslashes are the PDF string's syntax; Latin letters print, the
        // rest is `?`.
        assert!(text.contains("Shop (one) \\ two: try-on report"), "{text}");
        assert!(text.contains("Robe (été) ) ??"), "{text}");
        assert!(text.contains("provider cost 0.00 USD"), "{text}");
    }

    #[test]
    fn a_long_table_flows_onto_more_pages_with_its_header_again() {
        let (few, many) = (pages(&pdf(&figures(3))), pages(&pdf(&figures(120))));
        assert!(few >= 1 && many > few + 1, "{few} then {many}");
        let Some(text) = text_of(&pdf(&figures(120))) else {
            return;
        };
        let headers = text.matches("Return rate").count();
        assert!(headers > many - few, "the header on each page: {text}");
        assert!(text.contains(&format!("page {many} of {many}")), "{text}");
        assert!(text.contains("EU 119"), "the last row: {text}");
    }
}
