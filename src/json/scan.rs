//! The field-selective scanner: a cursor over one JSON text that reads the
//! fields a caller asks for and skips the rest without allocating.

#[allow(unused_imports)]
use crate::prelude::*;
use alloc::borrow::Cow;

/// Scanner results carry no detail: every caller turns a failure into its
/// own message naming the event or body, which is what a user can act on.
pub(crate) type Scan<T> = Result<T, ()>;

/// Strings are scanned a word at a time up to this many bytes, then by
/// memchr: most strings in an event are short keys and values, for which
/// memchr's setup costs more than it saves.
const SHORT: usize = 64;

/// The first `"` or `\` in `b`.
fn find_quote_or_backslash(b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut i = 0;
    while i < SHORT {
        let Some(Ok(word)) = b.get(i..i + 8).map(<[u8; 8]>::try_from) else {
            break;
        };
        let w = u64::from_le_bytes(word);
        // Flags bytes equal to '"' or '\\'; the lowest flag is exact (a
        // false flag can only sit above a true one).
        let m = zero_byte(w ^ (ONES * b'"' as u64)) | zero_byte(w ^ (ONES * b'\\' as u64));
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    let rest = b.get(i..)?;
    if i < SHORT {
        // Fewer than 8 bytes left.
        return rest
            .iter()
            .position(|&c| c == b'"' || c == b'\\')
            .map(|k| i + k);
    }
    memchr::memchr2(b'"', b'\\', rest).map(|k| i + k)
}

/// A string as it sits in the input, between its quotes. Decoding is
/// deferred so skipped and ASCII-only strings cost nothing but the scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JStr<'a> {
    pub(super) raw: &'a str,
    pub(super) escaped: bool,
}

impl<'a> JStr<'a> {
    /// The decoded text, borrowed when there was nothing to unescape.
    pub(crate) fn text(&self) -> Cow<'a, str> {
        if self.escaped {
            Cow::Owned(self.unescaped())
        } else {
            Cow::Borrowed(self.raw)
        }
    }

    /// Escapes in a key or a kept field are rare: out of the hot callers
    /// (bench/README.md "Small reads": the first reply).
    #[cold]
    #[inline(never)]
    fn unescaped(&self) -> String {
        let mut s = String::with_capacity(self.raw.len());
        let _ = unescape(self.raw, &mut s, false);
        s
    }

    /// Appends the decoded text (the hot path: one copy, no temporary).
    pub(crate) fn push_to(&self, out: &mut String) {
        if self.escaped {
            let _ = unescape(self.raw, out, false);
        } else {
            out.push_str(self.raw);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Whether the decoded text equals `s` (no allocation when unescaped).
    pub(crate) fn eq(&self, s: &str) -> bool {
        if self.escaped {
            self.text() == s
        } else {
            self.raw == s
        }
    }
}

fn hex4(b: &[u8], at: usize) -> Option<u32> {
    let mut v = 0u32;
    for i in 0..4 {
        let d = (*b.get(at + i)? as char).to_digit(16)?;
        v = v * 16 + d;
    }
    Some(v)
}

/// Decodes the escapes of a raw string body into `out`. Lone surrogates
/// become U+FFFD (JavaScript would keep them, Rust strings cannot); other
/// bad escapes fail when `strict`, else also become U+FFFD.
pub(super) fn unescape(raw: &str, out: &mut String, strict: bool) -> Scan<()> {
    let b = raw.as_bytes();
    let mut start = 0;
    while let Some(k) = b.get(start..).and_then(|rest| memchr::memchr(b'\\', rest)) {
        let p = start + k;
        out.push_str(raw.get(start..p).unwrap_or(""));
        let simple = match b.get(p + 1) {
            Some(b'"') => Some('"'),
            Some(b'\\') => Some('\\'),
            Some(b'/') => Some('/'),
            Some(b'b') => Some('\u{8}'),
            Some(b'f') => Some('\u{c}'),
            Some(b'n') => Some('\n'),
            Some(b'r') => Some('\r'),
            Some(b't') => Some('\t'),
            _ => None,
        };
        if let Some(c) = simple {
            out.push(c);
            start = p + 2;
            continue;
        }
        if b.get(p + 1) != Some(&b'u') {
            if strict {
                return Err(());
            }
            out.push('\u{FFFD}');
            // Skip the backslash and the whole next character.
            let next = raw
                .get(p + 1..)
                .and_then(|r| r.chars().next())
                .map_or(0, char::len_utf8);
            start = p + 1 + next;
            continue;
        }
        let Some(unit) = hex4(b, p + 2) else {
            if strict {
                return Err(());
            }
            out.push('\u{FFFD}');
            start = p + 2;
            continue;
        };
        start = p + 6;
        let c = match unit {
            0xD800..=0xDBFF => {
                let low = if b.get(p + 6) == Some(&b'\\') && b.get(p + 7) == Some(&b'u') {
                    hex4(b, p + 8).filter(|l| (0xDC00..=0xDFFF).contains(l))
                } else {
                    None
                };
                match low {
                    Some(low) => {
                        start = p + 12;
                        char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                    }
                    None => None,
                }
            }
            _ => char::from_u32(unit),
        };
        out.push(c.unwrap_or('\u{FFFD}'));
    }
    out.push_str(raw.get(start..).unwrap_or(""));
    Ok(())
}

/// A cursor over one JSON text for field-selective decoding: callers walk
/// objects with [`Scanner::object`], act on the keys they want and
/// [`Scanner::skip`] the rest. Nothing is allocated while scanning.
///
/// The scanner checks the structure of every object and array it is asked
/// to walk; values it skips are only bracket-matched (strings included),
/// which is what makes skipping fast.
pub(crate) struct Scanner<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
    pub(crate) fn new(s: &'a str) -> Self {
        Scanner {
            s,
            b: s.as_bytes(),
            i: 0,
        }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    /// The next non-blank byte, not consumed.
    pub(crate) fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    /// Only blanks remain.
    pub(crate) fn end(&mut self) -> Scan<()> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(()),
        }
    }

    pub(crate) fn pos(&self) -> usize {
        self.i
    }

    /// The input between two positions (an object's text, say).
    pub(crate) fn slice(&self, from: usize, to: usize) -> &'a str {
        self.s.get(from..to).unwrap_or("")
    }

    pub(super) fn literal(&mut self, lit: &str) -> Scan<()> {
        self.ws();
        let end = self.i + lit.len();
        if self.b.get(self.i..end) == Some(lit.as_bytes()) {
            self.i = end;
            Ok(())
        } else {
            Err(())
        }
    }

    /// Consumes `null` if it is next.
    pub(crate) fn null(&mut self) -> bool {
        self.peek() == Some(b'n') && self.literal("null").is_ok()
    }

    /// A number, strictly by the JSON grammar; returns its text.
    pub(crate) fn number(&mut self) -> Scan<&'a str> {
        self.ws();
        let start = self.i;
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        match self.b.get(self.i) {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(()),
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if !matches!(self.b.get(self.i), Some(b'0'..=b'9')) {
                return Err(());
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.b.get(self.i) {
            self.i += 1;
            if let Some(b'+' | b'-') = self.b.get(self.i) {
                self.i += 1;
            }
            if !matches!(self.b.get(self.i), Some(b'0'..=b'9')) {
                return Err(());
            }
            self.digits();
        }
        Ok(self.slice(start, self.i))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    /// A string (quotes consumed, escapes left for [`JStr`] to decode).
    pub(crate) fn string(&mut self) -> Scan<JStr<'a>> {
        if self.peek() != Some(b'"') {
            return Err(());
        }
        let start = self.i + 1;
        let mut j = start;
        let mut escaped = false;
        loop {
            let rest = self.b.get(j..).ok_or(())?;
            let k = find_quote_or_backslash(rest).ok_or(())?;
            j += k;
            if rest.get(k) == Some(&b'"') {
                let raw = self.s.get(start..j).ok_or(())?;
                self.i = j + 1;
                return Ok(JStr { raw, escaped });
            }
            // A backslash: whatever it escapes (a quote too) is no end.
            escaped = true;
            j += 2;
        }
    }

    /// A string, or `null` (then `None`); anything else is skipped as
    /// `None` too, since an unexpected type in an optional field must not
    /// break a stream.
    pub(crate) fn opt_string(&mut self) -> Scan<Option<JStr<'a>>> {
        if self.peek() == Some(b'"') {
            self.string().map(Some)
        } else {
            self.skip().map(|_| None)
        }
    }

    /// A non-negative integer; `null`, other types and non-integers are
    /// `None`. Saturates instead of overflowing.
    pub(crate) fn opt_u64(&mut self) -> Scan<Option<u64>> {
        match self.peek() {
            Some(b'0'..=b'9') => {
                let text = self.number()?;
                if !text.bytes().all(|b| b.is_ascii_digit()) {
                    return Ok(None);
                }
                // 19 digits cannot overflow; past that, saturate. (A
                // saturating multiply costs a 128-bit one in wasm.)
                if text.len() > 19 {
                    return Ok(Some(text.parse().unwrap_or(u64::MAX)));
                }
                let mut v: u64 = 0;
                for b in text.bytes() {
                    v = v * 10 + (b - b'0') as u64;
                }
                Ok(Some(v))
            }
            _ => self.skip().map(|_| None),
        }
    }

    /// Walks an object, calling `f` with each key; `f` must consume the
    /// value (read it or [`Scanner::skip`] it). `null` counts as an empty
    /// object: optional objects arrive as `null` in these protocols.
    #[inline]
    pub(crate) fn object(
        &mut self,
        mut f: impl FnMut(&mut Self, JStr<'a>) -> Scan<()>,
    ) -> Scan<()> {
        self.walk_object(&mut f)
    }

    // One copy of each walking loop, whatever the callback: generic loops
    // were copied once per call site (20-odd), which cost kilobytes of
    // wasm for no measurable speed.
    fn walk_object(&mut self, f: &mut dyn FnMut(&mut Self, JStr<'a>) -> Scan<()>) -> Scan<()> {
        match self.peek() {
            Some(b'{') => self.i += 1,
            Some(b'n') => return self.literal("null"),
            _ => return Err(()),
        }
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            let key = self.string()?;
            if self.peek() != Some(b':') {
                return Err(());
            }
            self.i += 1;
            f(self, key)?;
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(()),
            }
        }
    }

    /// Walks an array, calling `f` for each element (which it must
    /// consume). `null` counts as an empty array.
    #[inline]
    pub(crate) fn array(&mut self, mut f: impl FnMut(&mut Self) -> Scan<()>) -> Scan<()> {
        self.walk_array(&mut f)
    }

    fn walk_array(&mut self, f: &mut dyn FnMut(&mut Self) -> Scan<()>) -> Scan<()> {
        match self.peek() {
            Some(b'[') => self.i += 1,
            Some(b'n') => return self.literal("null"),
            _ => return Err(()),
        }
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(());
        }
        loop {
            f(self)?;
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(()),
            }
        }
    }

    /// Skips one value of any type.
    pub(crate) fn skip(&mut self) -> Scan<()> {
        match self.peek() {
            Some(b'"') => self.string().map(|_| ()),
            Some(b'{' | b'[') => self.skip_container(),
            Some(b't') => self.literal("true"),
            Some(b'f') => self.literal("false"),
            Some(b'n') => self.literal("null"),
            Some(b'-' | b'0'..=b'9') => self.number().map(|_| ()),
            _ => Err(()),
        }
    }

    /// Skips a whole object or array by counting brackets outside strings.
    /// Iterative, so nesting depth cannot exhaust the stack.
    fn skip_container(&mut self) -> Scan<()> {
        let mut depth = 0usize;
        loop {
            match *self.b.get(self.i).ok_or(())? {
                b'"' => {
                    self.string()?;
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        self.i += 1;
                        return Ok(());
                    }
                }
                _ => {}
            }
            self.i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lenient_decoding_never_fails_on_bad_escapes() {
        let mut sc = Scanner::new(r#""a\x\u12G4\é\"""#);
        let mut out = String::new();
        sc.string().unwrap().push_to(&mut out);
        assert_eq!(out, "a\u{FFFD}\u{FFFD}12G4\u{FFFD}\"");
        // The strict parser refuses the same string.
        assert_eq!(crate::json::parse(br#""a\x""#), Err(()));
    }

    #[test]
    fn integers_are_exact_up_to_u64_max_then_saturate() {
        for (text, want) in [
            ("0", 0),
            ("9999999999999999999", 9_999_999_999_999_999_999),
            ("18446744073709551614", u64::MAX - 1),
            ("18446744073709551615", u64::MAX),
            ("18446744073709551616", u64::MAX),
            ("99999999999999999999", u64::MAX),
        ] {
            assert_eq!(Scanner::new(text).opt_u64(), Ok(Some(want)), "{text}");
        }
    }

    #[test]
    fn scanner_reads_only_requested_fields() {
        let text = r#"{"skip":{"deep":["]}\"",{"x":[]}]},"n":42,"big":99999999999999999999999,"f":1.5,"s":"v"}"#;
        let mut sc = Scanner::new(text);
        let (mut n, mut big, mut fl, mut s) = (None, None, None, None);
        sc.object(|sc, k| match &*k.text() {
            "n" => {
                n = sc.opt_u64()?;
                Ok(())
            }
            "big" => {
                big = sc.opt_u64()?;
                Ok(())
            }
            "f" => {
                fl = sc.opt_u64()?;
                Ok(())
            }
            "s" => {
                s = sc.opt_string()?.map(|t| t.text().into_owned());
                Ok(())
            }
            _ => sc.skip(),
        })
        .unwrap();
        assert_eq!(
            (n, big, fl, s.as_deref()),
            (Some(42), Some(u64::MAX), None, Some("v"))
        );
    }

    #[test]
    fn escaped_keys_match() {
        let mut sc = Scanner::new(r#"{"\u0063ontent":"x"}"#);
        let mut hit = false;
        sc.object(|sc, k| {
            hit = k.eq("content");
            sc.skip()
        })
        .unwrap();
        assert!(hit);
    }

    proptest! {
        #[test]
        fn word_scan_finds_the_first_quote_or_backslash(b in prop::collection::vec(prop::sample::select(b"ab\"\\\x00\xff\x01\x5b\x23".to_vec()), 0..200)) {
            let naive = b.iter().position(|&c| c == b'"' || c == b'\\');
            prop_assert_eq!(find_quote_or_backslash(&b), naive);
        }
    }
}
