//! The package's global allocator (src/web/bare.rs) in the browser:
//! every allocation of these tests goes through it, and these check its
//! contract directly — alignment (past a page too), contents kept across
//! growth, pages someone else grew left alone, reuse of freed blocks, and
//! memory that stays bounded under churn.
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
    assert_disjoint(&live);
    for (p, l) in live {
        unsafe { dealloc(p, l) };
    }
}

/// No two live blocks overlap.
fn assert_disjoint(live: &[(*mut u8, Layout)]) {
    let mut spans: Vec<_> = live
        .iter()
        .map(|&(p, l)| (p as usize, p as usize + l.size()))
        .collect();
    spans.sort();
    assert!(spans.windows(2).all(|w| w[0].1 <= w[1].0), "{spans:?}");
}

const PAGE: usize = 65_536;

/// Issue 16, bug 6: alignments above a page got page alignment only,
/// breaking the `GlobalAlloc` contract.
#[wasm_bindgen_test]
fn alignments_past_a_page_are_met() {
    let mut live = Vec::new();
    for (size, align) in [
        (100, 128 * 1024),
        (3 * PAGE, 128 * 1024),
        (1, 1 << 20),
        (PAGE, 2 * PAGE),
    ] {
        let layout = Layout::from_size_align(size, align).unwrap();
        let p = unsafe { alloc(layout) };
        assert!(!p.is_null(), "{size} bytes aligned to {align}");
        assert_eq!(p as usize % align, 0, "{size} bytes aligned to {align}");
        unsafe { p.write_bytes(0x5A, size) };
        live.push((p, layout));
    }
    assert_disjoint(&live);
    for (p, l) in live {
        assert!(unsafe { std::slice::from_raw_parts(p, l.size()) }
            .iter()
            .all(|&b| b == 0x5A));
        unsafe { dealloc(p, l) };
    }
}

/// Issue 16, bug 6: when something else (another module's code, a
/// wasm-bindgen table, JS via `memory.grow`) grew the memory between two
/// allocations, the old allocator could carve a block over those pages.
/// Here the test grows the memory itself now and then, amid allocations,
/// growths and frees of every size class (a fixed pseudo-random sequence),
/// fills the pages it got, and checks that no block ever lands on them and
/// that every block and every foreign page keeps its contents.
#[wasm_bindgen_test]
fn pages_grown_by_someone_else_are_left_alone() {
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // (pointer, layout, fill byte)
    let mut live: Vec<(*mut u8, Layout, u8)> = Vec::new();
    let mut foreign: Vec<(usize, usize, u8)> = Vec::new();
    let overlaps_foreign = |p: *mut u8, len: usize, foreign: &[(usize, usize, u8)]| {
        let (start, end) = (p as usize, p as usize + len);
        foreign
            .iter()
            .find(|&&(a, b, _)| start < b && a < end)
            .copied()
    };
    for step in 0..3000u32 {
        let fill = (step % 251) as u8;
        match rng.below(10) {
            // Someone else grows the memory (bounded: 48 pages in all).
            0 if foreign.len() < 24 => {
                let pages = 1 + rng.below(2);
                let old = core::arch::wasm32::memory_grow(0, pages);
                assert_ne!(old, usize::MAX, "the test could not grow the memory");
                let (a, b) = (old * PAGE, (old + pages) * PAGE);
                unsafe { (a as *mut u8).write_bytes(fill, b - a) };
                foreign.push((a, b, fill));
            }
            // Grow a live block (a text accumulating), or shrink it.
            1 | 2 if !live.is_empty() => {
                let i = rng.below(live.len());
                let (p, layout, f) = live[i];
                let new_size = if rng.below(4) == 0 {
                    1 + layout.size() / 2
                } else {
                    (layout.size() * 2).min(1 << 21)
                };
                let q = unsafe { realloc(p, layout, new_size) };
                assert!(!q.is_null());
                let kept = layout.size().min(new_size);
                assert!(
                    unsafe { std::slice::from_raw_parts(q, kept) }
                        .iter()
                        .all(|&b| b == f),
                    "step {step}: realloc lost contents"
                );
                if let Some(r) = overlaps_foreign(q, new_size, &foreign) {
                    panic!(
                        "step {step}: realloc to {new_size} at {q:p} overlaps foreign pages {r:x?}"
                    );
                }
                unsafe { q.write_bytes(f, new_size) };
                live[i] = (
                    q,
                    Layout::from_size_align(new_size, layout.align()).unwrap(),
                    f,
                );
            }
            // Free one.
            3 | 4 if !live.is_empty() => {
                let (p, layout, _) = live.swap_remove(rng.below(live.len()));
                unsafe { dealloc(p, layout) };
            }
            // Allocate, from a few bytes to a megabyte, some over-aligned.
            _ => {
                let size = match rng.below(4) {
                    0 => 1 + rng.below(64),
                    1 => 64 + rng.below(8 * 1024),
                    2 => PAGE / 2 + rng.below(2 * PAGE),
                    _ => PAGE + rng.below(1 << 20),
                };
                // (Alignments past a page have a test of their own.)
                let align = [1, 8, 16, 4096, PAGE][rng.below(5)];
                let layout = Layout::from_size_align(size, align).unwrap();
                let p = unsafe { alloc(layout) };
                assert!(!p.is_null() && p as usize % align == 0, "step {step}");
                if let Some(r) = overlaps_foreign(p, size, &foreign) {
                    panic!("step {step}: {size} bytes at {p:p} overlap foreign pages {r:x?}");
                }
                unsafe { p.write_bytes(fill, size) };
                live.push((p, layout, fill));
            }
        }
        // Bounded: free the oldest blocks past 24 MB live.
        while live.iter().map(|b| b.1.size()).sum::<usize>() > 24 << 20 {
            let (p, layout, _) = live.remove(0);
            unsafe { dealloc(p, layout) };
        }
    }
    for &(a, b, fill) in &foreign {
        let pages = unsafe { std::slice::from_raw_parts(a as *const u8, b - a) };
        assert!(
            pages.iter().all(|&x| x == fill),
            "foreign pages {a:#x}..{b:#x} were written"
        );
    }
    for (i, &(p, layout, f)) in live.iter().enumerate() {
        let bytes = unsafe { std::slice::from_raw_parts(p, layout.size()) };
        assert!(bytes.iter().all(|&x| x == f), "block {i} lost its contents");
        unsafe { dealloc(p, layout) };
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
