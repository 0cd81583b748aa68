//! Webhook secrets read at cold start from SSM Parameter Store (a SecureString) and from AWS
//! Secrets Manager (through Parameter Store's `/aws/reference/secretsmanager/` name), with the real
//! aws-sdk-ssm client against moto's server (tests/src/local_moto.rs), then used through
//! premessage's real entry point. Prints what the reads cost (a new client and two reads).

use std::time::Instant;

use premessage::{PreMessage, PreMessageSettings};
use serde_json::json;
use shared::config::{EdgeConfig, Variables};
use shared::secrets::read_stored;
use webhook_tests::entry_point::{UrlEvent, invoke};
use webhook_tests::hardening::{Function, TestFunction};
use webhook_tests::local_moto::moto;
use webhook_tests::{FakeTranslate, config, sign_jwt};

const STORED: &str = "stored-webhook-secret-from-parameter-store-4c2a";
const PREVIOUS: &str = "previous-secret-from-secrets-manager-77d0e1";

/// The parameters and the secret, seeded once for both tests.
fn seed() -> &'static str {
    static SEEDED: std::sync::Once = std::sync::Once::new();
    let moto = moto();
    SEEDED.call_once(|| moto.seed(&format!(
        "boto3.client('ssm', **kw).put_parameter(Name='/webhooks/secret', Value={STORED:?}, Type='SecureString', Overwrite=True)\n\
         boto3.client('ssm', **kw).put_parameter(Name='/webhooks/short', Value='short', Type='SecureString', Overwrite=True)\n\
         boto3.client('secretsmanager', **kw).create_secret(Name='webhooks-previous', SecretString={PREVIOUS:?})"
    )));
    &moto.endpoint
}

#[tokio::test]
async fn secrets_come_from_parameter_store_and_secrets_manager() {
    let endpoint = seed();
    let table = [
        ("WEBHOOK_SECRET_PARAMETER", "/webhooks/secret"),
        ("WEBHOOK_SECRET_PREVIOUS_PARAMETER", "/aws/reference/secretsmanager/webhooks-previous"),
        ("PARAMETER_STORE_ENDPOINT", endpoint),
    ];
    let variables = Variables::from(&table[..]);
    let started = Instant::now();
    let stored = read_stored(&variables).await.expect("both read");
    let took = started.elapsed();
    println!("a new SSM client and two GetParameter calls against moto on loopback: {took:?}");
    assert_eq!(stored, [("WEBHOOK_SECRET", STORED.to_owned()), ("WEBHOOK_SECRET_PREVIOUS", PREVIOUS.to_owned())]);
    let edge = EdgeConfig::read(&variables.with(stored)).expect("the edge");

    // premessage with that edge answers tokens signed with either secret, and no other.
    let config = config(&[]);
    let translate = FakeTranslate::start().await;
    let premessage =
        PreMessage::new(edge, config.read(PreMessageSettings::read), config.translating(config.engine(&translate)));
    let body = Function::PreMessage.valid_body().to_string();
    let claims = json!({"exp": jsonwebtoken::get_current_timestamp() + 300});
    for (secret, status) in [(STORED, 200), (PREVIOUS, 200), (webhook_tests::SECRET, 401)] {
        let event =
            UrlEvent::post(&body).header("authorization", &format!("Bearer {}", sign_jwt(secret, claims.clone())));
        assert_eq!(invoke(&premessage, &event).await.status, status, "signed with {secret}");
    }
}

#[tokio::test]
async fn a_missing_short_or_doubly_set_secret_stops_the_start_naming_the_variable() {
    let endpoint = seed();
    let rows: [(&[(&str, &str)], &str); 3] = [
        (
            &[("WEBHOOK_SECRET_PARAMETER", "/webhooks/absent")],
            "WEBHOOK_SECRET_PARAMETER is invalid: the parameter could not be read: the request was refused: ParameterNotFound",
        ),
        (
            &[("WEBHOOK_SECRET_PARAMETER", "/webhooks/secret"), ("WEBHOOK_SECRET", STORED)],
            "WEBHOOK_SECRET_PARAMETER is invalid: set WEBHOOK_SECRET_PARAMETER or WEBHOOK_SECRET, not both",
        ),
        (
            &[("WEBHOOK_SECRET_PARAMETER", "/webhooks/short")],
            "WEBHOOK_SECRET is invalid: the secret must be at least 32 bytes",
        ),
    ];
    for (set, expected) in rows {
        let mut table = vec![("PARAMETER_STORE_ENDPOINT", endpoint)];
        table.extend_from_slice(set);
        let variables = Variables::from(&table[..]);
        let error = match read_stored(&variables).await {
            Err(error) => error,
            Ok(stored) => EdgeConfig::read(&variables.with(stored)).expect_err("refused"),
        };
        assert!(error.to_string().starts_with(expected), "{error}");
        assert!(!error.to_string().contains("short") || expected.contains("short"), "{error}");
    }
}
