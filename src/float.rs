//! The few `f64` operations the core needs that live in std, not core;
//! `libm` has them without std (the npm build has none, see web/bare.rs).

pub(crate) use libm::{ceil, floor, sqrt};

/// Half to even, as Python's `round` (the reference resize code) does.
/// `rint` rounds in the current rounding mode, which Rust never changes
/// from round-to-nearest-even.
pub(crate) fn round_ties_even(x: f64) -> f64 {
    libm::rint(x)
}

/// Whether `x` has no fractional part (false for NaN and infinities).
pub(crate) fn is_integral(x: f64) -> bool {
    x.is_finite() && libm::trunc(x) == x
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
