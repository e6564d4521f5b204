//! What std would otherwise bring to the npm build (`--features bare`):
//! a panic handler and a global allocator.
//!
//! std's panic path formats its message with `core::fmt` and its default
//! allocator is dlmalloc; together ≈ 4 KB gzip of a budget of 36. A panic
//! here traps (`unreachable`), as `panic = "abort"` did before — the core
//! is written not to panic at all.

// The allocator is unsafe by nature (GlobalAlloc, raw pointers); nothing
// else in the crate is.
#![allow(unsafe_code)]

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::cell::UnsafeCell;

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
/// sizes, which is the case this serves well. Single-threaded: wasm32
/// without the atomics feature has no threads.
pub(crate) struct Allocator(UnsafeCell<State>);

struct State {
    /// Heads of the free lists, by log2 of the block size; 0 = empty.
    free: [usize; 32],
    /// The unused tail of the last memory growth.
    next: usize,
    end: usize,
}

// SAFETY: wasm32 without atomics runs one thread; nothing is shared.
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

impl State {
    /// Grows the memory so that `bytes` more fit after `next`, keeping the
    /// region contiguous; false if the memory cannot grow or someone else
    /// grew it meanwhile (the region would not be contiguous).
    unsafe fn reserve(&mut self, bytes: usize) -> bool {
        let pages = (self.next + bytes - self.end).div_ceil(PAGE);
        let old = wasm32::memory_grow(0, pages);
        if old == usize::MAX {
            return false;
        }
        if old * PAGE != self.end {
            // Not contiguous: the new pages start a region of their own.
            self.next = old * PAGE;
            self.end = (old + pages) * PAGE;
            return false;
        }
        self.end += pages * PAGE;
        true
    }

    /// A fresh block of `1 << class` bytes, aligned to its size up to a
    /// page (blocks start at multiples of their size within the region,
    /// so any alignment a Layout of that size can ask for is met).
    unsafe fn carve(&mut self, class: u32) -> *mut u8 {
        let size = 1usize << class;
        let align = size.min(PAGE);
        let mut start = (self.next + align - 1) & !(align - 1);
        let Some(mut stop) = start.checked_add(size) else {
            return core::ptr::null_mut();
        };
        if stop > self.end {
            let pages = (stop - self.end).div_ceil(PAGE);
            let old = wasm32::memory_grow(0, pages);
            if old == usize::MAX {
                return core::ptr::null_mut();
            }
            let base = old * PAGE;
            if base != self.end {
                // First use, or something else grew the memory: carve
                // from the new pages (page-aligned, so `size` fits).
                start = base;
            }
            self.end = (old + pages) * PAGE;
            stop = start + size;
            if stop > self.end {
                return self.carve(class);
            }
        }
        self.next = stop;
        start as *mut u8
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
        if c >= 32 {
            return core::ptr::null_mut();
        }
        let s = &mut *self.0.get();
        let Some(slot) = s.free.get_mut(c as usize) else {
            return core::ptr::null_mut();
        };
        let head = *slot;
        // A block that grew in place (see realloc) is aligned only to its
        // first size: fine for every Layout but one asking for more.
        if head != 0 && head % layout.align() == 0 {
            *slot = *(head as *const usize);
            return head as *mut u8;
        }
        s.carve(c)
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
