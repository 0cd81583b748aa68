//! Webhook authentication: the modes the assistant offers (IBM's "Defining webhook authentication", https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-define-webhook-auth), checked in constant time.
//!
//! A failure never says which check failed or echoes what was sent: the caller answers a generic
//! 401 and logs only the reason code.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use lambda_http::http::{HeaderMap, HeaderName, header};
use subtle::ConstantTimeEq;

use crate::oauth::OAuthVerifier;

/// Tokens larger than this are refused before any parsing. Watson's secret is at most 1,024
/// characters and its JWT a few hundred bytes.
const MAX_CREDENTIAL_BYTES: usize = 4096;
/// Clock skew allowed on `exp`, `nbf` and `iat`, in seconds.
pub const JWT_LEEWAY_SECONDS: u64 = 30;
/// `JWT_MAX_LIFETIME_SECONDS`' default: how far ahead a token's `exp` may be.
pub const DEFAULT_JWT_MAX_LIFETIME_SECONDS: u64 = 3600;
/// The shortest secret `WEBHOOK_SECRET` (and `WEBHOOK_SECRET_PREVIOUS`) may be, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

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
    /// `Authorization: Bearer <access token>`: a JWT from an OAuth 2.0 issuer, checked against
    /// its published keys ([`crate::oauth`]).
    OAuth2,
    /// No authentication: an explicit opt-in, warned about at start.
    None,
}

impl AuthMode {
    /// The names `WEBHOOK_AUTH` takes, in the order the error message lists them.
    pub const NAMES: [&'static str; 6] = ["jwt", "basic", "bearer", "api-key", "oauth2", "none"];

    pub fn name(&self) -> &'static str {
        match self {
            AuthMode::Jwt => "jwt",
            AuthMode::Basic => "basic",
            AuthMode::Bearer => "bearer",
            AuthMode::ApiKey { .. } => "api-key",
            AuthMode::OAuth2 => "oauth2",
            AuthMode::None => "none",
        }
    }

    /// Whether the mode checks a shared secret (every mode but `oauth2` and `none`).
    pub fn uses_secret(&self) -> bool {
        !matches!(self, AuthMode::OAuth2 | AuthMode::None)
    }

    /// The mode a name stands for (any case); `header` is api-key's header. The one place names
    /// become modes, so `name` and `from_name` cannot disagree (a test checks the round trip).
    pub fn from_name(name: &str, header: impl FnOnce() -> HeaderName) -> Option<AuthMode> {
        Some(match name.to_ascii_lowercase().as_str() {
            "jwt" => AuthMode::Jwt,
            "basic" => AuthMode::Basic,
            "bearer" => AuthMode::Bearer,
            "api-key" => AuthMode::ApiKey { header: header() },
            "oauth2" => AuthMode::OAuth2,
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

/// What every JWT must meet beyond its signature, in every mode that takes one (RFC 7519's time
/// claims, RFC 7515's `crit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JwtPolicy {
    /// `JWT_MAX_LIFETIME_SECONDS`: `exp` at most this far ahead (plus the leeway).
    pub max_lifetime_seconds: u64,
    /// `JWT_REQUIRE_EXP=on`: a token without `exp` is refused. Off by default for the Signed JWT
    /// mode, since IBM documents no claims of its token; `oauth2` always requires `exp`.
    pub require_exp: bool,
}

impl Default for JwtPolicy {
    fn default() -> Self {
        JwtPolicy { max_lifetime_seconds: DEFAULT_JWT_MAX_LIFETIME_SECONDS, require_exp: false }
    }
}

impl JwtPolicy {
    /// The header's checks: no `crit` extension is understood, so a token naming any is refused.
    pub fn check_header(&self, header: &jsonwebtoken::Header) -> Result<(), AuthFailure> {
        if header.crit.is_some() { Err(AuthFailure::InvalidCredentials) } else { Ok(()) }
    }

    /// The verified claims' time checks: `exp` (when present, or always with `require_exp`) a
    /// number at most `max_lifetime_seconds` ahead; `iat`, when present, a number not in the future.
    /// Expiry itself was checked with the signature. Both allow [`JWT_LEEWAY_SECONDS`].
    pub fn check_claims(&self, claims: &serde_json::Value, now: u64) -> Result<(), AuthFailure> {
        let number = |name: &str| claims.get(name).map(serde_json::Value::as_f64);
        let latest_exp = now.saturating_add(self.max_lifetime_seconds).saturating_add(JWT_LEEWAY_SECONDS);
        let exp_ok = match number("exp") {
            None => !self.require_exp,
            Some(exp) => exp.is_some_and(|exp| exp <= latest_exp as f64),
        };
        let iat_ok = number("iat").is_none_or(|iat| iat.is_some_and(|iat| iat <= (now + JWT_LEEWAY_SECONDS) as f64));
        if exp_ok && iat_ok { Ok(()) } else { Err(AuthFailure::InvalidCredentials) }
    }
}

/// The configured mode and its secrets (the current one and, during a rotation, the previous
/// one), the JWT policy, and in `oauth2` mode the issuer's verifier.
#[derive(Debug, Clone)]
pub struct WebhookAuth {
    mode: AuthMode,
    secrets: Vec<Secret>,
    policy: JwtPolicy,
    oauth: Option<Arc<OAuthVerifier>>,
}

impl WebhookAuth {
    /// `secrets` must hold at least one secret when the mode uses one (config checks this).
    pub fn new(mode: AuthMode, secrets: Vec<Secret>) -> Self {
        WebhookAuth { mode, secrets, policy: JwtPolicy::default(), oauth: None }
    }

    pub fn with_policy(mut self, policy: JwtPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The verifier of `oauth2` mode.
    pub fn with_oauth(mut self, verifier: OAuthVerifier) -> Self {
        self.oauth = Some(Arc::new(verifier));
        self
    }

    pub fn mode(&self) -> &AuthMode {
        &self.mode
    }

    pub fn policy(&self) -> &JwtPolicy {
        &self.policy
    }

    pub fn oauth(&self) -> Option<&OAuthVerifier> {
        self.oauth.as_deref()
    }

    /// Whether the request carries this mode's credentials. Only `oauth2` awaits anything: the
    /// issuer's keys, on the first token or one signed with a key not seen yet.
    pub async fn verify(&self, headers: &HeaderMap) -> Result<(), AuthFailure> {
        match &self.mode {
            AuthMode::None => Ok(()),
            AuthMode::Jwt => {
                let token = strip_scheme(credential(headers, &header::AUTHORIZATION)?, "bearer");
                self.verify_jwt(token)
            }
            AuthMode::OAuth2 => {
                let value = credential(headers, &header::AUTHORIZATION)?;
                let token = scheme_value(value, "bearer").ok_or(AuthFailure::MalformedCredentials)?;
                let verifier = self.oauth.as_deref().ok_or(AuthFailure::InvalidCredentials)?;
                verifier.verify(token, &self.policy).await
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
        self.policy.check_header(&header)?;
        let validation = jwt_validation();
        let claims = self.secrets.iter().find_map(|secret| {
            let key = DecodingKey::from_secret(secret.expose());
            jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation).ok()
        });
        let claims = claims.ok_or(AuthFailure::InvalidCredentials)?.claims;
        self.policy.check_claims(&claims, jsonwebtoken::get_current_timestamp())
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

    impl WebhookAuth {
        /// `verify` on a runtime of its own: these modes await nothing.
        fn verify_now(&self, headers: &HeaderMap) -> Result<(), AuthFailure> {
            tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(self.verify(headers))
        }
    }
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
            assert_eq!(auth.verify_now(&headers("authorization", &token)), Ok(()), "{alg:?}");
            assert_eq!(auth.verify_now(&headers("Authorization", &format!("Bearer {token}"))), Ok(()));
            assert_eq!(auth.verify_now(&headers("authorization", &format!("bearer {token}"))), Ok(()));
        }
        let with_exp = sign(Algorithm::HS256, SECRET, json!({"exp": now() + 300}));
        assert_eq!(auth.verify_now(&headers("authorization", &with_exp)), Ok(()));
        let rotated = sign(Algorithm::HS256, PREVIOUS, json!({}));
        assert_eq!(auth.verify_now(&headers("authorization", &rotated)), Ok(()));
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
            assert!(auth.verify_now(&headers("authorization", token)).is_err(), "accepted {token}");
        }
        assert_eq!(auth.verify_now(&HeaderMap::new()), Err(AuthFailure::MissingCredentials));
        assert_eq!(auth.verify_now(&headers("authorization", "  ")), Err(AuthFailure::MissingCredentials));
        let huge = format!("Bearer {}", "a".repeat(10 * 1024));
        assert_eq!(auth.verify_now(&headers("authorization", &huge)), Err(AuthFailure::MalformedCredentials));
        // The right token in another header is not accepted.
        assert!(auth.verify_now(&headers("x-authorization", &valid)).is_err());
    }

    #[test]
    fn basic_bearer_and_api_key_compare_the_secret() {
        let basic = WebhookAuth::new(AuthMode::Basic, vec![Secret::new("watson:s3cret")]);
        let encoded = base64::engine::general_purpose::STANDARD.encode("watson:s3cret");
        assert_eq!(basic.verify_now(&headers("authorization", &format!("Basic {encoded}"))), Ok(()));
        let wrong = base64::engine::general_purpose::STANDARD.encode("watson:s3cre");
        assert!(basic.verify_now(&headers("authorization", &format!("Basic {wrong}"))).is_err());
        assert!(basic.verify_now(&headers("authorization", "Basic !!!")).is_err());
        assert!(basic.verify_now(&headers("authorization", &format!("Bearer {encoded}"))).is_err());

        let bearer = WebhookAuth::new(AuthMode::Bearer, vec![Secret::new("tok-1"), Secret::new("tok-0")]);
        assert_eq!(bearer.verify_now(&headers("authorization", "Bearer tok-1")), Ok(()));
        assert_eq!(bearer.verify_now(&headers("authorization", "Bearer tok-0")), Ok(()));
        assert!(bearer.verify_now(&headers("authorization", "tok-1")).is_err());
        assert!(bearer.verify_now(&headers("authorization", "Bearer tok-2")).is_err());

        let api_key = WebhookAuth::new(
            AuthMode::ApiKey { header: HeaderName::from_static("x-api-key") },
            vec![Secret::new("key-123")],
        );
        assert_eq!(api_key.verify_now(&headers("X-Api-Key", "key-123")), Ok(()));
        assert!(api_key.verify_now(&headers("x-api-key", "key-12")).is_err());
        assert!(api_key.verify_now(&headers("authorization", "key-123")).is_err());

        let none = WebhookAuth::new(AuthMode::None, vec![]);
        assert_eq!(none.verify_now(&HeaderMap::new()), Ok(()));
    }

    #[test]
    fn jwt_refuses_crit_and_checks_the_time_claims() {
        let auth = jwt_auth();
        let crit = jsonwebtoken::encode(
            &Header { crit: Some(vec!["exp".into()]), ..Header::new(Algorithm::HS256) },
            &json!({"exp": now() + 60}),
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();
        let far = sign(Algorithm::HS256, SECRET, json!({"exp": now() + DEFAULT_JWT_MAX_LIFETIME_SECONDS + 600}));
        let future_iat = sign(Algorithm::HS256, SECRET, json!({"iat": now() + JWT_LEEWAY_SECONDS + 60}));
        let text_exp = sign(Algorithm::HS256, SECRET, json!({"exp": "tomorrow"}));
        for token in [&crit, &far, &future_iat, &text_exp] {
            assert_eq!(auth.verify_now(&headers("authorization", token)), Err(AuthFailure::InvalidCredentials));
        }
        let at_the_limit = sign(Algorithm::HS256, SECRET, json!({"exp": now() + 3600, "iat": now() + 5}));
        assert_eq!(auth.verify_now(&headers("authorization", &at_the_limit)), Ok(()));
        let no_exp = sign(Algorithm::HS256, SECRET, json!({"iss": "watson"}));
        assert_eq!(auth.verify_now(&headers("authorization", &no_exp)), Ok(()));
        let strict = jwt_auth().with_policy(JwtPolicy { require_exp: true, ..JwtPolicy::default() });
        assert_eq!(strict.verify_now(&headers("authorization", &no_exp)), Err(AuthFailure::InvalidCredentials));
        assert_eq!(strict.verify_now(&headers("authorization", &at_the_limit)), Ok(()));
        let day = jwt_auth().with_policy(JwtPolicy { max_lifetime_seconds: 86_400, require_exp: false });
        assert_eq!(day.verify_now(&headers("authorization", &far)), Ok(()));
    }

    #[test]
    fn secrets_never_print() {
        let auth = jwt_auth();
        assert!(!format!("{auth:?}").contains(SECRET));
    }
}
