//! Base64 (RFC 4648 §4: standard alphabet, padded) for the `data:` URLs
//! Blob images travel as.

#[allow(unused_imports)]
use crate::prelude::*;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `data:<mime>;base64,<bytes>`.
pub fn data_url(mime: &str, bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(13 + mime.len() + bytes.len().div_ceil(3) * 4);
    out.extend_from_slice(b"data:");
    out.extend_from_slice(mime.as_bytes());
    out.extend_from_slice(b";base64,");
    encode(bytes, &mut out);
    // `mime` is UTF-8 and the rest ASCII: this check cannot fail, and it
    // costs less wasm than writing chars into a String.
    String::from_utf8(out).unwrap_or_default()
}

/// Appends `bytes` in base64.
fn encode(bytes: &[u8], out: &mut Vec<u8>) {
    // The index is masked to 0..64: the lookup cannot miss.
    let sym = |n: u32, shift: u32| {
        ALPHABET
            .get(((n >> shift) & 63) as usize)
            .map_or(b'=', |&c| c)
    };
    for c in bytes.chunks(3) {
        let (a, b, c2) = match *c {
            [a, b, c] => (a, Some(b), Some(c)),
            [a, b] => (a, Some(b), None),
            [a] => (a, None, None),
            _ => continue,
        };
        let n =
            (u32::from(a) << 16) | (u32::from(b.unwrap_or(0)) << 8) | u32::from(c2.unwrap_or(0));
        out.extend_from_slice(&[
            sym(n, 18),
            sym(n, 12),
            if b.is_some() { sym(n, 6) } else { b'=' },
            if c2.is_some() { sym(n, 0) } else { b'=' },
        ]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Against the definition, six bits at a time.
        #[test]
        fn encodes_as_the_definition_says(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let mut bits = String::new();
            for b in &bytes {
                bits.push_str(&format!("{b:08b}"));
            }
            while bits.len() % 6 != 0 {
                bits.push('0');
            }
            let mut want: String = bits
                .as_bytes()
                .chunks(6)
                .map(|six| ALPHABET[usize::from_str_radix(core::str::from_utf8(six).unwrap(), 2).unwrap()] as char)
                .collect();
            while want.len() % 4 != 0 {
                want.push('=');
            }
            proptest::prop_assert_eq!(data_url("m", &bytes), format!("data:m;base64,{want}"));
        }
    }

    #[test]
    fn data_url_keeps_a_non_ascii_mime_type() {
        assert_eq!(data_url("image/é", b"f"), "data:image/é;base64,Zg==");
    }

    #[test]
    fn data_url_is_padded_standard_base64() {
        // RFC 4648 §10's vectors, then bytes that use '+' and '/'.
        for (input, b64) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(
                data_url("text/plain", input.as_bytes()),
                format!("data:text/plain;base64,{b64}")
            );
        }
        assert_eq!(
            data_url("image/png", &[0xfb, 0xff, 0xbf]),
            "data:image/png;base64,+/+/"
        );
    }
}
