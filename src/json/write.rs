//! JSON text out: values, strings and numbers (integers also for the
//! core's messages, which are built without `core::fmt`).

#[allow(unused_imports)]
use crate::prelude::*;

use super::Value;

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
            // Both digits index 0..16: the lookups cannot miss.
            for d in [b >> 4, b & 15] {
                out.push(HEX.get(usize::from(d)).map_or('0', |&h| char::from(h)));
            }
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
    // In the npm build the engine prints it: `String(n)` is that very
    // function, and the wasm then carries no float printer (zmij and the
    // layout below: ~2.5 KB gzip). The host, and the core weighed alone
    // (bench/floor), use zmij; tests/web and tests/node check the engine's.
    #[cfg(all(target_arch = "wasm32", feature = "binding"))]
    {
        out.push_str(&engine::number_to_string(a));
    }
    #[cfg(not(all(target_arch = "wasm32", feature = "binding")))]
    write_nonintegral(a, out);
}

/// The digits of a positive finite non-integral `a` (or one past 2^53), laid
/// out as ECMA-262 Number::toString does.
#[cfg(not(all(target_arch = "wasm32", feature = "binding")))]
fn write_nonintegral(a: f64, out: &mut String) {
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

#[cfg(not(all(target_arch = "wasm32", feature = "binding")))]
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

#[cfg(not(all(target_arch = "wasm32", feature = "binding")))]
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;
    use proptest::prelude::*;

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
}
