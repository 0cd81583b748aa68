//! Webhook authentication: the modes the assistant offers (IBM's "Defining webhook authentication", https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-define-webhook-auth), checked in constant time.
//!
//! A failure never says which check failed or echoes what was sent: the caller answers a generic
//! 401 and logs only the reason code.

use std::collections::HashSet;
use std::fmt;

use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use lambda_http::http::{HeaderMap, HeaderName, header};
use subtle::ConstantTimeEq;

/// Tokens larger than this are refused before any parsing. Watson's secret is at most 1,024
/// characters and its JWT a few hundred bytes.
const MAX_CREDENTIAL_BYTES: usize = 4096;
/// Clock skew allowed on `exp` and `nbf`, in seconds.
pub const JWT_LEEWAY_SECONDS: u64 = 30;

/// How the assistant proves it is the caller (`WEBHOOK_AUTH`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMode {
    /// "Signed JWT" (new experience) or the classic Secret: an HMAC-signed JWT in `Authorization`.
    Jwt,
    /// `Authorization: Basic base64(user:password)`.
    Basic,
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// A static header, e.g. `x-api-key: <key>`.
    ApiKey { header: HeaderName },
    /// No authentication: an explicit opt-in, warned about at start.
    None,
}

impl AuthMode {
    /// The names `WEBHOOK_AUTH` takes, in the order the error message lists them.
    pub const NAMES: [&'static str; 5] = ["jwt", "basic", "bearer", "api-key", "none"];

    pub fn name(&self) -> &'static str {
        match self {
            AuthMode::Jwt => "jwt",
            AuthMode::Basic => "basic",
            AuthMode::Bearer => "bearer",
            AuthMode::ApiKey { .. } => "api-key",
            AuthMode::None => "none",
        }
    }

    /// The mode a name stands for (any case); `header` is api-key's header. The one place names
    /// become modes, so `name` and `from_name` cannot disagree (a test checks the round trip).
    pub fn from_name(name: &str, header: impl FnOnce() -> HeaderName) -> Option<AuthMode> {
        Some(match name.to_ascii_lowercase().as_str() {
            "jwt" => AuthMode::Jwt,
            "basic" => AuthMode::Basic,
            "bearer" => AuthMode::Bearer,
            "api-key" => AuthMode::ApiKey { header: header() },
            "none" => AuthMode::None,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod names {
    use super::*;

    #[test]
    fn every_name_round_trips() {
        for name in AuthMode::NAMES {
            let mode = AuthMode::from_name(&name.to_ascii_uppercase(), || HeaderName::from_static("x-api-key"));
            assert_eq!(mode.map(|mode| mode.name()), Some(name));
        }
        assert!(AuthMode::from_name("oauth", || HeaderName::from_static("x")).is_none());
    }
}

/// A secret that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn new(value: impl Into<Vec<u8>>) -> Self {
        Secret(value.into())
    }
    fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Why a request was refused, for the logs only (the client always gets the same 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    MissingCredentials,
    MalformedCredentials,
    InvalidCredentials,
}

impl AuthFailure {
    pub fn reason(self) -> &'static str {
        match self {
            AuthFailure::MissingCredentials => "missing_credentials",
            AuthFailure::MalformedCredentials => "malformed_credentials",
            AuthFailure::InvalidCredentials => "invalid_credentials",
        }
    }
}

/// The configured mode and its secrets: the current one and, during a rotation, the previous one.
#[derive(Debug, Clone)]
pub struct WebhookAuth {
    mode: AuthMode,
    secrets: Vec<Secret>,
}

impl WebhookAuth {
    /// `secrets` must hold at least one secret unless the mode is `None` (config checks this).
    pub fn new(mode: AuthMode, secrets: Vec<Secret>) -> Self {
        WebhookAuth { mode, secrets }
    }

    pub fn mode(&self) -> &AuthMode {
        &self.mode
    }

    pub fn verify(&self, headers: &HeaderMap) -> Result<(), AuthFailure> {
        match &self.mode {
            AuthMode::None => Ok(()),
            AuthMode::Jwt => {
                let token = strip_scheme(credential(headers, &header::AUTHORIZATION)?, "bearer");
                self.verify_jwt(token)
            }
            AuthMode::Bearer => {
                let value = credential(headers, &header::AUTHORIZATION)?;
                let token = scheme_value(value, "bearer").ok_or(AuthFailure::MalformedCredentials)?;
                self.matches_secret(token.as_bytes())
            }
            AuthMode::Basic => {
                let value = credential(headers, &header::AUTHORIZATION)?;
                let encoded = scheme_value(value, "basic").ok_or(AuthFailure::MalformedCredentials)?;
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .map_err(|_| AuthFailure::MalformedCredentials)?;
                self.matches_secret(&decoded)
            }
            AuthMode::ApiKey { header } => self.matches_secret(credential(headers, header)?.as_bytes()),
        }
    }

    /// Compares against every secret without stopping early, so timing says nothing about which
    /// secret (or how much of it) matched.
    fn matches_secret(&self, presented: &[u8]) -> Result<(), AuthFailure> {
        let matched = self
            .secrets
            .iter()
            .fold(subtle::Choice::from(0), |matched, secret| matched | secret.expose().ct_eq(presented));
        if bool::from(matched) { Ok(()) } else { Err(AuthFailure::InvalidCredentials) }
    }

    fn verify_jwt(&self, token: &str) -> Result<(), AuthFailure> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthFailure::MalformedCredentials)?;
        // The algorithm comes from our allowlist, never from the token: `none` and RS/ES/PS are refused.
        if !HMAC_ALGORITHMS.contains(&header.alg) {
            return Err(AuthFailure::InvalidCredentials);
        }
        let validation = jwt_validation();
        let valid = self.secrets.iter().any(|secret| {
            let key = DecodingKey::from_secret(secret.expose());
            jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation).is_ok()
        });
        if valid { Ok(()) } else { Err(AuthFailure::InvalidCredentials) }
    }
}

const HMAC_ALGORITHMS: [Algorithm; 3] = [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512];

/// IBM documents no claims ("Defining webhook authentication"), so none is required; `exp` and `nbf` are checked
/// when present, and there is no audience to check.
fn jwt_validation() -> Validation {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.algorithms = HMAC_ALGORITHMS.to_vec();
    validation.required_spec_claims = HashSet::new();
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.validate_aud = false;
    validation.leeway = JWT_LEEWAY_SECONDS;
    validation
}

/// The header's value, trimmed; refused when missing, empty, not visible ASCII, or oversized.
fn credential<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Result<&'h str, AuthFailure> {
    let value = headers.get(name).ok_or(AuthFailure::MissingCredentials)?;
    if value.len() > MAX_CREDENTIAL_BYTES {
        return Err(AuthFailure::MalformedCredentials);
    }
    let value = value.to_str().map_err(|_| AuthFailure::MalformedCredentials)?.trim();
    if value.is_empty() { Err(AuthFailure::MissingCredentials) } else { Ok(value) }
}

/// `<scheme> <value>` with a case-insensitive scheme.
fn scheme_value<'v>(value: &'v str, scheme: &str) -> Option<&'v str> {
    let (given, rest) = value.split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then(|| rest.trim())
}

/// The value without an optional `<scheme> ` prefix.
fn strip_scheme<'v>(value: &'v str, scheme: &str) -> &'v str {
    scheme_value(value, scheme).unwrap_or(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    const SECRET: &str = "current-webhook-secret";
    const PREVIOUS: &str = "previous-webhook-secret";

    fn now() -> u64 {
        jsonwebtoken::get_current_timestamp()
    }

    fn sign(alg: Algorithm, secret: &str, claims: serde_json::Value) -> String {
        jsonwebtoken::encode(&Header::new(alg), &claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
    }

    fn headers(name: &str, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
        headers
    }

    fn jwt_auth() -> WebhookAuth {
        WebhookAuth::new(AuthMode::Jwt, vec![Secret::new(SECRET), Secret::new(PREVIOUS)])
    }

    #[test]
    fn jwt_accepts_hmac_tokens_with_or_without_bearer_and_exp() {
        let auth = jwt_auth();
        for alg in HMAC_ALGORITHMS {
            let token = sign(alg, SECRET, json!({"iss": "watson"}));
            assert_eq!(auth.verify(&headers("authorization", &token)), Ok(()), "{alg:?}");
            assert_eq!(auth.verify(&headers("Authorization", &format!("Bearer {token}"))), Ok(()));
            assert_eq!(auth.verify(&headers("authorization", &format!("bearer {token}"))), Ok(()));
        }
        let with_exp = sign(Algorithm::HS256, SECRET, json!({"exp": now() + 300}));
        assert_eq!(auth.verify(&headers("authorization", &with_exp)), Ok(()));
        let rotated = sign(Algorithm::HS256, PREVIOUS, json!({}));
        assert_eq!(auth.verify(&headers("authorization", &rotated)), Ok(()));
    }

    #[test]
    fn jwt_refuses_forgeries_and_stale_tokens() {
        let auth = jwt_auth();
        let b64 = |v: serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        let unsigned = format!("{}.{}.", b64(json!({"alg": "none", "typ": "JWT"})), b64(json!({})));
        let wrong_secret = sign(Algorithm::HS256, "another-secret", json!({}));
        let expired = sign(Algorithm::HS256, SECRET, json!({"exp": now() - JWT_LEEWAY_SECONDS - 60}));
        let not_yet = sign(Algorithm::HS256, SECRET, json!({"nbf": now() + JWT_LEEWAY_SECONDS + 60}));
        let valid = sign(Algorithm::HS256, SECRET, json!({}));
        let truncated = &valid[..valid.len() - 5];
        // An RS256 header over an HMAC made with the secret: the classic key-confusion forgery.
        let (_, rest) = valid.split_once('.').unwrap();
        let confused = format!("{}.{}", b64(json!({"alg": "RS256", "typ": "JWT"})), rest);
        for token in [unsigned.as_str(), &wrong_secret, &expired, &not_yet, truncated, &confused, "garbage", "a.b.c"] {
            assert!(auth.verify(&headers("authorization", token)).is_err(), "accepted {token}");
        }
        assert_eq!(auth.verify(&HeaderMap::new()), Err(AuthFailure::MissingCredentials));
        assert_eq!(auth.verify(&headers("authorization", "  ")), Err(AuthFailure::MissingCredentials));
        let huge = format!("Bearer {}", "a".repeat(10 * 1024));
        assert_eq!(auth.verify(&headers("authorization", &huge)), Err(AuthFailure::MalformedCredentials));
        // The right token in another header is not accepted.
        assert!(auth.verify(&headers("x-authorization", &valid)).is_err());
    }

    #[test]
    fn basic_bearer_and_api_key_compare_the_secret() {
        let basic = WebhookAuth::new(AuthMode::Basic, vec![Secret::new("watson:s3cret")]);
        let encoded = base64::engine::general_purpose::STANDARD.encode("watson:s3cret");
        assert_eq!(basic.verify(&headers("authorization", &format!("Basic {encoded}"))), Ok(()));
        let wrong = base64::engine::general_purpose::STANDARD.encode("watson:s3cre");
        assert!(basic.verify(&headers("authorization", &format!("Basic {wrong}"))).is_err());
        assert!(basic.verify(&headers("authorization", "Basic !!!")).is_err());
        assert!(basic.verify(&headers("authorization", &format!("Bearer {encoded}"))).is_err());

        let bearer = WebhookAuth::new(AuthMode::Bearer, vec![Secret::new("tok-1"), Secret::new("tok-0")]);
        assert_eq!(bearer.verify(&headers("authorization", "Bearer tok-1")), Ok(()));
        assert_eq!(bearer.verify(&headers("authorization", "Bearer tok-0")), Ok(()));
        assert!(bearer.verify(&headers("authorization", "tok-1")).is_err());
        assert!(bearer.verify(&headers("authorization", "Bearer tok-2")).is_err());

        let api_key = WebhookAuth::new(
            AuthMode::ApiKey { header: HeaderName::from_static("x-api-key") },
            vec![Secret::new("key-123")],
        );
        assert_eq!(api_key.verify(&headers("X-Api-Key", "key-123")), Ok(()));
        assert!(api_key.verify(&headers("x-api-key", "key-12")).is_err());
        assert!(api_key.verify(&headers("authorization", "key-123")).is_err());

        let none = WebhookAuth::new(AuthMode::None, vec![]);
        assert_eq!(none.verify(&HeaderMap::new()), Ok(()));
    }

    #[test]
    fn secrets_never_print() {
        let auth = jwt_auth();
        assert!(!format!("{auth:?}").contains(SECRET));
    }
}
