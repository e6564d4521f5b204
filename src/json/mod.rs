//! A small JSON layer, one file per job: the value tree (`value`, for
//! `extra` and request bodies), its writer and the number printing the
//! core's messages use too (`write`), the strict parser of a whole text
//! (`parse`), and the field-selective scanner the codecs decode events with
//! (`scan`).
//!
//! Why not serde: `serde_json` alone costs more than half of the wasm size
//! budget (DESIGN.md). The codecs read a handful of fields from each event
//! and skip the rest, which a cursor over the bytes does without building
//! a tree or allocating; only the caller's `extra` needs a full parse.
//! `serde_json` stays a dev-dependency: the tests check the parser and the
//! escaper against it.

mod parse;
mod scan;
mod value;
mod write;

pub(crate) use parse::is_valid;
pub use parse::parse;
pub(crate) use scan::{JStr, Scan, Scanner};
pub use value::{merge, Value};
pub use write::{write, write_f64, write_str, write_u64};
