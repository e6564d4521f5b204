//! Text helpers for messages, without `core::fmt` (which costs kilobytes of
//! wasm): a message builder, a short excerpt of untrusted text, and a
//! substring search.

use crate::error::Error;
#[allow(unused_imports)]
use crate::prelude::*;

/// A message built from `&'static str` pieces and the caller's own values:
/// `format!` would pull `core::fmt` into the wasm.
pub(crate) struct Msg(String);

impl Msg {
    pub(crate) fn new(first: &str) -> Self {
        let mut s = String::with_capacity(160);
        s.push_str(first);
        Msg(s)
    }

    pub(crate) fn s(mut self, piece: &str) -> Self {
        self.0.push_str(piece);
        self
    }

    pub(crate) fn n(mut self, n: u64) -> Self {
        crate::json::write_u64(n, &mut self.0);
        self
    }

    /// A caller's number as JavaScript would print it.
    pub(crate) fn f(mut self, n: f64) -> Self {
        if n.is_nan() {
            self.0.push_str("NaN");
        } else if n.is_infinite() {
            self.0
                .push_str(if n > 0.0 { "Infinity" } else { "-Infinity" });
        } else {
            crate::json::write_f64(n, &mut self.0);
        }
        self
    }

    pub(crate) fn into_string(self) -> String {
        self.0
    }

    /// The message as an `InvalidRequestError`.
    pub(crate) fn invalid(self) -> Error {
        Error::invalid_request(self.0)
    }

    /// [`Msg::invalid`] as the `Err` of a check.
    pub(crate) fn err<T>(self) -> Result<T, Error> {
        Err(self.invalid())
    }
}

/// The first `max` characters of `text`, with `…` when cut.
pub(crate) fn excerpt(text: &str, max: usize, out: &mut String) {
    // The byte where character `max` starts: count the bytes that start
    // a character (not 10xxxxxx).
    let mut chars = 0;
    let cut = text.bytes().position(|b| {
        let starts = b & 0xC0 != 0x80;
        let at_max = starts && chars == max;
        chars += usize::from(starts);
        at_max
    });
    match cut.and_then(|at| text.get(..at)) {
        Some(head) => {
            out.push_str(head);
            out.push('…');
        }
        None => out.push_str(text),
    }
}

/// Where `needle` first occurs in `hay`. A plain scan: `str::find(&str)`
/// brings the Two-Way searcher (~2 KB of wasm) for the few short,
/// cold searches this crate does. An empty needle is never found (so a
/// find-and-replace loop always advances).
pub(crate) fn find(hay: &str, needle: &str) -> Option<usize> {
    let n = needle.as_bytes();
    if n.is_empty() {
        return None;
    }
    hay.as_bytes().windows(n.len()).position(|w| w == n)
}

/// The characters (Unicode scalar values) in `text`: its bytes that do
/// not continue a UTF-8 sequence. Not `chars().count()`, whose unrolled
/// counter is 0.8 KB of wasm; this counts for messages only.
pub(crate) fn char_count(text: &str) -> usize {
    text.bytes().filter(|b| b & 0xC0 != 0x80).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn char_count_is_chars_count(text in any::<String>()) {
            prop_assert_eq!(char_count(&text), text.chars().count());
        }
    }

    #[test]
    fn find_agrees_with_str_find_except_for_the_empty_needle() {
        let hay = "a key sk-1 and sk-1 again, é sk-";
        for needle in ["sk-1", "a", "again", "é", "sk-", "none", hay, "x"] {
            assert_eq!(find(hay, needle), hay.find(needle), "{needle}");
        }
        assert_eq!(find("", "a"), None);
        // Never "found" at 0, so a find-and-replace loop cannot spin.
        assert_eq!(find("abc", ""), None);
    }

    #[test]
    fn excerpt_cuts_at_characters() {
        for (text, max, want) in [
            ("héllo", 2, "hé…"),
            ("hé", 2, "hé"),
            ("", 0, ""),
            ("a", 0, "…"),
            ("😀😀😀", 1, "😀…"),
            ("abc", 3, "abc"),
        ] {
            let mut out = String::new();
            excerpt(text, max, &mut out);
            assert_eq!(out, want, "{text} {max}");
            // As the plain definition says.
            let plain = match text.char_indices().nth(max) {
                Some((cut, _)) => format!("{}…", &text[..cut]),
                None => text.to_owned(),
            };
            assert_eq!(out, plain);
        }
    }

    #[test]
    fn numbers_print_as_javascript_does() {
        let m = Msg::new("")
            .f(f64::NAN)
            .s(" ")
            .f(f64::NEG_INFINITY)
            .s(" ")
            .f(1.5)
            .s(" ")
            .n(42);
        assert_eq!(m.0, "NaN -Infinity 1.5 42");
    }
}
