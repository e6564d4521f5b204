//! What std would otherwise bring to the wasm build: a global allocator
//! (every wasm32 build) and, for the npm build (`--features bare`), a panic
//! handler.
//!
//! std's panic path formats its message with `core::fmt` and its default
//! allocator is dlmalloc; together ≈ 4 KB gzip of a budget of 36. A panic
//! here traps (`unreachable`), as `panic = "abort"` did before — the core
//! is written not to panic at all.
//!
//! Measured against talc (issue 16: the maintained allocator for wasm),
//! this one is 0.4 KB gzip smaller and parses 2–4 % faster (Node 20, CPU
//! time of 9.4 and 15.3 MB replies, medians of 90–135 runs); talc
//! coalesces, so it ends a 40 MB reply with 1 MB less wasm memory.

// The allocator is unsafe by nature (GlobalAlloc, raw pointers); nothing
// else in the crate is.
#![allow(unsafe_code)]

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::cell::UnsafeCell;

// One thread is what makes the `Sync` below sound.
#[cfg(target_feature = "atomics")]
compile_error!(
    "visual-reasoning's wasm allocator is single-threaded: build without the atomics target feature"
);

#[cfg(feature = "bare")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    wasm32::unreachable()
}

/// Power-of-two size classes with one free list each, carved from a bump
/// region that grows the memory. O(1) both ways, no coalescing: a freed
/// block is reused only by a request of its own class, so the footprint is
/// bounded by the peak live bytes of each class (at most 2× per block for
/// rounding). The parser's allocations — a carry buffer under a fixed cap,
/// per-read scratch, one request body — are few and recur at the same
/// sizes, which is the case this serves well.
pub(crate) struct Allocator(UnsafeCell<State>);

struct State {
    /// Heads of the free lists, by log2 of the block size; 0 = empty.
    free: [usize; 32],
    /// The unused tail of the region being carved.
    next: usize,
    end: usize,
}

// SAFETY: only a build without the atomics feature compiles (above), and
// wasm32 without it runs one thread: nothing is ever shared.
unsafe impl Sync for Allocator {}

const MIN_CLASS: u32 = 4; // 16-byte blocks: room for the free-list link
const PAGE: usize = 65_536;

fn class(layout: Layout) -> u32 {
    let size = layout.size().max(layout.align()).max(1 << MIN_CLASS);
    // Sizes over 2 GiB do not fit wasm32's 4 GiB memory twice over; the
    // caller gets null (an allocation error), never a wrapped size.
    if size > 1 << 31 {
        return 32;
    }
    usize::BITS - (size - 1).leading_zeros()
}

/// Grows the memory by `pages`: where the new pages start and end.
fn grow(pages: usize) -> Option<(usize, usize)> {
    let old = wasm32::memory_grow(0, pages);
    if old == usize::MAX {
        return None;
    }
    let start = old.checked_mul(PAGE)?;
    Some((start, start.checked_add(pages.checked_mul(PAGE)?)?))
}

impl State {
    /// Grows the memory so that `bytes` more fit after `next`, keeping the
    /// region contiguous; false if the memory cannot grow or someone else
    /// grew it meanwhile (then the new pages become the region: what was
    /// left of the old one is given up, never carved over foreign pages).
    fn reserve(&mut self, bytes: usize) -> bool {
        let need = self.next.saturating_add(bytes).saturating_sub(self.end);
        let Some((start, end)) = grow(need.div_ceil(PAGE)) else {
            return false;
        };
        let contiguous = start == self.end;
        if !contiguous {
            self.next = start;
        }
        self.end = end;
        contiguous
    }

    /// A fresh block of `size` bytes at a multiple of `align` (both powers
    /// of two), growing the memory by what is missing.
    fn carve(&mut self, size: usize, align: usize) -> *mut u8 {
        // Each round either returns or grows the memory, so this ends.
        loop {
            let start = self.next.checked_add(align - 1).map(|n| n & !(align - 1));
            let Some(stop) = start.and_then(|s| s.checked_add(size)) else {
                return core::ptr::null_mut();
            };
            if stop <= self.end {
                self.next = stop;
                return (stop - size) as *mut u8;
            }
            let Some((base, end)) = grow((stop - self.end).div_ceil(PAGE)) else {
                return core::ptr::null_mut();
            };
            if base != self.end {
                // First use, or someone else grew the memory in between:
                // the new pages start a region of their own (what was left
                // of the old one is given up), where the next round fits
                // the block afresh — never over the foreign pages.
                self.next = base;
            }
            self.end = end;
        }
    }
}

impl Allocator {
    pub(crate) const fn new() -> Self {
        Allocator(UnsafeCell::new(State {
            free: [0; 32],
            next: 0,
            end: 0,
        }))
    }
}

unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let c = class(layout);
        let s = &mut *self.0.get();
        let Some(slot) = s.free.get_mut(c as usize) else {
            return core::ptr::null_mut();
        };
        let head = *slot;
        // A block that grew in place (see realloc), or one carved for a
        // smaller alignment, may be aligned too little for this Layout.
        if head != 0 && head % layout.align() == 0 {
            *slot = *(head as *const usize);
            return head as *mut u8;
        }
        // Blocks start at multiples of their size up to a page (so every
        // alignment a Layout of that size may ask for up to a page is met),
        // and at the Layout's own alignment past a page.
        let size = 1usize << c;
        s.carve(size, size.min(PAGE).max(layout.align()))
    }

    // Not inlined: every drop of every String would carry a copy.
    #[inline(never)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let s = &mut *self.0.get();
        // Every block came from `alloc`, so its class has a list.
        if let Some(slot) = s.free.get_mut(class(layout) as usize) {
            *(ptr as *mut usize) = *slot;
            *slot = ptr as usize;
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = Layout::from_size_align_unchecked(new_size, layout.align());
        let (from, to) = (class(layout), class(new));
        if from == to {
            return ptr;
        }
        // The last block carved, growing, with no free block of the new
        // size to move to: extend it where it is. A text that accumulates
        // over a long reply is that block most of the time, so it grows
        // without copies and without leaving its old blocks behind. (A
        // free block comes first: extending past it would leave it unused
        // for good when the same growth recurs.) The grown block keeps its
        // first alignment, which `alloc` checks before handing it out.
        let s = &mut *self.0.get();
        let at = ptr as usize;
        if to > from && s.free.get(to as usize) == Some(&0) && at + (1usize << from) == s.next {
            let grow = (1usize << to) - (1usize << from);
            if s.end - s.next >= grow || s.reserve(grow) {
                s.next += grow;
                return ptr;
            }
        }
        let fresh = self.alloc(new);
        if !fresh.is_null() {
            core::ptr::copy_nonoverlapping(ptr, fresh, layout.size().min(new_size));
            self.dealloc(ptr, layout);
        }
        fresh
    }
}

#[global_allocator]
static ALLOCATOR: Allocator = Allocator::new();
