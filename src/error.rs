//! The error kinds of API.md, with their fields.
//!
//! One struct for every failure the library reports. Messages are built
//! from `&'static str` pieces and caller-visible names (model ids, content
//! types), never from the request's headers, so an API key cannot end up
//! inside one: the key never reaches the core at all.

#[allow(unused_imports)]
use crate::prelude::*;
/// Which of API.md's error names this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The server answered an error (HTTP status >= 400, or an error event).
    Api,
    /// `fetch` failed or the connection broke.
    Network,
    /// `timeoutMs` or `idleTimeoutMs` passed.
    Timeout,
    /// The caller's signal, `stream.abort()` or leaving a `for await`.
    Abort,
    /// The body ended early, was not an event stream, or broke the size cap.
    Stream,
    /// The request was refused before it was sent.
    InvalidRequest,
}

impl ErrorKind {
    /// Every kind, in declaration order: the order is a boundary format
    /// (an error's kind crosses to JavaScript as its index here; see
    /// `web/wire.rs`), checked against the JS side when the package loads.
    pub const ALL: [ErrorKind; 6] = [
        ErrorKind::Api,
        ErrorKind::Network,
        ErrorKind::Timeout,
        ErrorKind::Abort,
        ErrorKind::Stream,
        ErrorKind::InvalidRequest,
    ];

    /// The JavaScript `Error.name` for this kind.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Api => "ApiError",
            ErrorKind::Network => "NetworkError",
            ErrorKind::Timeout => "TimeoutError",
            ErrorKind::Abort => "AbortError",
            ErrorKind::Stream => "StreamError",
            ErrorKind::InvalidRequest => "InvalidRequestError",
        }
    }
}

/// A failure, with the fields API.md gives every error object.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    /// HTTP status (or DashScope's `:HTTP_STATUS/NNN` for in-stream errors).
    pub status: Option<u16>,
    /// The provider's error code, e.g. `InvalidParameter`.
    pub code: Option<String>,
    pub request_id: Option<String>,
    /// Whether trying the same request again may succeed.
    pub retryable: bool,
}

impl Error {
    /// An error of `kind` with a message and no other fields.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            status: None,
            code: None,
            request_id: None,
            retryable: false,
        }
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidRequest, message)
    }

    pub fn stream(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Stream, message)
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.kind.name())?;
        f.write_str(": ")?;
        f.write_str(&self.message)
    }
}

impl core::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::ErrorKind;

    #[test]
    fn all_lists_every_kind_in_declaration_order() {
        for (i, kind) in ErrorKind::ALL.into_iter().enumerate() {
            assert_eq!(kind as usize, i, "{kind:?}");
        }
        // A kind added to the enum but not to ALL fails here.
        let last = ErrorKind::InvalidRequest;
        assert_eq!(last as usize + 1, ErrorKind::ALL.len());
    }
}
