//! A small JSON layer: a value tree (for `extra` and request bodies), its
//! writer, and the parsing the codecs need.
//!
//! OWNER: core-decode helper (parsing); the `Value` type and the writer are
//! shared with the request encoder.

/// A JSON value. Objects keep insertion order (request bodies read better
/// and golden tests compare exact bytes). Numbers keep their JSON text, so
/// a caller's `extra` survives byte for byte.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}
