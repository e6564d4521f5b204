//! Deltas -> coalesced parts, the running texts, finish state and Result.
//!
//! OWNER: core-decode helper. See the interface in the helper brief.
