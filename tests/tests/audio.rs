//! The audio webhook through the real lambda_http entry point, storing on the in-process S3 with
//! the real aws-sdk-s3 client: IBM's request shapes stored byte for byte with their metadata,
//! SSE-KMS asked for on every object, and every refusal (credentials, not multipart, a part that
//! is not audio, a broken or oversized body) answered with a JSON 4xx and nothing written. With S3
//! failing, throttling, hung or unreachable, the answer is a 503 well within the assistant's 30 s,
//! never a 2xx, with one log line; once S3 is back, the same recording is stored.

use std::time::Duration;

use audio::{AudioSettings, AudioWebhook, Backend, NOT_STORED_MESSAGE, S3RecordingStore};
use serde_json::{Value, json};
use shared::aws::Endpoint;
use webhook_tests::entry_point::{INVOCATION_ID, UrlEvent, UrlResponse, assert_nothing_leaks, invoke};
use webhook_tests::local_s3::{BUCKET, closed_endpoint};
use webhook_tests::{LocalS3, LogCapture, S3Behaviour, SECRET, config, sign_jwt};

const KMS_KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
/// The boundary of the request printed on IBM's "Defining an audio webhook" page.
const DOCS_BOUNDARY: &str = "----------3676416B-9AD6-440C-B3C8-FC66DDC7DB45";
const TOOLKIT_REQUEST: &str = "ibm-assistant-toolkit-audio-webhook-request.multipart";
const DOCS_METADATA: &str = "ibm-docs-audio-webhook-metadata.json";
/// The store deadline of these tests (`AUDIO_STORE_TIMEOUT_MS`).
const DEADLINE_MS: &str = "800";
/// Far above the deadline and far below the assistant's 30 s: an answer later than this is a hang.
const NO_ANSWER: Duration = Duration::from_secs(20);

fn data(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The function as main.rs builds it, on S3 at `endpoint` (bucket `BUCKET`, key `KMS_KEY`).
async fn audio_on(endpoint: &str, overrides: &[(&str, &str)]) -> AudioWebhook<S3RecordingStore> {
    let mut vars =
        vec![("AUDIO_BUCKET", BUCKET), ("AUDIO_KMS_KEY_ARN", KMS_KEY), ("AUDIO_STORE_TIMEOUT_MS", DEADLINE_MS)];
    vars.extend_from_slice(overrides);
    let config = config(&vars);
    let settings = config.read(AudioSettings::read);
    let Backend::S3 { bucket, kms_key } = settings.backend.clone() else { panic!("an S3 backend") };
    let store =
        S3RecordingStore::new(bucket, kms_key, settings.store_timeout, &Endpoint::Local(endpoint.to_owned())).await;
    AudioWebhook::new(config.edge(), settings, store)
}

/// A multipart body: each part's name, `Content-Type` (if any) and bytes.
fn multipart(boundary: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, content_type, bytes) in parts {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n").as_bytes(),
        );
        if let Some(content_type) = content_type {
            body.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

/// Raw 8 kHz μ-law: the `data` chunk of the toolkit's sample.wav, then every byte value and the
/// docs' delimiter without its CRLF, which a parser must not take for the end of the part.
fn mulaw_audio() -> Vec<u8> {
    let request = data(TOOLKIT_REQUEST);
    let at = find(&request, b"data").expect("the WAV's data chunk") + 8;
    let mut audio = request[at..at + 36_355].to_vec();
    audio.extend(0..=255u8);
    audio.extend_from_slice(format!("--{DOCS_BOUNDARY}").as_bytes());
    audio
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

/// IBM's documented request: its boundary, part names and types, its metadata, μ-law audio.
fn docs_request(audio: &[u8]) -> UrlEvent {
    let metadata = data(DOCS_METADATA);
    let body = multipart(
        DOCS_BOUNDARY,
        &[("metadata", Some("application/json"), &metadata), ("audio_recording", Some("audio/mulaw;rate=8000"), audio)],
    );
    post(&body, &format!("multipart/form-data; boundary={DOCS_BOUNDARY}"))
}

/// What the toolkit's example client sends: its body, and the boundary its first line names.
fn toolkit_request() -> (UrlEvent, Vec<u8>) {
    let body = data(TOOLKIT_REQUEST);
    let first_line = &body[..find(&body, b"\r\n").expect("a first line")];
    let boundary = std::str::from_utf8(&first_line[2..]).expect("an ASCII boundary");
    (post(&body, &format!("multipart/form-data; boundary={boundary}")), body)
}

/// A function URL POST with this body (base64, as a function URL delivers a binary body).
fn post(body: &[u8], content_type: &str) -> UrlEvent {
    UrlEvent::post_base64(body).header("content-type", content_type)
}

/// A token as the assistant signs it, bare (the docs' form).
fn token() -> String {
    sign_jwt(SECRET, json!({"iss": "watsonx-assistant", "exp": jsonwebtoken::get_current_timestamp() + 300}))
}

async fn send(webhook: &AudioWebhook<S3RecordingStore>, event: UrlEvent) -> UrlResponse {
    let event = if event.has_header("authorization") { event } else { event.header("authorization", &token()) };
    tokio::time::timeout(NO_ANSWER, invoke(webhook, &event)).await.expect("an answer within 20 s")
}

#[tokio::test]
async fn ibm_s_documented_request_is_stored_byte_for_byte_with_kms() {
    let s3 = LocalS3::start();
    let webhook = audio_on(s3.endpoint(), &[]).await;
    let (logs, _guard) = LogCapture::start();
    let audio = mulaw_audio();

    let response = send(&webhook, docs_request(&audio)).await;

    assert_eq!(response.status, 200, "{}", response.text());
    let stem = "recordings/dt=2024-10-21/50989a59-9976-4b3f-9a98-af42adcad69a/3daeb5d2-f52b-4c3e-a869-328b6fc6327c";
    let stored = response.json()["stored"].clone();
    let audio_key = stored["audio"].as_str().expect("the audio's key").to_owned();
    assert!(audio_key.starts_with(stem) && audio_key.ends_with(".mulaw"), "{audio_key}");
    assert_eq!(stored["metadata"], audio_key.replace(".mulaw", ".json"));
    let objects = s3.objects().await;
    assert_eq!(objects.len(), 2, "{:?}", objects.keys());
    let kept = &objects[&audio_key];
    assert!(kept.body == audio, "the audio is stored exactly ({} bytes of {})", kept.body.len(), audio.len());
    assert_eq!(kept.content_type.as_deref(), Some("audio/mulaw;rate=8000"));
    let metadata = &objects[stored["metadata"].as_str().unwrap()];
    assert_eq!(metadata.body, data(DOCS_METADATA), "the metadata is stored exactly");
    assert_eq!(metadata.content_type.as_deref(), Some("application/json"));
    // Every object: created only (never over another), SSE-KMS with the configured key.
    for put in s3.puts() {
        assert_eq!(put.headers.get("if-none-match").map(String::as_str), Some("*"), "{}", put.path);
        assert_eq!(put.headers.get("x-amz-server-side-encryption").map(String::as_str), Some("aws:kms"));
        assert_eq!(put.headers.get("x-amz-server-side-encryption-aws-kms-key-id").map(String::as_str), Some(KMS_KEY));
        assert_eq!(
            put.headers.get("x-amz-server-side-encryption-bucket-key-enabled").map(String::as_str),
            Some("true")
        );
    }
    let line = &logs.lines_with_message("recording stored")[0];
    assert_eq!(line["fields"]["request_id"], INVOCATION_ID);
    assert_eq!(
        (line["fields"]["outcome"].as_str(), line["fields"]["bytes"].as_u64()),
        (Some("created"), Some(audio.len() as u64))
    );
}

#[tokio::test]
async fn ibm_s_example_client_is_stored_with_its_bearer_token_and_sent_again_is_stored_once() {
    let s3 = LocalS3::start();
    let webhook = audio_on(s3.endpoint(), &[]).await;
    let (event, body) = toolkit_request();
    let event = event.header("Authorization", &format!("Bearer {}", token()));

    let first = send(&webhook, event.clone()).await;
    assert_eq!(first.status, 200, "{}", first.text());
    let audio_key = first.json()["stored"]["audio"].as_str().unwrap().to_owned();
    assert!(audio_key.starts_with(
        "recordings/dt=2025-06-18/c3b2a190-8f7e-4d6c-b5a4-938271605f4e/0d9f6a3e-5c1b-4f7a-9e2d-8b4c6a1f3e57."
    ));
    assert!(audio_key.ends_with(".wav"), "{audio_key}");
    let objects = s3.objects().await;
    // The WAV file, between the audio part's headers and the closing delimiter.
    let start = find(&body, b"RIFF").expect("the WAV");
    let end = body.len() - b"\r\n--".len() - (find(&body, b"\r\n").unwrap() - 2) - b"--\r\n".len();
    assert_eq!(objects[&audio_key].body, &body[start..end]);
    assert_eq!(objects[&audio_key].body.len(), 36_414, "IBM's sample.wav");
    assert_eq!(objects[&audio_key].content_type.as_deref(), Some("audio/wave"));
    let metadata: Value = serde_json::from_slice(&objects[&audio_key.replace(".wav", ".json")].body).unwrap();
    assert_eq!(metadata["recording_id"], "0d9f6a3e-5c1b-4f7a-9e2d-8b4c6a1f3e57");

    // Sent again (the same recording): found where it was stored, nothing written over it.
    let (logs, _guard) = LogCapture::start();
    let again = send(&webhook, event).await;
    assert_eq!((again.status, again.json()), (200, first.json()));
    assert_eq!(s3.objects().await.len(), 2);
    assert_eq!(logs.lines_with_message("recording stored")[0]["fields"]["outcome"], "already_stored");
}

/// Each refusal: its status and `error.code`, a JSON body, and nothing sent to S3.
async fn assert_refused(
    webhook: &AudioWebhook<S3RecordingStore>,
    s3: &LocalS3,
    event: UrlEvent,
    status: u16,
    code: &str,
    case: &str,
) {
    let (logs, _guard) = LogCapture::start();
    let response = send(webhook, event).await;
    assert_eq!(
        (response.status, response.error_code().as_deref()),
        (status, Some(code)),
        "{case}: {}",
        response.text()
    );
    assert_eq!(response.header("content-type"), Some("application/json"), "{case}");
    assert!(s3.puts().is_empty(), "{case}: written to S3");
    let lines: Vec<Value> = logs.text().lines().filter_map(|line| serde_json::from_str(line).ok()).collect();
    assert_eq!(lines.len(), 1, "{case}: one log line\n{}", logs.text());
    assert_eq!(lines[0]["fields"]["request_id"], INVOCATION_ID, "{case}");
    assert_nothing_leaks(&[("the logs", &logs.text()), ("the error body", &response.text())], &[SECRET, &token()]);
}

#[tokio::test]
async fn wrong_or_missing_credentials_are_refused_before_the_body_is_read() {
    let s3 = LocalS3::start();
    let webhook = audio_on(s3.endpoint(), &[]).await;
    let audio = mulaw_audio();
    let other = sign_jwt("another-secret", json!({}));
    let expired = sign_jwt(SECRET, json!({"exp": jsonwebtoken::get_current_timestamp() - 3600}));
    for (case, authorization) in [
        ("no token", ""),
        ("another secret", other.as_str()),
        ("expired", expired.as_str()),
        ("not a JWT", "Bearer purple unicorn"),
    ] {
        let event = docs_request(&audio).header("authorization", authorization);
        assert_refused(&webhook, &s3, event, 401, "unauthorized", case).await;
    }
    // Not multipart and no credentials: the 401 comes first.
    let event = post(b"{}", "application/json").header("authorization", "");
    assert_refused(&webhook, &s3, event, 401, "unauthorized", "json without credentials").await;
}

#[tokio::test]
async fn a_body_that_is_not_a_recording_is_refused_and_nothing_is_written() {
    let s3 = LocalS3::start();
    let webhook = audio_on(s3.endpoint(), &[]).await;
    let audio = mulaw_audio();
    let metadata = data(DOCS_METADATA);
    let form = |parts: &[(&str, Option<&str>, &[u8])]| {
        post(&multipart("B0undary", parts), "multipart/form-data; boundary=B0undary")
    };
    let meta = ("metadata", Some("application/json"), metadata.as_slice());
    let rows: Vec<(&str, UrlEvent, u16, &str)> = vec![
        ("JSON", post(&metadata, "application/json"), 415, "unsupported_media_type"),
        (
            "no content type",
            post(&metadata, "application/json").without_header("content-type"),
            415,
            "unsupported_media_type",
        ),
        ("audio alone", post(&audio, "audio/mulaw;rate=8000"), 415, "unsupported_media_type"),
        ("multipart without a boundary", post(&audio, "multipart/form-data"), 415, "unsupported_media_type"),
        ("multipart/mixed", post(&audio, "multipart/mixed; boundary=B0undary"), 415, "unsupported_media_type"),
        (
            "the audio part is text",
            form(&[meta, ("audio_recording", Some("text/plain"), &audio)]),
            415,
            "unsupported_part_type",
        ),
        ("the audio part has no type", form(&[meta, ("audio_recording", None, &audio)]), 415, "unsupported_part_type"),
        (
            "the audio part is JSON",
            form(&[meta, ("audio_recording", Some("application/json"), b"{}")]),
            415,
            "unsupported_part_type",
        ),
        ("no audio part", form(&[meta]), 400, "invalid_multipart"),
        ("no metadata part", form(&[("audio_recording", Some("audio/mulaw"), &audio)]), 400, "invalid_multipart"),
        (
            "metadata not JSON",
            form(&[("metadata", None, b"purple unicorn"), ("audio_recording", Some("audio/mulaw"), &audio)]),
            400,
            "invalid_multipart",
        ),
        (
            "two audio parts",
            form(&[
                meta,
                ("audio_recording", Some("audio/mulaw"), &audio),
                ("audio_recording", Some("audio/mulaw"), &audio),
            ]),
            400,
            "invalid_multipart",
        ),
        (
            "cut short",
            post(&multipart("B0undary", &[meta])[..40], "multipart/form-data; boundary=B0undary"),
            400,
            "invalid_multipart",
        ),
        (
            "another boundary",
            post(&multipart("Other", &[meta]), "multipart/form-data; boundary=B0undary"),
            400,
            "invalid_multipart",
        ),
        ("empty", post(b"", "multipart/form-data; boundary=B0undary"), 400, "invalid_multipart"),
        ("GET", docs_request(&audio).method("GET"), 405, "method_not_allowed"),
    ];
    for (case, event, status, code) in rows {
        assert_refused(&webhook, &s3, event, status, code, case).await;
    }
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413_and_nothing_is_written() {
    let s3 = LocalS3::start();
    let audio = mulaw_audio();
    let small = audio_on(s3.endpoint(), &[("MAX_BODY_BYTES", "2048")]).await;
    let event = docs_request(&audio);
    assert_refused(&small, &s3, event, 413, "payload_too_large", "over MAX_BODY_BYTES").await;
    // The default limit, 4 MiB: about 8.7 minutes of 8 kHz μ-law, and what a function URL's 6 MB
    // request payload still carries once base64 has grown the body by a third.
    // The production deadline: a debug build stores 4 MiB on the local S3 in more than 800 ms.
    let default = audio_on(s3.endpoint(), &[("AUDIO_STORE_TIMEOUT_MS", "6000")]).await;
    let huge = vec![0x7fu8; 4 * 1024 * 1024];
    assert_refused(&default, &s3, docs_request(&huge), 413, "payload_too_large", "over 4 MiB").await;
    let just_under = vec![0x7fu8; 4 * 1024 * 1024 - 1024];
    assert_eq!(send(&default, docs_request(&just_under)).await.status, 200, "a body just under the limit");
}

#[tokio::test]
async fn with_s3_down_the_answer_is_503_never_2xx_and_the_recording_is_stored_once_s3_is_back() {
    let audio = mulaw_audio();
    let faults = [
        ("S3 answers 500", S3Behaviour::ServerError, "service_error"),
        ("S3 answers 503 SlowDown", S3Behaviour::SlowDown, "throttled"),
        ("S3 hangs", S3Behaviour::Hang, "timeout"),
    ];
    for (case, behaviour, error) in faults {
        let s3 = LocalS3::start();
        s3.set_behaviour(behaviour);
        let webhook = audio_on(s3.endpoint(), &[]).await;
        let (logs, _guard) = LogCapture::start();
        let response = send(&webhook, docs_request(&audio)).await;
        assert_eq!((response.status, response.error_code().as_deref()), (503, Some("store_unavailable")), "{case}");
        let lines = logs.lines_with_message(NOT_STORED_MESSAGE);
        assert_eq!(lines.len(), 1, "{case}: one line\n{}", logs.text());
        assert_eq!(
            (lines[0]["level"].as_str(), lines[0]["fields"]["error"].as_str()),
            (Some("ERROR"), Some(error)),
            "{case}"
        );
        assert!((1..=2).contains(&s3.puts().len()), "{case}: at most one retry");
        s3.set_behaviour(S3Behaviour::Normal);
        let retried = send(&webhook, docs_request(&audio)).await;
        assert_eq!(retried.status, 200, "{case}: {}", retried.text());
        assert_eq!(s3.objects().await.len(), 2, "{case}");
    }
    let unreachable = audio_on(&closed_endpoint(), &[]).await;
    let response = send(&unreachable, docs_request(&audio)).await;
    assert_eq!(response.status, 503, "connection refused: {}", response.text());
}
