//! Error replies shaped like the provider's (PROTOCOL.md §5), so a client
//! library reports a relay refusal exactly as it would an upstream one.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use visual_reasoning::protocol::Protocol;

/// One provider error: the DashScope `code`, the OpenAI `code` and `type`.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    pub dashscope: &'static str,
    pub openai: &'static str,
    pub openai_type: &'static str,
}

pub const INVALID_PARAMETER: Kind = Kind {
    dashscope: "InvalidParameter",
    openai: "invalid_parameter_error",
    openai_type: "invalid_request_error",
};
pub const INVALID_API_KEY: Kind = Kind {
    dashscope: "InvalidApiKey",
    openai: "invalid_api_key",
    openai_type: "invalid_request_error",
};
pub const ACCESS_DENIED: Kind = Kind {
    dashscope: "AccessDenied",
    openai: "access_denied",
    openai_type: "invalid_request_error",
};
pub const MODEL_ACCESS_DENIED: Kind = Kind {
    dashscope: "Model.AccessDenied",
    openai: "access_denied",
    openai_type: "invalid_request_error",
};
pub const MODEL_NOT_FOUND: Kind = Kind {
    dashscope: "ModelNotFound",
    openai: "model_not_found",
    openai_type: "invalid_request_error",
};
pub const NOT_FOUND: Kind = Kind {
    dashscope: "NotFound",
    openai: "not_found",
    openai_type: "invalid_request_error",
};
pub const PAYLOAD_TOO_LARGE: Kind = Kind {
    dashscope: "RequestTooLarge",
    openai: "request_too_large",
    openai_type: "invalid_request_error",
};
pub const THROTTLING: Kind = Kind {
    dashscope: "Throttling.RateQuota",
    openai: "limit_requests",
    openai_type: "limit_requests",
};
pub const FREE_QUOTA: Kind = Kind {
    dashscope: "Throttling.AllocationQuota",
    openai: "insufficient_quota",
    openai_type: "insufficient_quota",
};
pub const INTERNAL: Kind = Kind {
    dashscope: "InternalError",
    openai: "internal_error",
    openai_type: "internal_error",
};
pub const UNAVAILABLE: Kind = Kind {
    dashscope: "ModelUnavailable",
    openai: "model_unavailable",
    openai_type: "service_unavailable",
};
pub const DATA_INSPECTION: Kind = Kind {
    dashscope: "DataInspectionFailed",
    openai: "data_inspection_failed",
    openai_type: "data_inspection_failed",
};
pub const BAD_GATEWAY: Kind = Kind {
    dashscope: "BadGateway",
    openai: "bad_gateway",
    openai_type: "upstream_error",
};
pub const REQUEST_TIMEOUT: Kind = Kind {
    dashscope: "RequestTimeOut",
    openai: "request_timeout",
    openai_type: "invalid_request_error",
};
pub const GATEWAY_TIMEOUT: Kind = Kind {
    dashscope: "RequestTimeOut",
    openai: "gateway_timeout",
    openai_type: "upstream_error",
};

/// The JSON error body of `protocol` (a generic DashScope-like shape when
/// the path names no protocol).
pub fn body(protocol: Option<Protocol>, kind: Kind, message: &str, request_id: &str) -> String {
    let v = match protocol {
        Some(Protocol::OpenAi) => json!({
            "error": {
                "message": message,
                "type": kind.openai_type,
                "param": null,
                "code": kind.openai,
            },
            "id": format!("chatcmpl-{request_id}"),
            "request_id": request_id,
        }),
        _ => json!({ "code": kind.dashscope, "message": message, "request_id": request_id }),
    };
    v.to_string()
}

/// A JSON error response with `x-request-id` set.
pub fn response(
    protocol: Option<Protocol>,
    status: StatusCode,
    kind: Kind,
    message: &str,
    request_id: &str,
) -> Response {
    let mut res = (status, body(protocol, kind, message, request_id)).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-request-id", v);
    }
    res
}

/// A refusal by the relay itself: [`response`], logged as `refused <status>`.
pub fn refusal(
    protocol: Option<Protocol>,
    status: StatusCode,
    kind: Kind,
    message: &str,
    request_id: &str,
) -> Response {
    let mut res = response(protocol, status, kind, message, request_id);
    res.extensions_mut()
        .insert(crate::log::Outcome::Refused(status.as_u16()));
    res
}

/// Adds `Retry-After: secs`.
pub fn with_retry_after(mut res: Response, secs: u64) -> Response {
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    res
}

pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
