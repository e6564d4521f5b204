//! The strict parser: one whole JSON text into a [`Value`] (the caller's
//! `extra` and options), on top of the scanner.

#[allow(unused_imports)]
use crate::prelude::*;

use super::scan::{unescape, JStr, Scan, Scanner};

/// Nesting deeper than this is refused (as `serde_json` does), so a
/// hostile `extra` cannot overflow the stack.
const MAX_DEPTH: usize = 128;
use super::Value;

/// Parses one complete JSON text (RFC 8259, as strictly as `serde_json`:
/// no trailing commas, no leading zeros, no raw control characters in
/// strings). Duplicate keys keep their first position and their last
/// value. A lone surrogate escape becomes U+FFFD instead of failing.
#[allow(clippy::result_unit_err)]
pub fn parse(text: &[u8]) -> Result<Value, ()> {
    let s = core::str::from_utf8(text).map_err(|_| ())?;
    let mut sc = Scanner::new(s);
    let v = parse_value(&mut sc, 0)?;
    sc.end()?;
    Ok(v)
}

fn parse_value(sc: &mut Scanner<'_>, depth: usize) -> Scan<Value> {
    match sc.peek() {
        Some(b'{') => {
            if depth >= MAX_DEPTH {
                return Err(());
            }
            let mut members: Vec<(String, Value)> = Vec::new();
            sc.object(|sc, key| {
                let key = strict(key)?;
                let v = parse_value(sc, depth + 1)?;
                match members.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, slot)) => *slot = v,
                    None => members.push((key, v)),
                }
                Ok(())
            })?;
            Ok(Value::Object(members))
        }
        Some(b'[') => {
            if depth >= MAX_DEPTH {
                return Err(());
            }
            let mut items = Vec::new();
            sc.array(|sc| {
                items.push(parse_value(sc, depth + 1)?);
                Ok(())
            })?;
            Ok(Value::Array(items))
        }
        Some(b'"') => Ok(Value::String(strict(sc.string()?)?)),
        Some(b't') => sc.literal("true").map(|_| Value::Bool(true)),
        Some(b'f') => sc.literal("false").map(|_| Value::Bool(false)),
        Some(b'n') => sc.literal("null").map(|_| Value::Null),
        Some(b'-' | b'0'..=b'9') => Ok(Value::Number(sc.number()?.into())),
        _ => Err(()),
    }
}

/// Whether [`parse`] accepts `text`, building nothing: for text that is
/// kept as received and must stay valid JSON for whoever parses it next.
/// (A stream checks one usage object a read: building the tree instead
/// cost 4 % of DashScope throughput.)
pub(crate) fn is_valid(text: &str) -> bool {
    let mut sc = Scanner::new(text);
    check_value(&mut sc, 0).and_then(|_| sc.end()).is_ok()
}

/// [`parse_value`] without the tree.
fn check_value(sc: &mut Scanner<'_>, depth: usize) -> Scan<()> {
    match sc.peek() {
        Some(b'{' | b'[') if depth >= MAX_DEPTH => Err(()),
        Some(b'{') => sc.object(|sc, key| {
            check_string(key)?;
            check_value(sc, depth + 1)
        }),
        Some(b'[') => sc.array(|sc| check_value(sc, depth + 1)),
        Some(b'"') => check_string(sc.string()?),
        // Literals and numbers: the scanner reads them strictly already.
        Some(b't' | b'f' | b'n' | b'-' | b'0'..=b'9') => sc.skip(),
        _ => Err(()),
    }
}

/// A string [`strict`] would accept, checked without decoding it.
fn check_string(j: JStr<'_>) -> Scan<()> {
    let b = j.raw.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        i += match (c, b.get(i + 1)) {
            (0..=0x1f, _) => return Err(()),
            (b'\\', Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't')) => 2,
            (b'\\', Some(b'u')) => match b.get(i + 2..i + 6) {
                Some(hex) if hex.iter().all(u8::is_ascii_hexdigit) => 6,
                _ => return Err(()),
            },
            (b'\\', _) => return Err(()),
            _ => 1,
        };
    }
    Ok(())
}

/// A string's text, as strictly as RFC 8259 reads it: no raw control
/// characters, no unknown escapes (lone surrogates still become U+FFFD).
fn strict(j: JStr<'_>) -> Scan<String> {
    if j.raw.bytes().any(|b| b < 0x20) {
        return Err(());
    }
    let mut s = String::with_capacity(j.raw.len());
    if j.escaped {
        unescape(j.raw, &mut s, true)?;
    } else {
        s.push_str(j.raw);
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::write;
    use proptest::prelude::*;
    use serde_json::Value as S;

    fn to_serde(v: &Value) -> S {
        match v {
            Value::Null => S::Null,
            Value::Bool(b) => S::Bool(*b),
            Value::Number(t) => serde_json::from_str(t).expect("number text"),
            Value::String(s) => S::String(s.clone()),
            Value::Array(a) => S::Array(a.iter().map(to_serde).collect()),
            Value::Object(o) => {
                S::Object(o.iter().map(|(k, v)| (k.clone(), to_serde(v))).collect())
            }
        }
    }

    fn arb_json() -> impl Strategy<Value = S> {
        let leaf = prop_oneof![
            Just(S::Null),
            any::<bool>().prop_map(S::Bool),
            any::<i64>().prop_map(S::from),
            any::<u64>().prop_map(S::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(S::from),
            any::<String>().prop_map(S::String),
            "[a-z\\\\\"\u{0}-\u{1f}é😀]{0,12}".prop_map(S::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(S::Array),
                prop::collection::btree_map("[a-z\"\\\\é]{0,6}", inner, 0..6)
                    .prop_map(|m| S::Object(m.into_iter().collect())),
            ]
        })
    }

    /// serde_json refuses two things on purpose that we accept: numbers
    /// beyond f64 (we keep the text) and lone surrogates (U+FFFD).
    /// `v`'s JSON text with each edit applied: 0 inserts the byte, 1 removes
    /// the byte at the index, 2 replaces it.
    fn edited(v: &S, edits: Vec<(prop::sample::Index, u8, u8)>) -> Vec<u8> {
        let mut text = serde_json::to_vec(v).unwrap();
        for (at, op, byte) in edits {
            let i = at.index(text.len() + 1);
            match op {
                0 => text.insert(i, byte),
                1 if i < text.len() => {
                    text.remove(i);
                }
                _ if i < text.len() => text[i] = byte,
                _ => {}
            }
        }
        text
    }

    fn serde_rejects_by_design(text: &[u8]) -> bool {
        match serde_json::from_slice::<S>(text) {
            Err(e) => {
                let m = e.to_string();
                m.contains("number out of range") || m.contains("surrogate")
            }
            Ok(_) => false,
        }
    }

    #[test]
    fn lone_surrogates_become_replacement_chars() {
        let cases = [
            (r#""\ud800x""#, "\u{FFFD}x"),
            (r#""\udc00""#, "\u{FFFD}"),
            (r#""\ud800\ud800""#, "\u{FFFD}\u{FFFD}"),
            (r#""\ud83d\ude00\ud83d""#, "😀\u{FFFD}"),
            (r#""a\ud800\n""#, "a\u{FFFD}\n"),
        ];
        for (text, want) in cases {
            assert_eq!(
                parse(text.as_bytes()),
                Ok(Value::String(want.into())),
                "{text}"
            );
        }
    }

    #[test]
    fn parse_refuses_what_json_refuses() {
        for bad in [
            &b""[..],
            b"{",
            b"[1,]",
            b"{\"a\":1,}",
            b"01",
            b"1.",
            b".5",
            b"+1",
            b"\"\x01\"",
            b"tru",
            b"nul",
            b"[1] 2",
            b"\"\xff\"",
            b"{1:2}",
        ] {
            assert_eq!(parse(bad), Err(()), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn is_valid_limits_depth_as_parse_does() {
        for inner in ["[]", "{}", "1", "{\"a\":[]}"] {
            for depth in [126, 127, 128, 129] {
                let text = format!("{}{inner}{}", "[".repeat(depth), "]".repeat(depth));
                assert_eq!(
                    is_valid(&text),
                    parse(text.as_bytes()).is_ok(),
                    "{depth} {inner}"
                );
            }
        }
    }

    #[test]
    fn parse_limits_depth_without_overflowing() {
        let deep = "[".repeat(100_000);
        assert_eq!(parse(deep.as_bytes()), Err(()));
        let ok = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(parse(ok.as_bytes()).is_ok());
        // The scanner's skip is iterative: no recursion at all.
        let mut sc = Scanner::new(&deep);
        assert_eq!(sc.skip(), Err(()));
    }

    #[test]
    fn duplicate_keys_keep_first_position_last_value() {
        assert_eq!(
            parse(br#"{"a":1,"b":2,"a":3}"#),
            Ok(Value::Object(vec![
                ("a".into(), Value::Number("3".into())),
                ("b".into(), Value::Number("2".into())),
            ]))
        );
    }

    #[test]
    fn numbers_keep_their_text() {
        assert_eq!(
            parse(b"[1.50, -0, 1E+2, 123456789012345678901234567890]"),
            Ok(Value::Array(vec![
                Value::Number("1.50".into()),
                Value::Number("-0".into()),
                Value::Number("1E+2".into()),
                Value::Number("123456789012345678901234567890".into()),
            ]))
        );
    }

    proptest! {
        #[test]
        fn parse_agrees_with_serde_on_valid_json(v in arb_json(), pretty in any::<bool>()) {
            let text = if pretty { serde_json::to_string_pretty(&v) } else { serde_json::to_string(&v) }.unwrap();
            // serde_json's own float parsing is not exact (no
            // `float_roundtrip`), so compare with what it reads back.
            let v: S = serde_json::from_str(&text).unwrap();
            let ours = parse(text.as_bytes()).expect("valid JSON");
            prop_assert_eq!(to_serde(&ours), v.clone());
            // Writing it back gives the same value again.
            let mut again = String::new();
            write(&ours, &mut again);
            prop_assert_eq!(serde_json::from_str::<S>(&again).unwrap(), v);
            // And the scanner skips exactly one value.
            let mut sc = Scanner::new(&text);
            prop_assert!(sc.skip().is_ok() && sc.end().is_ok());
        }

        #[test]
        fn parse_accepts_what_serde_accepts(
            v in arb_json(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, prop::sample::select(b"{}[],:\"\\0123456789.eE+-tfnul \n\x01x".to_vec())), 1..4),
        ) {
            let text = edited(&v, edits);
            let theirs = serde_json::from_slice::<S>(&text);
            let ours = parse(&text);
            if !serde_rejects_by_design(&text) {
                prop_assert_eq!(ours.is_ok(), theirs.is_ok(), "{:?}", String::from_utf8_lossy(&text));
            }
            if let (Ok(o), Ok(t)) = (ours, theirs) {
                prop_assert_eq!(to_serde(&o), t);
            }
        }

        #[test]
        fn is_valid_says_what_parse_says(
            v in arb_json(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, prop::sample::select(b"{}[],:\"\\0123456789.eE+-tfnulu \n\x01x".to_vec())), 0..4),
        ) {
            let text = edited(&v, edits);
            let Ok(s) = core::str::from_utf8(&text) else { return Ok(()) };
            prop_assert_eq!(is_valid(s), parse(&text).is_ok(), "{:?}", s);
        }

        #[test]
        fn escaped_strings_decode(s in any::<String>(), modes in prop::collection::vec(0u8..3, 0..64)) {
            // Each char written raw, as a short escape, or as \u escapes
            // (surrogate pairs above the BMP), in upper or lower case hex.
            let mut text = String::from("\"");
            for (i, ch) in s.chars().enumerate() {
                let mode = modes.get(i % modes.len().max(1)).copied().unwrap_or(0);
                match (mode, ch) {
                    (_, '"') => text.push_str("\\\""),
                    (_, '\\') => text.push_str("\\\\"),
                    (0, c) if c >= ' ' => text.push(c),
                    (1, '/') => text.push_str("\\/"),
                    (1, '\n') => text.push_str("\\n"),
                    (_, c) => {
                        let mut units = [0u16; 2];
                        for u in c.encode_utf16(&mut units) {
                            let hex = if mode == 2 { "0123456789ABCDEF" } else { "0123456789abcdef" };
                            text.push_str("\\u");
                            for shift in [12, 8, 4, 0] {
                                text.push(hex.as_bytes()[((*u >> shift) & 15) as usize] as char);
                            }
                        }
                    }
                }
            }
            text.push('"');
            prop_assert_eq!(parse(text.as_bytes()), Ok(Value::String(s.clone())));
            let theirs: String = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(&theirs, &s);
            // The lenient hot-path decoder agrees.
            let mut sc = Scanner::new(&text);
            let mut out = String::new();
            sc.string().unwrap().push_to(&mut out);
            prop_assert_eq!(out, s);
        }
    }
}
