//! vision: image token estimates against PROTOCOL.md §7 and a Python
//! reference (qwen-vl-utils' `smart_resize`, whose `round` is half-to-even).

use proptest::prelude::*;
use visual_reasoning::models::Family;
use visual_reasoning::vision::{default_max_pixels, fit, image_tokens};

#[test]
fn worked_examples_of_protocol_md() {
    // 406 / 28 = 14.5 rounds to 14 (half to even); rounding up gives 557.
    assert_eq!(image_tokens(1024.0, 406.0, Family::Qvq, None, false), 520);
    assert_eq!(
        image_tokens(1024.0, 406.0, Family::Qwen3Vl, None, false),
        418
    );
}

#[test]
fn default_max_pixels_per_family() {
    assert_eq!(default_max_pixels(Family::Qwen3Vl, false), 2_621_440);
    assert_eq!(default_max_pixels(Family::Qvq, false), 1_003_520);
    assert_eq!(default_max_pixels(Family::Qwen3Vl, true), 16_384 * 32 * 32);
    assert_eq!(default_max_pixels(Family::Qvq, true), 16_384 * 28 * 28);
}

/// (width, height, family, max_pixels, high_resolution, tokens), tokens
/// computed by the Python reference.
type Case = (f64, f64, Family, Option<f64>, bool, u32);

const NAMED: &[Case] = &[
    (1024.0, 406.0, Family::Qvq, None, false, 520),
    (1024.0, 406.0, Family::Qwen3Vl, None, false, 418),
    // Tiny images are upscaled to min_pixels = 4 patches.
    (10.0, 10.0, Family::Qwen3Vl, None, false, 6),
    (10.0, 10.0, Family::Qvq, None, false, 6),
    (16.0, 16.0, Family::Qwen3Vl, None, false, 6),
    (48.0, 48.0, Family::Qwen3Vl, None, false, 6),
    (80.0, 16.0, Family::Qvq, None, false, 7),
    // Extreme aspect ratios.
    (11.0, 2000.0, Family::Qwen3Vl, None, false, 64),
    (3000.0, 15.0, Family::Qwen3Vl, None, false, 96),
    // Huge images are scaled down to max_pixels.
    (8000.0, 6000.0, Family::Qwen3Vl, None, false, 2496),
    (8000.0, 6000.0, Family::Qvq, None, false, 1232),
    (4032.0, 3024.0, Family::Qwen3Vl, None, false, 2496),
    (1920.0, 1080.0, Family::Qwen3Vl, None, false, 2042),
    (1920.0, 1080.0, Family::Qvq, None, false, 1224),
    // vl_high_resolution_images: 16,384 patches.
    (8000.0, 6000.0, Family::Qwen3Vl, None, true, 16172),
    (8000.0, 6000.0, Family::Qvq, None, true, 16172),
    (4032.0, 3024.0, Family::Qwen3Vl, None, true, 11846),
    (100000.0, 100000.0, Family::Qwen3Vl, None, true, 16386),
    // A custom max_pixels.
    (
        1920.0,
        1080.0,
        Family::Qwen3Vl,
        Some(1_003_520.0),
        false,
        945,
    ),
    (1000.0, 1000.0, Family::Qwen3Vl, Some(100_000.0), false, 83),
    // The short side would floor to 0 patches: one patch is the minimum,
    // so this thin image costs more than max_pixels / f² + 2 (= 21).
    (27.0, 3313.0, Family::Qwen3Vl, Some(20_000.0), false, 50),
];

#[test]
fn named_cases_match_the_reference() {
    for &(w, h, fam, max, hr, want) in NAMED {
        assert_eq!(
            image_tokens(w, h, fam, max, hr),
            want,
            "{w}x{h} {fam:?} {max:?} {hr}"
        );
    }
}

const Q3: Family = Family::Qwen3Vl;
const QV: Family = Family::Qvq;

/// 60 random cases from the Python reference (seed 7): (w, h, family,
/// max_pixels or 0 for the default, high_resolution, tokens).
const RANDOM: &[(u32, u32, Family, u32, bool, u32)] = &[
    (2481, 6480, QV, 0, false, 1256),
    (6001, 980, Q3, 0, false, 2502),
    (7114, 6886, Q3, 0, true, 16252),
    (978, 2038, QV, 0, false, 1226),
    (6509, 844, Q3, 0, false, 2522),
    (4754, 6890, Q3, 0, true, 16326),
    (2971, 1702, QV, 0, false, 1271),
    (1606, 8984, QV, 0, false, 1262),
    (8143, 8751, Q3, 0, false, 2498),
    (5934, 4940, QV, 0, true, 16242),
    (1351, 4929, Q3, 5000000, false, 4790),
    (1209, 1944, QV, 0, false, 1262),
    (2500, 8023, QV, 200704, false, 226),
    (5582, 5764, QV, 0, false, 1262),
    (1136, 1543, QV, 0, false, 1232),
    (1004, 5082, Q3, 5000000, false, 4869),
    (6330, 5716, QV, 0, true, 16216),
    (1928, 8098, Q3, 1003520, true, 15182),
    (6529, 6437, Q3, 0, false, 2502),
    (7369, 6616, Q3, 5000000, false, 4820),
    (6814, 5912, QV, 0, false, 1256),
    (2482, 1371, Q3, 0, true, 3356),
    (207, 7955, Q3, 0, false, 1496),
    (77, 2396, QV, 0, false, 260),
    (2066, 8455, QV, 0, false, 1226),
    (7491, 6465, Q3, 0, false, 2540),
    (6570, 1051, QV, 5000000, true, 8932),
    (1811, 5581, Q3, 0, false, 2466),
    (8801, 1706, Q3, 0, false, 2510),
    (3417, 6181, Q3, 0, true, 16342),
    (5976, 7797, QV, 5000000, true, 16354),
    (7937, 5148, QV, 0, true, 16276),
    (4347, 7862, QV, 0, false, 1250),
    (3372, 8670, Q3, 0, false, 2513),
    (8662, 4926, Q3, 2621440, false, 2548),
    (2746, 5840, QV, 0, false, 1250),
    (3664, 3215, QV, 1003520, false, 1256),
    (8490, 8115, Q3, 0, false, 2501),
    (4587, 7759, Q3, 0, false, 2472),
    (7337, 5762, QV, 0, false, 1242),
    (1683, 3726, Q3, 0, false, 2552),
    (41, 3937, QV, 0, false, 143),
    (1974, 6375, Q3, 5000000, false, 4752),
    (7119, 5482, Q3, 5000000, true, 16242),
    (6586, 1423, QV, 0, false, 1218),
    (461, 2486, Q3, 0, false, 1094),
    (7781, 5779, Q3, 0, true, 16282),
    (243, 1693, Q3, 5000000, false, 426),
    (3467, 475, Q3, 0, false, 1622),
    (5351, 4275, Q3, 200704, false, 182),
    (7516, 8503, QV, 1003520, false, 1256),
    (8587, 8406, Q3, 0, true, 16256),
    (74, 2464, Q3, 0, true, 156),
    (1021, 5350, Q3, 0, false, 2532),
    (1748, 940, QV, 0, true, 2110),
    (8328, 7449, Q3, 200704, false, 184),
    (5344, 8308, QV, 0, false, 1234),
    (7421, 8362, QV, 0, false, 1223),
    (8582, 4295, Q3, 1003520, false, 970),
    (2256, 6837, QV, 0, true, 16208),
];

#[test]
fn random_cases_match_the_reference() {
    for &(w, h, fam, max, hr, want) in RANDOM {
        let max = (max > 0).then_some(f64::from(max));
        assert_eq!(
            image_tokens(f64::from(w), f64::from(h), fam, max, hr),
            want,
            "{w}x{h} {fam:?} {max:?} {hr}"
        );
    }
}

#[test]
fn high_resolution_overrides_a_custom_max_pixels() {
    let hr = image_tokens(8000.0, 6000.0, Q3, None, true);
    assert_eq!(image_tokens(8000.0, 6000.0, Q3, Some(200_000.0), true), hr);
}

#[test]
fn custom_max_pixels_is_kept_within_the_services_bounds() {
    // Above 16,384 patches: capped there.
    assert_eq!(
        image_tokens(100000.0, 100000.0, Q3, Some(1e12), false),
        16386
    );
    // Below min_pixels: raised to it (4 patches + 2).
    assert_eq!(image_tokens(1000.0, 1000.0, Q3, Some(10.0), false), 6);
    // Nonsense means the default.
    for bad in [0.0, -5.0, f64::NAN, f64::INFINITY] {
        assert_eq!(
            image_tokens(8000.0, 6000.0, Q3, Some(bad), false),
            image_tokens(8000.0, 6000.0, Q3, None, false)
        );
    }
}

#[test]
fn no_image_costs_nothing() {
    for (w, h) in [
        (0.0, 100.0),
        (100.0, -1.0),
        (f64::NAN, 10.0),
        (10.0, f64::INFINITY),
    ] {
        assert_eq!(image_tokens(w, h, Q3, None, false), 0);
    }
}

#[test]
fn fit_keeps_images_that_fit() {
    assert_eq!(fit(1024, 406, 2_621_440), (1024, 406));
    assert_eq!(fit(1000, 1000, 1_000_000), (1000, 1000));
    assert_eq!(fit(0, 50, 10), (0, 50));
}

#[test]
fn fit_downscales_keeping_the_aspect_ratio() {
    assert_eq!(fit(4032, 3024, 2_621_440), (1869, 1402));
    let (w, h) = fit(8000, 6000, 1_003_520);
    assert!(w * h <= 1_003_520);
    assert_eq!((w, h), (1156, 867));
    assert_eq!(fit(1000, 1000, 250_000), (500, 500));
    // Never below one pixel.
    assert_eq!(fit(100_000, 10, 100), (100, 1));
    assert_eq!(fit(100, 100, 0), (1, 1));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Within the service's input limits (sides >= 10 px, aspect <= 200:1)
    /// an image never costs more than max_pixels / f² + 2 — unless the
    /// downscale would leave the short side under one patch: then it gets
    /// exactly one patch (the reference's `max(f, …)`), and the long side
    /// is still within its scaled length.
    #[test]
    fn tokens_never_exceed_the_budget(
        w in 10u32..30_000, ratio in 0.005f64..200.0, qvq: bool, hr: bool,
        custom in proptest::option::of(20_000u32..20_000_000),
    ) {
        let h = ((f64::from(w) * ratio).round() as u32).max(10);
        prop_assume!(w.max(h) as f64 / w.min(h) as f64 <= 200.0);
        let fam = if qvq { QV } else { Q3 };
        let f = if qvq { 28.0 } else { 32.0 };
        let max = custom.map(f64::from);
        let budget = if hr {
            16_384.0 * f * f
        } else {
            max.map_or(default_max_pixels(fam, false) as f64, |m| m.clamp(4.0 * f * f, 16_384.0 * f * f))
        };
        let t = image_tokens(f64::from(w), f64::from(h), fam, max, hr);
        prop_assert!(t >= 6, "at least min_pixels: {}", t);
        let (short, long) = (f64::from(w.min(h)), f64::from(w.max(h)));
        let beta = (short * long / budget).sqrt();
        if short / beta >= f {
            prop_assert!(f64::from(t) <= budget / (f * f) + 2.0, "{}x{} -> {}", w, h, t);
        } else {
            prop_assert!(f64::from(t) <= (long / beta / f).floor().max(1.0) + 2.0, "{}x{} -> {}", w, h, t);
        }
    }

    /// fit: within budget, never larger than the input, and maximal: one
    /// more pixel on both sides would not fit.
    #[test]
    fn fit_is_the_largest_fitting_size(w in 1u32..50_000, h in 1u32..50_000, max in 1u64..100_000_000) {
        let (fw, fh) = fit(w, h, max);
        prop_assert!(fw <= w && fh <= h);
        prop_assert!(fw >= 1 && fh >= 1);
        if u64::from(w) * u64::from(h) <= max {
            prop_assert_eq!((fw, fh), (w, h));
        } else if fw > 1 && fh > 1 {
            prop_assert!(u64::from(fw) * u64::from(fh) <= max);
            prop_assert!(u64::from(fw + 1) * u64::from(fh + 1) > max);
            // Same aspect ratio, up to the rounding of one pixel per side.
            let r = f64::from(w) / f64::from(h);
            prop_assert!(f64::from(fw) / f64::from(fh + 1) <= r + 1e-9);
            prop_assert!(f64::from(fw + 1) / f64::from(fh) >= r - 1e-9);
        }
    }
}
