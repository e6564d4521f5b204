//! Command line: flags -> `Config`, bind, serve, shut down gracefully; and
//! the `transcript` subcommand (README).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use visual_reasoning::models::Region;
use visual_reasoning::protocol::Protocol;
use visual_reasoning_relay::{
    budget, conn, metrics_app, mock, redis, serve, token, Config, Limits, Mode,
};

#[derive(Parser, Debug)]
#[command(
    name = "visual-reasoning-relay",
    version,
    about = "CORS relay holding the Model Studio API key (DASHSCOPE_API_KEY) for browsers; --mock: an offline upstream speaking both protocols.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Write one mock reply as SSE bytes to stdout (for benchmarks).
    Transcript(TranscriptArgs),
    /// Mint a signed client token with the first secret of
    /// RELAY_TOKEN_SECRET (comma-separated) and print it.
    Token(TokenArgs),
}

#[derive(Args, Debug)]
struct TokenArgs {
    /// Who the token is for (a student id): the per-client budget's key.
    #[arg(long)]
    sub: String,
    /// Seconds the token is valid from now.
    #[arg(long, value_name = "SECS")]
    ttl: u64,
    /// This client's daily token budget (lowers --per-client-daily-tokens).
    #[arg(long, value_name = "N")]
    daily_tokens: Option<u64>,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum FailMode {
    Closed,
    Open,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum RegionArg {
    Intl,
    Us,
    Cn,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ProtocolArg {
    Openai,
    Dashscope,
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Address to listen on (port 0: any free port; the chosen one is printed).
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// Model Studio region whose host receives requests.
    #[arg(long, value_enum)]
    region: Option<RegionArg>,
    /// Upstream base URL instead of the region's host (other regions,
    /// per-workspace endpoints, tests), e.g. https://dashscope-intl.aliyuncs.com
    #[arg(long, value_name = "URL")]
    upstream: Option<String>,
    /// Answer requests locally as a mock upstream; no key needed.
    #[arg(long)]
    mock: bool,
    /// Mock mode: reply speed; 0 sends as fast as possible.
    #[arg(long, default_value_t = 40.0, value_name = "N")]
    tokens_per_second: f64,
    /// An origin (scheme://host[:port]) whose pages may use the relay; repeatable.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    allow_origins: Vec<String>,
    /// Also serve requests without an Origin header (servers, SDKs, curl).
    #[arg(long)]
    allow_no_origin: bool,
    /// Callers must send `Authorization: Bearer TOKEN`.
    #[arg(
        long,
        env = "RELAY_CLIENT_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    client_token: Option<String>,
    /// A secret signed client tokens may be made with; repeatable (all are
    /// accepted, for rotation). Also RELAY_TOKEN_SECRET, comma-separated.
    #[arg(long = "token-secret", value_name = "SECRET")]
    token_secrets: Vec<String>,
    /// Tokens the whole relay may spend per window (UTC day).
    #[arg(long, value_name = "N")]
    daily_token_budget: Option<u64>,
    /// Tokens each client (token sub, else IP) may spend per window.
    #[arg(long, value_name = "N")]
    per_client_daily_tokens: Option<u64>,
    /// Budget window length, aligned to the Unix epoch (default: a UTC day).
    #[arg(long, default_value_t = 86_400, value_name = "SECS")]
    budget_window_seconds: u64,
    /// Keep budgets and per-client limits in this Redis, shared by replicas
    /// (redis://[user:password@]host[:port][/db]).
    #[arg(long, value_name = "URL")]
    redis_url: Option<String>,
    /// When Redis cannot be reached: refuse with 503 (closed) or serve
    /// uncounted (open).
    #[arg(long, value_enum, default_value = "closed")]
    budget_store_fail: FailMode,
    /// Serve GET /metrics (Prometheus text) on this separate address.
    #[arg(long, value_name = "ADDR")]
    metrics_listen: Option<SocketAddr>,
    /// Only these model ids may be requested; repeatable (default: any).
    #[arg(long = "allow-model", value_name = "ID")]
    allow_models: Vec<String>,
    /// Cap max_tokens and thinking_budget sent upstream at N.
    #[arg(long, value_name = "N")]
    max_tokens: Option<u64>,
    /// Take the client IP for limits from X-Forwarded-For (behind a load balancer).
    #[arg(long)]
    trust_forwarded_for: bool,
    /// Largest request body accepted (413 beyond).
    #[arg(long, default_value_t = 20 * 1024 * 1024, value_name = "BYTES")]
    max_body_bytes: usize,
    /// Concurrent streams per client IP; 0 = unlimited (default: 8; mock: 0).
    #[arg(long, value_name = "N")]
    max_streams_per_ip: Option<usize>,
    /// Requests per minute per client IP; 0 = unlimited (default: 60; mock: 0).
    #[arg(long, value_name = "N")]
    rate_limit: Option<u32>,
    /// Seconds to wait for the upstream's response headers.
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    upstream_timeout: u64,
    /// Seconds a request head may take to arrive (408 and close after);
    /// also how long an idle kept-alive connection stays open.
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    header_timeout: u64,
    /// Seconds a request body may pause between chunks (and a body the
    /// relay must read whole may take in total); 408 after.
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    body_timeout: u64,
    /// Open client connections in total; more are answered 503 and closed
    /// (default: half the descriptor limit less 128, at most 10000).
    #[arg(long, value_name = "N")]
    max_connections: Option<usize>,
    /// Open connections per peer address (IPv6: per /64); 0 = unlimited
    /// (default: 64; mock or --trust-forwarded-for: 0).
    #[arg(long, value_name = "N")]
    max_connections_per_ip: Option<usize>,
    /// Listen backlog: connects the kernel queues until they are accepted
    /// (capped by net.core.somaxconn).
    #[arg(long, default_value_t = conn::DEFAULT_BACKLOG, value_name = "N")]
    backlog: u32,
    /// Also serve the files of DIR (e.g. the demo); its pages may call the relay same-origin.
    #[arg(long = "static", value_name = "DIR")]
    static_dir: Option<PathBuf>,
    /// After SIGTERM/SIGINT, how long open streams may take to finish.
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    shutdown_grace: u64,
}

#[derive(Args, Debug)]
struct TranscriptArgs {
    #[arg(long, value_enum, default_value = "openai")]
    protocol: ProtocolArg,
    #[arg(long, default_value_t = 1000)]
    reasoning_tokens: usize,
    #[arg(long, default_value_t = 200)]
    answer_tokens: usize,
    #[arg(long, default_value = "qwen3-vl-plus")]
    model: String,
    /// Selects the canned text, as in mock mode.
    #[arg(long, default_value = "Find angle x in the triangle.")]
    question: String,
}

fn config(a: ServeArgs) -> Result<Config, String> {
    let region = a.region.map(|r| match r {
        RegionArg::Intl => Region::Intl,
        RegionArg::Us => Region::Us,
        RegionArg::Cn => Region::Cn,
    });
    if !(a.tokens_per_second.is_finite() && a.tokens_per_second >= 0.0) {
        return Err("--tokens-per-second must be a number >= 0".into());
    }
    let mut cfg = if a.mock {
        let mut c = Config::mock(a.tokens_per_second);
        c.region = region;
        c
    } else {
        let upstream = match &a.upstream {
            Some(u) => {
                let url = reqwest::Url::parse(u).map_err(|e| format!("--upstream {u}: {e}"))?;
                if !matches!(url.scheme(), "http" | "https")
                    || url.query().is_some()
                    || url.fragment().is_some()
                {
                    return Err(format!(
                        "--upstream {u}: need an http(s) base URL without query or fragment"
                    ));
                }
                url.as_str().trim_end_matches('/').to_owned()
            }
            None => region.unwrap_or(Region::Intl).host().to_owned(),
        };
        let key = std::env::var("DASHSCOPE_API_KEY").unwrap_or_default();
        let key = key.trim();
        if key.is_empty() {
            return Err("DASHSCOPE_API_KEY is not set (relay mode needs the key it adds to requests; use --mock for an offline upstream)".into());
        }
        let mut c = Config::relay(upstream, key);
        c.region = Some(region.unwrap_or(Region::Intl));
        c
    };
    if a.allow_origins.iter().any(|o| o == "*") {
        return Err("--allow-origin '*' would let any page spend the key; list the origins".into());
    }
    cfg.allow_origins = a.allow_origins;
    cfg.allow_no_origin = a.allow_no_origin;
    cfg.client_token = a.client_token.filter(|t| !t.is_empty());
    cfg.token_secrets = if a.token_secrets.is_empty() {
        env_secrets()
    } else {
        a.token_secrets
    };
    if cfg.token_secrets.iter().any(|s| s.len() < 16) {
        return Err(
            "--token-secret: each secret needs at least 16 characters (use a long random string)"
                .into(),
        );
    }
    cfg.budget = budget::BudgetConfig {
        relay: a.daily_token_budget,
        per_client: a.per_client_daily_tokens,
        window_secs: a.budget_window_seconds.max(1),
        fail_open: a.budget_store_fail == FailMode::Open,
    };
    cfg.redis = a
        .redis_url
        .as_deref()
        .map(redis::Target::parse)
        .transpose()?;
    cfg.count_all_tokens = a.metrics_listen.is_some();
    let spending = cfg.budget.relay.is_some()
        || cfg.budget.per_client.is_some()
        || !cfg.token_secrets.is_empty()
        || cfg.redis.is_some();
    if a.mock && spending {
        return Err(
            "client tokens, budgets and --redis-url are for relay mode (the mock spends nothing)"
                .into(),
        );
    }
    cfg.allow_models = a.allow_models;
    cfg.max_tokens = a.max_tokens;
    cfg.trust_forwarded_for = a.trust_forwarded_for;
    cfg.max_body_bytes = a.max_body_bytes;
    cfg.limits = Limits {
        max_streams_per_ip: a
            .max_streams_per_ip
            .unwrap_or(cfg.limits.max_streams_per_ip),
        requests_per_minute: a.rate_limit.unwrap_or(cfg.limits.requests_per_minute),
    };
    cfg.upstream_timeout = Duration::from_secs(a.upstream_timeout.max(1));
    cfg.conn.header_timeout = Duration::from_secs(a.header_timeout.max(1));
    cfg.conn.body_timeout = Duration::from_secs(a.body_timeout.max(1));
    if let Some(n) = a.max_connections {
        cfg.conn.max_connections = n;
    }
    // Behind a load balancer every connection comes from its address.
    cfg.conn.max_connections_per_ip = match a.max_connections_per_ip {
        Some(n) => n,
        None if a.trust_forwarded_for => 0,
        None => cfg.conn.max_connections_per_ip,
    };
    if let Some(dir) = &a.static_dir {
        if !dir.is_dir() {
            return Err(format!("--static {}: not a directory", dir.display()));
        }
    }
    cfg.static_dir = a.static_dir;
    if cfg.allow_origins.is_empty() && !cfg.allow_no_origin && cfg.static_dir.is_none() {
        eprintln!("warning: no --allow-origin, --allow-no-origin or --static: every API request will be refused");
    }
    Ok(cfg)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// RELAY_TOKEN_SECRET, comma-separated, blanks dropped.
fn env_secrets() -> Vec<String> {
    std::env::var("RELAY_TOKEN_SECRET")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn mint(a: TokenArgs) -> Result<(), String> {
    let secrets = env_secrets();
    let Some(secret) = secrets.first() else {
        return Err("token: set RELAY_TOKEN_SECRET (the relay's first secret signs)".into());
    };
    if a.sub.is_empty() || a.sub.len() > 256 {
        return Err("token: --sub must be 1 to 256 bytes".into());
    }
    if a.ttl == 0 || a.ttl > 366 * 86_400 {
        return Err("token: --ttl must be 1 s to a year".into());
    }
    println!(
        "{}",
        token::mint(
            &a.sub,
            token::unix_now(),
            a.ttl as i64,
            a.daily_tokens,
            secret
        )
    );
    Ok(())
}

async fn run(a: ServeArgs) -> Result<(), String> {
    let grace = Duration::from_secs(a.shutdown_grace);
    let metrics_listen = a.metrics_listen;
    let listen = a.listen;
    let backlog = a.backlog.max(1);
    // Before `config`: the default connection cap follows this limit.
    let fds = conn::raise_fd_limit();
    let cfg = config(a)?;
    let describe = match &cfg.mode {
        Mode::Relay { upstream, .. } => format!("relay to {upstream}"),
        Mode::Mock { tokens_per_second } => {
            format!("mock upstream at {tokens_per_second} tokens/s")
        }
    };
    let limits = format!(
        "header timeout {}s, body timeout {}s, max connections {} ({} per address), backlog {backlog}, descriptors {}",
        cfg.conn.header_timeout.as_secs(),
        cfg.conn.body_timeout.as_secs(),
        cfg.conn.max_connections,
        cfg.conn.max_connections_per_ip,
        fds.map_or("?".into(), |n| n.to_string()),
    );
    let listener =
        conn::bind(listen, backlog).map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    if let Some(m) = metrics_listen {
        let l = tokio::net::TcpListener::bind(m)
            .await
            .map_err(|e| format!("cannot listen on {m} (--metrics-listen): {e}"))?;
        let at = l.local_addr().map_err(|e| e.to_string())?;
        let app = metrics_app(std::sync::Arc::clone(&cfg.metrics));
        tokio::spawn(async move {
            let _ = axum::serve(l, app).await;
        });
        eprintln!("metrics on http://{at}/metrics");
        println!("metrics on http://{at}/metrics");
    }
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let mut server = tokio::spawn(serve(listener, cfg, async {
        let _ = stop_rx.await;
    }));
    eprintln!(
        "visual-reasoning-relay {}: {describe}; {limits}",
        env!("CARGO_PKG_VERSION")
    );
    // Tests wait for exactly this line on stdout.
    println!("listening on http://{addr}");
    let _ = std::io::stdout().flush();

    tokio::select! {
        r = &mut server => {
            return match r {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(format!("server error: {e}")),
                Err(e) => Err(format!("server task failed: {e}")),
            };
        }
        _ = shutdown_signal() => {}
    }
    eprintln!(
        "shutting down: no new connections; open streams get up to {}s",
        grace.as_secs()
    );
    let _ = stop_tx.send(());
    if tokio::time::timeout(grace, server).await.is_err() {
        eprintln!("shutdown grace period over; closing the remaining streams");
    }
    Ok(())
}

fn transcript(a: TranscriptArgs) -> Result<(), String> {
    let protocol = match a.protocol {
        ProtocolArg::Openai => Protocol::OpenAi,
        ProtocolArg::Dashscope => Protocol::DashScope,
    };
    let reply = mock::transcript_reply(
        protocol,
        &a.model,
        &a.question,
        a.reasoning_tokens,
        a.answer_tokens,
    );
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    for ev in reply.events() {
        out.write_all(ev.bytes.as_bytes())
            .map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Transcript(t)) => transcript(t),
        Some(Command::Token(t)) => mint(t),
        None => match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt.block_on(run(cli.serve)),
            Err(e) => Err(format!("cannot start the runtime: {e}")),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("visual-reasoning-relay: {e}");
            ExitCode::FAILURE
        }
    }
}
