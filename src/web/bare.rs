//! What std would otherwise bring to the npm build (`--features bare`):
//! a panic handler and a global allocator.
//!
//! std's panic path formats its message with `core::fmt` and its default
//! allocator is dlmalloc; together ≈ 4 KB gzip of a budget of 36. A panic
//! here traps (`unreachable`), as `panic = "abort"` did before — the core
//! is written not to panic at all.

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
        let head = s.free[c as usize];
        if head != 0 {
            s.free[c as usize] = *(head as *const usize);
            return head as *mut u8;
        }
        s.carve(c)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let c = class(layout) as usize;
        let s = &mut *self.0.get();
        *(ptr as *mut usize) = s.free[c];
        s.free[c] = ptr as usize;
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = Layout::from_size_align_unchecked(new_size, layout.align());
        if class(new) == class(layout) {
            return ptr;
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
