//! Fuzzing without cargo-fuzz (no nightly here): proptests over arbitrary
//! bytes and over mutated real transcripts, through `StreamState` for both
//! protocols and through the other decoders. Properties: no panic, every
//! error is terminal, memory stays bounded by the input (and the event cap).
//! Case count from PROPTEST_CASES, e.g. `PROPTEST_CASES=100000 cargo test
//! --release --test fuzz`.

use proptest::prelude::*;
use visual_reasoning::json;
use visual_reasoning::protocol::{decode_json_response, http_error, Protocol};
use visual_reasoning::reply::Part;
use visual_reasoning::stream::StreamState;

const CAP: usize = 4096;

fn fixtures() -> Vec<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/transcripts");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sse"))
        .collect();
    assert!(names.len() >= 10, "transcripts missing");
    names.sort();
    names.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// Bytes that matter to SSE, JSON and UTF-8.
const INTERESTING: &[u8] =
    b"\r\n:{}[]\",\\u0123456789eE-+. tfnul\x00\xef\xbb\xbf\xc3\xa9\xf0\x9f\x98\x80\xff";

fn mutate(mut bytes: Vec<u8>, edits: &[(prop::sample::Index, u8, prop::sample::Index)]) -> Vec<u8> {
    for (at, op, pick) in edits {
        let i = at.index(bytes.len() + 1);
        let b = INTERESTING[pick.index(INTERESTING.len())];
        match op % 4 {
            0 => bytes.insert(i, b),
            1 if i < bytes.len() => {
                bytes.remove(i);
            }
            2 if i < bytes.len() => bytes[i] = b,
            // Duplicate a span: repeated events, doubled fields.
            _ => {
                let end = (i + 64).min(bytes.len());
                let span = bytes[i..end].to_vec();
                bytes.splice(i..i, span);
            }
        }
    }
    bytes
}

/// Whether JavaScript's `JSON.parse` accepts `text`, told by serde_json:
/// the two differ only where serde_json is stricter by design — numbers
/// past f64 (JSON.parse reads ±Infinity) and lone surrogate escapes (kept
/// by JSON.parse). Found by the long fuzz run: a usage object with
/// `"total_tokens":1e646` (see tests/decode.rs).
fn json_parse_accepts(text: &str) -> bool {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(_) => true,
        Err(e) => {
            let m = e.to_string();
            m.contains("number out of range") || m.contains("surrogate")
        }
    }
}

/// Feeds `bytes` in reads cut at `cuts`, checking that nothing panics,
/// parts are well-formed, errors stay put and memory is bounded.
fn drive(
    protocol: Protocol,
    bytes: &[u8],
    cuts: &[prop::sample::Index],
) -> Result<(), TestCaseError> {
    let mut at: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
    at.extend([0, bytes.len()]);
    at.sort_unstable();
    at.dedup();
    let mut state = StreamState::with_max_event_bytes(protocol, "m", CAP);
    let mut error = None;
    let mut usage_parts = 0;
    for w in at.windows(2) {
        match state.feed(&bytes[w[0]..w[1]]) {
            Ok(feed) => {
                prop_assert!(error.is_none(), "Ok after an error");
                for p in feed.parts {
                    prop_assert_eq!(usage_parts, 0, "part after usage");
                    match p {
                        Part::Reasoning(r) => {
                            prop_assert!(!r.is_empty() && state.reasoning().get(r).is_some())
                        }
                        Part::Answer(r) => {
                            prop_assert!(!r.is_empty() && state.answer().get(r).is_some())
                        }
                        Part::Usage => usage_parts += 1,
                    }
                }
            }
            Err(e) => {
                if let Some(first) = &error {
                    prop_assert_eq!(first, &e, "errors are terminal");
                }
                error = Some(e);
            }
        }
        // The usage JSON the binding hands to JSON.parse is JSON, always
        // (issue 16, bug 2).
        if let Some(u) = state.usage() {
            let json = u.to_json();
            prop_assert!(json_parse_accepts(&json), "usage JSON {:?}", json);
        }
        // Decoded text never outgrows the input by more than the U+FFFD
        // of a two-byte bad escape (3 bytes for 2).
        let held = state.reasoning().len()
            + state.answer().len()
            + state.usage().map_or(0, |u| u.raw.len());
        prop_assert!(
            held <= 2 * bytes.len(),
            "{} bytes held for {} in",
            held,
            bytes.len()
        );
    }
    let end = state.end();
    if let Some(e) = error {
        prop_assert_eq!(end, Err(e));
    }
    let _ = state.partial();
    Ok(())
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..2048),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..16),
    ) {
        drive(Protocol::OpenAi, &bytes, &cuts)?;
        drive(Protocol::DashScope, &bytes, &cuts)?;
        let _ = json::parse(&bytes);
        let _ = http_error(500, &bytes, Some("h"));
        let _ = decode_json_response(Protocol::OpenAi, &bytes, "m");
        let _ = decode_json_response(Protocol::DashScope, &bytes, "m");
    }

    #[test]
    fn sse_shaped_noise_never_panics(
        lines in prop::collection::vec(
            (prop::sample::select(vec!["data:", "data: ", "event:error", "event:result", ":HTTP_STATUS/400", ":HTTP_STATUS/200", "id:1", ""]),
             "[\\[\\]{}\":,a-z0-9\\\\ ]{0,40}",
             prop::sample::select(vec!["\n", "\r\n", "\r"])),
            0..40),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..16),
    ) {
        let mut bytes = Vec::new();
        for (field, value, eol) in lines {
            bytes.extend_from_slice(field.as_bytes());
            if field.starts_with("data") {
                bytes.extend_from_slice(value.as_bytes());
            }
            bytes.extend_from_slice(eol.as_bytes());
        }
        drive(Protocol::OpenAi, &bytes, &cuts)?;
        drive(Protocol::DashScope, &bytes, &cuts)?;
    }

    #[test]
    fn mutated_transcripts_never_panic(
        which in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), any::<prop::sample::Index>()), 1..8),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..16),
    ) {
        let all = fixtures();
        let bytes = mutate(all[which.index(all.len())].clone(), &edits);
        drive(Protocol::OpenAi, &bytes, &cuts)?;
        drive(Protocol::DashScope, &bytes, &cuts)?;
        // Each event's data as a whole body, too.
        for chunk in bytes.split(|&b| b == b'\n') {
            let data = chunk.strip_prefix(b"data:").unwrap_or(chunk);
            let _ = json::parse(data);
            let _ = decode_json_response(Protocol::OpenAi, data, "m");
            let _ = decode_json_response(Protocol::DashScope, data, "m");
            let _ = http_error(400, data, None);
        }
    }
}

/// A huge event is refused at the cap instead of buffered.
#[test]
fn an_endless_event_is_cut_at_the_cap() {
    let mut state = StreamState::with_max_event_bytes(Protocol::OpenAi, "m", CAP);
    let mut result = Ok(Default::default());
    let line = b"data: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n";
    for _ in 0..1000 {
        result = state.feed(line);
        if result.is_err() {
            break;
        }
    }
    assert_eq!(
        result.unwrap_err().kind,
        visual_reasoning::ErrorKind::Stream
    );
}
