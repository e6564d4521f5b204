//! The JSON value tree.

#[allow(unused_imports)]
use crate::prelude::*;

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

/// Deep merge for `extra`: objects merge key by key (recursively), anything
/// else in `extra` — null, arrays included — replaces what `base` had.
pub fn merge(base: &mut Value, extra: &Value) {
    match (base, extra) {
        (Value::Object(into), Value::Object(from)) => {
            for (k, v) in from {
                match into.iter_mut().find(|(key, _)| key == k) {
                    Some((_, slot)) => merge(slot, v),
                    None => into.push((k.clone(), v.clone())),
                }
            }
        }
        (base, extra) => *base = extra.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{parse, write};

    #[test]
    fn merge_is_deep_for_objects_only() {
        let mut base =
            parse(br#"{"model":"m","parameters":{"a":1,"b":{"c":2}},"list":[1,2],"keep":true}"#)
                .unwrap();
        let extra = parse(
            br#"{"parameters":{"b":{"d":3},"top_k":20},"list":[3],"keep":null,"new":{"x":1}}"#,
        )
        .unwrap();
        merge(&mut base, &extra);
        let mut out = String::new();
        write(&base, &mut out);
        assert_eq!(
            out,
            r#"{"model":"m","parameters":{"a":1,"b":{"c":2,"d":3},"top_k":20},"list":[3],"keep":null,"new":{"x":1}}"#
        );
        // A non-object extra replaces the whole value.
        let mut v = Value::Object(vec![]);
        merge(&mut v, &Value::Bool(true));
        assert_eq!(v, Value::Bool(true));
    }
}
