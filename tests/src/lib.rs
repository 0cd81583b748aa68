//! Test support shared by the cross-function tests: a fake Amazon Translate endpoint that speaks
//! the SDK's real wire protocol, function-URL events, tokens, config and log capture.

pub mod dynalite_install;
pub mod entry_point;
pub mod fake_translate;
pub mod hardening;
pub mod local_dynamodb;
pub mod local_moto;
pub mod local_s3;
pub mod oauth_issuer;
pub mod table;
pub mod temp_dir;

use std::io::Write;
use std::sync::{Arc, Mutex};

use dialog::{Dialog, DialogSettings};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use lambda_http::Request;
use postmessage::{PostMessage, PostMessageSettings};
use premessage::{PreMessage, PreMessageSettings};
use serde_json::{Value, json};
use shared::config::{ConfigError, EdgeConfig, Variables};
use shared::memory::TranslationMemory;
use shared::metrics::MetricsSink;
use shared::translate::{AmazonTranslate, Translating, TranslationConfig, Translator};

pub use fake_translate::{Behaviour, FakeTranslate, TranslateCall};
pub use local_s3::{LocalS3, S3Behaviour, log_settings};
pub use temp_dir::TempDir;

/// The webhook secret every test config uses.
pub const SECRET: &str = "test-webhook-secret-0f8e-5b7a91c3d2e4";

/// A fixture from `tests/data`, by file name.
pub fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

pub fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap_or_else(|error| panic!("{name}: {error}"))
}

/// A function's variables as the template sets them (`WEBHOOK_SECRET` is `SECRET`), with
/// `overrides` on top, and where its translation part's metric lines and memory are: each part
/// of a function reads its own settings from them, as in Lambda.
#[derive(Clone)]
pub struct Config {
    variables: Vec<(String, String)>,
    metrics: Option<MetricsSink>,
    memory: Option<Arc<dyn TranslationMemory>>,
}

/// The key of the memory's sighting items every test config uses (`MEMORY_ADMIT_KEY`).
pub const ADMIT_KEY: &str = "test-admission-key-5c1d2e";

pub fn config(overrides: &[(&str, &str)]) -> Config {
    let mut variables =
        vec![("WEBHOOK_SECRET".to_owned(), SECRET.to_owned()), ("MEMORY_ADMIT_KEY".to_owned(), ADMIT_KEY.to_owned())];
    variables.extend(overrides.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())));
    Config { variables, metrics: None, memory: None }
}

impl Config {
    /// Metric lines go to `sink` (else stdout).
    pub fn with_metrics(mut self, sink: MetricsSink) -> Self {
        self.metrics = Some(sink);
        self
    }

    /// The translation part serves from and keeps translations in `memory` (else none).
    pub fn with_memory(mut self, memory: Arc<dyn TranslationMemory>) -> Self {
        self.memory = Some(memory);
        self
    }

    /// What `read` makes of these variables (a test config it refuses is a bug in the test).
    pub fn read<T>(&self, read: impl FnOnce(&Variables) -> Result<T, ConfigError>) -> T {
        let table: Vec<(&str, &str)> = self.variables.iter().map(|(name, value)| (&**name, &**value)).collect();
        read(&Variables::from(&table[..])).expect("test config")
    }

    pub fn edge(&self) -> EdgeConfig {
        self.read(EdgeConfig::read)
    }

    /// Amazon Translate at `translate`, as production builds it from these variables: their
    /// deadline, and their settings with every call.
    pub fn engine(&self, translate: &FakeTranslate) -> AmazonTranslate {
        let config = self.read(TranslationConfig::read);
        translate.translator(config.timeout).with_settings(config.settings)
    }

    /// The translation part these variables describe, in front of `engine`.
    pub fn translating<T: Translator>(&self, engine: T) -> Translating<T> {
        let mut translating = Translating::new(&self.read(TranslationConfig::read), engine);
        if let Some(sink) = &self.metrics {
            translating = translating.with_metrics(sink.clone());
        }
        match &self.memory {
            Some(memory) => translating.with_memory(memory.clone()),
            None => translating,
        }
    }

    pub fn premessage<T: Translator>(&self, engine: T) -> PreMessage<T> {
        PreMessage::new(self.edge(), self.read(PreMessageSettings::read), self.translating(engine))
    }

    pub fn postmessage<T: Translator>(&self, engine: T) -> PostMessage<T> {
        PostMessage::new(self.edge(), self.read(PostMessageSettings::read), self.translating(engine))
    }

    pub fn dialog<T: Translator>(&self, engine: T) -> Dialog<T> {
        Dialog::new(self.edge(), self.read(DialogSettings::read), self.translating(engine))
    }
}

/// An HS256 token signed with `secret`.
pub fn sign_jwt(secret: &str, claims: Value) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes()))
        .expect("sign")
}

/// The `Authorization` value the assistant sends in Signed JWT mode.
pub fn watson_authorization() -> String {
    format!(
        "Bearer {}",
        sign_jwt(SECRET, json!({"iss": "watsonx-assistant", "exp": jsonwebtoken::get_current_timestamp() + 300}))
    )
}

/// A Lambda function URL event as AWS delivers it, parsed by lambda_http: the same path a
/// deployed function's requests take.
pub struct FunctionUrlEvent {
    event: Value,
}

impl FunctionUrlEvent {
    /// A POST from the assistant: JSON content type and a valid Signed JWT.
    pub fn from_watson(body: &str) -> Self {
        Self::post(body).header("authorization", &watson_authorization())
    }

    /// A POST with a JSON content type and no credentials.
    pub fn post(body: &str) -> Self {
        let mut event = fixture_json("function-url-post-event.json");
        event["body"] = Value::String(body.to_owned());
        FunctionUrlEvent { event }
    }

    pub fn method(mut self, method: &str) -> Self {
        self.event["requestContext"]["http"]["method"] = Value::String(method.to_owned());
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.event["headers"][name.to_ascii_lowercase()] = Value::String(value.to_owned());
        self
    }

    pub fn without_header(mut self, name: &str) -> Self {
        if let Some(headers) = self.event["headers"].as_object_mut() {
            headers.remove(&name.to_ascii_lowercase());
        }
        self
    }

    /// The body as function URLs send binary content: base64 with `isBase64Encoded`.
    pub fn base64_body(mut self, bytes: &[u8]) -> Self {
        use base64::Engine as _;
        self.event["body"] = Value::String(base64::engine::general_purpose::STANDARD.encode(bytes));
        self.event["isBase64Encoded"] = Value::Bool(true);
        self
    }

    pub fn query(mut self, raw: &str) -> Self {
        self.event["rawQueryString"] = Value::String(raw.to_owned());
        self
    }

    pub fn request(&self) -> Request {
        lambda_http::request::from_str(&self.event.to_string()).expect("a valid function URL event")
    }
}

/// The status and JSON body of a handler's response.
pub fn status_and_json(response: lambda_http::Response<lambda_http::Body>) -> (u16, Value) {
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert_eq!(content_type, "application/json", "every answer is JSON");
    let body = serde_json::from_slice(response.body().as_ref()).expect("a JSON body");
    (status, body)
}

/// Everything the code logs while the returned guard lives (on this thread), as JSON lines.
///
/// One global subscriber writes each event to the capture of the thread that logged it. A
/// subscriber per thread (`set_default`) loses lines: tracing caches whether a log call is
/// wanted once for all threads, and a test thread without a capture that reaches a call first,
/// while another thread installs its capture, can leave it cached as unwanted.
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

thread_local! {
    static THREAD_CAPTURE: std::cell::RefCell<Option<LogCapture>> = const { std::cell::RefCell::new(None) };
}

/// Ends the capture of its thread when dropped.
pub struct CaptureGuard(Option<LogCapture>);

impl Drop for CaptureGuard {
    fn drop(&mut self) {
        THREAD_CAPTURE.with(|current| *current.borrow_mut() = self.0.take());
    }
}

/// The writer of the global subscriber: this thread's capture, or nowhere.
struct ThreadCaptureWriter;

impl Write for ThreadCaptureWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        THREAD_CAPTURE.with(|current| {
            if let Some(capture) = current.borrow_mut().as_mut() {
                capture.write_all(bytes)?;
            }
            Ok(bytes.len())
        })
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn install_capturing_subscriber() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::{Layer, filter::dynamic_filter_fn};
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        // Dynamic: asked on every event, never cached, since the answer depends on the thread.
        let capturing = |metadata: &tracing::Metadata<'_>, _: &tracing_subscriber::layer::Context<'_, _>| {
            *metadata.level() <= tracing::Level::DEBUG && THREAD_CAPTURE.with(|current| current.borrow().is_some())
        };
        let layer = tracing_subscriber::fmt::layer()
            .json()
            .with_writer(|| ThreadCaptureWriter)
            .with_filter(dynamic_filter_fn(capturing));
        // A test binary that sets its own global subscriber keeps it; then only `set_default` is left.
        let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer));
    });
}

impl LogCapture {
    pub fn start() -> (LogCapture, CaptureGuard) {
        install_capturing_subscriber();
        let capture = LogCapture::default();
        let previous = THREAD_CAPTURE.with(|current| current.borrow_mut().replace(capture.clone()));
        (capture, CaptureGuard(previous))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// The captured lines whose `fields.message` is `message`.
    pub fn lines_with_message(&self, message: &str) -> Vec<Value> {
        self.text()
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|line| line["fields"]["message"] == message)
            .collect()
    }
}

impl Write for LogCapture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
