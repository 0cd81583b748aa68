//! The log webhook with no bucket configured: the same layout under a local directory, so
//! `cargo lambda watch` needs nothing else.

use logwebhook::{Backend, ConfiguredStore, LogStore, LogWebhook};
use serde_json::{Value, json};
use webhook_tests::entry_point::Handler;
use webhook_tests::{FunctionUrlEvent, TempDir, config, fixture, fixture_json, log_settings, status_and_json};

const MESSAGE_KEY: &str = "event=message_logged/dt=2025-06-01/58bebfd1-0118-419b-a555-b152a1efbbe8.json";
const CDR_KEY: &str = "event=cdr_logged/dt=2021-10-12/9caa8bad-aaa8-4a5a-a4b5-62bccc703d15.json";

#[tokio::test]
async fn without_a_bucket_events_go_to_logs_in_the_working_directory() {
    let settings = log_settings(&[]);
    assert_eq!(settings.backend, Backend::Directory { root: "./logs".into() });
    let store = ConfiguredStore::open(&settings).await;
    assert!(matches!(store, ConfiguredStore::Directory(_)));
    assert_eq!(store.location(), "directory ./logs");
}

#[tokio::test]
async fn the_local_directory_holds_the_same_layout() {
    let temp = TempDir::new("log-dir");
    let settings = log_settings(&[("LOG_DIR", temp.path().to_str().unwrap())]);
    let webhook = LogWebhook::new(config(&[]).edge(), settings.clone(), ConfiguredStore::open(&settings).await);
    let send = |body: String| {
        let webhook = &webhook;
        async move { status_and_json(webhook.handle(FunctionUrlEvent::from_watson(&body).request()).await) }
    };

    assert_eq!(send(fixture("constructed-log-message-logged.json")).await, (201, json!({"stored": MESSAGE_KEY})));
    assert_eq!(send(fixture("ibm-docs-log-cdr-logged.json")).await, (201, json!({"stored": CDR_KEY})));
    // Redelivered as is: answered as stored, nothing written.
    assert_eq!(send(fixture("constructed-log-message-logged.json")).await, (201, json!({"stored": MESSAGE_KEY})));
    assert_eq!(temp.files(), [CDR_KEY, MESSAGE_KEY], "no duplicates and no temporary files left");

    // The same log_id with other content: kept beside the stored file, which stays as it was.
    let mut again = fixture_json("constructed-log-message-logged.json");
    again["payload"]["redelivered"] = json!(true);
    let (status, reply) = send(again.to_string()).await;
    assert_eq!(status, 201);
    let beside = reply["stored"].as_str().unwrap().to_owned();
    assert_eq!(beside, MESSAGE_KEY.replace(".json", ".copy-1.json"));
    assert_eq!(send(again.to_string()).await, (201, json!({"stored": beside})), "its own redelivery");

    assert_eq!(temp.files(), [CDR_KEY.to_owned(), beside.clone(), MESSAGE_KEY.to_owned()], "no temporary files left");
    let read = |key: &str| serde_json::from_slice::<Value>(&std::fs::read(temp.path().join(key)).unwrap()).unwrap();
    assert_eq!(read(MESSAGE_KEY), fixture_json("constructed-log-message-logged.json"), "never replaced");
    assert_eq!(read(&beside), again);
    assert_eq!(read(CDR_KEY), fixture_json("ibm-docs-log-cdr-logged.json"));
}

#[tokio::test]
async fn a_key_prefix_applies_to_the_directory_too() {
    let temp = TempDir::new("log-dir-prefix");
    let settings = log_settings(&[("LOG_DIR", temp.path().to_str().unwrap()), ("LOG_KEY_PREFIX", "assistant-a/")]);
    let webhook = LogWebhook::new(config(&[]).edge(), settings.clone(), ConfiguredStore::open(&settings).await);
    let (status, _) = status_and_json(
        webhook.handle(FunctionUrlEvent::from_watson(&fixture("constructed-log-message-logged.json")).request()).await,
    );
    assert_eq!(status, 201);
    assert_eq!(temp.files(), [format!("assistant-a/{MESSAGE_KEY}")]);
}
