//! What std would otherwise bring to the wasm build: a global allocator
//! (every wasm32 build) and, for the npm build (`--features bare`), a panic
//! handler.
//!
//! std's panic path formats its message with `core::fmt`; a panic here
//! traps (`unreachable`), as `panic = "abort"` did before — the core is
//! written not to panic at all.
//!
//! The allocator is talc's for single-threaded wasm: it grows the memory
//! as needed, extends its arena when the new pages follow it and claims
//! them apart when something else grew the memory in between, honours any
//! alignment, coalesces freed neighbours, and grows a block in place when
//! the space after it is free (a reply's text accumulating). It replaced a
//! size-class allocator of this crate's own (issue 16: that one met only
//! page alignment above 64 KiB, never coalesced, and had a path that would
//! carve over pages grown by others — unreachable, as far as a model of it
//! shows, but one edit away) at ≈ 0.4 KB gzip more.

// `TalcSyncCell` has no lock: sound only without threads, so an atomics
// build must not compile (talc's constructor also refuses it, at compile
// time, as the static below is const-evaluated).
#[cfg(target_feature = "atomics")]
compile_error!(
    "visual-reasoning's wasm allocator is single-threaded: build without the atomics target feature"
);

#[cfg(feature = "bare")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
