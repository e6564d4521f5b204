//! The few `f64` operations the core needs that live in std, not core.
//!
//! floor, ceil, trunc and round-half-to-even are written here with a
//! truncating `as i64` (one wasm instruction, `i64.trunc_sat_f64_s`)
//! instead of libm's bit-twiddling versions (≈ 1 KB of wasm less); the
//! tests hold them to libm, bit for bit, zeros' signs included. sqrt is
//! the engine's `Math.sqrt` in the npm build and libm's elsewhere: both are
//! IEEE 754's correctly rounded square root, so the results are the same
//! bits (wasm's own `f64.sqrt` is unstable in Rust, and std is absent).

/// From 2^52 on, every `f64` is an integer.
const INTEGRAL: f64 = 4_503_599_627_370_496.0;
const SIGN: u64 = 1 << 63;

/// Towards zero; -0.0 for a negative `x` above -1, as libm.
pub(crate) fn trunc(x: f64) -> f64 {
    // NaN fails the test and is returned as it is, so are the infinities.
    if x.abs() < INTEGRAL {
        // |x| < 2^52 fits an i64; `as` cannot saturate here.
        let t = x as i64 as f64;
        // Only a zero can lose x's sign; setting it on a nonzero t of the
        // same sign changes nothing.
        f64::from_bits(t.to_bits() | (x.to_bits() & SIGN))
    } else {
        x
    }
}

pub(crate) fn floor(x: f64) -> f64 {
    let t = trunc(x);
    // t - 1 is exact: |t| < 2^52 whenever t != x.
    if t > x {
        t - 1.0
    } else {
        t
    }
}

pub(crate) fn ceil(x: f64) -> f64 {
    let t = trunc(x);
    if t < x {
        t + 1.0
    } else {
        t
    }
}

/// Half to even, as Python's `round` (the reference resize code) does:
/// adding and taking away 2^52 leaves an `f64` with no fractional bits,
/// rounded the IEEE default way, which is to nearest, ties to even.
pub(crate) fn round_ties_even(x: f64) -> f64 {
    // NaN and the infinities fail the test and are returned as they are.
    if x.abs() < INTEGRAL {
        let r = if x < 0.0 {
            x - INTEGRAL + INTEGRAL
        } else {
            x + INTEGRAL - INTEGRAL
        };
        // -0.4 rounds to -0.0, as libm's rint.
        f64::from_bits(r.to_bits() | (x.to_bits() & SIGN))
    } else {
        x
    }
}

#[cfg(not(all(target_arch = "wasm32", feature = "binding")))]
pub(crate) use libm::sqrt;

/// `Math.sqrt` of the JavaScript engine that loaded the module
/// (crates/engine), as `json::write`'s `String(n)`.
#[cfg(all(target_arch = "wasm32", feature = "binding"))]
pub(crate) use engine::sqrt;

/// Whether `x` has no fractional part (false for NaN and infinities).
pub(crate) fn is_integral(x: f64) -> bool {
    x.is_finite() && trunc(x) == x
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    #[test]
    fn integral() {
        assert!(is_integral(3.0) && is_integral(-0.0) && is_integral(1e300));
        assert!(!is_integral(2.5) && !is_integral(f64::NAN) && !is_integral(f64::INFINITY));
    }

    #[test]
    fn rounding_is_half_to_even() {
        assert_eq!(round_ties_even(2.5), 2.0);
        assert_eq!(round_ties_even(3.5), 4.0);
        assert_eq!(round_ties_even(-2.5), -2.0);
        assert_eq!((floor(-1.5), ceil(-1.5), sqrt(9.0)), (-2.0, -1.0, 3.0));
    }

    /// Each function and libm's, bit for bit (NaN: both NaN).
    fn same(x: f64) -> Result<(), TestCaseError> {
        for (name, ours, theirs) in [
            ("trunc", trunc(x), libm::trunc(x)),
            ("floor", floor(x), libm::floor(x)),
            ("ceil", ceil(x), libm::ceil(x)),
            ("rint", round_ties_even(x), libm::rint(x)),
        ] {
            prop_assert!(
                ours.to_bits() == theirs.to_bits() || (ours.is_nan() && theirs.is_nan()),
                "{}({:e}) = {:e}, libm {:e}",
                name,
                x,
                ours,
                theirs
            );
        }
        Ok(())
    }

    /// The edges: zeros, halves, the integers around 2^52 and 2^53 where
    /// the shortcuts switch, the ends of i64, subnormals, infinities, NaN.
    #[test]
    fn edges_match_libm() {
        let mut xs = vec![
            0.0,
            0.5,
            1.5,
            2.5,
            0.5 - f64::EPSILON / 4.0,
            1.0 - f64::EPSILON / 2.0,
            f64::MIN_POSITIVE,
            5e-324,
            f64::MAX,
            f64::INFINITY,
            f64::NAN,
            i64::MAX as f64,
            INTEGRAL,
            2.0 * INTEGRAL,
        ];
        for k in 0..64 {
            let p = libm::exp2(f64::from(k));
            xs.extend([p, p + 0.5, p - 0.5, p * 1.5]);
        }
        for base in [INTEGRAL, 2.0 * INTEGRAL] {
            let mut v = base;
            for _ in 0..8 {
                v = f64::from_bits(v.to_bits() - 1);
                xs.push(v);
            }
            let mut v = base;
            for _ in 0..8 {
                v = f64::from_bits(v.to_bits() + 1);
                xs.push(v);
            }
        }
        for x in xs {
            same(x).unwrap();
            same(-x).unwrap();
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// Any f64 at all (every exponent, NaNs, infinities).
        #[test]
        fn any_bits_match_libm(bits in any::<u64>()) {
            same(f64::from_bits(bits))?;
        }

        /// The values the vision maths rounds: a side (up to 2^32 pixels,
        /// and beyond) over a patch factor, scaled.
        #[test]
        fn image_ratios_match_libm(side in 0.0f64..1e10, f in 1.0f64..64.0, scale in 0.0f64..4.0) {
            same(side / f)?;
            same(side * scale / f)?;
            same(-side / f)?;
        }

        /// Quarters and halves (the ties) across the exact range.
        #[test]
        fn ties_match_libm(n in -(1i64 << 53)..(1i64 << 53), q in 0u8..4) {
            same(n as f64 + f64::from(q) * 0.25)?;
        }
    }
}
