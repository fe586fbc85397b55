//! Item-item co-occurrence: products shoppers try on, cart and buy in the same session, weighted
//! BM25-style so that popular products and long sessions do not drown everything (as the `implicit`
//! library's item-item recommender does, after Robertson and Zaragoza, "The Probabilistic
//! Relevance Framework: BM25 and Beyond", 2009).
//!
//! Sessions are the documents and products their terms. Product `i` in session `b` weighs
//!
//! `w(b, i) = idf_i · (k1 + 1) / (k1 · (1 - B + B · |b| / avg|b|) + 1)`, `idf_i = ln(1 + N / df_i)`
//!
//! (`N` sessions, `df_i` of them with `i`), and the similarity of `i` and `j` is
//! `S_ij = Σ_b w(b, i) · w(b, j)`. Each product keeps its `top_k` most similar neighbours.

use std::collections::HashMap;

/// BM25's constants and the neighbours kept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bm25 {
    /// Saturation `k1`.
    pub k1: f32,
    /// Length normalisation `B`.
    pub b: f32,
    /// Neighbours kept per product.
    pub top_k: usize,
    /// Longest session counted (the first products of a longer one): a crawler's session would
    /// otherwise cost its length squared.
    pub max_session: usize,
}

impl Default for Bm25 {
    fn default() -> Self {
        Self {
            k1: 1.2,
            b: 0.75,
            top_k: 100,
            max_session: 50,
        }
    }
}

/// For each of `items` products, its neighbours `(product, S)`, most similar first, from
/// `sessions` (each the distinct products of one session, numbered below `items`).
pub fn item_neighbours(sessions: &[Vec<u32>], items: usize, bm25: &Bm25) -> Vec<Vec<(u32, f32)>> {
    let sessions: Vec<&[u32]> = sessions
        .iter()
        .map(|s| &s[..s.len().min(bm25.max_session)])
        .filter(|s| s.len() > 1)
        .collect();
    let mut df = vec![0u32; items];
    for s in &sessions {
        for &i in *s {
            if let Some(d) = df.get_mut(i as usize) {
                *d += 1;
            }
        }
    }
    let n = sessions.len() as f32;
    let average = sessions.iter().map(|s| s.len()).sum::<usize>() as f32 / n.max(1.0);
    let mut similar: Vec<HashMap<u32, f32>> = vec![HashMap::new(); items];
    for s in &sessions {
        let norm = bm25.k1 * (1.0 - bm25.b + bm25.b * s.len() as f32 / average) + 1.0;
        let weights: Vec<(u32, f32)> = s
            .iter()
            .filter(|&&i| (i as usize) < items)
            .map(|&i| {
                (
                    i,
                    (1.0 + n / df[i as usize] as f32).ln() * (bm25.k1 + 1.0) / norm,
                )
            })
            .collect();
        for &(i, wi) in &weights {
            for &(j, wj) in &weights {
                if i != j {
                    *similar[i as usize].entry(j).or_default() += wi * wj;
                }
            }
        }
    }
    similar
        .into_iter()
        .map(|neighbours| {
            let mut list: Vec<(u32, f32)> = neighbours.into_iter().collect();
            list.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            list.truncate(bm25.top_k);
            list
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_product_in_every_session_is_a_weaker_neighbour_than_a_specific_one() {
        // 0 is in every session; 1 and 2 are tried together twice, 1 and 0 three times.
        let sessions = vec![
            vec![0, 1, 2],
            vec![0, 1, 2],
            vec![0, 1],
            vec![0, 3],
            vec![0, 4],
            vec![0, 5],
        ];
        let neighbours = item_neighbours(&sessions, 6, &Bm25::default());
        let ranked: Vec<u32> = neighbours[1].iter().map(|(j, _)| *j).collect();
        assert_eq!(ranked, [2, 0]);
        assert!(neighbours[3].iter().all(|(j, _)| *j == 0));
        assert_eq!(
            neighbours[1][0].1,
            neighbours[2].iter().find(|(j, _)| *j == 1).unwrap().1
        );
    }

    #[test]
    fn single_product_sessions_and_the_cap_are_respected() {
        let sessions = vec![vec![0], vec![1, 2, 3]];
        let bm25 = Bm25 {
            max_session: 2,
            top_k: 1,
            ..Bm25::default()
        };
        let neighbours = item_neighbours(&sessions, 4, &bm25);
        assert!(neighbours[0].is_empty());
        assert_eq!(neighbours[1].len(), 1);
        assert!(neighbours[3].is_empty());
    }
}
