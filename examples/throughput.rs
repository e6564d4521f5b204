//! Decoding throughput of `StreamState` on the host: a >= 10 MB transcript
//! of each protocol (chunks shaped like PROTOCOL.md §3's, 10-40 characters
//! of text per event), fed in 64 KiB reads and in 1-byte reads.
//!
//! `cargo run --release --example throughput` (env: `RUNS=n` repeats the
//! timed runs, `SMALL=0` skips the 1-byte reads)

use std::time::Instant;

use visual_reasoning::protocol::Protocol;
use visual_reasoning::reply::Part;
use visual_reasoning::sse::{Event, Parser, Sink};
use visual_reasoning::stream::StreamState;

const TARGET: usize = 10 * 1024 * 1024;

/// A deterministic xorshift, so every run decodes the same bytes.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const WORDS: &[&str] = &[
    "the",
    "triangle",
    "angle",
    "∠A",
    "= 40°",
    "so",
    "x",
    "is",
    "70°",
    "because",
    "sum",
    "of",
    "angles",
    "180°",
    "we",
    "know",
    "$\\\\frac{a}{b}$",
    "\\n",
    "isosceles",
    "base",
    "side",
    "\\\"equal\\\"",
    "中文",
    "推理",
    "then",
    "therefore",
    "😀",
];

/// 10-40 characters of JSON-escaped text.
fn piece(rng: &mut Rng) -> String {
    let want = 10 + rng.below(31) as usize;
    let mut s = String::new();
    while s.chars().count() < want {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
    }
    s
}

fn openai(rng: &mut Rng) -> (Vec<u8>, usize) {
    let mut out = String::with_capacity(TARGET + 4096);
    let head = r#"data: {"id":"chatcmpl-7f3e","object":"chat.completion.chunk","created":1764300000,"model":"qwen3-vl-plus","choices":[{"index":0,"delta":{"#;
    let mut events = 0;
    while out.len() < TARGET {
        let thinking = out.len() < TARGET * 3 / 4;
        let text = piece(rng);
        out.push_str(head);
        if thinking {
            out.push_str(r#""content":null,"reasoning_content":""#);
            out.push_str(&text);
            out.push('"');
        } else {
            out.push_str(r#""content":""#);
            out.push_str(&text);
            out.push_str(r#"","reasoning_content":null"#);
        }
        out.push_str(r#"},"finish_reason":null,"logprobs":null}],"usage":null}"#);
        out.push_str("\n\n");
        events += 1;
    }
    out.push_str(head);
    out.push_str(
        r#""content":"","reasoning_content":null},"finish_reason":"stop","logprobs":null}]}"#,
    );
    out.push_str("\n\n");
    out.push_str(r#"data: {"id":"chatcmpl-7f3e","object":"chat.completion.chunk","created":1764300000,"model":"qwen3-vl-plus","choices":[],"usage":{"prompt_tokens":1266,"completion_tokens":412,"total_tokens":1678,"prompt_tokens_details":{"text_tokens":746,"image_tokens":520},"completion_tokens_details":{"reasoning_tokens":380,"text_tokens":32}}}"#);
    out.push_str("\n\ndata: [DONE]\n\n");
    (out.into_bytes(), events + 3)
}

fn dashscope(rng: &mut Rng) -> (Vec<u8>, usize) {
    let mut out = String::with_capacity(TARGET + 4096);
    let mut events = 0;
    let event = |out: &mut String, n: usize, content: &str, reasoning: &str, finish: &str| {
        out.push_str("id:");
        out.push_str(&n.to_string());
        out.push_str("\nevent:result\n:HTTP_STATUS/200\ndata:{\"output\":{\"choices\":[{\"message\":{\"content\":");
        out.push_str(content);
        out.push_str(",\"reasoning_content\":\"");
        out.push_str(reasoning);
        out.push_str("\",\"role\":\"assistant\"},\"finish_reason\":\"");
        out.push_str(finish);
        out.push_str("\"}]},\"usage\":{\"input_tokens\":1266,\"output_tokens\":");
        out.push_str(&n.to_string());
        out.push_str(",\"input_tokens_details\":{\"text_tokens\":746,\"image_tokens\":520},\"output_tokens_details\":{\"reasoning_tokens\":");
        out.push_str(&n.to_string());
        out.push_str(",\"text_tokens\":0},\"total_tokens\":");
        out.push_str(&(1266 + n).to_string());
        out.push_str(
            ",\"image_tokens\":520},\"request_id\":\"a1b2c3d4-0000-4000-8000-000000000001\"}\n\n",
        );
    };
    while out.len() < TARGET {
        events += 1;
        let text = piece(rng);
        if out.len() < TARGET * 3 / 4 {
            event(&mut out, events, "[]", &text, "null");
        } else {
            event(
                &mut out,
                events,
                &format!("[{{\"text\":\"{text}\"}}]"),
                "",
                "null",
            );
        }
    }
    events += 1;
    event(&mut out, events, "[]", "", "stop");
    (out.into_bytes(), events)
}

/// CPU time of this thread (Linux; `None` elsewhere), so the figures mean
/// something on a machine shared with other jobs, where wall-clock time
/// mostly measures waiting for a core.
fn cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, in clock ticks
    // (USER_HZ, 100 on Linux).
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Times `runs` calls of `f` (which returns its own wall time): the best
/// wall time, and the CPU time per run.
fn measure(runs: usize, mut f: impl FnMut() -> f64) -> (f64, Option<f64>) {
    let cpu_start = cpu_secs();
    let best = (0..runs).map(|_| f()).fold(f64::MAX, f64::min);
    let cpu = match (cpu_start, cpu_secs()) {
        (Some(a), Some(b)) if b > a => Some((b - a) / runs as f64),
        _ => None,
    };
    (best, cpu)
}

fn run(protocol: Protocol, bytes: &[u8], read: usize) -> (f64, usize) {
    let start = Instant::now();
    let mut state = StreamState::new(protocol, "qwen3-vl-plus");
    // What the binding layer does per part: look at the text.
    let mut seen = 0usize;
    for chunk in bytes.chunks(read) {
        let feed = state.feed(chunk).expect("valid transcript");
        for p in &feed.parts {
            seen += match p {
                Part::Reasoning(r) | Part::Answer(r) => r.len(),
                Part::Usage => 0,
            };
        }
    }
    state.end().expect("finished");
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(seen, state.reasoning().len() + state.answer().len());
    assert!(state.usage().is_some());
    (secs, seen)
}

/// The SSE layer alone (events counted, not decoded), to show what the
/// JSON decoding and part folding add on top.
fn sse_only(bytes: &[u8], read: usize) -> f64 {
    struct Count(usize);
    impl Sink for Count {
        fn event(&mut self, e: &Event<'_>) {
            self.0 += e.data.len();
        }
    }
    let start = Instant::now();
    let mut parser = Parser::new();
    let mut sink = Count(0);
    for chunk in bytes.chunks(read) {
        parser.feed(chunk, &mut sink).expect("valid transcript");
    }
    assert!(sink.0 > 0);
    start.elapsed().as_secs_f64()
}

fn main() {
    // RUNS=n multiplies the timed runs (for profiling); SMALL=0 skips the
    // slow 1-byte reads.
    let scale: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1);
    let small = !std::env::var("SMALL").is_ok_and(|v| v == "0");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let cases = [
        ("openai", Protocol::OpenAi, openai(&mut rng)),
        ("dashscope", Protocol::DashScope, dashscope(&mut rng)),
    ];
    println!("best wall-clock run, and (in brackets) by CPU time of this thread");
    for (name, protocol, (bytes, events)) in &cases {
        let mb = bytes.len() as f64 / 1e6;
        println!(
            "{name}: {mb:.2} MB, {events} events, {:.2} MB of text",
            run(*protocol, bytes, 1 << 16).1 as f64 / 1e6
        );
        for (label, read, runs) in [("64 KiB reads", 1 << 16, 20), ("1-byte reads", 1, 3)] {
            if read == 1 && !small {
                continue;
            }
            let runs = runs * scale;
            let (wall, cpu) = measure(runs, || run(*protocol, bytes, read).0);
            let (sse_wall, sse_cpu) = measure(runs, || sse_only(bytes, read));
            let per = |secs: f64| (mb / secs, *events as f64 / secs);
            let (w_mb, w_ev) = per(wall);
            let (c_mb, c_ev) = cpu.map_or((f64::NAN, f64::NAN), per);
            println!(
                "  {label:<13} StreamState {w_mb:7.1} MB/s {w_ev:9.0} events/s  ({c_mb:7.1} MB/s {c_ev:9.0} events/s)"
            );
            println!(
                "  {label:<13} SSE only    {:7.1} MB/s                     ({:7.1} MB/s)",
                mb / sse_wall,
                sse_cpu.map_or(f64::NAN, |c| mb / c)
            );
        }
    }
}
