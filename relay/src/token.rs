//! Signed client tokens: a site's backend mints a short-lived token for a
//! logged-in student; the relay checks it with no database (README "Client
//! tokens").
//!
//! `v1.<base64url(JSON payload)>.<base64url(HMAC-SHA256 over "v1.<payload part>")>`,
//! base64url without padding, payload `{"sub", "exp", "nbf"?, "dailyTokens"?}`
//! (Unix seconds), the HMAC key being the secret's UTF-8 bytes. Every
//! configured secret is accepted (rotation); minting signs with the first.

use base64::alphabet::URL_SAFE;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use ring::hmac;
use serde_json::Value;

/// base64url without padding; trailing bits are not checked (as
/// JavaScript's `atob`, so both relays read every token alike).
const URL_SAFE_NO_PAD: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// Clock skew allowed on `exp` and `nbf`, in seconds.
pub const SKEW_SECS: i64 = 60;
/// Longer tokens are refused unread.
const MAX_TOKEN_BYTES: usize = 4096;
/// A `sub` is a key in the shared store: keep it short.
const MAX_SUB_BYTES: usize = 256;

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub sub: String,
    pub exp: i64,
    pub nbf: Option<i64>,
    pub daily_tokens: Option<u64>,
}

/// Why a token was refused: the 401's code and message name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    Malformed(&'static str),
    /// Tampered, or signed with a secret this relay does not have.
    BadSignature,
    Expired {
        exp: i64,
    },
    NotYetValid {
        nbf: i64,
    },
}

impl TokenError {
    /// The error code in the 401 body (both protocols' shapes).
    pub fn code(&self) -> &'static str {
        match self {
            TokenError::Malformed(_) => "client_token_malformed",
            TokenError::BadSignature => "client_token_invalid_signature",
            TokenError::Expired { .. } => "client_token_expired",
            TokenError::NotYetValid { .. } => "client_token_not_yet_valid",
        }
    }

    /// A message naming the reason; never the token.
    pub fn message(&self) -> String {
        match self {
            TokenError::Malformed(why) => {
                format!("The client token is malformed ({why}).")
            }
            TokenError::BadSignature => "The client token's signature does not match (changed, or signed with a secret this relay does not accept).".into(),
            TokenError::Expired { exp } => format!(
                "The client token expired at {}; fetch a fresh one.",
                iso8601(*exp)
            ),
            TokenError::NotYetValid { nbf } => format!(
                "The client token is not valid before {}.",
                iso8601(*nbf)
            ),
        }
    }
}

/// The HMAC keys of the configured secrets, prepared once.
#[derive(Clone)]
pub struct Secrets(Vec<hmac::Key>);

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets([{} redacted])", self.0.len())
    }
}

impl Secrets {
    pub fn new<S: AsRef<str>>(secrets: &[S]) -> Self {
        Secrets(
            secrets
                .iter()
                .map(|s| hmac::Key::new(hmac::HMAC_SHA256, s.as_ref().as_bytes()))
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Checks `token` at `now` (Unix seconds).
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::Malformed("too long"));
        }
        if !token.starts_with("v1.") {
            return Err(TokenError::Malformed("not a v1 token"));
        }
        let mut parts = token.split('.');
        let (Some(version), Some(payload), Some(sig), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed("not three dot-separated parts"));
        };
        let Ok(sig) = URL_SAFE_NO_PAD.decode(sig) else {
            return Err(TokenError::Malformed("signature is not base64url"));
        };
        let signed = &token[..version.len() + 1 + payload.len()];
        // ring's verify compares in constant time; every secret is tried,
        // so the time does not depend on which one matched.
        let mut ok = false;
        for key in &self.0 {
            ok |= hmac::verify(key, signed.as_bytes(), &sig).is_ok();
        }
        if !ok {
            return Err(TokenError::BadSignature);
        }
        let Ok(json) = URL_SAFE_NO_PAD.decode(payload) else {
            return Err(TokenError::Malformed("payload is not base64url"));
        };
        let claims = parse_claims(&json)?;
        if now > claims.exp + SKEW_SECS {
            return Err(TokenError::Expired { exp: claims.exp });
        }
        if let Some(nbf) = claims.nbf {
            if now + SKEW_SECS < nbf {
                return Err(TokenError::NotYetValid { nbf });
            }
        }
        Ok(claims)
    }
}

fn parse_claims(json: &[u8]) -> Result<Claims, TokenError> {
    let v: Value =
        serde_json::from_slice(json).map_err(|_| TokenError::Malformed("payload is not JSON"))?;
    let sub = match v.get("sub") {
        Some(Value::String(s)) if !s.is_empty() && s.len() <= MAX_SUB_BYTES => s.clone(),
        _ => {
            return Err(TokenError::Malformed(
                "sub must be a non-empty string of at most 256 bytes",
            ))
        }
    };
    let secs = |name: &'static str| -> Result<Option<i64>, TokenError> {
        match v.get(name) {
            None => Ok(None),
            Some(n) => match n
                .as_f64()
                .filter(|f| f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15)
                .map(|f| f as i64)
            {
                Some(x) => Ok(Some(x)),
                None => Err(TokenError::Malformed(
                    "exp and nbf must be whole Unix seconds",
                )),
            },
        }
    };
    let exp = secs("exp")?.ok_or(TokenError::Malformed("exp is missing"))?;
    let nbf = secs("nbf")?;
    let daily_tokens = match v.get("dailyTokens") {
        None => None,
        Some(n) => Some(
            n.as_u64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 9e15)
                        .map(|f| f as u64)
                })
                .ok_or(TokenError::Malformed(
                    "dailyTokens must be a whole number >= 0",
                ))?,
        ),
    };
    Ok(Claims {
        sub,
        exp,
        nbf,
        daily_tokens,
    })
}

/// Mints a token for `sub`, valid from `now` for `ttl_secs`, signed with
/// `secret` (the `token` subcommand; a backend uses `mintClientToken`).
pub fn mint(sub: &str, now: i64, ttl_secs: i64, daily_tokens: Option<u64>, secret: &str) -> String {
    let mut payload = serde_json::json!({ "sub": sub, "exp": now + ttl_secs, "nbf": now });
    if let Some(n) = daily_tokens {
        payload["dailyTokens"] = n.into();
    }
    let signed = format!("v1.{}", URL_SAFE_NO_PAD.encode(payload.to_string()));
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let tag = hmac::sign(&key, signed.as_bytes());
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

/// Unix seconds as `2026-12-05T00:00:00Z`.
pub fn iso8601(secs: i64) -> String {
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = crate::log::civil_from_days(secs.div_euclid(86_400));
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The Unix time now, in seconds.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_764_900_000;

    #[test]
    fn a_minted_token_verifies_with_any_configured_secret() {
        let t = mint("student-1", NOW, 600, Some(5000), "new");
        let claims = Secrets::new(&["new", "old"]).verify(&t, NOW).unwrap();
        assert_eq!(claims.sub, "student-1");
        assert_eq!(claims.exp, NOW + 600);
        assert_eq!(claims.daily_tokens, Some(5000));
        assert!(Secrets::new(&["old", "new"]).verify(&t, NOW).is_ok());
        assert_eq!(
            Secrets::new(&["old"]).verify(&t, NOW),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn time_limits_allow_a_minute_of_skew() {
        let s = Secrets::new(&["k"]);
        let t = mint("a", NOW, 100, None, "k");
        assert!(s.verify(&t, NOW + 160).is_ok());
        assert_eq!(
            s.verify(&t, NOW + 161),
            Err(TokenError::Expired { exp: NOW + 100 })
        );
        assert!(s.verify(&t, NOW - 60).is_ok());
        assert_eq!(
            s.verify(&t, NOW - 61),
            Err(TokenError::NotYetValid { nbf: NOW })
        );
    }

    #[test]
    fn tampering_anywhere_breaks_the_signature() {
        let s = Secrets::new(&["k"]);
        let t = mint("a", NOW, 100, Some(10), "k");
        let forged_payload =
            URL_SAFE_NO_PAD.encode(br#"{"sub":"a","exp":9999999999,"dailyTokens":99999999}"#);
        let sig = t.rsplit('.').next().unwrap();
        assert_eq!(
            s.verify(&format!("v1.{forged_payload}.{sig}"), NOW),
            Err(TokenError::BadSignature)
        );
        let mut bytes = t.clone().into_bytes();
        let last = bytes.len() - 1;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            s.verify(&String::from_utf8(bytes).unwrap(), NOW),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn malformed_tokens_say_so() {
        let s = Secrets::new(&["k"]);
        for t in [
            "",
            "v1",
            "v1.a",
            "v2.a.b",
            "v1.a.b.c",
            "v1.a.!!",
            "v1.a.b=",
            &"x".repeat(5000),
        ] {
            assert!(
                matches!(s.verify(t, NOW), Err(TokenError::Malformed(_))),
                "{t:.20}"
            );
        }
        // Signed but not the payload the format asks for.
        let sign = |payload: &str| {
            let signed = format!("v1.{}", URL_SAFE_NO_PAD.encode(payload));
            let key = hmac::Key::new(hmac::HMAC_SHA256, b"k");
            let tag = hmac::sign(&key, signed.as_bytes());
            format!("{signed}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
        };
        for p in [
            "not json",
            r#"{"exp":1}"#,
            r#"{"sub":"","exp":1}"#,
            r#"{"sub":"a"}"#,
            r#"{"sub":"a","exp":"soon"}"#,
            r#"{"sub":"a","exp":1,"dailyTokens":-1}"#,
        ] {
            assert!(
                matches!(s.verify(&sign(p), NOW), Err(TokenError::Malformed(_))),
                "{p}"
            );
        }
    }

    #[test]
    fn messages_never_hold_the_token() {
        let t = mint("a", NOW, 1, None, "k");
        for e in [
            Secrets::new(&["k"]).verify(&t, NOW + 1000).unwrap_err(),
            Secrets::new(&["z"]).verify(&t, NOW).unwrap_err(),
        ] {
            assert!(!e.message().contains(&t));
        }
    }

    #[test]
    fn dates_are_iso8601_utc() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(1_764_979_199), "2025-12-05T23:59:59Z");
    }
}
