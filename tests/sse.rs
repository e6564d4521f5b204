//! The SSE parser, one test per rule of the WHATWG event-stream algorithm
//! and per case eventsource-parser's `test/parse.test.ts` covers (ported
//! behaviour for behaviour, issue numbers cited), plus the fixture harness:
//! every file in `tests/fixtures/sse/` runs whole and re-chunked.
//!
//! Most tests go through `parse`, which also checks that 1-byte chunks and
//! every two-way split of the input give exactly the whole run's result,
//! so each rule is checked across chunk boundaries too.
//!
//! Replay a fixture failure with `CHUNK_SIZE=n cargo test --test sse fixtures`.

use std::path::Path;

use visual_reasoning::sse::{Parser, SseError, DEFAULT_MAX_EVENT_BYTES};

// ------------------------------------------------------------------ helpers

#[path = "common/sse.rs"]
mod record;
use record::{Out, Record, Run};

/// Feeds `chunks` to a fresh parser; the result is the first error of a
/// feed, else `finish()`'s.
fn feed_chunks(max: usize, chunks: &[&[u8]]) -> Run {
    let mut parser = Parser::with_max_event_bytes(max);
    let mut sink = Record::default();
    for chunk in chunks {
        if let Err(err) = parser.feed(chunk, &mut sink) {
            return (sink.0, Err(err));
        }
    }
    let end = parser.finish();
    (sink.0, end)
}

/// The whole run's outputs, after checking that 1-byte chunks and every
/// split into two chunks (plus an empty chunk at the split) agree with it.
fn parse_max(max: usize, input: &[u8]) -> Run {
    let whole = feed_chunks(max, &[input]);
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(feed_chunks(max, &bytes), whole, "1-byte chunks");
    for at in 0..=input.len() {
        let (a, b) = input.split_at(at);
        assert_eq!(feed_chunks(max, &[a, b"", b]), whole, "split at {at}");
    }
    whole
}

fn parse(input: &[u8]) -> Run {
    parse_max(DEFAULT_MAX_EVENT_BYTES, input)
}

/// Outputs of a stream that must end cleanly.
fn events(input: &[u8]) -> Vec<Out> {
    let (out, end) = parse(input);
    assert_eq!(end, Ok(()), "finish");
    out
}

fn ev(data: &str) -> Out {
    Out::Event {
        event: String::new(),
        data: data.into(),
        id: String::new(),
    }
}

fn named(event: &str, data: &str) -> Out {
    Out::Event {
        event: event.into(),
        data: data.into(),
        id: String::new(),
    }
}

fn full(event: &str, data: &str, id: &str) -> Out {
    Out::Event {
        event: event.into(),
        data: data.into(),
        id: id.into(),
    }
}

fn comment(text: &str) -> Out {
    Out::Comment(text.into())
}

// ------------------------------------------------------------ basic events

#[test]
fn unnamed_events_have_empty_type_and_id() {
    let input = "data: 0\n\ndata: 1\n\ndata: 2\n\nevent: done\ndata: ✔\n\n";
    assert_eq!(
        events(input.as_bytes()),
        [ev("0"), ev("1"), ev("2"), named("done", "✔")]
    );
}

#[test]
fn event_field_names_the_event() {
    let input = "event: time\ndata: 2025-01-01T00:00:00.000Z\n\n";
    assert_eq!(
        events(input.as_bytes()),
        [named("time", "2025-01-01T00:00:00.000Z")]
    );
}

#[test]
fn events_split_at_any_point_parse_the_same() {
    // eventsource-parser "unbalanced chunks": parse() checks every split.
    let input = "id: 8512\nevent: time\ndata: 2025-01-01T00:00:00.000Z\n\n".repeat(3);
    let out = events(input.as_bytes());
    assert_eq!(out.len(), 3);
    assert!(out
        .iter()
        .all(|o| *o == full("time", "2025-01-01T00:00:00.000Z", "8512")));
}

#[test]
fn retry_is_reported_when_read_before_the_event_dispatches() {
    let input = "event: tick\nid: 1337\nretry: 50\ndata: 1337\n\n\
                 event: tick\nid: 1338\nretry: 50\ndata: 1338\n\n";
    assert_eq!(
        events(input.as_bytes()),
        [
            Out::Retry(50),
            full("tick", "1337", "1337"),
            Out::Retry(50),
            full("tick", "1338", "1338"),
        ]
    );
}

#[test]
fn comments_between_events_go_to_the_sink() {
    let mut input = String::new();
    for c in ['A', 'B', 'C'] {
        input.push_str(": ♥\n");
        input.push_str(&format!("data: {c}\n\n"));
    }
    assert_eq!(
        events(input.as_bytes()),
        [
            comment(" ♥"),
            ev("A"),
            comment(" ♥"),
            ev("B"),
            comment(" ♥"),
            ev("C"),
        ]
    );
}

#[test]
fn comment_text_is_everything_after_the_colon() {
    assert_eq!(
        events(b":HTTP_STATUS/200\n: keep-alive\n:\n::x\n"),
        [
            comment("HTTP_STATUS/200"),
            comment(" keep-alive"),
            comment(""),
            comment(":x"),
        ]
    );
}

#[test]
fn multiple_data_lines_join_with_line_feeds() {
    let input = "event: stock\ndata: YHOO\ndata: +2\ndata: 10\n\n\
                 event: stock\ndata: GOOG\ndata: -8\ndata: 1881\n\n";
    assert_eq!(
        events(input.as_bytes()),
        [
            named("stock", "YHOO\n+2\n10"),
            named("stock", "GOOG\n-8\n1881")
        ]
    );
}

// ------------------------------------------------------------ multi-byte

#[test]
fn multibyte_text_split_inside_characters_is_kept_whole() {
    let lines = [
        "Blåbærsyltetøy må da være mulig å oppdrive?",
        "一定能买到蓝莓果酱吗？",
        "😶‍🌫️ 😮‍💨 🫱🏻‍🫲🏼 ❤️‍🔥",
    ];
    let mut input = String::new();
    for (i, line) in lines.iter().enumerate() {
        input.push_str(&format!("id: {i}\nevent: ✉\ndata:{line}\ndata:{line}\n\n"));
    }
    let expected: Vec<Out> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| full("✉", &format!("{line}\n{line}"), &i.to_string()))
        .collect();
    assert_eq!(events(input.as_bytes()), expected);
}

#[test]
fn blank_lines_before_the_first_event_dispatch_nothing() {
    let input = "\n\n\n\nid: 1\ndata: 我現在都看實況不玩遊戲\n\n";
    assert_eq!(
        events(input.as_bytes()),
        [full("", "我現在都看實況不玩遊戲", "1")]
    );
}

#[test]
fn invalid_utf8_becomes_replacement_characters() {
    let input = b"id: \xFFi\nevent: e\xC3\ndata: a\xF0\x9F\ndata: \xE2\x82\xAC\xC0\n:c\xFE\n\n";
    assert_eq!(
        events(input),
        [
            comment("c\u{FFFD}"),
            full("e\u{FFFD}", "a\u{FFFD}\n€\u{FFFD}", "\u{FFFD}i"),
        ]
    );
}

// ------------------------------------------------------------ BOM

#[test]
fn leading_bom_is_skipped() {
    let input = b"\xEF\xBB\xBFdata: bomful 1\n\ndata: bomless 2\n\n";
    assert_eq!(events(input), [ev("bomful 1"), ev("bomless 2")]);
}

#[test]
fn bom_after_the_start_makes_its_line_an_unknown_field() {
    let input = b"\xEF\xBB\xBFdata: bomful 1\n\n\xEF\xBB\xBFdata: bomful 2\n\ndata: bomless 3\n\n";
    assert_eq!(events(input), [ev("bomful 1"), ev("bomless 3")]);
}

#[test]
fn only_one_leading_bom_is_skipped() {
    let input = b"\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\ndata: y\n\n";
    assert_eq!(events(input), [ev("y")]);
}

#[test]
fn bom_split_across_chunks_is_skipped() {
    let run = feed_chunks(
        DEFAULT_MAX_EVENT_BYTES,
        &[b"\xEF", b"", b"\xBB", b"\xBF", b"data: x\n\n"],
    );
    assert_eq!(run, (vec![ev("x")], Ok(())));
}

#[test]
fn partial_bom_bytes_are_the_start_of_the_first_line() {
    // Not a BOM: the two held-back bytes belong to the field name, which is
    // then no known field; the colon-less `\xEF` line likewise.
    assert_eq!(events(b"\xEF\xBBdata: x\n\n\xEF\n\ndata: y\n\n"), [ev("y")]);
    assert_eq!(
        events(b"\xEF\xBB:c\n\n"),
        Vec::<Out>::new(),
        "a field named \\xEF\\xBB"
    );
    assert_eq!(events(b":\xEF\xBB\xBF\n"), [comment("\u{FEFF}")]);
}

#[test]
fn finish_after_a_partial_bom_is_incomplete() {
    assert_eq!(parse(b"\xEF\xBB"), (vec![], Err(SseError::Incomplete)));
    assert_eq!(parse(b"\xEF\xBB\xBF"), (vec![], Ok(())));
}

// ------------------------------------------------------------ line ends

#[test]
fn carriage_returns_end_lines() {
    let input = b"data: dog\rdata: bark\r\rdata: cat\rdata: meow\r\r";
    assert_eq!(events(input), [ev("dog\nbark"), ev("cat\nmeow")]);
}

#[test]
fn line_feeds_end_lines() {
    let input = b"data: cow\ndata: moo\n\ndata: horse\ndata: neigh\n\n";
    assert_eq!(events(input), [ev("cow\nmoo"), ev("horse\nneigh")]);
}

#[test]
fn crlf_ends_lines() {
    let input = b"data: sheep\r\ndata: bleat\r\n\r\ndata: pig\r\ndata: oink\r\n\r\n";
    assert_eq!(events(input), [ev("sheep\nbleat"), ev("pig\noink")]);
}

#[test]
fn mixed_line_ends_in_one_stream() {
    let input = b"data: a\rdata: b\ndata: c\r\n\revent: e\r\ndata: d\n\r\n";
    assert_eq!(events(input), [ev("a\nb\nc"), named("e", "d")]);
}

#[test]
fn lf_cr_is_two_line_ends() {
    // Only CR followed by LF pairs up; LF then CR is a line end and a blank line.
    assert_eq!(events(b"data: a\n\rdata: b\n\n"), [ev("a"), ev("b")]);
}

#[test]
fn cr_ending_one_chunk_and_lf_starting_the_next_are_one_line_end() {
    // eventsource-parser #17: two events instead of one when split.
    let run = feed_chunks(
        DEFAULT_MAX_EVENT_BYTES,
        &[b"data: A\r\n", b"data: B\r", b"\n", b"data: C\r\n", b"\n"],
    );
    assert_eq!(run, (vec![ev("A\nB\nC")], Ok(())));
}

#[test]
fn cr_ending_a_chunk_then_empty_chunks_still_pairs_with_the_lf() {
    let run = feed_chunks(
        DEFAULT_MAX_EVENT_BYTES,
        &[b"data: A\r", b"", b"", b"\ndata: B\n\n"],
    );
    assert_eq!(run, (vec![ev("A\nB")], Ok(())));
}

#[test]
fn cr_ending_a_chunk_before_other_bytes_is_a_whole_line_end() {
    let run = feed_chunks(
        DEFAULT_MAX_EVENT_BYTES,
        &[b"data: one\n:ignored\r", b"data: two\n\n"],
    );
    assert_eq!(run, (vec![comment("ignored"), ev("one\ntwo")], Ok(())));
}

#[test]
fn blank_cr_line_ending_a_chunk_dispatches_once() {
    // `data: one\r\r\n`, the blank line's CRLF split across chunks.
    let run = feed_chunks(DEFAULT_MAX_EVENT_BYTES, &[b"data: one\r", b"\r", b"\n"]);
    assert_eq!(run, (vec![ev("one")], Ok(())));
}

#[test]
fn comment_crlf_split_across_chunks_is_one_line_end() {
    for chunks in [
        &[&b"data: one\n:"[..], b"ignored\r\ndata: two\n\n"][..],
        &[b"data: one\n:", b"ignored\r", b"\ndata: two\n\n"],
        &[b"data: one\n:ignored\r", b"\ndata: two\n\n"],
    ] {
        let run = feed_chunks(DEFAULT_MAX_EVENT_BYTES, chunks);
        assert_eq!(run, (vec![comment("ignored"), ev("one\ntwo")], Ok(())));
    }
}

#[test]
fn colonless_data_line_ended_by_cr_at_a_chunk_boundary_counts() {
    let run = feed_chunks(
        DEFAULT_MAX_EVENT_BYTES,
        &[b"data: one\ndata\r", b"\ndata: two\n\n"],
    );
    assert_eq!(run, (vec![ev("one\n\ntwo")], Ok(())));
}

// ------------------------------------------------------------ comments

#[test]
fn odd_comments_are_comments() {
    // eventsource-parser "varying odd uses of comments".
    let emojis = "😶‍🌫️ 😮‍💨 😵‍💫 ❤️‍🔥 ❤️‍🩹 👁️‍🗨️".repeat(10);
    let long = ":".repeat(300);
    let input = format!(
        ": Hello\n\n{long}\ndata: First\n\n: Первый: 第二\ndata: Second\n\n{}: ثالث\n\
         data: Third\n\n:നാലാമത്തെ\ndata: Fourth\n\n: {emojis} :\ndata: Fifth\n\n",
        ": Moop \n".repeat(10)
    );
    let out = events(input.as_bytes());
    let data: Vec<&Out> = out
        .iter()
        .filter(|o| matches!(o, Out::Event { .. }))
        .collect();
    assert_eq!(
        data,
        [
            &ev("First"),
            &ev("Second"),
            &ev("Third"),
            &ev("Fourth"),
            &ev("Fifth")
        ]
    );
    assert_eq!(out.len(), 5 + 1 + 1 + 1 + 10 + 1 + 1 + 1);
    assert_eq!(out[1], comment(&long[1..]));
    assert_eq!(out[3], comment(" Первый: 第二"));
    assert_eq!(out[out.len() - 2], comment(&format!(" {emojis} :")));
}

#[test]
fn comments_with_nul_cr_and_long_runs_between_events() {
    // eventsource-parser "even more odd uses of comments"; the last event
    // has no blank line, so it is not dispatched and the end is incomplete.
    let long = "x".repeat(2 * 1024 + 1);
    let input = format!(
        "data:1\r\r:\0\n:\r\ndata:2\n\n:{long}\rdata:3\n\n:data:fail\r:{long}\ndata:4\n\ndata:5"
    );
    let (out, end) = parse(input.as_bytes());
    let data: Vec<Out> = out
        .into_iter()
        .filter(|o| matches!(o, Out::Event { .. }))
        .collect();
    assert_eq!(data, [ev("1"), ev("2"), ev("3"), ev("4")]);
    assert_eq!(end, Err(SseError::Incomplete));
}

#[test]
fn comments_do_not_touch_the_event_being_built() {
    assert_eq!(
        events(b"event: e\ndata: a\n:HTTP_STATUS/200\ndata: b\n\n"),
        [comment("HTTP_STATUS/200"), named("e", "a\nb")]
    );
}

// ------------------------------------------------------------ fields

#[test]
fn one_space_after_the_colon_is_removed() {
    assert_eq!(
        events(b"data:x\n\ndata: x\n\ndata:  x\n\ndata:\tx\n\n"),
        [ev("x"), ev("x"), ev(" x"), ev("\tx")]
    );
}

#[test]
fn value_keeps_further_colons() {
    assert_eq!(
        events(b"event:a:b\ndata: {\"k\": \"v:w\"}\n\n"),
        [named("a:b", "{\"k\": \"v:w\"}")]
    );
}

#[test]
fn field_names_are_case_sensitive() {
    assert_eq!(
        events(b"Data: x\nDATA: y\nEvent: e\ndata: z\n\n"),
        [ev("z")]
    );
}

#[test]
fn line_without_colon_is_a_field_name_with_empty_value() {
    // `data:\n\n` is one empty data line: dispatched with empty data;
    // `data\ndata\n\n` is two empty data lines joined: "\n".
    assert_eq!(
        events(b"data:\n\ndata\ndata\n\ndata:test\n\n"),
        [ev(""), ev("\n"), ev("test")]
    );
}

#[test]
fn event_line_without_colon_resets_the_type() {
    assert_eq!(events(b"event: e\nevent\ndata: x\n\n"), [ev("x")]);
}

#[test]
fn empty_event_field_means_the_default_type() {
    assert_eq!(
        events(b"event:\ndata: Hello 1\n\nevent:\n\nevent: done\ndata: \xE2\x9C\x94\n\n"),
        [ev("Hello 1"), named("done", "✔")]
    );
}

#[test]
fn event_type_is_reset_after_each_blank_line() {
    assert_eq!(
        events(b"event: a\ndata: 1\n\ndata: 2\n\nevent: b\n\ndata: 3\n\n"),
        [named("a", "1"), ev("2"), ev("3")]
    );
}

#[test]
fn unknown_fields_are_ignored() {
    let input =
        b"data:abc\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:123\n\n";
    assert_eq!(
        events(input),
        [comment("thisisacommentyay"), ev("abc\n\n123")]
    );
}

#[test]
fn a_line_that_is_not_sse_is_ignored() {
    let input = b"{\"error\":\"Internal Server Error\",\"message\":\"x\"}\n\ndata: ok\n\n";
    assert_eq!(events(input), [ev("ok")]);
    assert_eq!(events(b"Well, this is not what I expected\n\n"), []);
}

#[test]
fn block_without_data_is_not_dispatched() {
    assert_eq!(
        events(b"event: e\n\nid: 1\n\nretry: 5\n\n:c\n\n"),
        [Out::Retry(5), comment("c")]
    );
}

// ------------------------------------------------------------ id

#[test]
fn id_persists_across_events() {
    assert_eq!(
        events(b"id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n"),
        [full("", "a", "1"), full("", "b", "1"), full("", "c", "2")]
    );
}

#[test]
fn id_from_a_block_without_data_applies_to_later_events() {
    assert_eq!(events(b"id: 42\n\ndata: a\n\n"), [full("", "a", "42")]);
}

#[test]
fn empty_id_clears_the_last_event_id() {
    assert_eq!(
        events(b"id: 42\ndata: a\n\nid\ndata: b\n\nid: 7\n\nid:\ndata: c\n\n"),
        [full("", "a", "42"), ev("b"), ev("c")]
    );
}

#[test]
fn id_containing_nul_is_ignored() {
    assert_eq!(
        events(b"id: 123\nid: bad\0id\ndata: hello\n\nid: \0\ndata: again\n\n"),
        [full("", "hello", "123"), full("", "again", "123")]
    );
}

#[test]
fn id_block_ends_with_cr_or_crlf_blank_lines() {
    assert_eq!(events(b"id: 42\r\rdata: a\r\r"), [full("", "a", "42")]);
    assert_eq!(
        events(b"id: 42\r\n\r\ndata: a\r\n\r\n"),
        [full("", "a", "42")]
    );
}

// ------------------------------------------------------------ retry

#[test]
fn retry_with_only_digits_is_reported() {
    assert_eq!(
        events(b"retry:1000\nretry: 0\nretry: 007\n\n"),
        [Out::Retry(1000), Out::Retry(0), Out::Retry(7)]
    );
}

#[test]
fn retry_with_anything_but_digits_is_ignored() {
    let input = b"retry:1000\nretry:2000x\nretry:\nretry\nretry: -5\nretry:  5\nretry: 1.5\nretry: \xD9\xA3\ndata:x\n\n";
    assert_eq!(events(input), [Out::Retry(1000), ev("x")]);
}

#[test]
fn retry_beyond_u64_saturates() {
    assert_eq!(
        events(b"retry: 99999999999999999999999\n\n"),
        [Out::Retry(u64::MAX)]
    );
}

#[test]
fn retry_between_events_keeps_its_place() {
    let input = "retry: 500\n\ndata: first\n\nretry: 50x\n\ndata: second\n\n";
    assert_eq!(
        events(input.as_bytes()),
        [Out::Retry(500), ev("first"), ev("second")]
    );
}

// ------------------------------------------------------------ end of input

#[test]
fn event_without_its_blank_line_is_not_dispatched() {
    assert_eq!(
        parse(b"data: a\n\ndata: b\n"),
        (vec![ev("a")], Err(SseError::Incomplete))
    );
}

#[test]
fn partial_last_line_is_incomplete() {
    assert_eq!(
        parse(b"data: a\n\ndata: b"),
        (vec![ev("a")], Err(SseError::Incomplete))
    );
    assert_eq!(
        parse(b"{\"error\":\"Internal Server Error\"}"),
        (vec![], Err(SseError::Incomplete))
    );
    assert_eq!(parse(b": keep-al"), (vec![], Err(SseError::Incomplete)));
}

#[test]
fn any_field_line_without_its_blank_line_is_incomplete() {
    for input in [
        &b"id: 1\n"[..],
        b"event: e\r",
        b"retry: 5\r\n",
        b"foo: bar\n",
    ] {
        let (_, end) = parse(input);
        assert_eq!(end, Err(SseError::Incomplete), "{input:?}");
    }
}

#[test]
fn trailing_blank_lines_and_comments_end_cleanly() {
    assert_eq!(parse(b""), (vec![], Ok(())));
    assert_eq!(parse(b"\n\r\n\r"), (vec![], Ok(())));
    assert_eq!(
        parse(b"data: a\n\n: keep-alive\n\n\n"),
        (vec![ev("a"), comment(" keep-alive")], Ok(()))
    );
    assert_eq!(
        parse(b"data: a\r\n\r\n:bye\r"),
        (vec![ev("a"), comment("bye")], Ok(()))
    );
}

#[test]
fn finish_resets_for_a_new_stream() {
    let mut parser = Parser::new();
    let mut sink = Record::default();
    parser.feed(b"id: 9\ndata: cut", &mut sink).unwrap();
    assert_eq!(parser.finish(), Err(SseError::Incomplete));
    // The BOM is skipped again, the old id and partial event are gone.
    parser.feed(b"\xEF\xBB\xBFdata: b\n\n", &mut sink).unwrap();
    assert_eq!(parser.finish(), Ok(()));
    assert_eq!(sink.0, [ev("b")]);
}

#[test]
fn reset_drops_the_partial_event_and_the_last_id() {
    let mut parser = Parser::new();
    let mut sink = Record::default();
    parser
        .feed(b"id: 1\ndata: a\n\ndata: half", &mut sink)
        .unwrap();
    parser.reset();
    parser.feed(b"data: b\n\n", &mut sink).unwrap();
    assert_eq!(sink.0, [full("", "a", "1"), ev("b")]);
}

// ------------------------------------------------------------ size cap

#[test]
fn cap_counts_data_of_an_event_across_lines() {
    // 50 lines of `data: chunk-NN` and no blank line: over a 32-byte cap.
    let input: String = (10..60).map(|i| format!("data: chunk-{i}\n")).collect();
    let (out, end) = parse_max(32, input.as_bytes());
    assert_eq!(out, []);
    assert_eq!(end, Err(SseError::TooLarge { limit: 32 }));
}

#[test]
fn cap_counts_a_line_without_its_end() {
    let mut parser = Parser::with_max_event_bytes(24);
    let mut sink = Record::default();
    assert_eq!(parser.feed(b"data: short", &mut sink), Ok(()));
    assert_eq!(
        parser.feed(b" and now too long", &mut sink),
        Err(SseError::TooLarge { limit: 24 })
    );
    assert_eq!(parser.buffered(), 0, "the buffers are freed");
}

#[test]
fn cap_is_exact() {
    // Data so far plus the current line's raw bytes may equal the cap.
    let at_cap = b"data: 0123\n\n"; // the line is 10 bytes
    assert_eq!(parse_max(10, at_cap), (vec![ev("0123")], Ok(())));
    assert_eq!(
        parse_max(9, at_cap),
        (vec![], Err(SseError::TooLarge { limit: 9 }))
    );
    // Second line: data so far (4) + line (10) = 14.
    let two = b"data: 0123\ndata: 4567\n\n";
    assert_eq!(parse_max(14, two), (vec![ev("0123\n4567")], Ok(())));
    assert_eq!(
        parse_max(13, two),
        (vec![], Err(SseError::TooLarge { limit: 13 }))
    );
}

#[test]
fn cap_applies_to_comments_and_unknown_lines_too() {
    assert_eq!(
        parse_max(8, b"data: a\n\n: 0123456789\n\ndata: b\n\n"),
        (vec![ev("a")], Err(SseError::TooLarge { limit: 8 }))
    );
}

#[test]
fn cap_failure_sticks_until_reset() {
    let mut parser = Parser::with_max_event_bytes(8);
    let mut sink = Record::default();
    let too_large = Err(SseError::TooLarge { limit: 8 });
    assert_eq!(
        parser.feed(b"data: this is too long for the buffer", &mut sink),
        too_large
    );
    assert_eq!(parser.feed(b"data: hi\n\n", &mut sink), too_large);
    assert_eq!(parser.feed(b"", &mut sink), too_large);
    assert_eq!(sink.0, []);
    parser.reset();
    assert_eq!(parser.feed(b"data: hi\n\n", &mut sink), Ok(()));
    assert_eq!(sink.0, [ev("hi")]);
}

#[test]
fn cap_failure_is_reported_by_finish() {
    let mut parser = Parser::with_max_event_bytes(4);
    let mut sink = Record::default();
    assert!(parser.feed(b"data: 12345", &mut sink).is_err());
    assert_eq!(parser.finish(), Err(SseError::TooLarge { limit: 4 }));
}

#[test]
fn cap_is_per_event_not_per_stream() {
    let input = "data: 0123\n\n".repeat(100);
    let (out, end) = parse_max(10, input.as_bytes());
    assert_eq!(out.len(), 100);
    assert_eq!(end, Ok(()));
}

#[test]
fn events_dispatched_before_the_cap_is_hit_are_kept() {
    let mut parser = Parser::with_max_event_bytes(16);
    let mut sink = Record::default();
    let err = parser.feed(b"data: 1\n\ndata: 2\n\ndata: 0123456789abcdef\n", &mut sink);
    assert_eq!(err, Err(SseError::TooLarge { limit: 16 }));
    assert_eq!(sink.0, [ev("1"), ev("2")]);
}

#[test]
fn default_cap_is_16_mib() {
    assert_eq!(DEFAULT_MAX_EVENT_BYTES, 16 * 1024 * 1024);
    assert_eq!(Parser::new().max_event_bytes(), DEFAULT_MAX_EVENT_BYTES);
}

#[test]
fn huge_event_of_many_data_lines_in_odd_chunks() {
    // eventsource-parser "huge data chunks": ~10 MB in one event.
    let line = "Blåbærsyltetøy må da være mulig å oppdrive? 😶‍🌫️ 一定能买到蓝莓果酱吗？";
    let mut input = String::from(": hello\n\n");
    let mut expected = String::new();
    while expected.len() < 10 * 1024 * 1024 {
        if !expected.is_empty() {
            expected.push('\n');
        }
        expected.push_str(line);
        input.push_str("data: ");
        input.push_str(line);
        input.push('\n');
    }
    input.push_str("\n: END-OF-STREAM\n\n");
    for size in [65_536, 997] {
        let chunks: Vec<&[u8]> = input.as_bytes().chunks(size).collect();
        let (out, end) = feed_chunks(DEFAULT_MAX_EVENT_BYTES, &chunks);
        assert_eq!(end, Ok(()));
        assert_eq!(out.len(), 3);
        assert_eq!(out[1], ev(&expected), "chunk size {size}");
    }
}

#[test]
fn one_big_line_fed_a_byte_at_a_time() {
    // Linear work with tiny chunks: a parser that rescans its carry would
    // need ~5·10¹¹ steps here. (The unit test in src/sse.rs counts the work
    // for 4 MiB.)
    let size = 1024 * 1024;
    let mut input = b"data: ".to_vec();
    input.resize(size, b'x');
    input.extend_from_slice(b"\n\n");
    let chunks: Vec<&[u8]> = input.chunks(1).collect();
    let (out, end) = feed_chunks(DEFAULT_MAX_EVENT_BYTES, &chunks);
    assert_eq!(end, Ok(()));
    assert_eq!(out, [ev(&"x".repeat(size - 6))]);
}

// ------------------------------------------------------------ fixtures

/// One line per output: `event <type>|<id>|<data with \n as ⏎>`,
/// `comment <text>`, `retry <ms>`, and last `end ok|incomplete|too_large`.
/// A first line `max <n>` sets the cap.
fn expected(text: &str) -> (usize, Run) {
    let mut max = DEFAULT_MAX_EVENT_BYTES;
    let mut out = Vec::new();
    let mut end = None;
    for line in text.lines() {
        let (kind, rest) = line.split_once(' ').unwrap_or((line, ""));
        match kind {
            "max" => max = rest.parse().unwrap(),
            "event" => {
                let mut parts = rest.splitn(3, '|');
                let event = parts.next().unwrap().to_string();
                let id = parts.next().unwrap().to_string();
                let data = parts.next().unwrap().replace('⏎', "\n");
                out.push(Out::Event { event, data, id });
            }
            "comment" => out.push(Out::Comment(rest.into())),
            "retry" => out.push(Out::Retry(rest.parse().unwrap())),
            "end" => {
                end = Some(match rest {
                    "ok" => Ok(()),
                    "incomplete" => Err(SseError::Incomplete),
                    "too_large" => Err(SseError::TooLarge { limit: max }),
                    other => panic!("bad end {other}"),
                })
            }
            "" => {}
            other => panic!("bad expectation line kind {other}"),
        }
    }
    (max, (out, end.expect("an `end` line")))
}

/// xorshift, seeded per run; the chunk sizes it picks are printed.
fn rng_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(7);
    u64::from(nanos) | 1
}

fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn fixtures_whole_and_chunked() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sse");
    let forced: Option<usize> = std::env::var("CHUNK_SIZE").ok().map(|s| s.parse().unwrap());
    let mut seed = rng_seed();
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sse"))
        .collect();
    names.sort();
    assert!(names.len() >= 8, "fixtures missing in {dir:?}");
    for path in names {
        let input = std::fs::read(&path).unwrap();
        let text = std::fs::read_to_string(path.with_extension("expected")).unwrap();
        let (max, want) = expected(&text);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(feed_chunks(max, &[&input]), want, "{name} whole");
        let sizes: Vec<usize> = match forced {
            Some(size) => vec![size],
            None => {
                let mut sizes = vec![1, 2, 3];
                for _ in 0..4 {
                    sizes.push(1 + (next(&mut seed) as usize) % input.len().max(1));
                }
                sizes
            }
        };
        for size in sizes {
            let chunks: Vec<&[u8]> = input.chunks(size.max(1)).collect();
            assert_eq!(
                feed_chunks(max, &chunks),
                want,
                "{name} in chunks of {size}; replay with CHUNK_SIZE={size}"
            );
        }
    }
}
