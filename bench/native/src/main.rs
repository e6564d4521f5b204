//! vr-bench-native FILE PROTOCOL CHUNK RUNS -> one JSON line of run times (ms)
//! and the texts' lengths, so bench/run.mjs can put the core's native speed
//! next to the wasm figures.
use std::time::Instant;

use visual_reasoning::protocol::Protocol;
use visual_reasoning::reply::Part;
use visual_reasoning::stream::StreamState;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 {
        eprintln!("usage: vr-bench-native FILE openai|dashscope CHUNK RUNS");
        std::process::exit(2);
    }
    let bytes = std::fs::read(&args[1]).expect("read the transcript");
    let protocol = Protocol::parse(&args[2]).expect("protocol openai or dashscope");
    let chunk: usize = args[3].parse().expect("chunk size");
    let runs: usize = args[4].parse().expect("run count");
    let mut times = Vec::new();
    let mut lens = (0, 0, 0);
    for run in 0..runs + 1 {
        let t0 = Instant::now();
        let mut state = StreamState::new(protocol, "qwen3-vl-plus");
        let mut parts = 0usize;
        for piece in bytes.chunks(chunk) {
            let feed = state.feed(piece).expect("the transcript decodes");
            // Count parts the way the binding layer walks them.
            for p in &feed.parts {
                if let Part::Reasoning(r) | Part::Answer(r) = p {
                    parts += r.len().min(1);
                }
            }
        }
        state.end().expect("the transcript finishes");
        let ms = t0.elapsed().as_secs_f64() * 1e3;
        if run > 0 {
            times.push(ms);
        }
        lens = (state.reasoning().len(), state.answer().len(), parts);
    }
    let times: Vec<String> = times.iter().map(|t| format!("{t:.3}")).collect();
    println!(
        "{{\"times\":[{}],\"reasoningBytes\":{},\"answerBytes\":{},\"textParts\":{}}}",
        times.join(","),
        lens.0,
        lens.1,
        lens.2
    );
}
