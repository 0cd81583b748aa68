//! `WEBHOOK_AUTH=oauth2` through the real lambda_http entry points: access tokens from a local
//! OAuth 2.0 issuer (tests/src/oauth_issuer.rs: its JWK set over HTTP on 127.0.0.1, RSA and EC
//! keys made in the test) accepted; forged, stale and misdirected ones refused with the generic
//! 401 and one log line giving the reason code; key rotation picked up at most once a minute.
//!
//! The config is what the template sets when it creates a Cognito issuer: `OAUTH_ISSUER`,
//! `OAUTH_SCOPES` (the resource server's scope) and `OAUTH_AUDIENCE` (the app client's id, which
//! Cognito's client-credentials tokens carry as `client_id`, with no `aud`).

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use premessage::{PreMessage, PreMessageSettings};
use serde_json::{Value, json};
use shared::oauth::{OAuthSettings, OAuthVerifier};
use shared::translate::AmazonTranslate;
use webhook_tests::entry_point::{INVOCATION_ID, UrlEvent, UrlResponse, assert_nothing_leaks, invoke};
use webhook_tests::hardening::{Function, Subject, TestFunction};
use webhook_tests::oauth_issuer::{CLIENT_ID, Issuer, SCOPE, TestKey};
use webhook_tests::{FakeTranslate, LogCapture, config};

struct Keys {
    rsa: TestKey,
    ec: TestKey,
    /// Another RSA key under the first one's `kid`.
    impostor: TestKey,
    /// The key a rotation publishes.
    next: TestKey,
}

static KEYS: LazyLock<Keys> = LazyLock::new(|| Keys {
    rsa: TestKey::rsa("rsa-1"),
    ec: TestKey::ec("ec-1"),
    impostor: TestKey::rsa("rsa-1"),
    next: TestKey::rsa("rsa-2"),
});

const UNAUTHORIZED: &str = r#"{"error":{"code":"unauthorized","message":"missing or invalid credentials"}}"#;

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// A Cognito client-credentials access token's claims (no `aud`), issued by `issuer`.
fn claims(issuer: &Issuer) -> Value {
    json!({
        "sub": CLIENT_ID, "client_id": CLIENT_ID, "token_use": "access",
        "scope": format!("other/read {SCOPE}"), "iss": issuer.url,
        "iat": now(), "exp": now() + 3600, "jti": "7d1c-qzx-token-id",
    })
}

fn with(mut claims: Value, changes: Value) -> Value {
    for (key, value) in changes.as_object().expect("an object") {
        if value.is_null() {
            claims.as_object_mut().expect("an object").remove(key);
        } else {
            claims[key] = value.clone();
        }
    }
    claims
}

fn oauth_variables(issuer: &Issuer) -> Vec<(&'static str, String)> {
    vec![
        ("WEBHOOK_AUTH", "oauth2".into()),
        ("OAUTH_ISSUER", issuer.url.clone()),
        ("OAUTH_SCOPES", SCOPE.into()),
        ("OAUTH_AUDIENCE", CLIENT_ID.into()),
        ("OAUTH_JWKS_TIMEOUT_MS", "500".into()),
    ]
}

async fn subject(function: Function, issuer: &Issuer) -> Subject {
    let variables = oauth_variables(issuer);
    let table: Vec<(&str, &str)> = variables.iter().map(|(name, value)| (*name, value.as_str())).collect();
    Subject::start(function, &table).await
}

/// premessage built as main.rs builds it, its verifier fetching again on an unknown `kid` after
/// `refetch` instead of a minute.
async fn premessage_refetching_after(
    issuer: &Issuer,
    refetch: Duration,
) -> (PreMessage<AmazonTranslate>, FakeTranslate) {
    let variables = oauth_variables(issuer);
    let table: Vec<(&str, &str)> = variables.iter().map(|(name, value)| (*name, value.as_str())).collect();
    let config = config(&table);
    let translate = FakeTranslate::start().await;
    let mut edge = config.edge();
    let settings = config.read(OAuthSettings::read);
    let verifier = OAuthVerifier::new(settings).expect("a verifier").with_refetch_interval(refetch);
    edge.auth = edge.auth.with_oauth(verifier);
    let premessage =
        PreMessage::new(edge, config.read(PreMessageSettings::read), config.translating(config.engine(&translate)));
    (premessage, translate)
}

fn event(function: Function, authorization: &str) -> UrlEvent {
    UrlEvent::post(&function.valid_body().to_string()).header("authorization", authorization)
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// The generic 401, one log line with `reason` and the invocation id, and no token in any log line.
fn assert_refused(response: &UrlResponse, logs: &LogCapture, reason: &str, token: &str, row: &str) {
    assert_eq!(response.status, 401, "{row}: {}", response.text());
    assert_eq!(response.text(), UNAUTHORIZED, "{row}");
    assert_eq!(response.headers.get("content-type").map(String::as_str), Some("application/json"), "{row}");
    let lines = logs.lines_with_message("webhook auth failed");
    let line = lines.last().unwrap_or_else(|| panic!("{row}: no auth line\n{}", logs.text()));
    assert_eq!(line["fields"]["reason"], reason, "{row}");
    assert_eq!(line["fields"]["request_id"], INVOCATION_ID, "{row}");
    assert_nothing_leaks(&[("the logs", &logs.text()), ("the error body", &response.text())], &[token]);
}

#[tokio::test]
async fn cognito_shaped_tokens_are_accepted_by_every_function() {
    let (logs, _guard) = LogCapture::start();
    let keys = &*KEYS;
    let issuer = Issuer::start(&[&keys.rsa, &keys.ec]).await;
    for function in Function::with_json_body() {
        let subject = subject(function, &issuer).await;
        let rs256 = keys.rsa.sign(&claims(&issuer));
        let response = subject.send_as_is(&event(function, &bearer(&rs256))).await;
        assert_eq!(response.status, function.accepted_status(), "{}: {}", function.name(), response.text());
        // ES256, with `aud` (an array) naming the client instead of `client_id`.
        let es256 = keys.ec.sign(&with(claims(&issuer), json!({"client_id": null, "aud": ["other", CLIENT_ID]})));
        let response = subject.send_as_is(&event(function, &format!("bearer  {es256}"))).await;
        assert_eq!(response.status, function.accepted_status(), "{}: {}", function.name(), response.text());
    }
    assert!(logs.lines_with_message("webhook auth failed").is_empty(), "{}", logs.text());
    assert_eq!(issuer.fetches(), Function::with_json_body().count(), "one key-set fetch per cold start");
}

#[tokio::test]
async fn forged_stale_and_misdirected_tokens_are_refused() {
    let keys = &*KEYS;
    let issuer = Issuer::start(&[&keys.rsa, &keys.ec]).await;
    let good = claims(&issuer);
    let public_key = keys.rsa.jwk["n"].as_str().expect("n").to_owned();
    let hs256 = |kid: &str, secret: &[u8]| {
        jsonwebtoken::encode(
            &Header { kid: Some(kid.into()), ..Header::new(Algorithm::HS256) },
            &good,
            &EncodingKey::from_secret(secret),
        )
        .expect("sign")
    };
    let unsigned = {
        let b64 = |value: Value| {
            use base64::Engine as _;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
        };
        format!("{}.{}.", b64(json!({"alg": "none", "kid": "rsa-1", "typ": "JWT"})), b64(good.clone()))
    };
    let rows: Vec<(&str, String, &str)> = vec![
        ("signed with another key under the same kid", bearer(&keys.impostor.sign(&good)), "invalid_credentials"),
        (
            "another issuer",
            bearer(&keys.rsa.sign(&with(good.clone(), json!({"iss": "https://evil.example"})))),
            "invalid_credentials",
        ),
        (
            "the issuer with a trailing slash",
            bearer(&keys.rsa.sign(&with(good.clone(), json!({"iss": format!("{}/", issuer.url)})))),
            "invalid_credentials",
        ),
        (
            "another client (audience)",
            bearer(&keys.rsa.sign(&with(good.clone(), json!({"client_id": "other-client"})))),
            "invalid_credentials",
        ),
        (
            "aud naming another client",
            bearer(&keys.ec.sign(&with(good.clone(), json!({"client_id": null, "aud": "other-client"})))),
            "invalid_credentials",
        ),
        (
            "expired",
            bearer(&keys.rsa.sign(&with(good.clone(), json!({"iat": now() - 7200, "exp": now() - 3600})))),
            "invalid_credentials",
        ),
        ("no exp", bearer(&keys.rsa.sign(&with(good.clone(), json!({"exp": null})))), "invalid_credentials"),
        (
            "exp two hours ahead (JWT_MAX_LIFETIME_SECONDS 3600)",
            bearer(&keys.rsa.sign(&with(good.clone(), json!({"exp": now() + 7200})))),
            "invalid_credentials",
        ),
        (
            "iat in the future",
            bearer(&keys.rsa.sign(&with(good.clone(), json!({"iat": now() + 600})))),
            "invalid_credentials",
        ),
        (
            "not yet valid (nbf)",
            bearer(&keys.rsa.sign(&with(good.clone(), json!({"nbf": now() + 600})))),
            "invalid_credentials",
        ),
        (
            "the scope missing",
            bearer(&keys.rsa.sign(&with(good.clone(), json!({"scope": "other/read"})))),
            "invalid_credentials",
        ),
        ("no scope claim", bearer(&keys.rsa.sign(&with(good.clone(), json!({"scope": null})))), "invalid_credentials"),
        (
            "a scope that only starts like it",
            bearer(&keys.rsa.sign(&with(good.clone(), json!({"scope": format!("{SCOPE}x")})))),
            "invalid_credentials",
        ),
        (
            "an ID token (token_use id)",
            bearer(&keys.rsa.sign(&with(good.clone(), json!({"token_use": "id"})))),
            "invalid_credentials",
        ),
        (
            "alg confusion: HS256 keyed with the RSA public key",
            bearer(&hs256("rsa-1", public_key.as_bytes())),
            "invalid_credentials",
        ),
        (
            "alg confusion: HS256 keyed with the JWK text",
            bearer(&hs256("rsa-1", keys.rsa.jwk.to_string().as_bytes())),
            "invalid_credentials",
        ),
        ("alg none", bearer(&unsigned), "malformed_credentials"),
        (
            "RS256 header on the EC key's kid",
            bearer(&keys.rsa.sign_with(Header { kid: Some("ec-1".into()), ..Header::new(Algorithm::RS256) }, &good)),
            "invalid_credentials",
        ),
        (
            "a crit header",
            bearer(&keys.rsa.sign_with(
                Header { kid: Some("rsa-1".into()), crit: Some(vec!["exp".into()]), ..Header::new(Algorithm::RS256) },
                &good,
            )),
            "invalid_credentials",
        ),
        ("no kid", bearer(&keys.rsa.sign_with(Header::new(Algorithm::RS256), &good)), "invalid_credentials"),
        ("not under Bearer", keys.rsa.sign(&good), "malformed_credentials"),
        ("under Basic", format!("Basic {}", keys.rsa.sign(&good)), "malformed_credentials"),
        ("none sent", String::new(), "missing_credentials"),
    ];
    for (row, authorization, reason) in rows {
        let (logs, _guard) = LogCapture::start();
        let subject = subject(Function::PreMessage, &issuer).await;
        let mut request = UrlEvent::post(&Function::PreMessage.valid_body().to_string());
        if !authorization.is_empty() {
            request = request.header("authorization", &authorization);
        }
        let response = subject.send_as_is(&request).await;
        let token = authorization.rsplit(' ').next().unwrap_or_default();
        assert_refused(&response, &logs, reason, token, row);
        assert!(subject.translate().calls().is_empty(), "{row}: refused before any work");
    }
}

#[tokio::test]
async fn an_unknown_kid_fetches_the_set_again_at_most_once_a_minute() {
    let keys = &*KEYS;
    let issuer = Issuer::start(&[&keys.rsa]).await;
    let subject = subject(Function::PostMessage, &issuer).await;
    let valid = keys.rsa.sign(&claims(&issuer));
    let response = subject.send_as_is(&event(Function::PostMessage, &bearer(&valid))).await;
    assert_eq!((response.status, issuer.fetches()), (200, 1), "{}", response.text());

    // A rotation: the issuer publishes a new key and signs with it. Within the minute after the
    // last fetch, tokens under the new kid are refused without fetching again.
    issuer.publish(vec![keys.rsa.jwk.clone(), keys.next.jwk.clone()]);
    let (logs, _guard) = LogCapture::start();
    let rotated = keys.next.sign(&claims(&issuer));
    for _ in 0..3 {
        let response = subject.send_as_is(&event(Function::PostMessage, &bearer(&rotated))).await;
        assert_refused(&response, &logs, "invalid_credentials", &rotated, "a kid not fetched yet");
    }
    assert_eq!(issuer.fetches(), 1, "at most one fetch a minute");
}

#[tokio::test]
async fn a_rotated_key_is_fetched_and_an_unknown_one_refused_after_the_fetch() {
    let keys = &*KEYS;
    let issuer = Issuer::start(&[&keys.rsa]).await;
    // The refetch interval shortened from a minute, so the test need not wait for it.
    let (premessage, _translate) = premessage_refetching_after(&issuer, Duration::ZERO).await;
    let send = |token: String| {
        let request = event(Function::PreMessage, &bearer(&token));
        let premessage = &premessage;
        async move { invoke(premessage, &request).await }
    };
    assert_eq!(send(keys.rsa.sign(&claims(&issuer))).await.status, 200);
    assert_eq!(issuer.fetches(), 1);

    let (logs, _guard) = LogCapture::start();
    let unknown = keys
        .impostor
        .sign_with(Header { kid: Some("nobody".into()), ..Header::new(Algorithm::RS256) }, &claims(&issuer));
    assert_refused(&send(unknown.clone()).await, &logs, "invalid_credentials", &unknown, "an unknown kid");
    assert_eq!(issuer.fetches(), 2, "fetched again, then refused");

    issuer.publish(vec![keys.next.jwk.clone()]);
    let rotated = send(keys.next.sign(&claims(&issuer))).await;
    assert_eq!((rotated.status, issuer.fetches()), (200, 3), "{}", rotated.text());
    // The old key left the set with the fetch.
    let old = keys.rsa.sign(&claims(&issuer));
    assert_refused(&send(old.clone()).await, &logs, "invalid_credentials", &old, "a key no longer published");
}

#[tokio::test]
async fn an_issuer_that_hangs_costs_one_deadline_and_a_401() {
    let (logs, _guard) = LogCapture::start();
    let keys = &*KEYS;
    let issuer = Issuer::start(&[&keys.rsa]).await;
    issuer.hang();
    let subject = subject(Function::PreMessage, &issuer).await;
    let token = keys.rsa.sign(&claims(&issuer));
    let started = Instant::now();
    let response = subject.send_as_is(&event(Function::PreMessage, &bearer(&token))).await;
    let waited = started.elapsed();
    assert_refused(&response, &logs, "invalid_credentials", &token, "the issuer hangs");
    // OAUTH_JWKS_TIMEOUT_MS is 500; the issuer would hold the connection for 30 s: the reason below
    // is the deadline's, which no clock needs to confirm.
    let fetch_failed = logs.lines_with_message("OAuth: the issuer's key set (OAUTH_JWKS_URL) could not be fetched");
    assert_eq!(fetch_failed.len(), 1, "{}", logs.text());
    assert_eq!(fetch_failed[0]["fields"]["error"], "no answer within OAUTH_JWKS_TIMEOUT_MS");
    println!("a hung issuer: refused after {waited:?}");
}
