//! visual-reasoning-relay: a CORS relay that holds the Model Studio API key
//! for browsers (relay mode), and an offline upstream that speaks both
//! protocols for tests and the demo (mock mode). See README.md.
//!
//! [`app`] builds the whole service from a [`Config`] and [`serve`] runs it
//! on a listener ([`conn`]: caps, timeouts, lingering close); `main.rs`
//! only parses flags, binds and handles signals, so tests run the same
//! [`serve`] on port 0.

pub mod body;
pub mod budget;
pub mod conn;
pub mod errors;
mod forward;
mod guard;
pub mod limit;
pub mod log;
pub mod meter;
pub mod metrics;
pub mod mock;
pub mod redis;
pub mod store;
pub mod token;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{middleware, Json, Router};
use serde_json::json;
use visual_reasoning::models::{Region, CATALOG};
use visual_reasoning::protocol::Protocol;

pub use conn::ConnLimits;
pub use limit::Limits;
pub use log::{LogSink, Outcome};

/// The two API paths, as the core defines them (the only ones forwarded).
pub const OPENAI_PATH: &str = Protocol::OpenAi.path();
pub const DASHSCOPE_PATH: &str = Protocol::DashScope.path();

/// Where API requests go.
#[derive(Clone)]
pub enum Mode {
    /// Forward to `upstream` (a base URL without trailing slash) with `api_key`.
    Relay { upstream: String, api_key: String },
    /// Answer API requests locally (PROTOCOL.md), pacing text at this rate
    /// (0 = as fast as possible).
    Mock { tokens_per_second: f64 },
}

impl std::fmt::Debug for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key, not even in a debug dump.
        match self {
            Mode::Relay { upstream, .. } => f
                .debug_struct("Relay")
                .field("upstream", upstream)
                .field("api_key", &"[redacted]")
                .finish(),
            Mode::Mock { tokens_per_second } => f
                .debug_struct("Mock")
                .field("tokens_per_second", tokens_per_second)
                .finish(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub mode: Mode,
    /// The region served (for `/config`'s model list); `None` in mock mode
    /// without `--region`: every catalog model.
    pub region: Option<Region>,
    /// Exact origins (`scheme://host[:port]`) browsers may call from.
    pub allow_origins: Vec<String>,
    pub allow_no_origin: bool,
    pub client_token: Option<String>,
    /// Secrets signed client tokens may be made with (README "Client
    /// tokens"); empty: none accepted.
    pub token_secrets: Vec<String>,
    /// Token budgets (README "Budgets").
    pub budget: budget::BudgetConfig,
    /// Counters shared with other replicas (`--redis-url`); `None`: in memory.
    pub redis: Option<redis::Target>,
    /// How long one call to Redis may take, connecting included.
    pub store_timeout: Duration,
    /// Counted here; served by `--metrics-listen`.
    pub metrics: Arc<metrics::Metrics>,
    /// Read the usage of every reply (for the metrics), not only of those
    /// a budget counts.
    pub count_all_tokens: bool,
    /// Empty: every model may be requested.
    pub allow_models: Vec<String>,
    pub max_tokens: Option<u64>,
    pub trust_forwarded_for: bool,
    pub max_body_bytes: usize,
    pub limits: Limits,
    /// Until the upstream's response headers (connect included).
    pub upstream_timeout: Duration,
    /// Header and body read timeouts, connection caps.
    pub conn: ConnLimits,
    /// Idle upstream connections kept per host, and for how long: a burst
    /// of streams must not leave thousands of sockets (and their buffers)
    /// behind.
    pub upstream_idle_per_host: usize,
    pub upstream_idle_timeout: Duration,
    pub static_dir: Option<PathBuf>,
    pub log: LogSink,
}

impl Config {
    /// Defaults for a relay forwarding to `upstream`.
    pub fn relay(upstream: impl Into<String>, api_key: impl Into<String>) -> Self {
        let upstream: String = upstream.into();
        Config {
            mode: Mode::Relay {
                upstream: upstream.trim_end_matches('/').to_owned(),
                api_key: api_key.into(),
            },
            region: Some(Region::Intl),
            allow_origins: Vec::new(),
            allow_no_origin: false,
            client_token: None,
            token_secrets: Vec::new(),
            budget: budget::BudgetConfig::default(),
            redis: None,
            store_timeout: Duration::from_millis(1000),
            metrics: Arc::default(),
            count_all_tokens: false,
            allow_models: Vec::new(),
            max_tokens: None,
            trust_forwarded_for: false,
            max_body_bytes: 20 * 1024 * 1024,
            limits: Limits {
                max_streams_per_ip: 8,
                requests_per_minute: 60,
            },
            upstream_timeout: Duration::from_secs(60),
            conn: ConnLimits {
                header_timeout: Duration::from_secs(10),
                body_timeout: Duration::from_secs(30),
                max_connections: conn::default_max_connections(conn::fd_limit()),
                max_connections_per_ip: 64,
            },
            upstream_idle_per_host: 32,
            upstream_idle_timeout: Duration::from_secs(30),
            static_dir: None,
            log: LogSink::Stderr,
        }
    }

    /// Defaults for mock mode (no per-IP limits: test suites hammer it).
    pub fn mock(tokens_per_second: f64) -> Self {
        let relay = Config::relay("http://127.0.0.1:9", "");
        Config {
            mode: Mode::Mock { tokens_per_second },
            region: None,
            limits: Limits {
                max_streams_per_ip: 0,
                requests_per_minute: 0,
            },
            conn: ConnLimits {
                max_connections_per_ip: 0,
                ..relay.conn
            },
            ..relay
        }
    }

    pub fn is_mock(&self) -> bool {
        matches!(self.mode, Mode::Mock { .. })
    }

    /// Model ids `/config` offers.
    pub fn models(&self) -> Vec<String> {
        if !self.allow_models.is_empty() {
            return self.allow_models.clone();
        }
        CATALOG
            .iter()
            .filter(|m| match (self.region, m.rules.regions) {
                (Some(r), Some(rs)) => rs.contains(&r),
                _ => true,
            })
            .map(|m| m.id.to_owned())
            .collect()
    }
}

pub(crate) struct AppState {
    pub config: Config,
    pub limiter: Arc<limit::Limiter>,
    pub client: reqwest::Client,
    pub mock: Option<Arc<mock::MockState>>,
    pub secrets: token::Secrets,
    pub store: Arc<store::Store>,
    /// When a store failure was last logged (at most once a minute).
    pub store_logged: std::sync::Mutex<Option<std::time::Instant>>,
}

impl AppState {
    /// A store call failed: count it, log it at most once a minute, and
    /// say whether to go on uncounted (`--budget-store-fail open`).
    pub fn store_failed(&self, e: &store::StoreError) -> bool {
        self.config.metrics.store_error();
        let open = self.config.budget.fail_open;
        let mut last = self.store_logged.lock().unwrap_or_else(|p| p.into_inner());
        if last.map_or(true, |t| t.elapsed() >= Duration::from_secs(60)) {
            *last = Some(std::time::Instant::now());
            self.config.log.write(format!(
                "{} budget store unreachable: {}; failing {} (logged at most once a minute)",
                log::timestamp(),
                log::one_line(&e.0),
                if open { "open" } else { "closed" },
            ));
        }
        open
    }
}

/// The whole service.
pub fn app(config: Config) -> Router {
    let client = reqwest::Client::builder()
        .connect_timeout(config.upstream_timeout.min(Duration::from_secs(10)))
        .pool_max_idle_per_host(config.upstream_idle_per_host)
        .pool_idle_timeout(config.upstream_idle_timeout)
        .tcp_nodelay(true)
        // Never follow a redirect to a host the client could influence.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|_| reqwest::Client::new());
    let mock = match config.mode {
        Mode::Mock { tokens_per_second } => Some(Arc::new(mock::MockState::new(tokens_per_second))),
        Mode::Relay { .. } => None,
    };
    let store = match &config.redis {
        Some(t) => store::Store::Redis(Arc::new(redis::Client::new(
            t.clone(),
            config.store_timeout,
        ))),
        None => store::Store::Memory(store::MemoryCounters::default()),
    };
    let state = Arc::new(AppState {
        limiter: limit::Limiter::new(config.limits),
        client,
        mock,
        secrets: token::Secrets::new(&config.token_secrets),
        store: Arc::new(store),
        store_logged: std::sync::Mutex::new(None),
        config,
    });

    let mut router = Router::new()
        .route(OPENAI_PATH, any(api_openai))
        .route(DASHSCOPE_PATH, any(api_dashscope))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/config", get(config_handler))
        .route("/budget", get(budget_handler));
    if state.mock.is_some() {
        router = router.route("/__mock/requests", get(mock_requests).delete(mock_clear));
    }
    router = match &state.config.static_dir {
        Some(dir) => router.fallback_service(
            tower_http::services::ServeDir::new(dir)
                .append_index_html_on_directories(true)
                .not_found_service(any(not_found)),
        ),
        None => router.fallback(not_found),
    };
    let sink = state.config.log.clone();
    let metrics = Arc::clone(&state.config.metrics);
    router
        .layer(guard::cors(&state))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            guard::origin_policy,
        ))
        .layer(middleware::from_fn(guard::path_guard))
        .layer(middleware::from_fn_with_state(metrics, count_request))
        .layer(middleware::from_fn_with_state(sink, log::access_log))
        .with_state(state)
}

/// Counts each request by route and status for the metrics.
async fn count_request(
    State(metrics): State<Arc<metrics::Metrics>>,
    req: Request,
    next: middleware::Next,
) -> Response {
    let route = metrics::route(req.uri().path());
    let res = next.run(req).await;
    metrics.request(route, res.status().as_u16());
    res
}

/// `GET /metrics` in the Prometheus text format, for `--metrics-listen`
/// (its own address: not for browsers, and nothing else is served there).
pub fn metrics_app(metrics: Arc<metrics::Metrics>) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(move || {
                let m = Arc::clone(&metrics);
                async move {
                    (
                        [(
                            header::CONTENT_TYPE,
                            "text/plain; version=0.0.4; charset=utf-8",
                        )],
                        m.render(),
                    )
                }
            }),
        )
        .fallback(|| async { (StatusCode::NOT_FOUND, "GET /metrics\n") })
}

/// Serves `config`'s [`app`] on `listener` (bind it with [`conn::bind`]
/// for a chosen backlog) until `shutdown` resolves, then lets open streams
/// finish (the caller bounds how long).
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: Config,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = config.conn;
    let log = config.log.clone();
    conn::serve(listener, app(config), limits, log, shutdown).await
}

async fn config_handler(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(json!({
        "region": state.config.region.map(Region::as_str),
        "models": state.config.models(),
        "protocols": ["openai", "dashscope"],
        "mock": state.config.is_mock(),
    }))
}

async fn mock_requests(State(state): State<Arc<AppState>>) -> Response {
    match &state.mock {
        Some(m) => Json(m.requests_json()).into_response(),
        None => not_found().await,
    }
}

async fn mock_clear(State(state): State<Arc<AppState>>) -> Response {
    match &state.mock {
        Some(m) => {
            m.clear();
            StatusCode::NO_CONTENT.into_response()
        }
        None => not_found().await,
    }
}

async fn not_found() -> Response {
    errors::refusal(
        None,
        StatusCode::NOT_FOUND,
        errors::NOT_FOUND,
        "Not found. The relay serves POST /compatible-mode/v1/chat/completions and POST /api/v1/services/aigc/multimodal-generation/generation.",
        &errors::new_request_id(),
    )
}

async fn api_openai(State(state): State<Arc<AppState>>, req: Request) -> Response {
    api(state, Protocol::OpenAi, req).await
}

async fn api_dashscope(State(state): State<Arc<AppState>>, req: Request) -> Response {
    api(state, Protocol::DashScope, req).await
}

/// The client's IP: the peer, or with `--trust-forwarded-for` the address
/// the nearest proxy saw (the right-most `X-Forwarded-For` entry: earlier
/// ones are whatever the client claimed).
fn client_ip(config: &Config, headers: &HeaderMap, peer: Option<SocketAddr>) -> IpAddr {
    let peer_ip = peer.map_or(IpAddr::from([0, 0, 0, 0]), |p| p.ip());
    if !config.trust_forwarded_for {
        return peer_ip;
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .next_back()
        .unwrap_or(peer_ip)
}

/// Compares without an early exit, so response timing does not reveal
/// how much of a guessed token was right.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

/// Who a request is from, once its credentials passed.
pub(crate) struct Caller {
    /// The budget's client: `sub:<sub>` for a signed token, else `ip:<address>`.
    pub client: String,
    pub ip: IpAddr,
    /// The token's `dailyTokens`.
    pub daily_tokens: Option<u64>,
}

/// The checks every API path and `GET /budget` make: an `Origin` (unless
/// `--allow-no-origin`), then the static client token or a signed one when
/// either is configured. `Err` is the refusal to send (a cold path: not boxed).
#[allow(clippy::result_large_err)]
fn caller(
    state: &AppState,
    protocol: Option<Protocol>,
    req: &Request,
    rid: &str,
) -> Result<Caller, Response> {
    let cfg = &state.config;
    // A same-origin GET carries no Origin; the browser says where it came
    // from in Sec-Fetch-Site, which pages cannot set either.
    let same_origin = cfg.static_dir.is_some()
        && req
            .headers()
            .get("sec-fetch-site")
            .is_some_and(|v| v.as_bytes() == b"same-origin");
    if !req.headers().contains_key(header::ORIGIN) && !cfg.allow_no_origin && !same_origin {
        return Err(errors::refusal(
            protocol,
            StatusCode::FORBIDDEN,
            errors::ACCESS_DENIED,
            "Requests without an Origin header are refused: only pages from allowed origins may use this relay (start it with --allow-no-origin to serve servers and SDKs).",
            rid,
        ));
    }
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let ip = client_ip(cfg, req.headers(), peer);
    let by_ip = Caller {
        client: format!("ip:{ip}"),
        ip,
        daily_tokens: None,
    };
    if cfg.client_token.is_none() && state.secrets.is_empty() {
        return Ok(by_ip);
    }
    let sent = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if let (Some(sent), Some(token)) = (sent, &cfg.client_token) {
        if same_secret(sent.as_bytes(), token.as_bytes()) {
            return Ok(by_ip);
        }
    }
    let refuse = |code: &'static str, message: &str| {
        errors::refusal(
            protocol,
            StatusCode::UNAUTHORIZED,
            errors::Kind {
                dashscope: code,
                openai: code,
                openai_type: "invalid_request_error",
            },
            message,
            rid,
        )
    };
    match sent {
        Some(sent) if !state.secrets.is_empty() => {
            match state.secrets.verify(sent, token::unix_now()) {
                Ok(claims) => Ok(Caller {
                    client: format!("sub:{}", claims.sub),
                    ip,
                    daily_tokens: claims.daily_tokens,
                }),
                Err(e) => Err(refuse(e.code(), &e.message())),
            }
        }
        _ if state.secrets.is_empty() => Err(errors::refusal(
            protocol,
            StatusCode::UNAUTHORIZED,
            errors::INVALID_API_KEY,
            "This relay needs `Authorization: Bearer <client token>`; the one sent is missing or wrong.",
            rid,
        )),
        _ => Err(refuse(
            "client_token_missing",
            "This relay needs `Authorization: Bearer <client token>`; none was sent.",
        )),
    }
}

/// A concurrent-stream slot counted in the shared store; given back when
/// the response body ends.
struct SharedPermit {
    store: Arc<store::Store>,
    key: String,
}

impl Drop for SharedPermit {
    fn drop(&mut self) {
        let store = Arc::clone(&self.store);
        let key = std::mem::take(&mut self.key);
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let _ = store.add(&key, -1, STREAM_COUNT_TTL).await;
            });
        }
    }
}

/// How long a client's shared stream count outlives its last change.
const STREAM_COUNT_TTL: u64 = 3600;

enum Permit {
    Local(#[allow(dead_code)] limit::Permit),
    Shared(#[allow(dead_code)] Option<SharedPermit>),
}

/// The per-IP limits: in this process, or with `--redis-url` in the shared
/// store under the JavaScript relay's keys (`vr:rate:<ip>`, `vr:streams:<ip>`).
async fn acquire(
    state: &AppState,
    ip: IpAddr,
) -> Result<Permit, Result<limit::Refusal, store::StoreError>> {
    let store::Store::Redis(_) = &*state.store else {
        return state.limiter.acquire(ip).map(Permit::Local).map_err(Ok);
    };
    let limits = state.config.limits;
    let rate_key = format!("vr:rate:{ip}");
    let rpm = limits.requests_per_minute;
    if rpm > 0 {
        let wait = state
            .store
            .take(&rate_key, 1, rpm, rpm)
            .await
            .map_err(Err)?;
        if !wait.is_zero() {
            return Err(Ok(limit::Refusal::RateLimited {
                retry_after: wait.as_secs_f64().ceil().max(1.0) as u64,
            }));
        }
    }
    let max = limits.max_streams_per_ip;
    if max == 0 {
        return Ok(Permit::Shared(None));
    }
    let key = format!("vr:streams:{ip}");
    let n = state
        .store
        .add(&key, 1, STREAM_COUNT_TTL)
        .await
        .map_err(Err)?;
    if n > max as i64 {
        let _ = state.store.add(&key, -1, STREAM_COUNT_TTL).await;
        if rpm > 0 {
            let _ = state.store.take(&rate_key, -1, rpm, rpm).await;
        }
        return Err(Ok(limit::Refusal::TooManyStreams { retry_after: 2 }));
    }
    Ok(Permit::Shared(Some(SharedPermit {
        store: Arc::clone(&state.store),
        key,
    })))
}

/// The 503 of a store that is down, under `--budget-store-fail closed`.
pub(crate) fn store_down(p: Option<Protocol>, rid: &str) -> Response {
    let res = errors::refusal(
        p,
        StatusCode::SERVICE_UNAVAILABLE,
        errors::Kind {
            dashscope: "budget_store_unavailable",
            openai: "budget_store_unavailable",
            openai_type: "service_unavailable",
        },
        "The relay cannot reach its budget store; try again shortly.",
        rid,
    );
    errors::with_retry_after(res, 5)
}

async fn api(state: Arc<AppState>, protocol: Protocol, req: Request) -> Response {
    let cfg = &state.config;
    let rid = errors::new_request_id();
    let p = Some(protocol);
    if req.method() != Method::POST {
        return not_found().await;
    }
    let who = match caller(&state, p, &req, &rid) {
        Ok(c) => c,
        Err(res) => return res,
    };
    let permit = match acquire(&state, who.ip).await {
        Ok(p) => p,
        Err(Ok(limit::Refusal::RateLimited { retry_after })) => {
            let res = errors::refusal(
                p,
                StatusCode::TOO_MANY_REQUESTS,
                errors::THROTTLING,
                "Too many requests from this address; try again later.",
                &rid,
            );
            return errors::with_retry_after(res, retry_after);
        }
        Err(Ok(limit::Refusal::TooManyStreams { retry_after })) => {
            let res = errors::refusal(
                p,
                StatusCode::TOO_MANY_REQUESTS,
                errors::THROTTLING,
                "Too many concurrent streams from this address; wait for one to finish.",
                &rid,
            );
            return errors::with_retry_after(res, retry_after);
        }
        Err(Err(e)) => {
            if !state.store_failed(&e) {
                return store_down(p, &rid);
            }
            Permit::Shared(None)
        }
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > cfg.max_body_bytes as u64) {
        // Refused unread: the connection closes lingering, so the client
        // still reads this answer while it sends.
        return body::error_response(p, body::BodyError::TooLarge, &rid);
    }
    let res = match &state.mock {
        Some(mock) => {
            let (parts, b) = req.into_parts();
            let read = body::read_all(
                b,
                parts.extensions.get::<Arc<body::BodyState>>().map(|s| &**s),
                cfg.max_body_bytes,
                cfg.conn.body_timeout,
            )
            .await;
            match read {
                Ok(bytes) => mock::handle(Arc::clone(mock), protocol, parts, bytes).await,
                Err(e) => body::error_response(p, e, &rid),
            }
        }
        None => {
            let scopes = budget::scopes(
                &cfg.budget,
                &who.client,
                who.daily_tokens,
                token::unix_now(),
            );
            forward::forward(&state, protocol, req, &rid, scopes).await
        }
    };
    hold(res, permit)
}

/// `GET /budget`: the tighter budget that applies to the caller, after the
/// same checks as the API paths.
async fn budget_handler(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let rid = errors::new_request_id();
    let who = match caller(&state, None, &req, &rid) {
        Ok(c) => c,
        Err(res) => return res,
    };
    let cfg = &state.config;
    let now = token::unix_now();
    let scopes = budget::scopes(&cfg.budget, &who.client, who.daily_tokens, now);
    match budget::status(&state.store, &scopes, now, cfg.budget.window_secs).await {
        Ok(Some((kind, limit, remaining, reset_at))) => Json(json!({
            "scope": kind.as_str(),
            "limit": limit,
            "remaining": remaining,
            "resetAt": token::iso8601(reset_at),
        }))
        .into_response(),
        // No budget applies: nothing to say (and nothing a page logs as an error).
        Ok(None) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => {
            state.store_failed(&e);
            store_down(None, &rid)
        }
    }
}

/// Keeps `guard` alive until the response body is finished or dropped.
fn hold<T: Send + Sync + Unpin + 'static>(res: Response, guard: T) -> Response {
    let (parts, body) = res.into_parts();
    Response::from_parts(
        parts,
        Body::new(Guarded {
            inner: body,
            _guard: guard,
        }),
    )
}

struct Guarded<T> {
    inner: Body,
    _guard: T,
}

impl<T: Unpin> http_body::Body for Guarded<T> {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        std::pin::Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_uses_the_right_most_address() {
        let mut cfg = Config::mock(0.0);
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "1.1.1.1, 2.2.2.2".parse().unwrap());
        let peer = Some(SocketAddr::from(([10, 0, 0, 1], 5)));
        assert_eq!(client_ip(&cfg, &h, peer), IpAddr::from([10, 0, 0, 1]));
        cfg.trust_forwarded_for = true;
        assert_eq!(client_ip(&cfg, &h, peer), IpAddr::from([2, 2, 2, 2]));
    }

    #[test]
    fn secrets_compare_exactly() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"abcd"));
        assert!(!same_secret(b"", b"a"));
    }

    #[test]
    fn config_lists_the_region_models() {
        let cfg = Config::relay("http://x", "k");
        assert!(cfg.models().contains(&"qvq-max".to_owned()));
        assert!(!cfg.models().contains(&"qwen3-vl-flash-us".to_owned()));
        assert!(Config::mock(0.0)
            .models()
            .contains(&"qwen3-vl-flash-us".to_owned()));
    }

    #[test]
    fn debug_never_shows_the_key() {
        let cfg = Config::relay("http://x", "sk-secret");
        assert!(!format!("{cfg:?}").contains("sk-secret"));
    }
}
