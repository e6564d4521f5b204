//! The built binary: the `listening on` line, flags, SIGTERM, its stderr
//! log, and the `transcript` subcommand.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_visual-reasoning-relay");
const KEY: &str = "sk-binary-test-KEY-feedface";

/// Starts the binary; returns it and the URL from its first stdout line.
fn spawn(args: &[&str], key: Option<&str>) -> (Child, String) {
    spawn_limited(args, key, None)
}

/// Same, under `ulimit -n nofile` (soft and hard) when given.
fn spawn_limited(args: &[&str], key: Option<&str>, nofile: Option<u64>) -> (Child, String) {
    let mut cmd = match nofile {
        Some(n) => {
            let mut c = Command::new("sh");
            c.args(["-c", "ulimit -n \"$0\" && exec \"$@\""])
                .arg(n.to_string())
                .arg(BIN);
            c
        }
        None => Command::new(BIN),
    };
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    match key {
        Some(k) => cmd.env("DASHSCOPE_API_KEY", k),
        None => cmd.env_remove("DASHSCOPE_API_KEY"),
    };
    let mut child = cmd.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .trim()
        .to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"),
        "{url}"
    );
    (child, url)
}

fn sigterm(child: &Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

fn wait(child: &mut Child) -> std::process::ExitStatus {
    for _ in 0..100 {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("did not exit after SIGTERM");
}

#[tokio::test]
async fn relay_in_front_of_mock_logs_one_line_per_request_without_the_key() {
    let (mut mock, mock_url) = spawn(
        &[
            "--mock",
            "--listen",
            "127.0.0.1:0",
            "--tokens-per-second",
            "0",
            "--allow-no-origin",
        ],
        None,
    );
    let (mut relay, relay_url) = spawn(
        &[
            "--upstream",
            &mock_url,
            "--listen",
            "127.0.0.1:0",
            "--allow-origin",
            "http://a.example",
        ],
        Some(KEY),
    );
    let c = reqwest::Client::new();
    let body = serde_json::json!({
        "model": "qwen3-vl-plus",
        "messages": [{"role": "user", "content": "Find angle x."}],
        "stream": true,
    });
    let res = c
        .post(format!("{relay_url}/compatible-mode/v1/chat/completions"))
        .header("origin", "http://a.example")
        .header("authorization", "Bearer user-junk")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let rid = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let text = res.text().await.unwrap();
    assert!(text.ends_with("data: [DONE]\n\n") && !text.contains(KEY));
    let res = c.get(format!("{relay_url}/nope")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let config: serde_json::Value = c
        .get(format!("{relay_url}/config"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config["region"], "intl");
    assert_eq!(config["mock"], false);

    sigterm(&relay);
    assert!(wait(&mut relay).success());
    sigterm(&mock);
    assert!(wait(&mut mock).success());
    let mut log = String::new();
    relay
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(!log.contains(KEY), "{log}");
    assert!(!log.contains("Find angle"), "{log}");
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(" POST ") || l.contains(" GET "))
        .collect();
    assert_eq!(lines.len(), 3, "{log}");
    assert!(lines[0].contains("POST /compatible-mode/v1/chat/completions 200 "));
    assert!(
        lines[0].ends_with(&format!("rid={rid} completed")),
        "{}",
        lines[0]
    );
    // Responses that are not streams end `completed` or `refused`, not
    // `aborted` (hyper never polls a full body to its end).
    assert!(
        lines[1].contains("GET /nope 404 ") && lines[1].ends_with(" refused 404"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains("GET /config 200 ") && lines[2].ends_with(" completed"),
        "{}",
        lines[2]
    );
}

#[test]
fn relay_mode_needs_a_key_and_refuses_a_wildcard_origin() {
    let out = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0"])
        .env_remove("DASHSCOPE_API_KEY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("DASHSCOPE_API_KEY"));
    let out = Command::new(BIN)
        .args(["--mock", "--listen", "127.0.0.1:0", "--allow-origin", "*"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn transcript_writes_a_reply_of_the_asked_length() {
    for protocol in ["openai", "dashscope"] {
        let out = Command::new(BIN)
            .args([
                "transcript",
                "--protocol",
                protocol,
                "--reasoning-tokens",
                "3000",
                "--answer-tokens",
                "50",
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        match protocol {
            "openai" => {
                assert!(text.ends_with("data: [DONE]\n\n"));
                assert!(text.contains(
                    "\"completion_tokens_details\":{\"reasoning_tokens\":3000,\"text_tokens\":50}"
                ));
            }
            _ => {
                assert!(text.starts_with("id:1\nevent:result\n:HTTP_STATUS/200\ndata:{"));
                assert!(text.contains(
                    "\"output_tokens_details\":{\"reasoning_tokens\":3000,\"text_tokens\":50}"
                ));
            }
        }
        // Reproducible bytes.
        let again = Command::new(BIN)
            .args([
                "transcript",
                "--protocol",
                protocol,
                "--reasoning-tokens",
                "3000",
                "--answer-tokens",
                "50",
            ])
            .output()
            .unwrap();
        assert_eq!(again.stdout, text.as_bytes());
    }
}

/// The slowloris of the report: more connections from one address than the
/// relay has descriptors, each sending a head one byte at a time. The cap
/// per address refuses most at once, the header timeout closes the rest,
/// and `/healthz` from another address keeps answering throughout.
#[tokio::test]
async fn one_address_cannot_exhaust_descriptors() {
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    // The attack needs its own descriptors: as many as the relay has, and more.
    let mine = visual_reasoning_relay::conn::raise_fd_limit().unwrap_or(1024);
    let relay_fds: u64 = 1024.min(mine.saturating_sub(200));
    let n = relay_fds as usize + 26;
    let (mut relay, url) = spawn_limited(
        &[
            "--upstream",
            "http://127.0.0.1:9",
            "--listen",
            "127.0.0.1:0",
            "--allow-origin",
            "http://a.example",
            "--header-timeout",
            "2",
        ],
        Some(KEY),
        Some(relay_fds),
    );
    let addr: SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    // Read the log as it comes: a full pipe would block the relay.
    let mut stderr = relay.stderr.take().unwrap();
    let log_reader = std::thread::spawn(move || {
        let mut log = String::new();
        let _ = stderr.read_to_string(&mut log);
        log
    });
    let mut slow = Vec::new();
    for _ in 0..n {
        slow.push(tokio::spawn(async move {
            let s = tokio::net::TcpSocket::new_v4().unwrap();
            s.bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)), 0))
                .unwrap();
            let Ok(Ok(c)) = tokio::time::timeout(Duration::from_secs(10), s.connect(addr)).await
            else {
                return Err("connect failed".to_owned());
            };
            let (mut r, mut w) = c.into_split();
            let writer = tokio::spawn(async move {
                for b in b"POST /compatible-mode/v1/chat/completions HTTP/1.1\r\nHost: x\r\n" {
                    if w.write_all(&[*b]).await.is_err() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                std::future::pending::<()>().await;
            });
            let mut got = Vec::new();
            let closed =
                tokio::time::timeout(Duration::from_secs(30), r.read_to_end(&mut got)).await;
            writer.abort();
            match closed {
                Ok(_) => Ok(String::from_utf8_lossy(&got)
                    .get(..12)
                    .unwrap_or("")
                    .to_owned()),
                Err(_) => Err("still open after 30 s".to_owned()),
            }
        }));
    }
    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    for _ in 0..5 {
        let res = c.get(format!("{url}/healthz")).send().await;
        assert_eq!(res.map(|r| r.status().as_u16()).ok(), Some(200));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut answers = std::collections::BTreeMap::<String, usize>::new();
    for t in slow {
        *answers.entry(t.await.unwrap().unwrap()).or_default() += 1;
    }
    assert_eq!(answers.values().sum::<usize>(), n);
    assert_eq!(
        answers.get("HTTP/1.1 408"),
        Some(&64),
        "64 (the cap per address) waited for their head: {answers:?}"
    );
    assert_eq!(answers.get("HTTP/1.1 503"), Some(&(n - 64)), "{answers:?}");

    sigterm(&relay);
    assert!(wait(&mut relay).success());
    let log = log_reader.join().unwrap();
    let count = |s: &str| log.lines().filter(|l| l.ends_with(s)).count();
    assert_eq!(count("rid=- timeout header"), 64, "{log}");
    assert_eq!(count("rid=- refused max-connections-per-ip"), n - 64);
    assert_eq!(count(" completed"), 5);
    assert!(!log.contains("accept error"), "{log}");
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count()
}

/// An openai SSE body without its per-request fields (id, created).
fn normalized(body: &str) -> Vec<serde_json::Value> {
    body.split("\n\n")
        .filter_map(|e| e.strip_prefix("data: "))
        .map(|d| {
            let mut v = serde_json::from_str(d).unwrap_or(serde_json::Value::String(d.into()));
            if let Some(o) = v.as_object_mut() {
                o.remove("id");
                o.remove("created");
            }
            v
        })
        .collect()
}

/// README "Memory": after a burst the relay's RSS comes back within
/// 20 MB of its warmed-up baseline and its descriptors within the idle
/// upstream pool (32), in at most 30 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_1000_streams_loses_nothing_and_memory_comes_back() {
    const N: usize = 1000;
    const RSS_MARGIN_KB: u64 = 20 * 1024;
    const FD_MARGIN: usize = 32 + 4;
    visual_reasoning_relay::conn::raise_fd_limit();
    let (mut mock, mock_url) = spawn(
        &[
            "--mock",
            "--listen",
            "127.0.0.1:0",
            "--tokens-per-second",
            "400",
            "--allow-no-origin",
        ],
        None,
    );
    let (mut relay, url) = spawn(
        &[
            "--upstream",
            &mock_url,
            "--listen",
            "127.0.0.1:0",
            "--allow-origin",
            "http://a.example",
            "--max-streams-per-ip",
            "0",
            "--rate-limit",
            "0",
            "--max-connections-per-ip",
            "0",
        ],
        Some(KEY),
    );
    // Read both logs as they come: a full pipe would block a process.
    let mut stderr = relay.stderr.take().unwrap();
    let log_reader = std::thread::spawn(move || {
        let mut log = String::new();
        let _ = stderr.read_to_string(&mut log);
        log
    });
    let mut mock_stderr = mock.stderr.take().unwrap();
    std::thread::spawn(move || std::io::copy(&mut mock_stderr, &mut std::io::sink()));
    let body = serde_json::json!({
        "model": "qwen3-vl-plus",
        "messages": [{"role": "user", "content": "Find angle x in the triangle."}],
        "stream": true,
        "enable_thinking": true,
    });
    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let direct = c
        .post(format!("{mock_url}/compatible-mode/v1/chat/completions"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let reference = std::sync::Arc::new(normalized(&direct));
    assert!(reference.len() > 20);
    let post = |c: reqwest::Client| {
        let url = format!("{url}/compatible-mode/v1/chat/completions");
        let body = body.clone();
        let reference = std::sync::Arc::clone(&reference);
        async move {
            let res = c
                .post(url)
                .header("origin", "http://a.example")
                .json(&body)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if res.status() != 200 {
                return Err(format!("status {}", res.status()));
            }
            let text = res.text().await.map_err(|e| e.to_string())?;
            if normalized(&text) == *reference {
                Ok(())
            } else {
                Err("different bytes".to_owned())
            }
        }
    };
    // Warm up, so first-use allocations are in the baseline.
    for _ in 0..20 {
        post(c.clone()).await.unwrap();
    }
    drop(c);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pid = relay.id();
    let (base_rss, base_fds) = (rss_kb(pid), open_fds(pid));

    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let tasks: Vec<_> = (0..N).map(|_| tokio::spawn(post(c.clone()))).collect();
    let mut peak_fds = 0;
    let mut failures = Vec::new();
    for t in tasks {
        peak_fds = peak_fds.max(open_fds(pid));
        if let Err(e) = t.await.unwrap() {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} lost: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    drop(c);
    let after = (rss_kb(pid), open_fds(pid));
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let settled = loop {
        let now = (rss_kb(pid), open_fds(pid));
        if now.0 <= base_rss + RSS_MARGIN_KB && now.1 <= base_fds + FD_MARGIN {
            break now;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "after 30 s: RSS {} kB, {} fds (baseline {base_rss} kB, {base_fds} fds; right after the burst {after:?})",
            now.0,
            now.1
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    eprintln!(
        "burst of {N}: baseline {base_rss} kB / {base_fds} fds; peak fds {peak_fds}; right after {after:?}; settled {settled:?}"
    );
    sigterm(&relay);
    assert!(wait(&mut relay).success());
    sigterm(&mock);
    assert!(wait(&mut mock).success());
    let log = log_reader.join().unwrap();
    let completed = log.lines().filter(|l| l.ends_with(" completed")).count();
    assert_eq!(completed, N + 20, "one completed line per stream");
}
