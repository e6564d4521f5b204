//! A small JSON layer: a value tree (for `extra` and request bodies), its
//! writer, and the field-selective scanner the codecs decode events with.
//!
//! Why not serde: `serde_json` alone costs more than half of the wasm size
//! budget (DESIGN.md). The codecs read a handful of fields from each event
//! and skip the rest, which a cursor over the bytes does without building
//! a tree or allocating; only the caller's `extra` needs a full parse.
//! `serde_json` stays a dev-dependency: the tests below check the parser
//! and the escaper against it.

#[allow(unused_imports)]
use crate::prelude::*;
use alloc::borrow::Cow;

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

/// Scanner results carry no detail: every caller turns a failure into its
/// own message naming the event or body, which is what a user can act on.
pub(crate) type Scan<T> = Result<T, ()>;

/// Nesting deeper than this is refused by [`parse`] (as `serde_json` does),
/// so a hostile `extra` cannot overflow the stack.
const MAX_DEPTH: usize = 128;

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

// ---------------------------------------------------------------- writing

/// Appends `n` in decimal (the core's integer-to-text helper: messages are
/// built without `core::fmt`).
pub fn write_u64(mut n: u64, out: &mut String) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    while i > 0 {
        i -= 1;
        if let Some(slot) = buf.get_mut(i) {
            *slot = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &b in buf.get(i..).unwrap_or(&[]) {
        out.push(b as char);
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `s` as a quoted JSON string, escaped exactly as `serde_json` and
/// `JSON.stringify` do: `"`, `\` and the C0 controls only (short forms where
/// they exist, else `\u00xx`); everything else, DEL and non-ASCII included,
/// is copied as is.
pub fn write_str(s: &str, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    let mut start = 0;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        let short = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        // `i` is an ASCII byte, hence a char boundary.
        out.push_str(s.get(start..i).unwrap_or(""));
        if short.is_empty() {
            out.push_str("\\u00");
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        } else {
            out.push_str(short);
        }
        start = i + 1;
    }
    out.push_str(s.get(start..).unwrap_or(""));
    out.push('"');
}

/// Appends `n` as JavaScript's `Number.prototype.toString` (and so
/// `JSON.stringify`) writes it: shortest round-trip digits, plain notation
/// for 1e-7 < |n| < 1e21, `1e+21` / `1.5e-7` outside; `-0` is `0`;
/// NaN and the infinities are `null` (JSON has no spelling for them).
pub fn write_f64(n: f64, out: &mut String) {
    if !n.is_finite() {
        out.push_str("null");
        return;
    }
    if n == 0.0 {
        out.push('0');
        return;
    }
    if n < 0.0 {
        out.push('-');
    }
    let a = n.abs();
    // Below 2^53 an integral value's exact digits are also its shortest
    // round-trip digits, so integers (the common case: token counts, seeds,
    // budgets) never touch the float formatter.
    if crate::float::is_integral(a) && a < 9_007_199_254_740_992.0 {
        write_u64(a as u64, out);
        return;
    }
    // zmij prints the shortest round-trip digits and, on an exact tie
    // between two shortest candidates, the even one, as JavaScript does;
    // only the layout differs. (Measured for wasm32, gzipped: zmij ~2.4 KB,
    // Rust's `{:e}` ~8 KB of core::fmt float code, `ryu` ~12.8 KB.)
    let mut buf = zmij::Buffer::new();
    let (digits, point) = decimal_parts(buf.format_finite(a));
    // The layout of ECMA-262 Number::toString, whose n is `point` and
    // whose k is the digit count.
    let k = digits.len() as i32;
    if k <= point && point <= 21 {
        out.push_str(&digits);
        for _ in 0..(point - k) {
            out.push('0');
        }
    } else if 0 < point && point <= 21 {
        let (int, frac) = digits
            .split_at_checked(point as usize)
            .unwrap_or((&digits, ""));
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else if -6 < point && point <= 0 {
        out.push_str("0.");
        for _ in 0..(-point) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let (first, rest) = digits.split_at_checked(1).unwrap_or((&digits, ""));
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('e');
        let e = point - 1;
        out.push(if e < 0 { '-' } else { '+' });
        write_u64(e.unsigned_abs() as u64, out);
    }
}

/// Splits a positive decimal in any notation ("0.1", "1.5e-7", "1e+21",
/// "3.0") into its significant digits and the position of the decimal
/// point relative to them (the value is 0.digits × 10^point).
fn decimal_parts(text: &str) -> (String, i32) {
    // One pass, no intermediate strings: `concat`/`split_once` would pull
    // in core::fmt panic formatting and the substring searcher.
    let mut digits = String::new();
    let mut point = 0i32;
    let mut fraction = false;
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'.' => fraction = true,
            b'e' | b'E' => {
                let exp = text.get(i + 1..).unwrap_or("");
                point += parse_i32(exp.trim_start_matches('+'));
                break;
            }
            _ => {
                if !fraction {
                    point += 1;
                }
                if digits.is_empty() && b == b'0' {
                    point -= 1;
                } else {
                    digits.push(char::from(b));
                }
            }
        }
    }
    while digits.ends_with('0') {
        digits.pop();
    }
    if digits.is_empty() {
        return (String::from("0"), 1);
    }
    (digits, point)
}

fn parse_i32(s: &str) -> i32 {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let mut v: i32 = 0;
    for b in digits.bytes() {
        v = v
            .saturating_mul(10)
            .saturating_add((b.wrapping_sub(b'0')) as i32);
    }
    if neg {
        -v
    } else {
        v
    }
}

/// Appends `value` as compact JSON (no spaces, as `serde_json::to_string`).
pub fn write(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(text) => out.push_str(text),
        Value::String(s) => write_str(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(k, out);
                out.push(':');
                write(v, out);
            }
            out.push('}');
        }
    }
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

// ---------------------------------------------------------------- parsing

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
                let key = key.decode_strict()?;
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
        Some(b'"') => Ok(Value::String(sc.string()?.decode_strict()?)),
        Some(b't') => sc.literal("true").map(|_| Value::Bool(true)),
        Some(b'f') => sc.literal("false").map(|_| Value::Bool(false)),
        Some(b'n') => sc.literal("null").map(|_| Value::Null),
        Some(b'-' | b'0'..=b'9') => Ok(Value::Number(sc.number()?.into())),
        _ => Err(()),
    }
}

/// A string as it sits in the input, between its quotes. Decoding is
/// deferred so skipped and ASCII-only strings cost nothing but the scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JStr<'a> {
    raw: &'a str,
    escaped: bool,
}

impl<'a> JStr<'a> {
    /// The decoded text, borrowed when there was nothing to unescape.
    pub(crate) fn text(&self) -> Cow<'a, str> {
        if self.escaped {
            let mut s = String::with_capacity(self.raw.len());
            let _ = unescape(self.raw, &mut s, false);
            Cow::Owned(s)
        } else {
            Cow::Borrowed(self.raw)
        }
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

    fn decode_strict(&self) -> Scan<String> {
        if self.raw.bytes().any(|b| b < 0x20) {
            return Err(());
        }
        let mut s = String::with_capacity(self.raw.len());
        if self.escaped {
            unescape(self.raw, &mut s, true)?;
        } else {
            s.push_str(self.raw);
        }
        Ok(s)
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
fn unescape(raw: &str, out: &mut String, strict: bool) -> Scan<()> {
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

    fn literal(&mut self, lit: &str) -> Scan<()> {
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
    fn serde_rejects_by_design(text: &[u8]) -> bool {
        match serde_json::from_slice::<S>(text) {
            Err(e) => {
                let m = e.to_string();
                m.contains("number out of range") || m.contains("surrogate")
            }
            Ok(_) => false,
        }
    }

    proptest! {
        #[test]
        fn write_str_matches_serde(s in any::<String>(), c in "[\u{0}-\u{7f}]{0,20}") {
            for s in [&s, &c] {
                let mut out = String::new();
                write_str(s, &mut out);
                prop_assert_eq!(&out, &serde_json::to_string(s).unwrap());
            }
        }

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
            let mut text = serde_json::to_vec(&v).unwrap();
            for (at, op, byte) in edits {
                let i = at.index(text.len() + 1);
                match op {
                    0 => text.insert(i, byte),
                    1 if i < text.len() => { text.remove(i); }
                    _ if i < text.len() => text[i] = byte,
                    _ => {}
                }
            }
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

        #[test]
        fn word_scan_finds_the_first_quote_or_backslash(b in prop::collection::vec(prop::sample::select(b"ab\"\\\x00\xff\x01\x5b\x23".to_vec()), 0..200)) {
            let naive = b.iter().position(|&c| c == b'"' || c == b'\\');
            prop_assert_eq!(find_quote_or_backslash(&b), naive);
        }

        #[test]
        fn write_f64_round_trips(bits in any::<u64>()) {
            let n = f64::from_bits(bits);
            let mut out = String::new();
            write_f64(n, &mut out);
            if n.is_finite() {
                prop_assert_eq!(out.parse::<f64>().unwrap(), if n == 0.0 { 0.0 } else { n });
                // Valid JSON number text.
                prop_assert!(parse(out.as_bytes()).is_ok(), "{}", out);
            } else {
                prop_assert_eq!(out, "null");
            }
        }
    }

    fn f(n: f64) -> String {
        let mut s = String::new();
        write_f64(n, &mut s);
        s
    }

    #[test]
    fn write_f64_matches_javascript() {
        // Expected strings are what `String(n)` prints in Node 20.
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (-2.0, "-2"),
            (0.1, "0.1"),
            (0.7, "0.7"),
            (0.95, "0.95"),
            (1.5, "1.5"),
            (123456.789, "123456.789"),
            (0.000001, "0.000001"),
            (1e-7, "1e-7"),
            (1.23e-18, "1.23e-18"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (1.5e300, "1.5e+300"),
            (9007199254740991.0, "9007199254740991"),
            (9007199254740992.0, "9007199254740992"),
            (1152921504606846976.0, "1152921504606847000"),
            // Exact ties between two shortest candidates go to the even one.
            (f64::from_bits(0x4317_704f_4927_9429), "1649352574100746.2"),
            (f64::from_bits(0x42e2_d8ba_2ab3_dd84), "165776364773100.12"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::NAN, "null"),
            (f64::INFINITY, "null"),
        ];
        for (n, want) in cases {
            assert_eq!(f(*n), *want, "{n:e}");
        }
    }

    #[test]
    fn decimal_parts_reads_every_notation() {
        // Rust's `{:e}`, and the plain/exponent mix of ryu and zmij.
        let cases = [
            ("1e-1", ("1", 0)),
            ("0.1", ("1", 0)),
            ("3.0", ("3", 1)),
            ("1.5e-7", ("15", -6)),
            ("1e+21", ("1", 22)),
            ("1e21", ("1", 22)),
            ("1.23456789e5", ("123456789", 6)),
            ("123456.789", ("123456789", 6)),
            ("1000000000000000.0", ("1", 16)),
            ("0.000001", ("1", -5)),
        ];
        for (text, (digits, point)) in cases {
            assert_eq!(decimal_parts(text), (digits.to_owned(), point), "{text}");
        }
    }

    #[test]
    fn write_u64_edges() {
        for n in [0u64, 7, 10, 99, 1000, u64::MAX] {
            let mut s = String::new();
            write_u64(n, &mut s);
            assert_eq!(s, n.to_string());
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
    fn lenient_decoding_never_fails_on_bad_escapes() {
        let mut sc = Scanner::new(r#""a\x\u12G4\é\"""#);
        let mut out = String::new();
        sc.string().unwrap().push_to(&mut out);
        assert_eq!(out, "a\u{FFFD}\u{FFFD}12G4\u{FFFD}\"");
        // The strict parser refuses the same string.
        assert_eq!(parse(br#""a\x""#), Err(()));
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
}
