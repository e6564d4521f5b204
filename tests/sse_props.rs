//! Properties of the SSE parser over generated input.
//!
//! 1. Generated transcripts (random fields, comments, blank lines, LF/CR/CRLF
//!    per line, with and without the space after the colon, an optional BOM,
//!    multi-byte text, maybe a cut-off last line), split anywhere — 1-byte
//!    chunks, inside CRLF, inside a UTF-8 character — give exactly what a
//!    line-level reference interpreter of the spec gives for the whole text.
//! 2. Arbitrary bytes (SSE-ish tokens mixed with any byte, invalid UTF-8),
//!    arbitrary caps and splits: no panic, the chunked run equals the whole
//!    run (cap errors included), and the buffers never exceed the cap.
//!
//! Case counts come from `PROPTEST_CASES` (default 256); CI runs the fuzz
//! one big: `PROPTEST_CASES=200000 cargo test --release --test sse_props arbitrary_bytes`.

use proptest::prelude::*;
use visual_reasoning::sse::{Parser, SseError, DEFAULT_MAX_EVENT_BYTES};

#[path = "common/sse.rs"]
mod record;
use record::{Out, Record, Run};

/// Feeds `input` cut at `cuts` (sorted offsets), checking the cap after
/// every feed; the result is the first feed error, else `finish()`'s.
fn run(max: usize, input: &[u8], cuts: &[usize]) -> Run {
    let mut parser = Parser::with_max_event_bytes(max);
    let mut sink = Record::default();
    let mut start = 0;
    for &end in cuts.iter().chain(std::iter::once(&input.len())) {
        let end = end.clamp(start, input.len());
        let fed = parser.feed(&input[start..end], &mut sink);
        assert!(
            parser.buffered() <= max,
            "{} > cap {max}",
            parser.buffered()
        );
        if let Err(err) = fed {
            return (sink.0, Err(err));
        }
        start = end;
    }
    let end = parser.finish();
    (sink.0, end)
}

fn cuts_from(raw: &[usize], len: usize) -> Vec<usize> {
    let mut cuts: Vec<usize> = raw.iter().map(|r| r % (len + 1)).collect();
    cuts.sort_unstable();
    cuts
}

fn every_byte(len: usize) -> Vec<usize> {
    (1..len).collect()
}

// ------------------------------------------------ the reference interpreter

/// The spec's "interpret a line" on whole, already-split lines: no bytes,
/// no chunks, no buffers, so it shares nothing with the parser but the rules.
fn reference(lines: &[String], last_terminated: bool) -> Run {
    let mut out = Vec::new();
    let (mut event, mut data, mut id) = (String::new(), None::<String>, String::new());
    let mut open = false;
    for (i, line) in lines.iter().enumerate() {
        if i + 1 == lines.len() && !last_terminated {
            // A cut-off line is never interpreted.
            let pending = open || !line.is_empty();
            return (
                out,
                if pending {
                    Err(SseError::Incomplete)
                } else {
                    Ok(())
                },
            );
        }
        if line.is_empty() {
            if let Some(data) = data.take() {
                out.push(Out::Event {
                    event: event.clone(),
                    data,
                    id: id.clone(),
                });
            }
            event.clear();
            open = false;
            continue;
        }
        if let Some(text) = line.strip_prefix(':') {
            out.push(Out::Comment(text.into()));
            continue;
        }
        open = true;
        let (name, value) = match line.split_once(':') {
            Some((name, value)) => (name, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_str(), ""),
        };
        match name {
            "data" => match &mut data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => data = Some(value.into()),
            },
            "event" => event = value.into(),
            "id" if !value.contains('\0') => id = value.into(),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                out.push(Out::Retry(value.parse().unwrap_or(u64::MAX)));
            }
            _ => {}
        }
    }
    (
        out,
        if open {
            Err(SseError::Incomplete)
        } else {
            Ok(())
        },
    )
}

// ------------------------------------------------ generated transcripts

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[^\r\n]{0,12}",
        2 => "[ a-z0-9:{}\"]{0,10}",
        1 => "[ 0-9]{0,4}",
        1 => "[a\0 ]{0,3}",
        1 => "[é€😶‍🌫️一]{0,4}",
    ]
}

fn line() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        4 => Just("data".to_string()),
        1 => Just("event".to_string()),
        1 => Just("id".to_string()),
        1 => Just("retry".to_string()),
        1 => Just(String::new()), // a comment
        1 => "[a-zA-Z\u{FEFF} ]{1,5}",
    ];
    prop_oneof![
        8 => (name, any::<bool>(), any::<bool>(), value()).prop_map(|(name, colon, space, value)| {
            if !colon && !name.is_empty() {
                return name;
            }
            format!("{name}:{}{value}", if space { " " } else { "" })
        }),
        3 => Just(String::new()),
    ]
}

#[derive(Debug, Clone, Copy)]
enum End {
    Lf,
    Cr,
    CrLf,
}

fn transcript() -> impl Strategy<Value = (Vec<(String, End)>, bool, bool)> {
    let end = prop_oneof![Just(End::Lf), Just(End::Cr), Just(End::CrLf)];
    (
        prop::collection::vec((line(), end), 0..24),
        any::<bool>(), // BOM
        any::<bool>(), // last line cut off
    )
}

/// The bytes, the logical lines, and whether the last line was terminated.
fn render(lines: &[(String, End)], bom: bool, cut: bool) -> (Vec<u8>, Vec<String>, bool) {
    let mut bytes = Vec::new();
    if bom {
        bytes.extend_from_slice(b"\xEF\xBB\xBF");
    }
    let mut texts = Vec::new();
    let mut previous_cr = false;
    for (i, (text, end)) in lines.iter().enumerate() {
        bytes.extend_from_slice(text.as_bytes());
        texts.push(text.clone());
        if cut && i + 1 == lines.len() {
            return (bytes, texts, false);
        }
        // A CR then an empty line's LF would read as one CRLF: the
        // transcript means two line ends, so that LF becomes CRLF.
        let end = match end {
            End::Lf if previous_cr && text.is_empty() => End::CrLf,
            other => *other,
        };
        bytes.extend_from_slice(match end {
            End::Lf => b"\n",
            End::Cr => b"\r",
            End::CrLf => b"\r\n",
        });
        previous_cr = matches!(end, End::Cr);
    }
    (bytes, texts, true)
}

/// A first line that starts with U+FEFF is read as a leading BOM when the
/// transcript has none of its own: the reference must see that too.
fn strip_implied_bom(texts: &mut [String], bom: bool) {
    if let (false, Some(first)) = (bom, texts.first_mut()) {
        if let Some(rest) = first.strip_prefix('\u{FEFF}') {
            *first = rest.to_string();
        }
    }
}

proptest! {
    #[test]
    fn transcript_any_split_matches_the_reference(
        (lines, bom, cut) in transcript(),
        raw_cuts in prop::collection::vec(any::<usize>(), 0..10),
    ) {
        let (bytes, mut texts, terminated) = render(&lines, bom, cut);
        strip_implied_bom(&mut texts, bom);
        let want = reference(&texts, terminated);
        let max = DEFAULT_MAX_EVENT_BYTES;
        prop_assert_eq!(&run(max, &bytes, &[]), &want, "whole");
        prop_assert_eq!(&run(max, &bytes, &every_byte(bytes.len())), &want, "1-byte chunks");
        let cuts = cuts_from(&raw_cuts, bytes.len());
        prop_assert_eq!(&run(max, &bytes, &cuts), &want, "cuts {:?}", cuts);
    }
}

// ------------------------------------------------ arbitrary bytes

fn token() -> impl Strategy<Value = Vec<u8>> {
    let fixed: &[&[u8]] = &[
        b"data",
        b"data:",
        b"data: ",
        b"event:",
        b"id:",
        b"retry:",
        b":",
        b" ",
        b"\n",
        b"\r",
        b"\r\n",
        b"\n\n",
        b"\xEF\xBB\xBF",
        b"\xEF",
        b"\xE2\x82",
        b"\xAC",
        b"\0",
        b"123",
        b"\xF0\x9F\x98\xB6",
        b"x",
    ];
    prop_oneof![
        3 => prop::sample::select(fixed).prop_map(<[u8]>::to_vec),
        1 => prop::collection::vec(any::<u8>(), 1..4),
    ]
}

proptest! {
    #[test]
    fn arbitrary_bytes_any_split_same_result_within_the_cap(
        tokens in prop::collection::vec(token(), 0..64),
        max in prop_oneof![Just(DEFAULT_MAX_EVENT_BYTES), 0usize..48],
        raw_cuts in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let bytes = tokens.concat();
        let whole = run(max, &bytes, &[]);
        prop_assert_eq!(&run(max, &bytes, &every_byte(bytes.len())), &whole, "1-byte chunks");
        let cuts = cuts_from(&raw_cuts, bytes.len());
        prop_assert_eq!(&run(max, &bytes, &cuts), &whole, "cuts {:?}", cuts);
    }
}
