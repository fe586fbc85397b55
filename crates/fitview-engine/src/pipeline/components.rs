//! 4-connected components of a row-major grid: the one flood fill that the matte, the draft
//! provider's masks and the output checks share.

/// Calls `visit` with the pixel indices of each 4-connected component of the pixels for which
/// `member` is true, in order of each component's first pixel in row-major order.
pub(crate) fn for_each_component(
    width: usize,
    height: usize,
    member: impl Fn(usize) -> bool,
    mut visit: impl FnMut(&[usize]),
) {
    let mut seen = vec![false; width * height];
    let mut stack = Vec::new();
    let mut component = Vec::new();
    for start in 0..width * height {
        if seen[start] || !member(start) {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        component.clear();
        while let Some(i) = stack.pop() {
            component.push(i);
            let (x, y) = (i % width, i / width);
            let neighbours = [
                (x > 0).then(|| i - 1),
                (x + 1 < width).then(|| i + 1),
                (y > 0).then(|| i - width),
                (y + 1 < height).then(|| i + width),
            ];
            for j in neighbours.into_iter().flatten() {
                if !seen[j] && member(j) {
                    seen[j] = true;
                    stack.push(j);
                }
            }
        }
        visit(&component);
    }
}

/// Whether pixel `i` of a `width` × `height` grid lies on its border.
pub(crate) fn on_border(i: usize, width: usize, height: usize) -> bool {
    let (x, y) = (i % width, i / width);
    x == 0 || y == 0 || x + 1 == width || y + 1 == height
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagonal_pixels_are_separate_components_and_each_pixel_is_visited_once() {
        // 1 1 0
        // 0 0 1
        // 1 0 1
        let grid = [true, true, false, false, false, true, true, false, true];
        let mut sizes = Vec::new();
        let mut visited = 0;
        for_each_component(
            3,
            3,
            |i| grid[i],
            |c| {
                sizes.push(c.len());
                visited += c.len();
            },
        );
        assert_eq!(sizes, vec![2, 2, 1]);
        assert_eq!(visited, 5);
        assert!(on_border(0, 3, 3) && !on_border(4, 3, 3));
    }
}
