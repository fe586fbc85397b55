//! A retailer's size scale: every size label of its products and charts in one order, smallest
//! first, so that sizes of different products compare (the insights models number sizes by
//! their place on it).
//!
//! Letter sizes go by the usual order (`XXS` < `XS` < `S` < `M` < `L` < `XL` < `XXL` < ...,
//! `2XL` the same as `XXL`), numeric sizes by value (`38` < `40`), after the letters; any other
//! label goes last, in the order the retailer's products first list it.

use fitview_insights::recommend::size::{ScaleError, SizeScale};

/// Letter sizes, smallest first; the index is the rank.
const LETTERS: [&[&str]; 10] = [
    &["XXXS", "3XS"],
    &["XXS", "2XS"],
    &["XS"],
    &["S"],
    &["M"],
    &["L"],
    &["XL"],
    &["XXL", "2XL"],
    &["XXXL", "3XL"],
    &["XXXXL", "4XL"],
];

/// Where a label sorts: letters, then numbers, then the rest by first appearance.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
enum Rank {
    Letter(usize),
    Number(f64),
    Other(usize),
}

fn rank(label: &str, first_seen: usize) -> Rank {
    let upper = label.trim().to_ascii_uppercase();
    if let Some(i) = LETTERS
        .iter()
        .position(|names| names.contains(&upper.as_str()))
    {
        return Rank::Letter(i);
    }
    match upper.replace(',', ".").parse::<f64>() {
        Ok(n) if n.is_finite() => Rank::Number(n),
        _ => Rank::Other(first_seen),
    }
}

/// The scale of `labels` (repeats allowed, in the order the catalogue lists them).
///
/// # Errors
/// [`ScaleError`] when there is no label or more than a scale can hold.
pub fn scale_of<'a>(labels: impl IntoIterator<Item = &'a str>) -> Result<SizeScale, ScaleError> {
    let mut unique: Vec<&str> = Vec::new();
    for label in labels {
        if !unique.contains(&label) {
            unique.push(label);
        }
    }
    let mut ranked: Vec<(Rank, &str)> = unique
        .iter()
        .enumerate()
        .map(|(i, label)| (rank(label, i), *label))
        .collect();
    ranked.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    SizeScale::new(ranked.into_iter().map(|(_, label)| label.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fitview_insights::recommend::shop::Size;

    #[test]
    fn letters_then_numbers_then_the_rest() {
        let scale =
            scale_of(["M", "S", "40", "XL", "38", "Petite", "M", "xs", "One size"]).unwrap();
        let order: Vec<&str> = (0..8).map(|i| scale.label(Size(i))).collect();
        assert_eq!(
            order,
            ["xs", "S", "M", "XL", "38", "40", "Petite", "One size"]
        );
        assert!(scale_of([]).is_err());
    }
}
