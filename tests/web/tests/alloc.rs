//! The package's global allocator (src/web/bare.rs) in the browser: every
//! allocation of these tests goes through it, and these check its contract
//! directly — alignment, contents kept across growth, reuse of freed blocks,
//! and memory that stays bounded under churn.
#![cfg(target_arch = "wasm32")]

use std::alloc::{alloc, dealloc, realloc, Layout};
// Linked for its #[global_allocator]: nothing else here names the crate,
// and an unnamed dependency is not linked at all.
extern crate visual_reasoning;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn pages() -> usize {
    core::arch::wasm32::memory_size(0)
}

#[wasm_bindgen_test]
fn blocks_are_aligned_and_distinct() {
    let mut live = Vec::new();
    for (size, align) in [
        (1, 1),
        (3, 2),
        (24, 8),
        (100, 16),
        (4096, 4096),
        (70_000, 8),
        (8, 64),
    ] {
        let layout = Layout::from_size_align(size, align).unwrap();
        let p = unsafe { alloc(layout) };
        assert!(!p.is_null());
        assert_eq!(p as usize % align, 0, "{size} bytes aligned to {align}");
        unsafe { p.write_bytes(0xA5, size) };
        live.push((p, layout));
    }
    // No two live blocks overlap.
    let mut spans: Vec<_> = live
        .iter()
        .map(|&(p, l)| (p as usize, p as usize + l.size()))
        .collect();
    spans.sort();
    assert!(spans.windows(2).all(|w| w[0].1 <= w[1].0), "{spans:?}");
    for (p, l) in live {
        unsafe { dealloc(p, l) };
    }
}

#[wasm_bindgen_test]
fn growth_keeps_contents_and_never_overlaps_a_neighbour() {
    // Sizes no earlier test used, so the blocks are carved fresh, in order.
    let mut layout = Layout::from_size_align(1 << 18, 1).unwrap();
    let mut p = unsafe { alloc(layout) };
    unsafe { p.write_bytes(7, 1 << 18) };
    let mut filled = 1 << 18;
    // Doubling, as a String accumulating a reply does, with live blocks
    // allocated between growths: some growths extend in place, others
    // must move.
    let mut others: Vec<Vec<u8>> = Vec::new();
    for step in 0..6u8 {
        let new_size = layout.size() * 2;
        p = unsafe { realloc(p, layout, new_size) };
        assert!(!p.is_null());
        layout = Layout::from_size_align(new_size, 1).unwrap();
        let bytes = unsafe { std::slice::from_raw_parts(p, filled) };
        assert!(
            bytes.iter().all(|&b| b == 7),
            "contents lost at step {step}"
        );
        unsafe { p.add(filled).write_bytes(7, new_size - filled) };
        filled = new_size;
        for k in 0..3usize {
            // Dense sizes in one class, so these are carved after p.
            others.push(vec![step; (1 << 17) + k]);
        }
        let mut spans: Vec<(usize, usize)> = others
            .iter()
            .map(|v| (v.as_ptr() as usize, v.as_ptr() as usize + v.len()))
            .chain([(p as usize, p as usize + filled)])
            .collect();
        spans.sort();
        assert!(
            spans.windows(2).all(|w| w[0].1 <= w[1].0),
            "overlap at step {step}"
        );
    }
    for (i, v) in others.iter().enumerate() {
        assert!(
            v.iter().all(|&b| b == (i / 3) as u8),
            "a growth overwrote block {i}"
        );
    }
    // Shrinking keeps the prefix.
    p = unsafe { realloc(p, layout, 10) };
    assert!(unsafe { std::slice::from_raw_parts(p, 10) }
        .iter()
        .all(|&b| b == 7));
    unsafe { dealloc(p, Layout::from_size_align(10, 1).unwrap()) };
}

#[wasm_bindgen_test]
fn churn_reuses_freed_blocks_so_memory_stays_bounded() {
    // Warm up: the working set of a round (a growing block settles in
    // the free lists over a few rounds).
    let round = || {
        let mut v: Vec<Vec<u8>> = Vec::new();
        for i in 0..200usize {
            v.push(vec![i as u8; 1 + (i * 37) % 5000]);
        }
        let mut s = String::new();
        for _ in 0..2000 {
            s.push_str("reasoning text ");
        }
        (v.len(), s.len())
    };
    for _ in 0..40 {
        round();
    }
    let before = pages();
    for _ in 0..300 {
        assert_eq!(round(), (200, 30_000));
    }
    assert_eq!(pages(), before, "memory grew under churn of the same sizes");
}
