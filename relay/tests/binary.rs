//! The built binary: the `listening on` line, flags, SIGTERM, its stderr
//! log, and the `transcript` subcommand.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_visual-reasoning-relay");
const KEY: &str = "sk-binary-test-KEY-feedface";

/// Starts the binary; returns it and the URL from its first stdout line.
fn spawn(args: &[&str], key: Option<&str>) -> (Child, String) {
    let mut cmd = Command::new(BIN);
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
