//! Base64 (RFC 4648 §4: standard alphabet, padded) for the `data:` URLs
//! Blob images travel as.

#[allow(unused_imports)]
use crate::prelude::*;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `data:<mime>;base64,<bytes>`.
pub fn data_url(mime: &str, bytes: &[u8]) -> String {
    let mut out = String::with_capacity(13 + mime.len() + bytes.len().div_ceil(3) * 4);
    out.push_str("data:");
    out.push_str(mime);
    out.push_str(";base64,");
    encode(bytes, &mut out);
    out
}

/// Appends `bytes` in base64.
fn encode(bytes: &[u8], out: &mut String) {
    // The index is masked to 0..64: the lookup cannot fail.
    let sym = |n: u32, shift: u32| {
        ALPHABET
            .get(((n >> shift) & 63) as usize)
            .map_or('=', |&c| c as char)
    };
    let mut chunks = bytes.chunks_exact(3);
    for c in &mut chunks {
        if let [a, b, c] = *c {
            let n = (u32::from(a) << 16) | (u32::from(b) << 8) | u32::from(c);
            out.extend([sym(n, 18), sym(n, 12), sym(n, 6), sym(n, 0)]);
        }
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            out.extend([sym(n, 18), sym(n, 12), '=', '=']);
        }
        [a, b] => {
            let n = (u32::from(a) << 16) | (u32::from(b) << 8);
            out.extend([sym(n, 18), sym(n, 12), sym(n, 6), '=']);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
