//! Image sizes for the mock's usage: read from the header bytes of a
//! `data:` URL (PNG, JPEG, WebP, GIF, BMP). Anything else (an `http(s)` URL
//! cannot be fetched offline; TIFF/HEIC or an undecodable payload) counts as
//! [`FALLBACK`], a fixed documented size.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;

/// The size assumed for an image whose size cannot be read (README).
pub const FALLBACK: (u32, u32) = (1024, 768);

/// Enough of the payload for any header: JPEG's SOF can follow a large EXIF
/// block, but not 384 KiB of it in practice.
const PREFIX_CHARS: usize = 512 * 1024;

const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// (width, height) of the image a URL names.
pub fn size_of_url(url: &str) -> (u32, u32) {
    data_url_size(url).unwrap_or(FALLBACK)
}

fn data_url_size(url: &str) -> Option<(u32, u32)> {
    let rest = url.strip_prefix("data:")?;
    let (meta, payload) = rest.split_once(',')?;
    if !meta.ends_with(";base64") {
        return None;
    }
    let clean: String = payload
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .take(PREFIX_CHARS)
        .collect();
    // Decode whole 4-char groups only: a prefix may end mid-group.
    let usable = if clean.len() == PREFIX_CHARS {
        clean.len() / 4 * 4
    } else {
        clean.len()
    };
    let bytes = B64.decode(&clean.as_bytes()[..usable]).ok()?;
    dimensions(&bytes)
}

fn be16(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?])))
}
fn le16(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from(u16::from_le_bytes([*b.get(i)?, *b.get(i + 1)?])))
}
fn be32(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?))
}
fn le24(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from(*b.get(i)?) | u32::from(*b.get(i + 1)?) << 8 | u32::from(*b.get(i + 2)?) << 16)
}

/// (width, height) from an image file's leading bytes.
pub fn dimensions(b: &[u8]) -> Option<(u32, u32)> {
    let size = if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        (be32(b, 16)?, be32(b, 20)?)
    } else if b.starts_with(b"\xff\xd8") {
        jpeg(b)?
    } else if b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WEBP") {
        webp(b)?
    } else if b.starts_with(b"GIF8") {
        (le16(b, 6)?, le16(b, 8)?)
    } else if b.starts_with(b"BM") {
        let w = i32::from_le_bytes(b.get(18..22)?.try_into().ok()?);
        let h = i32::from_le_bytes(b.get(22..26)?.try_into().ok()?);
        (w.unsigned_abs(), h.unsigned_abs())
    } else {
        return None;
    };
    (size.0 > 0 && size.1 > 0).then_some(size)
}

fn jpeg(b: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    loop {
        if *b.get(i)? != 0xff {
            return None;
        }
        let mut m = *b.get(i + 1)?;
        while m == 0xff {
            // Fill bytes before a marker.
            i += 1;
            m = *b.get(i + 1)?;
        }
        match m {
            0xd8 | 0x01 | 0xd0..=0xd7 => i += 2,
            0xc0..=0xcf if !matches!(m, 0xc4 | 0xc8 | 0xcc) => {
                // SOFn: length(2) precision(1) height(2) width(2).
                return Some((be16(b, i + 7)?, be16(b, i + 5)?));
            }
            _ => i += 2 + be16(b, i + 2)? as usize,
        }
    }
}

fn webp(b: &[u8]) -> Option<(u32, u32)> {
    match b.get(12..16)? {
        b"VP8 " => {
            if b.get(23..26)? != b"\x9d\x01\x2a" {
                return None;
            }
            Some((le16(b, 26)? & 0x3fff, le16(b, 28)? & 0x3fff))
        }
        b"VP8L" => {
            if *b.get(20)? != 0x2f {
                return None;
            }
            let bits = u32::from_le_bytes(b.get(21..25)?.try_into().ok()?);
            Some(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
        }
        b"VP8X" => Some((le24(b, 24)? + 1, le24(b, 27)? + 1)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        v.extend(w.to_be_bytes());
        v.extend(h.to_be_bytes());
        v.extend([8, 6, 0, 0, 0]);
        v
    }

    #[test]
    fn png_from_data_url() {
        let url = format!("data:image/png;base64,{}", B64.encode(png(1024, 406)));
        assert_eq!(size_of_url(&url), (1024, 406));
    }

    #[test]
    fn jpeg_skips_app_segments() {
        let mut v = vec![0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0];
        v.extend([0xff, 0xc0, 0, 17, 8, 0x01, 0x96, 0x04, 0x00, 3]);
        assert_eq!(dimensions(&v), Some((1024, 406)));
    }

    #[test]
    fn webp_variants() {
        let mut lossy = b"RIFF\0\0\0\0WEBPVP8 \0\0\0\0\0\0\0\x9d\x01\x2a".to_vec();
        lossy.extend(640u16.to_le_bytes());
        lossy.extend(480u16.to_le_bytes());
        assert_eq!(dimensions(&lossy), Some((640, 480)));

        let mut lossless = b"RIFF\0\0\0\0WEBPVP8L\0\0\0\0\x2f".to_vec();
        let bits: u32 = (640 - 1) | ((480 - 1) << 14);
        lossless.extend(bits.to_le_bytes());
        assert_eq!(dimensions(&lossless), Some((640, 480)));

        let mut ext = b"RIFF\0\0\0\0WEBPVP8X\0\0\0\0\0\0\0\0".to_vec();
        ext.extend(&(4000u32 - 1).to_le_bytes()[..3]);
        ext.extend(&(3000u32 - 1).to_le_bytes()[..3]);
        assert_eq!(dimensions(&ext), Some((4000, 3000)));
    }

    #[test]
    fn http_urls_and_garbage_use_the_fallback() {
        assert_eq!(size_of_url("https://example.com/a.png"), FALLBACK);
        assert_eq!(size_of_url("data:image/png;base64,AAAA"), FALLBACK);
        assert_eq!(size_of_url("data:image/png;base64,%%%"), FALLBACK);
    }
}
