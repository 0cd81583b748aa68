//! Test support shared by the cross-function tests: a fake Amazon Translate endpoint that speaks
//! the SDK's real wire protocol, function-URL events, tokens, config and log capture.

pub mod dynalite_install;
pub mod entry_point;
pub mod fake_translate;
pub mod hardening;
pub mod local_dynamodb;
pub mod local_s3;
pub mod temp_dir;

use std::io::Write;
use std::sync::{Arc, Mutex};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use lambda_http::Request;
use serde_json::{Value, json};
use shared::config::{Variables, WebhookConfig};

pub use fake_translate::{Behaviour, FakeTranslate, TranslateCall};
pub use local_s3::{LocalS3, S3Behaviour, log_settings};
pub use temp_dir::TempDir;

/// The webhook secret every test config uses.
pub const SECRET: &str = "test-webhook-secret-0f8e";

/// A fixture from `tests/data`, by file name.
pub fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

pub fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap_or_else(|error| panic!("{name}: {error}"))
}

/// A config as the template sets it (`WEBHOOK_SECRET` is `SECRET`), with `overrides` on top.
pub fn config(overrides: &[(&str, &str)]) -> WebhookConfig {
    let mut variables = vec![("WEBHOOK_SECRET", SECRET)];
    variables.extend_from_slice(overrides);
    WebhookConfig::read(&Variables::from(&variables[..])).expect("test config")
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
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    pub fn start() -> (LogCapture, tracing::subscriber::DefaultGuard) {
        let capture = LogCapture::default();
        let writer = capture.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || writer.clone())
            .finish();
        (capture, tracing::subscriber::set_default(subscriber))
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
