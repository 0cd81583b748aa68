//! `WEBHOOK_AUTH=oauth2`: the assistant sends `Authorization: Bearer <access token>`, a JWT an
//! OAuth 2.0 issuer signed (IBM's "Defining the authentication method for pre-message and
//! post-message webhooks"; the token format of RFC 9068). The function checks the signature
//! against the issuer's published keys (its JWKS), then `iss`, `exp`, the audience and the scopes.
//!
//! The keys: RS256 (RSA) and ES256 (EC P-256) from the JWK set, fetched at cold start and again
//! when a token names a key id the set does not hold (a key rotation), at most once a minute and
//! within a deadline. The algorithm comes from the key, never from the token: a token whose `alg`
//! is not its key's is refused, so neither `none` nor an HMAC made with a public key can pass.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use lambda_http::http::{Request, Uri, header};
use serde_json::Value;
use tokio::time::Instant;

use crate::auth::{AuthFailure, JWT_LEEWAY_SECONDS, JwtPolicy};
use crate::config::{ConfigError, Variables};

/// `OAUTH_JWKS_TIMEOUT_MS`' default: the deadline of one JWKS fetch, connection included.
pub const DEFAULT_JWKS_TIMEOUT_MS: u64 = 2000;
/// A token with a key id the set does not hold fetches the set again at most this often.
pub const JWKS_REFETCH_INTERVAL: Duration = Duration::from_secs(60);
/// After a failed fetch, the next may come sooner: an issuer's blip should not lock out a minute.
const JWKS_RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);
/// A JWK set larger than this is refused (Cognito's holds two keys, about 1 KB).
const MAX_JWKS_BYTES: usize = 64 * 1024;

/// The issuer's settings: `OAUTH_ISSUER`, `OAUTH_JWKS_URL`, `OAUTH_SCOPES`, `OAUTH_AUDIENCE`,
/// `OAUTH_JWKS_TIMEOUT_MS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthSettings {
    /// Must equal the token's `iss`, byte for byte.
    pub issuer: String,
    pub jwks_url: String,
    /// Every one must be in the token's space-separated `scope`.
    pub scopes: Vec<String>,
    /// When set, must be in `aud` (a string or an array) or equal `client_id`.
    pub audience: Option<String>,
    pub jwks_timeout: Duration,
}

impl OAuthSettings {
    pub fn read(variables: &Variables) -> Result<Self, ConfigError> {
        let issuer = variables.get("OAUTH_ISSUER").ok_or_else(|| ConfigError::Missing {
            variable: "OAUTH_ISSUER",
            why: "WEBHOOK_AUTH=oauth2 needs the issuer's URL (the token's `iss`)".into(),
        })?;
        check_url("OAUTH_ISSUER", &issuer)?;
        let jwks_url = variables
            .get("OAUTH_JWKS_URL")
            .unwrap_or_else(|| format!("{}/.well-known/jwks.json", issuer.trim_end_matches('/')));
        check_url("OAUTH_JWKS_URL", &jwks_url)?;
        let scopes: Vec<String> =
            variables.get("OAUTH_SCOPES").unwrap_or_default().split_whitespace().map(str::to_owned).collect();
        let audience = variables.get("OAUTH_AUDIENCE");
        if scopes.is_empty() && audience.is_none() {
            return Err(ConfigError::Missing {
                variable: "OAUTH_SCOPES",
                why: "set OAUTH_SCOPES or OAUTH_AUDIENCE (or both): without either, a token the issuer made for any other client would pass".into(),
            });
        }
        let timeout = variables.number("OAUTH_JWKS_TIMEOUT_MS", DEFAULT_JWKS_TIMEOUT_MS, 100..=10_000)?;
        Ok(OAuthSettings { issuer, jwks_url, scopes, audience, jwks_timeout: Duration::from_millis(timeout) })
    }
}

/// `https://`, or `http://` on a loopback host (local runs and tests) only.
fn check_url(variable: &'static str, url: &str) -> Result<(), ConfigError> {
    let invalid = |why: &str| ConfigError::Invalid { variable, why: why.to_owned() };
    let uri: Uri = url.parse().map_err(|_| invalid("not a URL"))?;
    let host = uri.host().ok_or_else(|| invalid("not a URL with a host"))?;
    match uri.scheme_str() {
        Some("https") => Ok(()),
        Some("http") if is_loopback(host) => Ok(()),
        Some("http") => Err(invalid("http:// is allowed only for a loopback host (localhost, 127.0.0.1, [::1])")),
        _ => Err(invalid("expected an https:// URL")),
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Checks access tokens of one issuer.
#[derive(Debug)]
pub struct OAuthVerifier {
    settings: OAuthSettings,
    jwks: Jwks,
}

impl OAuthVerifier {
    pub fn new(settings: OAuthSettings) -> Result<Self, ConfigError> {
        let jwks = Jwks::new(&settings.jwks_url, settings.jwks_timeout)?;
        Ok(OAuthVerifier { settings, jwks })
    }

    pub fn settings(&self) -> &OAuthSettings {
        &self.settings
    }

    /// The least time between two fetches for an unknown key id (tests shorten it).
    pub fn with_refetch_interval(mut self, interval: Duration) -> Self {
        self.jwks.refetch_interval = interval;
        self
    }

    /// Fetches the key set now (at cold start), so the first request does not wait for it.
    pub async fn prefetch(&self) {
        self.jwks.key(None, true).await;
    }

    /// How many times the key set was fetched (for the tests and the start line).
    pub fn fetches(&self) -> u64 {
        self.jwks.fetches.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub async fn verify(&self, token: &str, policy: &JwtPolicy) -> Result<(), AuthFailure> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthFailure::MalformedCredentials)?;
        policy.check_header(&header)?;
        let key = self.jwks.key(header.kid.as_deref(), false).await.ok_or(AuthFailure::InvalidCredentials)?;
        if header.alg != key.alg {
            return Err(AuthFailure::InvalidCredentials);
        }
        let claims = jsonwebtoken::decode::<Value>(token, &key.key, &self.validation(key.alg))
            .map_err(|_| AuthFailure::InvalidCredentials)?
            .claims;
        let access_policy = JwtPolicy { require_exp: true, ..*policy };
        access_policy.check_claims(&claims, jsonwebtoken::get_current_timestamp())?;
        if self.audience_matches(&claims) && self.scopes_granted(&claims) && is_access_token(&claims) {
            Ok(())
        } else {
            Err(AuthFailure::InvalidCredentials)
        }
    }

    /// Signature with the key's own algorithm, `iss`, `exp` (required) and `nbf`.
    fn validation(&self, alg: Algorithm) -> Validation {
        let mut validation = Validation::new(alg);
        validation.set_issuer(&[&self.settings.issuer]);
        validation.required_spec_claims = HashSet::from(["exp".to_owned(), "iss".to_owned()]);
        validation.validate_nbf = true;
        validation.validate_aud = false;
        validation.leeway = JWT_LEEWAY_SECONDS;
        validation
    }

    /// `aud` (a string or an array) holds the audience, or `client_id` is it. Amazon Cognito's
    /// client-credentials tokens carry no `aud`, only `client_id`.
    fn audience_matches(&self, claims: &Value) -> bool {
        let Some(expected) = &self.settings.audience else { return true };
        let in_aud = match claims.get("aud") {
            Some(Value::String(aud)) => aud == expected,
            Some(Value::Array(auds)) => auds.iter().any(|aud| aud.as_str() == Some(expected)),
            _ => false,
        };
        in_aud || claims.get("client_id").and_then(Value::as_str) == Some(expected)
    }

    fn scopes_granted(&self, claims: &Value) -> bool {
        let granted: HashSet<&str> =
            claims.get("scope").and_then(Value::as_str).unwrap_or_default().split_whitespace().collect();
        self.settings.scopes.iter().all(|scope| granted.contains(scope.as_str()))
    }
}

/// An ID token is not an access token: Cognito marks its tokens with `token_use`.
fn is_access_token(claims: &Value) -> bool {
    claims.get("token_use").is_none_or(|token_use| token_use == "access")
}

/// A signing key of the set, with the one algorithm it verifies.
#[derive(Clone)]
struct VerifyingKey {
    kid: Option<String>,
    key: DecodingKey,
    alg: Algorithm,
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>;

/// The issuer's key set, as last fetched.
struct Jwks {
    url: Uri,
    timeout: Duration,
    refetch_interval: Duration,
    client: HttpsClient,
    keys: RwLock<Arc<Vec<VerifyingKey>>>,
    /// When the next fetch may be made (`None`: never fetched); held while fetching.
    next_fetch: tokio::sync::Mutex<Option<Instant>>,
    fetches: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Jwks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwks").field("url", &self.url).finish_non_exhaustive()
    }
}

impl Jwks {
    fn new(url: &str, timeout: Duration) -> Result<Self, ConfigError> {
        let url: Uri =
            url.parse().map_err(|_| ConfigError::Invalid { variable: "OAUTH_JWKS_URL", why: "not a URL".into() })?;
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|_| ConfigError::Invalid {
                variable: "OAUTH_JWKS_URL",
                why: "no trusted root certificates found on this system".into(),
            })?
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Jwks {
            url,
            timeout,
            refetch_interval: JWKS_REFETCH_INTERVAL,
            client,
            keys: RwLock::new(Arc::new(Vec::new())),
            next_fetch: tokio::sync::Mutex::new(None),
            fetches: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// The key for `kid`, fetching the set first when it does not hold it and a fetch is due
    /// (`force`: fetch if due, whatever the set holds).
    async fn key(&self, kid: Option<&str>, force: bool) -> Option<VerifyingKey> {
        if !force && let Some(key) = self.lookup(kid) {
            return Some(key);
        }
        let mut next_fetch = self.next_fetch.lock().await;
        if let Some(key) = self.lookup(kid).filter(|_| !force) {
            return Some(key); // fetched while this request waited
        }
        if next_fetch.is_some_and(|at| Instant::now() < at) {
            return None;
        }
        let wait = match self.fetch().await {
            Ok(keys) => {
                *self.keys.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(keys);
                self.refetch_interval
            }
            Err(why) => {
                tracing::warn!(error = why, "OAuth: the issuer's key set (OAUTH_JWKS_URL) could not be fetched");
                JWKS_RETRY_AFTER_FAILURE.min(self.refetch_interval)
            }
        };
        *next_fetch = Some(Instant::now() + wait);
        self.lookup(kid)
    }

    /// The key named `kid`; a token without a `kid` only when the set holds a single key.
    fn lookup(&self, kid: Option<&str>) -> Option<VerifyingKey> {
        let keys = self.keys.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        match kid {
            Some(kid) => keys.iter().find(|key| key.kid.as_deref() == Some(kid)).cloned(),
            None if keys.len() == 1 => keys.first().cloned(),
            None => None,
        }
    }

    /// One GET of the set within the deadline; the reason is a fixed phrase for the log line.
    async fn fetch(&self) -> Result<Vec<VerifyingKey>, &'static str> {
        self.fetches.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let request = Request::get(self.url.clone())
            .header(header::ACCEPT, "application/json")
            .body(Empty::new())
            .map_err(|_| "the request could not be built")?;
        let body = tokio::time::timeout(self.timeout, async {
            let response = self.client.request(request).await.map_err(|_| "the request failed")?;
            if !response.status().is_success() {
                return Err("the issuer answered an error status");
            }
            let body = Limited::new(response.into_body(), MAX_JWKS_BYTES).collect().await;
            body.map(|body| body.to_bytes()).map_err(|_| "the body was unreadable or over 64 KB")
        })
        .await
        .map_err(|_| "no answer within OAUTH_JWKS_TIMEOUT_MS")??;
        parse_key_set(&body)
    }
}

/// The set's RS256 and ES256 signing keys; other keys (encryption, other types and curves, ones
/// that do not parse) are skipped.
fn parse_key_set(body: &[u8]) -> Result<Vec<VerifyingKey>, &'static str> {
    #[derive(serde::Deserialize)]
    struct KeySet {
        keys: Vec<Value>,
    }
    let set: KeySet = serde_json::from_slice(body).map_err(|_| "the body is not a JWK set")?;
    let keys: Vec<VerifyingKey> = set
        .keys
        .into_iter()
        .filter_map(|key| serde_json::from_value::<Jwk>(key).ok())
        .filter_map(|jwk| verifying_key(&jwk))
        .collect();
    if keys.is_empty() { Err("the set holds no RS256 or ES256 signing key") } else { Ok(keys) }
}

fn verifying_key(jwk: &Jwk) -> Option<VerifyingKey> {
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return None;
    }
    let alg = match (&jwk.algorithm, jwk.common.key_algorithm) {
        (AlgorithmParameters::RSA(_), None | Some(KeyAlgorithm::RS256)) => Algorithm::RS256,
        (AlgorithmParameters::EllipticCurve(ec), None | Some(KeyAlgorithm::ES256))
            if ec.curve == EllipticCurve::P256 =>
        {
            Algorithm::ES256
        }
        _ => return None,
    };
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some(VerifyingKey { kid: jwk.common.key_id.clone(), key, alg })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<OAuthSettings, ConfigError> {
        OAuthSettings::read(&vars.into())
    }

    #[test]
    fn the_issuer_must_be_https_or_loopback() {
        let read = settings(&[("OAUTH_ISSUER", "https://issuer.example/pool"), ("OAUTH_SCOPES", "a/b  c")]).unwrap();
        assert_eq!(read.jwks_url, "https://issuer.example/pool/.well-known/jwks.json");
        assert_eq!(read.scopes, ["a/b", "c"]);
        assert_eq!(read.jwks_timeout, Duration::from_millis(DEFAULT_JWKS_TIMEOUT_MS));
        for issuer in ["http://127.0.0.1:8080", "http://localhost:1/x", "http://[::1]:9/"] {
            assert!(settings(&[("OAUTH_ISSUER", issuer), ("OAUTH_AUDIENCE", "c")]).is_ok(), "{issuer}");
        }
        for (issuer, variable) in [
            ("http://issuer.example", "OAUTH_ISSUER"),
            ("ftp://issuer.example", "OAUTH_ISSUER"),
            ("issuer", "OAUTH_ISSUER"),
        ] {
            let error = settings(&[("OAUTH_ISSUER", issuer), ("OAUTH_AUDIENCE", "c")]).unwrap_err();
            assert!(error.to_string().starts_with(&format!("{variable} is invalid")), "{error}");
        }
        let error = settings(&[
            ("OAUTH_ISSUER", "https://i.example"),
            ("OAUTH_JWKS_URL", "http://10.0.0.1/k"),
            ("OAUTH_AUDIENCE", "c"),
        ])
        .unwrap_err();
        assert!(error.to_string().starts_with("OAUTH_JWKS_URL is invalid"), "{error}");
        let error = settings(&[("OAUTH_SCOPES", "a")]).unwrap_err();
        assert!(error.to_string().starts_with("OAUTH_ISSUER is required"), "{error}");
        let error = settings(&[("OAUTH_ISSUER", "https://i.example")]).unwrap_err();
        assert!(error.to_string().starts_with("OAUTH_SCOPES is required"), "{error}");
    }

    #[test]
    fn only_rs256_and_es256_signing_keys_are_kept() {
        let set = serde_json::json!({"keys": [
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
            {"kty": "EC", "crv": "P-384", "kid": "p384", "x": "AA", "y": "AA"},
            {"kty": "RSA", "use": "enc", "kid": "enc", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "alg": "PS256", "kid": "pss", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "kid": "rsa", "n": "AQAB", "e": "AQAB"},
            {"kty": "whatever"}
        ]});
        let keys = parse_key_set(set.to_string().as_bytes()).unwrap();
        let kept: Vec<_> = keys.iter().map(|key| (key.kid.as_deref(), key.alg)).collect();
        assert_eq!(kept, [(Some("rsa"), Algorithm::RS256)]);
        assert!(parse_key_set(br#"{"keys": []}"#).is_err());
        assert!(parse_key_set(b"<html>").is_err());
    }
}
