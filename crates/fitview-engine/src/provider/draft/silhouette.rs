//! Binary silhouettes and the row-run measurements that both the person and the garment analysis
//! read landmarks from.
//!
//! A silhouette is scanned row by row: each row is a list of runs (maximal spans of foreground).
//! The body (or the garment's body) is the run under a tracked centre line; arms and sleeves are
//! runs beside it, or widen it where they join.

use crate::pipeline::components::for_each_component;

/// A point in pixels, `[x, y]`.
pub(crate) type P = [f32; 2];

/// A span of foreground pixels in one row, `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Run {
    pub start: usize,
    pub end: usize,
}

impl Run {
    pub fn width(self) -> f32 {
        (self.end - self.start) as f32
    }

    pub fn centre(self) -> f32 {
        (self.start + self.end) as f32 * 0.5
    }

    /// Left edge as a pixel coordinate (centre of the first pixel).
    pub fn left(self) -> f32 {
        self.start as f32
    }

    /// Right edge as a pixel coordinate (centre of the last pixel).
    pub fn right(self) -> f32 {
        self.end as f32 - 1.0
    }
}

/// A binary mask, row-major.
#[derive(Debug, Clone)]
pub(crate) struct Mask {
    pub width: usize,
    pub height: usize,
    pub data: Vec<bool>,
}

impl Mask {
    /// Foreground where `alpha >= threshold`.
    pub fn from_alpha(alpha: &[u8], width: usize, height: usize, threshold: u8) -> Self {
        Self {
            width,
            height,
            data: alpha.iter().map(|&a| a >= threshold).collect(),
        }
    }

    pub fn get(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.height && self.data[y * self.width + x]
    }

    pub fn row(&self, y: usize) -> &[bool] {
        &self.data[y * self.width..(y + 1) * self.width]
    }

    /// The runs of row `y`, left to right, into `out` (cleared first).
    pub fn runs_into(&self, y: usize, out: &mut Vec<Run>) {
        out.clear();
        if y >= self.height {
            return;
        }
        let row = self.row(y);
        let mut x = 0;
        while x < row.len() {
            if row[x] {
                let start = x;
                while x < row.len() && row[x] {
                    x += 1;
                }
                out.push(Run { start, end: x });
            } else {
                x += 1;
            }
        }
    }

    /// The runs of row `y`.
    pub fn runs(&self, y: usize) -> Vec<Run> {
        let mut out = Vec::new();
        self.runs_into(y, &mut out);
        out
    }

    /// The run of row `y` that contains column `x`.
    pub fn run_at(&self, y: usize, x: f32) -> Option<Run> {
        if y >= self.height || x < 0.0 {
            return None;
        }
        let xi = x.round() as usize;
        if xi >= self.width || !self.get(xi, y) {
            return None;
        }
        let row = self.row(y);
        let mut start = xi;
        while start > 0 && row[start - 1] {
            start -= 1;
        }
        let mut end = xi + 1;
        while end < row.len() && row[end] {
            end += 1;
        }
        Some(Run { start, end })
    }

    /// First and last rows with any foreground.
    pub fn row_extent(&self) -> Option<(usize, usize)> {
        let first = (0..self.height).find(|&y| self.row(y).iter().any(|&v| v))?;
        let last = (0..self.height)
            .rev()
            .find(|&y| self.row(y).iter().any(|&v| v))?;
        Some((first, last))
    }

    /// Bounding box `(x0, y0, x1, y1)`, inclusive.
    pub fn bbox(&self) -> Option<(usize, usize, usize, usize)> {
        let (y0, y1) = self.row_extent()?;
        let mut x0 = self.width;
        let mut x1 = 0;
        for y in y0..=y1 {
            let row = self.row(y);
            if let Some(first) = row.iter().position(|&v| v) {
                x0 = x0.min(first);
            }
            if let Some(last) = row.iter().rposition(|&v| v) {
                x1 = x1.max(last);
            }
        }
        Some((x0, y0, x1, y1))
    }

    /// Topmost foreground row of column `x` at or below `from_y`.
    pub fn column_top(&self, x: usize, from_y: usize) -> Option<usize> {
        if x >= self.width {
            return None;
        }
        (from_y..self.height).find(|&y| self.data[y * self.width + x])
    }

    /// Keeps only the largest 4-connected foreground component; returns its area.
    pub fn keep_largest_component(&mut self) -> usize {
        let data = &self.data;
        let mut largest: Vec<usize> = Vec::new();
        for_each_component(
            self.width,
            self.height,
            |i| data[i],
            |component| {
                if component.len() > largest.len() {
                    largest = component.to_vec();
                }
            },
        );
        self.data.iter_mut().for_each(|v| *v = false);
        for &i in &largest {
            self.data[i] = true;
        }
        largest.len()
    }
}

/// Where the body's sides meet the arms (or a garment's body meets its sleeves).
///
/// Follows the run under `centre` upwards from row `start_y` to row `stop_y`; a side whose edge
/// jumps outward by more than a few pixels in one row has merged with an arm: the junction is the
/// last edge point before the jump. Returns `[left, right]`.
pub(crate) fn side_junctions(
    mask: &Mask,
    start_y: usize,
    stop_y: usize,
    centre: f32,
) -> [Option<P>; 2] {
    let mut found = [None, None];
    let Some(run) = mask.run_at(start_y, centre) else {
        return found;
    };
    let (mut l, mut r) = (run.left(), run.right());
    let mut y = start_y;
    while y > stop_y {
        y -= 1;
        let Some(run) = mask.run_at(y, (l + r) * 0.5) else {
            break;
        };
        let jump = (0.06 * (r - l)).max(2.5);
        if found[0].is_none() {
            if run.left() < l - jump {
                found[0] = Some([l, (y + 1) as f32]);
            } else {
                l = run.left();
            }
        }
        if found[1].is_none() {
            if run.right() > r + jump {
                found[1] = Some([r, (y + 1) as f32]);
            } else {
                r = run.right();
            }
        }
        if found[0].is_some() && found[1].is_some() {
            break;
        }
    }
    found
}

/// Median of a small list (sorted in place); `None` when empty.
pub(crate) fn median(values: &mut [f32]) -> Option<f32> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f32::total_cmp);
    Some(values[values.len() / 2])
}

pub(crate) fn lerp(a: f32, b: f32, t: f32) -> f32 {
    a + (b - a) * t
}

pub(crate) fn dist(a: P, b: P) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(rows: &[&str]) -> Mask {
        let width = rows[0].len();
        let data = rows
            .iter()
            .flat_map(|r| r.bytes().map(|b| b == b'#'))
            .collect();
        Mask {
            width,
            height: rows.len(),
            data,
        }
    }

    #[test]
    fn runs_and_the_run_under_a_column() {
        let m = mask(&["..##..###."]);
        assert_eq!(
            m.runs(0),
            vec![Run { start: 2, end: 4 }, Run { start: 6, end: 9 }]
        );
        assert_eq!(m.run_at(0, 7.0), Some(Run { start: 6, end: 9 }));
        assert_eq!(m.run_at(0, 5.0), None);
    }

    #[test]
    fn junctions_are_where_arms_join_the_body() {
        let m = mask(&[
            "..##########..",
            ".############.",
            "##....###...##",
            "##....###...##",
            "......###.....",
        ]);
        let [l, r] = side_junctions(&m, 4, 0, 7.0);
        assert_eq!(l, Some([6.0, 2.0]));
        assert_eq!(r, Some([8.0, 2.0]));
    }

    #[test]
    fn only_the_largest_component_is_kept() {
        let mut m = mask(&["##...", "##..#", "....."]);
        assert_eq!(m.keep_largest_component(), 4);
        assert!(!m.get(4, 1));
    }
}
