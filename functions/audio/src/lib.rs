//! The audio webhook: when a `record` response collects a caller's utterance on the phone, the
//! assistant POSTs it here as `multipart/form-data` (IBM's "Defining an audio webhook"). Each
//! recording is stored exactly as received, its metadata beside it, under
//! `<prefix>dt=YYYY-MM-DD/<session>/<recording>.<digest>.<ext>` on Amazon S3 (encrypted with KMS)
//! or in a local directory. The answer is 2xx only once both objects are kept; otherwise a 503
//! within `AUDIO_STORE_TIMEOUT_MS`, on which the assistant disconnects the call.

pub mod config;
pub mod key;
pub mod recording;
pub mod store;

use std::time::{Instant, SystemTime};

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;
use shared::aws::AwsError;
use shared::config::EdgeConfig;
use shared::functions::Function;
use shared::http::{error_response, json_response};
use shared::webhook::Webhook;

pub use config::{AudioSettings, Backend};
pub use key::RecordingKey;
pub use recording::Recording;
pub use store::{ConfiguredStore, Created, DirRecordingStore, Object, RecordingStore, S3RecordingStore, StoreError};

/// The message of the one log line written when a recording is not kept: the template's
/// `AudioNotStoredAlarm` counts these lines.
pub const NOT_STORED_MESSAGE: &str = "recording not stored";

pub struct AudioWebhook<S> {
    edge: EdgeConfig,
    settings: AudioSettings,
    store: S,
}

impl<S: RecordingStore> AudioWebhook<S> {
    pub fn new(edge: EdgeConfig, settings: AudioSettings, store: S) -> Self {
        AudioWebhook { edge, settings, store }
    }

    /// The audio, then its metadata, both within the deadline: a recording is only answered as
    /// stored once both objects are kept. Sent again after a failure, what was kept is found
    /// at its key and the rest is written.
    async fn keep(&self, recording: &Recording, key: &RecordingKey) -> Result<[Created; 2], StoreError> {
        let audio = Object {
            key: &key.audio,
            body: &recording.audio,
            content_type: &recording.audio_type,
            sha256: &key.sha256,
        };
        let metadata = Object {
            key: &key.metadata,
            body: &recording.metadata,
            content_type: "application/json",
            sha256: &key.sha256,
        };
        let both = async { Ok([self.store.create(audio).await?, self.store.create(metadata).await?]) };
        tokio::time::timeout(self.settings.store_timeout, both).await.unwrap_or(Err(AwsError::Timeout.into()))
    }

    async fn store(&self, recording: Recording, request_id: &str) -> Response<Body> {
        let key = RecordingKey::derive(&recording, &self.settings.key_prefix, SystemTime::now());
        let started = Instant::now();
        let kept = self.keep(&recording, &key).await;
        let store_ms = started.elapsed().as_secs_f64() * 1000.0;
        let bytes = recording.audio.len();
        match kept {
            Ok([audio, _]) => {
                let outcome = if audio == Created::New { "created" } else { "already_stored" };
                tracing::info!(
                    request_id,
                    key = key.audio,
                    outcome,
                    date_source = key.date_source,
                    bytes,
                    store_ms,
                    "recording stored"
                );
                json_response(StatusCode::OK, &json!({"stored": {"audio": key.audio, "metadata": key.metadata}}))
            }
            Err(error) => {
                tracing::error!(
                    request_id,
                    key = key.audio,
                    error = error.kind(),
                    bytes,
                    store_ms,
                    "{NOT_STORED_MESSAGE}"
                );
                error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    "the recording could not be stored",
                )
            }
        }
    }
}

/// Says at start where recordings go, and warns when that is a directory inside Lambda.
pub fn announce(settings: &AudioSettings, store: &impl RecordingStore) {
    let kms_key = match &settings.backend {
        Backend::S3 { kms_key: Some(_), .. } => "configured",
        Backend::S3 { kms_key: None, .. } => "aws/s3",
        Backend::Directory { .. } => "none",
    };
    tracing::info!(
        store = store.location(),
        key_prefix = settings.key_prefix,
        kms_key,
        store_timeout_ms = settings.store_timeout.as_millis() as u64,
        "audio store"
    );
    if matches!(settings.backend, Backend::Directory { .. }) && std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some() {
        tracing::warn!("AUDIO_BUCKET is not set: recordings go to a local directory, which does not survive in Lambda");
    }
}

/// Method, auth, then a `multipart/form-data` body of at most `MAX_BODY_BYTES` with its two parts
/// (see [`Recording`]); any recording is taken.
impl<S: RecordingStore> Webhook for AudioWebhook<S> {
    const FUNCTION: Function = Function::Audio;
    type Event = Recording;
    /// Each store logs its own line (stored, or not stored).
    type Outcome = ();

    fn edge(&self) -> &EdgeConfig {
        &self.edge
    }

    async fn process(&self, recording: Recording, _request: &Request, request_id: &str) -> (Response<Body>, ()) {
        (self.store(recording, request_id).await, ())
    }
}
