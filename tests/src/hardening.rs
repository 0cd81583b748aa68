//! Every function as the hardening tests build them: production code, the real SDK clients
//! (Translate against the fake endpoint, S3 against the local server or a directory), each
//! reached through `entry_point::invoke`, with the credentials each one expects.

use std::sync::{Arc, Mutex};

use audio::{AudioSettings, AudioWebhook, DirRecordingStore};
use base64::Engine as _;
use dialog::Dialog;
use logwebhook::{DirLogStore, LogWebhook, S3LogStore};
use postmessage::PostMessage;
use premessage::PreMessage;
use serde_json::{Value, json};
use shared::aws::Endpoint;
use shared::metrics::MetricsSink;
use shared::translate::AmazonTranslate;

use crate::entry_point::{Handler, UrlEvent, UrlResponse, invoke};
use crate::local_s3::BUCKET;
use crate::{FakeTranslate, LocalS3, SECRET, TempDir, config, log_settings, watson_authorization};

/// The dialog function's Basic credentials (dialog callouts carry no Signed JWT).
pub const DIALOG_CREDENTIALS: &str = "watson:dialog-hardening-s3cret-71a9c0e4d5b2f";
/// The rotation secret (`WEBHOOK_SECRET_PREVIOUS`) the token tests configure.
pub const PREVIOUS_SECRET: &str = "previous-hardening-secret-9c1d-e8f04a2b";
/// Words that stand for what a user wrote: they may be answered back in a payload, but must never
/// reach a log line or an error body.
pub const USER_MARKER: &str = "qzx-user-words-7731";

pub use shared::functions::Function;

/// What the tests know of each function beyond `shared::functions`' table: how to build a request
/// around a text, where the text is afterwards, and what the usual answer is. Code, not data; the
/// compiler lists every arm to fill in for a new function. For the functions whose body is JSON
/// (`Function::with_json_body`): the audio webhook's multipart requests are `tests/audio.rs`'.
pub trait TestFunction: Copy {
    /// A body the function accepts, as the assistant sends it: the table's `fixture`, else the
    /// body of its `invoke` event.
    fn valid_body(self) -> Value;
    /// The valid body with `text` where the function reads the user's text (postmessage: in a
    /// Spanish session, so that it translates).
    fn body_with_text(self, text: &str) -> Value;
    /// The user's text after the function handled a `body_with_text` request: where it answers or
    /// stores it. `None` where it answers about the text instead (dialog's detection).
    fn text_after(self, subject: &Subject, answer: &Value) -> Option<String>;
    /// The normal answer to `request`: the payload back unchanged (pre, post), a detection
    /// (dialog), the event stored as sent (log).
    fn assert_answered_as_usual(self, subject: &Subject, answer: &Value, request: &Value);
}

/// A file of the repository, as JSON.
fn repo_json(path: &str) -> Value {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path);
    let text = std::fs::read_to_string(&full).unwrap_or_else(|error| panic!("{path}: {error}"));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{path}: {error}"))
}

impl TestFunction for Function {
    fn valid_body(self) -> Value {
        let facts = self.facts();
        not_json(self);
        match facts.fixture {
            Some(path) => repo_json(path),
            None => {
                let body = repo_json(facts.invoke)["body"].as_str().map(str::to_owned).unwrap_or_default();
                serde_json::from_str(&body).unwrap_or_else(|error| panic!("{}'s body: {error}", facts.invoke))
            }
        }
    }

    fn body_with_text(self, text: &str) -> Value {
        let mut body = self.valid_body();
        match self {
            Function::PreMessage => set_pointer(&mut body, "/payload/input/text", json!(text)),
            Function::PostMessage => {
                set_pointer(&mut body, "/payload/output/generic", json!([{"response_type": "text", "text": text}]));
                set_pointer(&mut body, "/payload/context/skills/actions skill/user_defined/language", json!("es"));
            }
            Function::Dialog => body = json!({"action": "detect", "text": text}),
            Function::Log => set_pointer(&mut body, "/payload/request/input/text", json!(text)),
            Function::Audio => unreachable!("valid_body refused it"),
        }
        body
    }

    fn text_after(self, subject: &Subject, answer: &Value) -> Option<String> {
        let text = |value: &Value| value.as_str().map(str::to_owned);
        match self {
            Function::PreMessage => text(&answer["payload"]["input"]["text"]),
            Function::PostMessage => text(&answer["payload"]["output"]["generic"][0]["text"]),
            Function::Dialog => None,
            Function::Log => {
                let files = subject.stored_files();
                text(&subject.stored_json(files.first()?)["payload"]["request"]["input"]["text"])
            }
            Function::Audio => {
                not_json(self);
                None
            }
        }
    }

    fn assert_answered_as_usual(self, subject: &Subject, answer: &Value, request: &Value) {
        match self {
            Function::PreMessage | Function::PostMessage => assert_eq!(answer["payload"], request["payload"]),
            Function::Dialog => {
                assert!(answer.get("language").is_some() && answer["reliable"].is_boolean(), "{answer}")
            }
            Function::Log => {
                let files = subject.stored_files();
                assert_eq!(files.len(), 1, "{files:?}");
                assert!(files[0].starts_with("event="), "{files:?}");
                assert_eq!(&subject.stored_json(&files[0]), request);
            }
            Function::Audio => not_json(self),
        }
    }
}

/// Panics for a function whose body is not JSON: a JSON table reached it, which it must not
/// (iterate `Function::with_json_body()`).
fn not_json(function: Function) {
    assert!(function.json_body(), "{function}'s body is not JSON: its requests are in a test file of its own");
}

/// Sets the member at a JSON pointer, creating the objects on the way.
pub fn set_pointer(value: &mut Value, pointer: &str, new: Value) {
    let mut at = value;
    for part in pointer.trim_start_matches('/').split('/') {
        if !at.is_object() && !at.is_array() {
            *at = json!({});
        }
        at = match at {
            Value::Array(items) => {
                let index: usize = part.parse().expect("an array index");
                &mut items[index]
            }
            Value::Object(map) => map.entry(part.to_owned()).or_insert(Value::Null),
            _ => unreachable!("made an object above"),
        };
    }
    *at = new;
}

/// One function, built as its main.rs builds it.
pub enum Webhook {
    Pre(PreMessage<AmazonTranslate>),
    Post(PostMessage<AmazonTranslate>),
    Dialog(Dialog<AmazonTranslate>),
    LogDir(LogWebhook<DirLogStore>),
    LogS3(LogWebhook<S3LogStore>),
    AudioDir(AudioWebhook<DirRecordingStore>),
}

impl Handler for Webhook {
    async fn handle(&self, request: lambda_http::Request) -> lambda_http::Response<lambda_http::Body> {
        match self {
            Webhook::Pre(webhook) => webhook.handle(request).await,
            Webhook::Post(webhook) => webhook.handle(request).await,
            Webhook::Dialog(webhook) => webhook.handle(request).await,
            Webhook::LogDir(webhook) => webhook.handle(request).await,
            Webhook::LogS3(webhook) => webhook.handle(request).await,
            Webhook::AudioDir(webhook) => webhook.handle(request).await,
        }
    }
}

/// A function under test, with the doubles behind it.
pub struct Subject {
    pub function: Function,
    pub webhook: Webhook,
    /// Behind premessage, postmessage and dialog.
    pub translate: Option<FakeTranslate>,
    /// Behind the log function (or the audio function) when it writes to a directory.
    pub log_dir: Option<TempDir>,
    metrics: Arc<Mutex<Vec<u8>>>,
}

impl Subject {
    /// The function with its production config plus `overrides` (environment variables such as
    /// `MAX_BODY_BYTES`, `TRANSLATE_TIMEOUT_MS`, `DIALOG_DEADLINE_MS`, `WEBHOOK_SECRET_PREVIOUS`).
    /// premessage, postmessage and dialog get a healthy fake Translate; the log and audio functions
    /// a fresh directory.
    pub async fn start(function: Function, overrides: &[(&str, &str)]) -> Subject {
        let (sink, metrics) = MetricsSink::buffer();
        let config = function_config(function, overrides);
        let (webhook, translate, log_dir) = match function {
            Function::PreMessage | Function::PostMessage | Function::Dialog => {
                let translate = FakeTranslate::start().await;
                let engine = config.engine(&translate);
                let config = config.with_metrics(sink);
                let webhook = match function {
                    Function::PreMessage => Webhook::Pre(config.premessage(engine)),
                    Function::PostMessage => Webhook::Post(config.postmessage(engine)),
                    _ => Webhook::Dialog(config.dialog(engine)),
                };
                (webhook, Some(translate), None)
            }
            Function::Log => {
                let dir = TempDir::new("hardening-log");
                let root = dir.path().to_str().expect("a UTF-8 temp path").to_owned();
                let mut vars: Vec<(&str, &str)> =
                    overrides.iter().copied().filter(|(key, _)| key.starts_with("LOG_")).collect();
                vars.push(("LOG_DIR", &root));
                let webhook =
                    Webhook::LogDir(LogWebhook::new(config.edge(), log_settings(&vars), DirLogStore::new(&root)));
                (webhook, None, Some(dir))
            }
            Function::Audio => {
                let dir = TempDir::new("hardening-audio");
                let root = dir.path().to_str().expect("a UTF-8 temp path").to_owned();
                let mut vars: Vec<(&str, &str)> =
                    overrides.iter().copied().filter(|(key, _)| key.starts_with("AUDIO_")).collect();
                vars.push(("AUDIO_DIR", &root));
                let settings = crate::config(&vars).read(AudioSettings::read);
                let webhook =
                    Webhook::AudioDir(AudioWebhook::new(config.edge(), settings, DirRecordingStore::new(&root)));
                (webhook, None, Some(dir))
            }
        };
        Subject { function, webhook, translate, log_dir, metrics }
    }

    /// The log function on the local S3, through the real aws-sdk-s3 client, with the store
    /// deadline `LOG_STORE_TIMEOUT_MS` from `overrides` (default 2000 ms).
    pub async fn log_on_s3(s3: &LocalS3, overrides: &[(&str, &str)]) -> Subject {
        Self::log_on_s3_endpoint(s3.endpoint(), overrides).await
    }

    /// The log function with its S3 client pointed at `endpoint` (e.g. a port where nothing
    /// listens), bucket `BUCKET`.
    pub async fn log_on_s3_endpoint(endpoint: &str, overrides: &[(&str, &str)]) -> Subject {
        let (_, metrics) = MetricsSink::buffer();
        let mut vars: Vec<(&str, &str)> =
            overrides.iter().copied().filter(|(key, _)| key.starts_with("LOG_")).collect();
        vars.push(("LOG_BUCKET", BUCKET));
        let settings = log_settings(&vars);
        let store = S3LogStore::new(BUCKET, settings.store_timeout, &Endpoint::Local(endpoint.to_owned())).await;
        let webhook = LogWebhook::new(function_config(Function::Log, overrides).edge(), settings, store);
        Subject { function: Function::Log, webhook: Webhook::LogS3(webhook), translate: None, log_dir: None, metrics }
    }

    pub fn translate(&self) -> &FakeTranslate {
        self.translate.as_ref().expect("this function has a Translate")
    }

    /// The header that carries this function's credentials, and its value.
    pub fn credentials(&self) -> (&'static str, String) {
        match self.function {
            Function::Dialog => (
                "authorization",
                format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(DIALOG_CREDENTIALS)),
            ),
            _ => ("authorization", watson_authorization()),
        }
    }

    /// The event with this function's valid credentials, unless it already carries an
    /// `authorization` header.
    pub fn authorize(&self, event: UrlEvent) -> UrlEvent {
        if event.has_header("authorization") {
            return event;
        }
        let (name, value) = self.credentials();
        event.header(name, &value)
    }

    /// Through the real entry point, with valid credentials.
    pub async fn send(&self, event: UrlEvent) -> UrlResponse {
        invoke(&self.webhook, &self.authorize(event)).await
    }

    /// Through the real entry point, exactly as given.
    pub async fn send_as_is(&self, event: &UrlEvent) -> UrlResponse {
        invoke(&self.webhook, event).await
    }

    /// Every secret this function knows, in the forms it could leak in.
    pub fn secrets(&self) -> Vec<String> {
        let basic = base64::engine::general_purpose::STANDARD.encode(DIALOG_CREDENTIALS);
        vec![
            SECRET.to_owned(),
            PREVIOUS_SECRET.to_owned(),
            DIALOG_CREDENTIALS.to_owned(),
            "dialog-hardening-s3cret-71a9c0e4d5b2f".to_owned(),
            basic,
        ]
    }

    /// The files the log (or audio) function wrote to its directory.
    pub fn stored_files(&self) -> Vec<String> {
        self.log_dir.as_ref().map(TempDir::files).unwrap_or_default()
    }

    /// The stored object at `key` in the log directory, as JSON.
    pub fn stored_json(&self, key: &str) -> Value {
        let dir = self.log_dir.as_ref().expect("a log directory");
        let bytes = std::fs::read(dir.path().join(key)).unwrap_or_else(|error| panic!("{key}: {error}"));
        serde_json::from_slice(&bytes).expect("a stored object is JSON")
    }

    /// The metric lines written so far (premessage, postmessage, dialog).
    pub fn metrics_text(&self) -> String {
        String::from_utf8_lossy(&self.metrics.lock().expect("metrics")).into_owned()
    }
}

/// The function's config as the template sets it: JWT with `SECRET` (dialog: Basic with
/// `DIALOG_CREDENTIALS`), then `overrides` on top.
pub fn function_config(function: Function, overrides: &[(&str, &str)]) -> crate::Config {
    let mut vars: Vec<(&str, &str)> = Vec::new();
    if function == Function::Dialog {
        vars.extend([("WEBHOOK_AUTH", "basic"), ("WEBHOOK_SECRET", DIALOG_CREDENTIALS)]);
    }
    vars.extend_from_slice(overrides);
    config(&vars)
}
