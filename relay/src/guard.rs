//! Who may call, and from where: request-target checks, the Origin policy
//! and CORS.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::cors::{AllowOrigin, CorsLayer};
use visual_reasoning::protocol::Protocol;

use crate::{errors, AppState, Config, DASHSCOPE_PATH, OPENAI_PATH};

fn protocol_of(path: &str) -> Option<Protocol> {
    match path {
        OPENAI_PATH => Some(Protocol::OpenAi),
        DASHSCOPE_PATH => Some(Protocol::DashScope),
        _ => None,
    }
}

/// Whether a request target could be read as naming another host or
/// another path than it seems: absolute-form (`POST http://evil/…`),
/// authority-form, `..`/`.` segments, empty segments, backslashes, or
/// percent-encoded dots, slashes, backslashes and NULs. The upstream URL
/// is always built from constants; this refuses the tricks outright so
/// they never reach a router or a static-file lookup either.
pub fn suspicious_target(uri: &axum::http::Uri) -> Option<&'static str> {
    if uri.scheme().is_some() || uri.authority().is_some() {
        return Some("absolute-form request targets are refused");
    }
    let path = uri.path();
    if !path.starts_with('/') {
        return Some("the path must start with /");
    }
    if path.contains("//") || path.contains('\\') {
        return Some("empty path segments and backslashes are refused");
    }
    if path.split('/').any(|s| s == ".." || s == ".") {
        return Some("dot segments are refused");
    }
    let lower = path.to_ascii_lowercase();
    if ["%2e", "%2f", "%5c", "%00"]
        .iter()
        .any(|e| lower.contains(e))
    {
        return Some("encoded dots, slashes and NULs are refused");
    }
    None
}

pub async fn path_guard(req: Request, next: Next) -> Response {
    if let Some(why) = suspicious_target(req.uri()) {
        let message = format!("Bad request target: {why}.");
        return errors::refusal(
            None,
            StatusCode::BAD_REQUEST,
            errors::INVALID_PARAMETER,
            &message,
            &errors::new_request_id(),
        );
    }
    next.run(req).await
}

fn normalize(origin: &str) -> String {
    origin.trim().trim_end_matches('/').to_ascii_lowercase()
}

/// An `Origin` may use the relay if it is listed, or (with `--static`) if
/// it is the relay's own origin: the page it serves calls it same-origin.
pub fn origin_allowed(cfg: &Config, origin: &HeaderValue, host: Option<&HeaderValue>) -> bool {
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let origin = normalize(origin);
    if cfg.allow_origins.iter().any(|a| normalize(a) == origin) {
        return true;
    }
    match (&cfg.static_dir, host.and_then(|h| h.to_str().ok())) {
        (Some(_), Some(host)) => {
            let host = host.to_ascii_lowercase();
            origin == format!("http://{host}") || origin == format!("https://{host}")
        }
        _ => false,
    }
}

/// Refuses requests from origins that are not allowed, with 403 and no
/// CORS headers (preflights included).
pub async fn origin_policy(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        if !origin_allowed(&state.config, origin, req.headers().get(header::HOST)) {
            return errors::refusal(
                protocol_of(req.uri().path()),
                StatusCode::FORBIDDEN,
                errors::ACCESS_DENIED,
                "This origin may not use this relay (see its --allow-origin list).",
                &errors::new_request_id(),
            );
        }
    }
    next.run(req).await
}

pub fn cors(state: &Arc<AppState>) -> CorsLayer {
    let st = Arc::clone(state);
    let mut headers = vec![
        header::CONTENT_TYPE,
        header::AUTHORIZATION,
        header::ACCEPT,
        HeaderName::from_static("x-dashscope-sse"),
        HeaderName::from_static("x-dashscope-workspace"),
        HeaderName::from_static("x-dashscope-datainspection"),
    ];
    let mut methods = vec![Method::GET, Method::POST];
    if state.config.is_mock() {
        headers.extend(
            [
                "x-mock-fault",
                "x-mock-id",
                "x-mock-reasoning-tokens",
                "x-mock-answer-tokens",
                "x-mock-answer",
            ]
            .map(HeaderName::from_static),
        );
        methods.push(Method::DELETE);
    }
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, parts| {
            origin_allowed(&st.config, origin, parts.headers.get(header::HOST))
        }))
        .allow_methods(methods)
        .allow_headers(headers)
        .expose_headers([
            HeaderName::from_static("x-request-id"),
            HeaderName::from_static("x-dashscope-request-id"),
            header::RETRY_AFTER,
        ])
        .max_age(Duration::from_secs(600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_selection_tricks_are_suspicious() {
        for t in [
            "http://evil.example/compatible-mode/v1/chat/completions",
            "/compatible-mode/v1/../v1/chat/completions",
            "//evil.example/compatible-mode/v1/chat/completions",
            "/compatible-mode/v1/chat/completions/%2e%2e/x",
            "/compatible-mode%2Fv1/chat/completions",
            "/a\\b",
            "/./compatible-mode/v1/chat/completions",
        ] {
            let uri: axum::http::Uri = t.parse().unwrap();
            assert!(suspicious_target(&uri).is_some(), "{t}");
        }
        let ok: axum::http::Uri = "/compatible-mode/v1/chat/completions?x=1".parse().unwrap();
        assert_eq!(suspicious_target(&ok), None);
    }

    #[test]
    fn origins_match_exactly_or_same_origin_with_static() {
        let mut cfg = Config::mock(0.0);
        cfg.allow_origins = vec!["http://localhost:8080/".into()];
        let o = |s: &'static str| HeaderValue::from_static(s);
        assert!(origin_allowed(&cfg, &o("http://localhost:8080"), None));
        assert!(!origin_allowed(&cfg, &o("http://localhost:8081"), None));
        assert!(!origin_allowed(&cfg, &o("null"), None));
        let host = o("127.0.0.1:5000");
        assert!(!origin_allowed(
            &cfg,
            &o("http://127.0.0.1:5000"),
            Some(&host)
        ));
        cfg.static_dir = Some("/tmp".into());
        assert!(origin_allowed(
            &cfg,
            &o("http://127.0.0.1:5000"),
            Some(&host)
        ));
    }
}
