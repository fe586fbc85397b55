//! Seeded mutation of valid inputs, for the mutation tests of parsers and decoders: a
//! deterministic stand-in for a fuzzer that runs in CI for a bounded number of cases.
//!
//! ```
//! let mut mutator = fitview_fixtures::Mutator::new(7);
//! let a = mutator.mutate(b"{\"sku\":\"TS\"}");
//! let b = fitview_fixtures::Mutator::new(7).mutate(b"{\"sku\":\"TS\"}");
//! assert_eq!(a, b, "the same seed makes the same cases");
//! ```

use crate::rng::Rng;

/// Bytes that parsers and decoders treat specially: separators, quotes, multi-byte UTF-8 lead
/// and continuation bytes, markers of the image formats.
const INTERESTING: &[u8] = &[
    0x00, b'\n', b'\r', b',', b'"', b'\'', b'[', b']', b'{', b'}', b'=', b':', b'\\', 0x7F, 0x80,
    0xBF, 0xC3, 0xE2, 0xEF, 0xF0, 0xFF, 0xD8, 0xD9, 0xDA, 0xC0, 0xC2,
];

/// Makes variants of an input: flipped bits, interesting bytes, cuts, repeats, big lengths.
#[derive(Debug, Clone)]
pub struct Mutator {
    rng: Rng,
}

impl Mutator {
    /// A mutator whose cases depend on `seed` alone.
    pub fn new(seed: u64) -> Self {
        Self {
            rng: Rng::new(seed),
        }
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.rng.next_u64() % n as u64) as usize
        }
    }

    /// One variant of `input`, made by one to four random edits.
    pub fn mutate(&mut self, input: &[u8]) -> Vec<u8> {
        let mut out = input.to_vec();
        let edits = 1 + self.below(4);
        for _ in 0..edits {
            let at = self.below(out.len() + 1);
            match self.below(7) {
                0 if at < out.len() => out[at] ^= 1 << self.below(8),
                1 if at < out.len() => out[at] = INTERESTING[self.below(INTERESTING.len())],
                2 => {
                    let byte = INTERESTING[self.below(INTERESTING.len())];
                    out.insert(at, byte);
                }
                3 => out.truncate(at),
                4 if at < out.len() => {
                    let len = 1 + self.below((out.len() - at).min(64));
                    out.drain(at..at + len);
                }
                5 if at < out.len() => {
                    let len = 1 + self.below((out.len() - at).min(64));
                    let copy = out[at..at + len].to_vec();
                    let to = self.below(out.len() + 1);
                    out.splice(to..to, copy);
                }
                // A length or dimension field pushed to an extreme.
                _ if at + 4 <= out.len() => {
                    let value = [0u32, 1, 0x7FFF, 0xFFFF, 0x7FFF_FFFF, u32::MAX][self.below(6)];
                    out[at..at + 4].copy_from_slice(&value.to_be_bytes());
                }
                _ => out.push(INTERESTING[self.below(INTERESTING.len())]),
            }
        }
        out
    }
}
