//! The log webhook storing to S3: real function-URL events through lambda_http, the real
//! aws-sdk-s3 client, a real S3-protocol server (s3s over s3s-fs) on 127.0.0.1.

use std::time::{Duration, SystemTime};

use logwebhook::{LogWebhook, MAX_KEPT_BESIDE, S3LogStore};
use serde_json::{Value, json};
use webhook_tests::entry_point::{Handler, UrlEvent, invoke};
use webhook_tests::local_s3::BUCKET;
use webhook_tests::{
    FunctionUrlEvent, LocalS3, LogCapture, SECRET, config, fixture, fixture_json, log_settings, sign_jwt,
    status_and_json, watson_authorization,
};

const DEADLINE: Duration = Duration::from_secs(2);

// Every test here starts with a LogCapture, even those that never read it. tracing caches each
// log line's interest when the line first runs: a line first reached on a thread with no
// subscriber, while a capturing test on another thread is just starting, can be cached as
// "never" and then be missing from that test's capture.
const MESSAGE_KEY: &str = "event=message_logged/dt=2025-06-01/58bebfd1-0118-419b-a555-b152a1efbbe8.json";
const CDR_KEY: &str = "event=cdr_logged/dt=2021-10-12/9caa8bad-aaa8-4a5a-a4b5-62bccc703d15.json";

/// The webhook on the local S3; `vars` are the environment (`LOG_*` and the shared `WEBHOOK_*`, `MAX_BODY_BYTES`).
async fn webhook(s3: &LocalS3, vars: &[(&str, &str)]) -> LogWebhook<S3LogStore> {
    let mut all = vec![("LOG_BUCKET", BUCKET)];
    all.extend_from_slice(vars);
    LogWebhook::new(config(vars).edge(), log_settings(&all), s3.store(DEADLINE).await)
}

async fn send(webhook: &LogWebhook<S3LogStore>, body: &str) -> (u16, Value) {
    status_and_json(webhook.handle(FunctionUrlEvent::from_watson(body).request()).await)
}

/// A message_logged event with members no schema documents, at every level, including numbers
/// that a float would change and an item type nobody knows.
fn message_with_unknown_fields() -> String {
    let mut event = fixture_json("constructed-log-message-logged.json");
    event["options"] = json!({});
    event["delivery"] = json!({"attempt": 1, "trace": [null, true, "x"]});
    event["payload"]["workspace_id"] = json!("9f0d3c2e-ws");
    event["payload"]["brand_new"] = json!({"nested": [1, 2.5, -0.0, 1e-7, 12345678901234567890u64], "emoji": "📦 ✓", "escaped": "line\nbreak \"quoted\""});
    event["payload"]["response"]["output"]["generic"]
        .as_array_mut()
        .unwrap()
        .push(json!({"response_type": "carousel_v9", "cards": [{"id": 7}]}));
    // Pretty-printed on purpose: the stored object is one line with the same meaning.
    serde_json::to_string_pretty(&event).unwrap()
}

#[tokio::test]
async fn each_event_type_is_stored_at_its_key_with_every_field_kept() {
    let (logs, _guard) = LogCapture::start();
    let s3 = LocalS3::start();
    let webhook = webhook(&s3, &[]).await;

    let message = message_with_unknown_fields();
    let (status, reply) = send(&webhook, &message).await;
    assert_eq!((status, &reply), (201, &json!({"stored": MESSAGE_KEY})));

    let cdr = fixture("ibm-docs-log-cdr-logged.json");
    let (status, reply) = send(&webhook, &cdr).await;
    assert_eq!((status, &reply), (201, &json!({"stored": CDR_KEY})));

    // An event name the assistant might add later: stored under its own name, never refused.
    let later = json!({"event": {"name": "conversation_summarized", "version": 2},
                       "payload": {"log_id": "sum-0001", "request_timestamp": "2025-07-04T08:00:00+09:00", "summary": {"turns": 3}}});
    let (status, reply) = send(&webhook, &later.to_string()).await;
    assert_eq!(
        (status, &reply),
        (201, &json!({"stored": "event=conversation_summarized/dt=2025-07-03/sum-0001.json"}))
    );

    let objects = s3.objects().await;
    assert_eq!(
        objects.keys().collect::<Vec<_>>(),
        [CDR_KEY, "event=conversation_summarized/dt=2025-07-03/sum-0001.json", MESSAGE_KEY]
    );
    // Every member kept: the same JSON value, and without redaction the same bytes less layout.
    let stored = &objects[MESSAGE_KEY];
    assert_eq!(stored.json(), serde_json::from_str::<Value>(&message).unwrap());
    // The event as parsed, written out again on one line: never the body's own bytes.
    let parsed: Value = serde_json::from_str(&message).unwrap();
    assert_eq!(String::from_utf8(stored.body.clone()).unwrap(), format!("{parsed}\n"));
    assert!(String::from_utf8_lossy(&stored.body).contains("12345678901234567890"), "big integers are not rounded");
    assert_eq!(objects[CDR_KEY].json(), fixture_json("ibm-docs-log-cdr-logged.json"));
    assert_eq!(objects["event=conversation_summarized/dt=2025-07-03/sum-0001.json"].json(), later);
    for object in objects.values() {
        assert_eq!(object.content_type.as_deref(), Some("application/json"));
        assert_eq!(object.body.iter().filter(|&&b| b == b'\n').count(), 1, "one line per object (JSON Lines)");
    }

    // What the client sent: path-style PUTs, SSE-S3, JSON, SigV4-signed (s3s checked it).
    let puts = s3.puts();
    assert_eq!(puts.len(), 3);
    for put in &puts {
        // Path-style, with the key's `=` percent-encoded as S3 expects.
        assert!(put.path.starts_with(&format!("/{BUCKET}/event%3D")), "{}", put.path);
        assert_eq!(put.headers.get("x-amz-server-side-encryption").map(String::as_str), Some("AES256"));
        assert_eq!(put.headers.get("content-type").map(String::as_str), Some("application/json"));
        assert!(put.headers.get("authorization").is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256 ")));
    }

    // One structured line per stored event, and no user text in the logs.
    let stored_lines = logs.lines_with_message("log event stored");
    assert_eq!(stored_lines.len(), 3, "{}", logs.text());
    assert_eq!(stored_lines[0]["fields"]["key"], MESSAGE_KEY);
    assert_eq!(stored_lines[0]["fields"]["request_id"], "c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
    assert_eq!(stored_lines[0]["fields"]["id_source"], "log_id");
    assert_eq!(stored_lines[1]["fields"]["date_source"], "call.start_timestamp");
    let text = logs.text();
    for user_text in ["Where is my order?", "Let me check your order.", "+18005550123", "📦"] {
        assert!(!text.contains(user_text), "{user_text:?} in the logs");
    }
}

/// The key of the `copy`-th different record kept beside the one at `MESSAGE_KEY`.
fn copy_of_message_key(copy: usize) -> String {
    MESSAGE_KEY.replace(".json", &format!(".copy-{copy}.json"))
}

fn sha256sum(bytes: &[u8]) -> String {
    use std::process::Command;
    use std::sync::atomic::{AtomicUsize, Ordering};
    static SERIAL: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "log-body-{}-{}.json",
        std::process::id(),
        SERIAL.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("sha256sum").arg(&path).output().expect("sha256sum");
    std::fs::remove_file(&path).unwrap();
    String::from_utf8(out.stdout).unwrap().split_whitespace().next().unwrap().to_owned()
}

#[tokio::test]
async fn an_identical_redelivery_answers_as_stored_and_writes_nothing_new() {
    let (logs, _guard) = LogCapture::start();
    let s3 = LocalS3::start();
    let webhook = webhook(&s3, &[]).await;
    let event = fixture("constructed-log-message-logged.json");
    assert_eq!(send(&webhook, &event).await, (201, json!({"stored": MESSAGE_KEY})));
    let first = s3.objects().await;
    // The same event again, and once with other layout: the same record, so the same answer.
    let reformatted = format!("\n\t{}  \r\n", event.replace("\n", "\n  "));
    for body in [&event, &event, &reformatted] {
        assert_eq!(send(&webhook, body).await, (201, json!({"stored": MESSAGE_KEY})));
    }

    // Every PUT only creates, and carries the record's SHA-256; each redelivery was a 412 then a HEAD.
    let record = &first[MESSAGE_KEY].body;
    let puts = s3.puts();
    assert_eq!(puts.len(), 4);
    for put in &puts {
        assert_eq!(put.headers.get("if-none-match").map(String::as_str), Some("*"));
        assert_eq!(put.headers.get("x-amz-meta-sha256"), Some(&sha256sum(record)));
    }
    assert_eq!(s3.calls().iter().filter(|call| call.method == "HEAD").count(), 3);
    let objects = s3.objects().await;
    assert_eq!(objects.keys().collect::<Vec<_>>(), [MESSAGE_KEY], "no duplicates");
    assert_eq!(objects[MESSAGE_KEY].body, *record, "untouched");

    let stored = logs.lines_with_message("log event stored");
    let outcomes: Vec<&str> = stored.iter().map(|line| line["fields"]["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["created", "redelivery", "redelivery", "redelivery"], "{}", logs.text());
}

#[tokio::test]
async fn a_different_event_under_a_stored_id_is_kept_beside_it_never_over_it() {
    let (logs, _guard) = LogCapture::start();
    let s3 = LocalS3::start();
    let webhook = webhook(&s3, &[]).await;
    let original = fixture_json("constructed-log-message-logged.json");
    assert_eq!(send(&webhook, &original.to_string()).await.0, 201);
    // The same log_id with other content: what someone holding the secret could send.
    let mut forged = original.clone();
    forged["payload"]["request"]["input"]["text"] = json!("forged words 🔥");
    let forged_record = format!("{forged}\n");
    let beside = copy_of_message_key(1);
    assert_eq!(send(&webhook, &forged.to_string()).await, (201, json!({"stored": beside})));
    // Sent again, it is a redelivery of itself.
    assert_eq!(send(&webhook, &forged.to_string()).await, (201, json!({"stored": beside})));

    let objects = s3.objects().await;
    assert_eq!(objects.keys().collect::<Vec<_>>(), [&beside, MESSAGE_KEY]);
    assert_eq!(objects[MESSAGE_KEY].json(), original, "the stored event is intact");
    assert_eq!(objects[&beside].body, forged_record.as_bytes());
    assert_eq!(objects[&beside].content_type.as_deref(), Some("application/json"));

    // One warning names both keys; no user text in any line.
    let warned = logs.lines_with_message("log event differs from the one stored at its key; kept beside it");
    assert_eq!(warned.len(), 1, "{}", logs.text());
    assert_eq!(warned[0]["level"], "WARN");
    assert_eq!(
        (warned[0]["fields"]["key"].as_str(), warned[0]["fields"]["taken_key"].as_str()),
        (Some(beside.as_str()), Some(MESSAGE_KEY))
    );
    let outcomes: Vec<Value> =
        logs.lines_with_message("log event stored").iter().map(|line| line["fields"]["outcome"].clone()).collect();
    assert_eq!(outcomes, [json!("created"), json!("redelivery")]);
    let text = logs.text();
    for user_text in ["forged words", "🔥", "Where is my order?"] {
        assert!(!text.contains(user_text), "{user_text:?} in the logs");
    }
}

#[tokio::test]
async fn s3_answers_412_for_a_taken_key_and_objects_without_the_digest_are_hashed() {
    let _logs = LogCapture::start();
    let s3 = LocalS3::start();
    let client = s3.client().await;
    // The tests' S3 refuses a conditional create over an existing key with 412, as S3 does.
    let put = |key: &str, body: &str, conditional: bool| {
        let request = client
            .put_object()
            .bucket(BUCKET)
            .key(key)
            .body(aws_sdk_s3::primitives::ByteStream::from(body.as_bytes().to_vec()));
        let request = if conditional { request.if_none_match("*") } else { request };
        request.send()
    };
    put("probe.json", "{}", true).await.expect("the first conditional put creates");
    let refused = put("probe.json", "{\"other\":1}", true).await.expect_err("the key exists");
    assert_eq!(refused.raw_response().map(|raw| raw.status().as_u16()), Some(412));
    assert_eq!(aws_sdk_s3::error::ProvideErrorMetadata::code(&refused), Some("PreconditionFailed"));

    // Objects put back without x-amz-meta-sha256 (`functions/log/README.md`'s restore loop): the stored body is
    // hashed (GetObject) to tell a redelivery from a different event.
    let record = format!("{}\n", fixture_json("constructed-log-message-logged.json"));
    put(MESSAGE_KEY, &record, false).await.expect("a plain put");
    let webhook = webhook(&s3, &[]).await;
    assert_eq!(send(&webhook, &record).await, (201, json!({"stored": MESSAGE_KEY})));
    assert!(s3.calls().iter().any(|call| call.method == "GET" && call.path.contains("58bebfd1")), "the body was read");
    let mut different = fixture_json("constructed-log-message-logged.json");
    different["payload"]["extra"] = json!(1);
    assert_eq!(send(&webhook, &different.to_string()).await, (201, json!({"stored": copy_of_message_key(1)})));
    assert_eq!(s3.objects().await[MESSAGE_KEY].body, record.as_bytes(), "the put-back object stays");
}

#[tokio::test]
async fn an_event_without_log_id_is_keyed_by_the_sha256_of_its_body() {
    let _logs = LogCapture::start();
    let s3 = LocalS3::start();
    let webhook = webhook(&s3, &[]).await;
    let mut event = fixture_json("constructed-log-message-logged.json");
    event["payload"].as_object_mut().unwrap().remove("log_id");
    let body = event.to_string();
    // The SHA-256 of the body, computed outside the code under test (coreutils' sha256sum).
    let digest = sha256sum(body.as_bytes());
    let expected = format!("event=message_logged/dt=2025-06-01/{digest}.json");

    assert_eq!(send(&webhook, &body).await, (201, json!({"stored": expected})));
    assert_eq!(send(&webhook, &body).await.0, 201, "the same body again");
    let mut other = event.clone();
    other["payload"]["response_timestamp"] = json!("2025-06-01T10:00:05.481Z");
    let (_, reply) = send(&webhook, &other.to_string()).await;
    assert_ne!(reply["stored"], expected.as_str(), "a different body is a different event");

    let objects = s3.objects().await;
    assert_eq!(objects.len(), 2);
    assert_eq!(objects[&expected].json(), event);
}

#[tokio::test]
async fn events_of_any_shape_are_stored_never_refused() {
    let _logs = LogCapture::start();
    let s3 = LocalS3::start();
    let webhook = webhook(&s3, &[("LOG_KEY_PREFIX", "watson/prod")]).await;
    let today = |now: SystemTime| {
        aws_sdk_s3::primitives::DateTime::from(now).fmt(aws_sdk_s3::primitives::DateTimeFormat::DateTime).unwrap()[..10]
            .to_owned()
    };
    let before = today(SystemTime::now());
    for body in [
        json!({"event": {"name": "message_logged"}}),
        json!({"payload": {"log_id": "no-event-name"}}),
        json!({"event": "not an object", "payload": [1, 2, 3]}),
        json!({"event": {"name": "../../escape"}, "payload": {"log_id": "../../../etc/passwd"}}),
    ] {
        let (status, reply) = send(&webhook, &body.to_string()).await;
        assert_eq!(status, 201, "{body}: {reply}");
    }
    let after = today(SystemTime::now());
    let mut objects = s3.objects().await;
    // `payload` is a struct in the table: an array there goes to the quarantine, outside the prefix.
    let quarantined: Vec<String> = objects.keys().filter(|key| key.starts_with("quarantine/")).cloned().collect();
    assert_eq!(quarantined.len(), 1, "{:?}", objects.keys());
    assert!(quarantined[0].starts_with("quarantine/reason=wrong_type/event=unnamed/dt="), "{quarantined:?}");
    objects.retain(|key, _| !key.starts_with("quarantine/"));
    assert_eq!(objects.len(), 3);
    for key in objects.keys() {
        let parts: Vec<&str> = key.split('/').collect();
        assert_eq!(parts.len(), 5, "{key}");
        assert_eq!((parts[0], parts[1]), ("watson", "prod"), "{key}");
        assert!(parts[3] == format!("dt={before}") || parts[3] == format!("dt={after}"), "receipt date: {key}");
    }
    assert!(objects.keys().any(|k| k.contains("/event=unnamed/") && k.ends_with("/no-event-name.json")), "{objects:?}");
    // The hostile name and id became plain segments under the prefix (five segments each, above).
    assert!(
        objects.keys().all(|k| k.split('/').all(|segment| segment != ".." && segment != ".")),
        "{:?}",
        objects.keys()
    );
}

#[tokio::test]
async fn redaction_masks_the_configured_paths_before_storing() {
    let (logs, _guard) = LogCapture::start();
    let s3 = LocalS3::start();
    let paths = "payload.request.input.text,payload.response.output.generic,payload.response.context.skills.*.user_defined.original_input";
    let webhook = webhook(&s3, &[("LOG_REDACT_PATHS", paths)]).await;
    let mut event = fixture_json("constructed-log-message-logged.json");
    event["payload"]["response"]["context"]["skills"]["actions skill"]["user_defined"]["original_input"] =
        json!("¿Dónde está mi pedido?");
    assert_eq!(send(&webhook, &event.to_string()).await.0, 201);

    let stored = s3.objects().await[MESSAGE_KEY].json();
    let mut expected = event.clone();
    expected["payload"]["request"]["input"]["text"] = json!("[redacted]");
    expected["payload"]["response"]["output"]["generic"] = json!("[redacted]");
    expected["payload"]["response"]["context"]["skills"]["actions skill"]["user_defined"]["original_input"] =
        json!("[redacted]");
    assert_eq!(stored, expected, "only the listed paths change");
    let raw = String::from_utf8(s3.objects().await[MESSAGE_KEY].body.clone()).unwrap();
    for user_text in ["Where is my order?", "Let me check your order.", "pedido"] {
        assert!(!raw.contains(user_text) && !logs.text().contains(user_text), "{user_text:?} kept");
    }
    assert_eq!(logs.lines_with_message("log event stored")[0]["fields"]["redacted"], 3);
}

#[test]
fn a_redaction_path_on_a_struct_column_stops_the_cold_start() {
    // payload.request.input is a struct in the Glue table: "[redacted]" there breaks Athena.
    for path in ["payload.request.input", "payload.response.output.intents", "payload.call"] {
        let vars = [("LOG_BUCKET", BUCKET), ("LOG_REDACT_PATHS", path)];
        let error = logwebhook::LogSettings::read(&vars[..].into()).unwrap_err().to_string();
        assert!(error.starts_with("LOG_REDACT_PATHS is invalid: "), "{error}");
        assert!(error.contains(&format!("`{path}`")) && error.contains("Glue table"), "{error}");
    }
}

#[tokio::test]
async fn refused_requests_store_nothing() {
    let _logs = LogCapture::start();
    let s3 = LocalS3::start();
    let webhook = webhook(&s3, &[("MAX_BODY_BYTES", "65536")]).await;
    let event = fixture("constructed-log-message-logged.json");
    let rows: Vec<(&str, FunctionUrlEvent, u16, &str)> = vec![
        ("no credentials", FunctionUrlEvent::post(&event), 401, "unauthorized"),
        (
            "wrong secret",
            FunctionUrlEvent::post(&event).header("authorization", &sign_jwt("not-the-secret", json!({}))),
            401,
            "unauthorized",
        ),
        (
            "expired",
            FunctionUrlEvent::post(&event).header("authorization", &sign_jwt(SECRET, json!({"exp": 1_600_000_000}))),
            401,
            "unauthorized",
        ),
        ("GET", FunctionUrlEvent::from_watson(&event).method("GET"), 405, "method_not_allowed"),
        (
            "text/plain",
            FunctionUrlEvent::from_watson(&event).header("content-type", "text/plain"),
            415,
            "unsupported_media_type",
        ),
        ("not JSON", FunctionUrlEvent::from_watson("logged"), 400, "invalid_json"),
        ("an array", FunctionUrlEvent::from_watson("[{}]"), 422, "not_an_object"),
        (
            "too large",
            FunctionUrlEvent::from_watson(&format!("{{\"pad\": \"{}\"}}", "x".repeat(70_000))),
            413,
            "payload_too_large",
        ),
    ];
    for (name, request, status, code) in rows {
        let (got, body) = status_and_json(webhook.handle(request.request()).await);
        assert_eq!((got, body["error"]["code"].as_str()), (status, Some(code)), "{name}: {body}");
    }
    assert!(s3.calls().is_empty(), "nothing reached S3: {:?}", s3.calls());
    // The genuine token, then, is accepted.
    assert_eq!(send(&webhook, &event).await.0, 201);
}

/// The webhook on the local S3 with the table under `events/` (as the template deploys it) and
/// its metric lines kept.
async fn webhook_with_metrics(
    s3: &LocalS3,
    vars: &[(&str, &str)],
) -> (LogWebhook<S3LogStore>, std::sync::Arc<std::sync::Mutex<Vec<u8>>>) {
    let mut all = vec![("LOG_KEY_PREFIX", "events/")];
    all.extend_from_slice(vars);
    let (sink, lines) = shared::metrics::MetricsSink::buffer();
    (webhook(s3, &all).await.with_metric_sink(sink), lines)
}

/// One raw body through the real entry point (lambda_http's conversion of a function-URL event),
/// signed as the assistant signs it.
async fn invoke_raw(webhook: &LogWebhook<S3LogStore>, body: &str) -> (u16, Value) {
    let event = UrlEvent::post(body).header("authorization", &watson_authorization());
    let response = invoke(webhook, &event).await;
    (response.status, response.json())
}

fn metric_lines(lines: &std::sync::Mutex<Vec<u8>>) -> Vec<Value> {
    let text = String::from_utf8(lines.lock().unwrap().clone()).unwrap();
    text.lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

fn today() -> String {
    aws_sdk_s3::primitives::DateTime::from(SystemTime::now())
        .fmt(aws_sdk_s3::primitives::DateTimeFormat::DateTime)
        .unwrap()[..10]
        .to_owned()
}

#[tokio::test]
async fn redaction_cannot_be_bypassed_by_duplicate_keys_case_or_escapes() {
    let (logs, _guard) = LogCapture::start();
    let s3 = LocalS3::start();
    let paths = "payload.request.input.text,payload.request.context.skills.*.user_defined.original_input";
    let (webhook, _metrics) = webhook_with_metrics(&s3, &[("LOG_REDACT_PATHS", paths)]).await;
    let message = |id: &str, request: &str| {
        format!(
            r#"{{"event":{{"name":"message_logged"}},"payload":{{"log_id":"{id}","request_timestamp":"2025-06-01T10:00:00Z","request":{request}}}}}"#
        )
    };
    // Raw bodies, as a sender holding the secret could write them. Each SECRET must not be stored.
    let attempts = [
        ("dup-null-last", message("dup-null-last", r#"{"input":{"text":"SECRET-1","text":null}}"#), None),
        ("dup-null-first", message("dup-null-first", r#"{"input":{"text":null,"text":"SECRET-2"}}"#), None),
        ("case", message("case", r#"{"input":{"Text":"SECRET-3"}}"#), None),
        (
            "case-and-plain",
            message("case-and-plain", r#"{"input":{"text":"x","TEXT":"SECRET-4"}}"#),
            Some("duplicate_keys"),
        ),
        ("escaped", message("escaped", r#"{"input":{"te\u0078t":"SECRET-5"}}"#), None),
        ("upper-path", message("upper-path", r#"{"INPUT":{"tExT":{"nested":"SECRET-6"}}}"#), None),
        (
            "kelvin",
            message(
                "kelvin",
                r#"{"context":{"s\u212Aills":{"main skill":{"User_Defined":{"ORIGINAL_INPUT":"SECRET-7"}}}}}"#,
            ),
            None,
        ),
        ("in-array", message("in-array", r#"{"input":[{"text":"SECRET-8"}]}"#), Some("wrong_type")),
    ];
    for (id, body, quarantined) in &attempts {
        let (status, reply) = invoke_raw(&webhook, body).await;
        assert_eq!(status, 201, "{id}: {reply}");
        assert_eq!(reply["quarantined"].as_str(), *quarantined, "{id}: {reply}");
        let key = reply["stored"].as_str().unwrap();
        match quarantined {
            None => assert_eq!(key, format!("events/event=message_logged/dt=2025-06-01/{id}.json")),
            Some(reason) => {
                assert_eq!(key, format!("quarantine/reason={reason}/event=message_logged/dt={}/{id}.json", today()))
            }
        }
    }

    let objects = s3.objects().await;
    assert_eq!(objects.len(), attempts.len());
    let text = |id: &str| {
        let key = objects.keys().find(|key| key.ends_with(&format!("/{id}.json"))).unwrap();
        objects[key].json()["payload"]["request"].clone()
    };
    // Each record is the parsed value, redacted: what the stored value shows is what Athena reads.
    assert_eq!(text("dup-null-last"), json!({"input": {"text": null}}), "the one member the parser kept");
    assert_eq!(text("dup-null-first"), json!({"input": {"text": "[redacted]"}}));
    assert_eq!(text("case"), json!({"input": {"Text": "[redacted]"}}));
    assert_eq!(text("case-and-plain"), json!({"input": {"text": "[redacted]", "TEXT": "[redacted]"}}));
    assert_eq!(text("escaped"), json!({"input": {"text": "[redacted]"}}));
    assert_eq!(text("upper-path"), json!({"INPUT": {"tExT": "[redacted]"}}));
    assert_eq!(
        text("kelvin")["context"]["s\u{212A}ills"]["main skill"]["User_Defined"]["ORIGINAL_INPUT"],
        "[redacted]"
    );
    assert_eq!(text("in-array"), json!({"input": [{"text": "[redacted]"}]}));
    for (key, object) in &objects {
        let raw = String::from_utf8_lossy(&object.body);
        assert!(!raw.contains("SECRET"), "{key}: {raw}");
    }
    assert!(!logs.text().contains("SECRET"), "{}", logs.text());
}

#[tokio::test]
async fn a_wrong_typed_event_goes_to_the_quarantine_with_a_metric_and_one_line() {
    let (logs, _guard) = LogCapture::start();
    let s3 = LocalS3::start();
    let (webhook, metrics) = webhook_with_metrics(&s3, &[]).await;

    // A CDR whose bigint column holds text: one such row fails every Athena query over its day.
    let mut cdr = fixture_json("ibm-docs-log-cdr-logged.json");
    cdr["payload"]["call"]["milliseconds_elapsed"] = json!("a long call");
    let (status, reply) = invoke_raw(&webhook, &cdr.to_string()).await;
    let quarantine_key =
        format!("quarantine/reason=wrong_type/event=cdr_logged/dt={}/{}", today(), CDR_KEY.rsplit('/').next().unwrap());
    assert_eq!((status, &reply), (201, &json!({"stored": quarantine_key, "quarantined": "wrong_type"})));

    // A timestamp that is no date: not a dt the function would make up; dated by receipt instead.
    let mut message = fixture_json("constructed-log-message-logged.json");
    message["payload"]["request_timestamp"] = json!("2025-13-45T99:00:00Z");
    let (status, reply) = invoke_raw(&webhook, &message.to_string()).await;
    assert_eq!((status, reply["quarantined"].as_str()), (201, Some("bad_timestamp")));

    // What fits goes to the table, with no metric line.
    let (status, reply) = invoke_raw(&webhook, &fixture("constructed-log-message-logged.json")).await;
    assert_eq!((status, &reply), (201, &json!({"stored": format!("events/{MESSAGE_KEY}")})));

    let objects = s3.objects().await;
    let in_table: Vec<&String> = objects.keys().filter(|key| key.starts_with("events/")).collect();
    assert_eq!(in_table, [&format!("events/{MESSAGE_KEY}")], "nothing else under the table's prefix");
    assert_eq!(objects[&quarantine_key].json(), cdr, "kept whole, outside the table");

    let lines = logs.lines_with_message(logwebhook::QUARANTINED_MESSAGE);
    assert_eq!(lines.len(), 2, "{}", logs.text());
    assert_eq!(lines[0]["level"], "WARN");
    assert_eq!(lines[0]["fields"]["reason"], "wrong_type");
    assert_eq!(lines[0]["fields"]["column"], "payload.call.milliseconds_elapsed");
    assert_eq!(lines[0]["fields"]["key"], quarantine_key.as_str());
    assert_eq!(lines[1]["fields"]["column"], "payload.request_timestamp");
    assert!(logs.lines_with_message("log event stored").len() == 1, "one line per event: {}", logs.text());
    assert!(!logs.text().contains("a long call") && !logs.text().contains("Where is my order?"));

    let metric_lines = metric_lines(&metrics);
    assert_eq!(metric_lines.len(), 2, "one EMF line per quarantined event");
    for line in &metric_lines {
        assert_eq!(line["LogQuarantined"], 1);
        assert_eq!(line["Function"], "log");
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Metrics"],
            json!([{"Name": "LogQuarantined", "Unit": "Count"}])
        );
    }
}

#[tokio::test]
async fn copies_kept_beside_one_log_id_are_capped() {
    let (logs, _guard) = LogCapture::start();
    let s3 = LocalS3::start();
    let (webhook, metrics) = webhook_with_metrics(&s3, &[]).await;
    let variant = |n: usize| {
        let mut event = fixture_json("constructed-log-message-logged.json");
        if n > 0 {
            event["payload"]["variant"] = json!(n);
        }
        event.to_string()
    };
    let table_key = format!("events/{MESSAGE_KEY}");
    assert_eq!(invoke_raw(&webhook, &variant(0)).await, (201, json!({"stored": table_key})));
    for copy in 1..=MAX_KEPT_BESIDE {
        let (status, reply) = invoke_raw(&webhook, &variant(copy)).await;
        assert_eq!((status, &reply), (201, &json!({"stored": format!("events/{}", copy_of_message_key(copy))})));
    }
    // A redelivery of a copy is still recognised.
    assert_eq!(invoke_raw(&webhook, &variant(2)).await.1["stored"], format!("events/{}", copy_of_message_key(2)));

    // One more different record: the table holds enough under this id; it goes to the quarantine.
    let quarantine_key = format!(
        "quarantine/reason=too_many_copies/event=message_logged/dt={}/58bebfd1-0118-419b-a555-b152a1efbbe8",
        today()
    );
    let first = MAX_KEPT_BESIDE + 1;
    let (status, reply) = invoke_raw(&webhook, &variant(first)).await;
    assert_eq!(
        (status, &reply),
        (201, &json!({"stored": format!("{quarantine_key}.json"), "quarantined": "too_many_copies"}))
    );
    // The quarantine caps its copies the same way; past them, a 409 and nothing stored.
    for copy in 1..=MAX_KEPT_BESIDE {
        assert_eq!(invoke_raw(&webhook, &variant(first + copy)).await.0, 201);
    }
    let before = s3.objects().await.len();
    let (status, reply) = invoke_raw(&webhook, &variant(first + MAX_KEPT_BESIDE + 1)).await;
    assert_eq!((status, reply["error"]["code"].as_str()), (409, Some("too_many_copies")));
    assert!(!reply.to_string().contains("58bebfd1"), "the error does not echo the request: {reply}");
    assert_eq!(s3.objects().await.len(), before, "nothing stored");
    assert_eq!(before, 2 * (1 + MAX_KEPT_BESIDE));

    let objects = s3.objects().await;
    assert_eq!(objects.keys().filter(|key| key.starts_with("events/")).count(), 1 + MAX_KEPT_BESIDE);
    assert_eq!(objects[&table_key].json(), fixture_json("constructed-log-message-logged.json"), "never replaced");
    assert_eq!(metric_lines(&metrics).len(), 1 + MAX_KEPT_BESIDE, "one per quarantined event");
    let refused = logs.lines_with_message("log event not stored: its id holds too many different records");
    assert_eq!(refused.len(), 1, "{}", logs.text());
}
