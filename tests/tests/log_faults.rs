//! The store down: the connection refused, S3 failing (500), throttling (503 SlowDown), hung, or
//! slower than the deadline. The log webhook answers 503 within its deadline, so a sender that
//! retries can retry, and the function log holds one fallback record from which the event can be
//! recovered. Once S3 is back, the retried delivery is stored.

use std::time::Duration;

use logwebhook::{FALLBACK_MESSAGE, FALLBACK_PART_BYTES, LogWebhook, S3LogStore};
use serde_json::{Value, json};
use shared::aws::Endpoint;
use webhook_tests::entry_point::Handler;
use webhook_tests::local_s3::{BUCKET, closed_endpoint};
use webhook_tests::{
    FunctionUrlEvent, LocalS3, LogCapture, S3Behaviour, TempDir, config, fixture, fixture_json, log_settings,
    status_and_json,
};

const DEADLINE: Duration = Duration::from_millis(600);
const MESSAGE_KEY: &str = "event=message_logged/dt=2025-06-01/58bebfd1-0118-419b-a555-b152a1efbbe8.json";

fn settings(vars: &[(&str, &str)]) -> logwebhook::LogSettings {
    let mut all = vec![("LOG_BUCKET", BUCKET), ("LOG_STORE_TIMEOUT_MS", "600")];
    all.extend_from_slice(vars);
    log_settings(&all)
}

/// Sends the event, checks the 503, and returns the fallback lines. That the deadline cut a hung
/// or slow store shows in the fallback record's reason (`timeout`), not in a clock.
async fn refused_with_fallback<S: logwebhook::LogStore>(
    webhook: &LogWebhook<S>,
    body: &str,
    logs: &LogCapture,
    case: &str,
) -> Vec<Value> {
    let response = webhook.handle(FunctionUrlEvent::from_watson(body).request()).await;
    assert_eq!(response.headers().get("retry-after").map(|v| v.to_str().unwrap()), Some("1"), "{case}");
    let (status, reply) = status_and_json(response);
    assert_eq!(status, 503, "{case}: {reply}");
    assert_eq!(reply["error"]["code"], "store_unavailable", "{case}");
    logs.lines_with_message(FALLBACK_MESSAGE)
}

#[tokio::test]
async fn the_store_down_answers_503_within_the_deadline_and_logs_the_event() {
    let faults = [
        ("S3 answers 500", S3Behaviour::ServerError, "service_error"),
        ("S3 answers 503 SlowDown", S3Behaviour::SlowDown, "throttled"),
        ("S3 hangs", S3Behaviour::Hang, "timeout"),
        ("S3 is slower than the deadline", S3Behaviour::Delay(DEADLINE * 2), "timeout"),
    ];
    let body = fixture("constructed-log-message-logged.json");
    for (case, behaviour, error) in faults {
        let s3 = LocalS3::start();
        s3.set_behaviour(behaviour.clone());
        let webhook = LogWebhook::new(config(&[]).edge(), settings(&[]), s3.store(DEADLINE).await);
        let (logs, _guard) = LogCapture::start();

        let fallback = refused_with_fallback(&webhook, &body, &logs, case).await;
        assert_eq!(fallback.len(), 1, "{case}: one record\n{}", logs.text());
        let fields = &fallback[0]["fields"];
        assert_eq!(fallback[0]["level"], "ERROR");
        assert_eq!(fields["key"], MESSAGE_KEY, "{case}");
        assert_eq!(fields["error"], error, "{case}");
        assert_eq!(fields["request_id"], "c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
        assert_eq!((fields["part"].as_u64(), fields["parts"].as_u64()), (Some(1), Some(1)));
        // The whole event can be recovered from the record.
        let recovered: Value = serde_json::from_str(fields["event"].as_str().unwrap()).unwrap();
        assert_eq!(recovered, fixture_json("constructed-log-message-logged.json"), "{case}");
        let attempts = s3.puts().len();
        assert!((1..=2).contains(&attempts), "{case}: at most one retry, got {attempts}");

        // S3 is back: the sender's retry is stored.
        s3.set_behaviour(S3Behaviour::Normal);
        let (status, reply) = status_and_json(webhook.handle(FunctionUrlEvent::from_watson(&body).request()).await);
        assert_eq!((status, &reply), (201, &json!({"stored": MESSAGE_KEY})), "{case}");
        assert!(s3.objects().await.contains_key(MESSAGE_KEY));
    }
}

#[tokio::test]
async fn a_closed_port_answers_503_with_the_fallback_record() {
    let store = S3LogStore::new(BUCKET, DEADLINE, &Endpoint::Local(closed_endpoint())).await;
    let webhook = LogWebhook::new(config(&[]).edge(), settings(&[]), store);
    let (logs, _guard) = LogCapture::start();
    let body = fixture("ibm-docs-log-cdr-logged.json");
    let fallback = refused_with_fallback(&webhook, &body, &logs, "connection refused").await;
    assert_eq!(fallback.len(), 1, "{}", logs.text());
    assert_eq!(fallback[0]["fields"]["error"], "network_error");
    assert_eq!(
        fallback[0]["fields"]["key"],
        "event=cdr_logged/dt=2021-10-12/9caa8bad-aaa8-4a5a-a4b5-62bccc703d15.json"
    );
    let recovered: Value = serde_json::from_str(fallback[0]["fields"]["event"].as_str().unwrap()).unwrap();
    assert_eq!(recovered, fixture_json("ibm-docs-log-cdr-logged.json"));
}

#[tokio::test]
async fn the_fallback_record_is_redacted_like_the_stored_object() {
    let s3 = LocalS3::start();
    s3.set_behaviour(S3Behaviour::ServerError);
    let settings = settings(&[("LOG_REDACT_PATHS", "payload.request.input.text,payload.response.output.generic.text")]);
    let webhook = LogWebhook::new(config(&[]).edge(), settings, s3.store(DEADLINE).await);
    let (logs, _guard) = LogCapture::start();
    let fallback =
        refused_with_fallback(&webhook, &fixture("constructed-log-message-logged.json"), &logs, "redacted").await;
    let recovered: Value = serde_json::from_str(fallback[0]["fields"]["event"].as_str().unwrap()).unwrap();
    assert_eq!(recovered["payload"]["request"]["input"]["text"], "[redacted]");
    assert_eq!(
        recovered["payload"]["response"]["output"]["generic"][0],
        json!({"response_type": "text", "text": "[redacted]"})
    );
    assert!(!logs.text().contains("Where is my order?") && !logs.text().contains("Let me check your order."));
}

#[tokio::test]
async fn a_large_event_is_logged_in_parts_that_join_up() {
    let s3 = LocalS3::start();
    s3.set_behaviour(S3Behaviour::ServerError);
    let webhook = LogWebhook::new(config(&[]).edge(), settings(&[]), s3.store(DEADLINE).await);
    let (logs, _guard) = LogCapture::start();
    let mut event = fixture_json("constructed-log-message-logged.json");
    // A long context, with multi-byte characters across the part boundaries.
    event["payload"]["response"]["context"]["skills"]["actions skill"]["skill_variables"]["history"] =
        json!("日本語のテキスト ".repeat(20_000));
    let fallback = refused_with_fallback(&webhook, &event.to_string(), &logs, "large event").await;
    let parts = fallback[0]["fields"]["parts"].as_u64().unwrap() as usize;
    assert!(parts >= 2 && fallback.len() == parts, "{parts} parts, {} lines", fallback.len());
    let mut joined = String::new();
    for (index, line) in fallback.iter().enumerate() {
        assert_eq!(line["fields"]["part"].as_u64(), Some(index as u64 + 1));
        assert_eq!(line["fields"]["key"], MESSAGE_KEY);
        let part = line["fields"]["event"].as_str().unwrap();
        assert!(part.len() <= FALLBACK_PART_BYTES);
        joined.push_str(part);
    }
    assert_eq!(serde_json::from_str::<Value>(&joined).unwrap(), event);
}

#[tokio::test]
async fn an_unwritable_directory_answers_503_with_the_fallback_record() {
    let temp = TempDir::new("log-unwritable");
    let not_a_directory = temp.path().join("logs");
    std::fs::write(&not_a_directory, b"a file where the directory should be").unwrap();
    let settings = log_settings(&[("LOG_DIR", not_a_directory.to_str().unwrap())]);
    let store = logwebhook::ConfiguredStore::open(&settings).await;
    let webhook = LogWebhook::new(config(&[]).edge(), settings, store);
    let (logs, _guard) = LogCapture::start();
    let fallback =
        refused_with_fallback(&webhook, &fixture("constructed-log-message-logged.json"), &logs, "unwritable directory")
            .await;
    assert_eq!(fallback.len(), 1);
    assert_eq!(fallback[0]["fields"]["error"], "io_error");
}
