//! Seeded randomness: a splitmix64 generator and hash-based value noise.
//!
//! Everything the generator draws comes from here so that output depends on the seed alone.

/// splitmix64: tiny, fast, and good enough for textures and jitter.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Uniform in `[lo, hi)`.
    pub(crate) fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }

    /// Roughly normal with unit variance (sum of three uniforms), cheap enough for per-pixel noise.
    pub(crate) fn gauss(&mut self) -> f32 {
        let v = self.next_u64();
        let a = (v & 0xFFFF) as f32;
        let b = ((v >> 16) & 0xFFFF) as f32;
        let c = ((v >> 32) & 0xFFFF) as f32;
        ((a + b + c) / 65535.0 - 1.5) * 2.0
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hash of a lattice point, in `[0, 1)`.
fn lattice(ix: i32, iy: i32, seed: u64) -> f32 {
    let h =
        mix(seed
            ^ ((ix as u32 as u64) << 32 | iy as u32 as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
    (h >> 40) as f32 / (1u64 << 24) as f32
}

/// Smooth value noise in `[0, 1)`, one lattice cell per unit of `x` and `y`.
pub(crate) fn value_noise(x: f32, y: f32, seed: u64) -> f32 {
    let (fx, fy) = (x.floor(), y.floor());
    let (ix, iy) = (fx as i32, fy as i32);
    let (tx, ty) = (smooth(x - fx), smooth(y - fy));
    let a = lattice(ix, iy, seed);
    let b = lattice(ix + 1, iy, seed);
    let c = lattice(ix, iy + 1, seed);
    let d = lattice(ix + 1, iy + 1, seed);
    let top = a + (b - a) * tx;
    let bottom = c + (d - c) * tx;
    top + (bottom - top) * ty
}

fn smooth(t: f32) -> f32 {
    t * t * (3.0 - 2.0 * t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(Rng::new(7).next_u64(), Rng::new(8).next_u64());
    }

    #[test]
    fn noise_is_bounded_and_continuous() {
        for i in 0..1000 {
            let x = i as f32 * 0.037;
            let v = value_noise(x, x * 0.5, 3);
            assert!((0.0..1.0).contains(&v));
            let w = value_noise(x + 0.001, x * 0.5, 3);
            assert!((v - w).abs() < 0.01);
        }
    }
}
