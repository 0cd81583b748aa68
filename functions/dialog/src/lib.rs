//! The dialog webhook: language services a dialog node can call, answering within the 8 seconds
//! the assistant allows all of a turn's callouts. It also answers IBM Language Translator's
//! request shape, so a dialog skill built on that withdrawn service works again by changing only
//! its webhook URL.

pub mod call;
pub mod error;

use std::sync::Arc;
use std::time::Duration;

use futures::future::try_join_all;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value, json};
use shared::auth::AuthMode;
use shared::config::WebhookConfig;
use shared::http::json_response;
use shared::language::{Detection, LanguageDetector, Strength};
use shared::memory::TranslationMemory;
use shared::metrics::{Invocation, MetricsSink};
use shared::protect::Protector;
use shared::translate::{SourceLanguage, TranslateError, TranslationPipeline, Translator};
use shared::webhook;

pub use call::DialogCall;
pub use error::DialogError;

/// Default for `DIALOG_DEADLINE_MS`: well under the assistant's 8 s for all of a turn's callouts.
pub const DEFAULT_DEADLINE: Duration = Duration::from_millis(5000);

/// Dialog callouts carry no Signed JWT (IBM's "Making a programmatic call from dialog"): that mode would refuse every call.
pub fn check_auth(mode: &AuthMode) -> Result<(), String> {
    match mode {
        AuthMode::Jwt => Err("WEBHOOK_AUTH is invalid for the dialog webhook: dialog callouts carry no Signed JWT; \
                              use basic, api-key or bearer"
            .to_owned()),
        _ => Ok(()),
    }
}

/// `DIALOG_DEADLINE_MS`, default 5000.
pub fn deadline(value: Option<String>) -> Result<Duration, String> {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(DEFAULT_DEADLINE),
        Some(value) => match value.parse::<u64>() {
            Ok(ms @ 100..=7500) => Ok(Duration::from_millis(ms)),
            _ => Err("DIALOG_DEADLINE_MS is invalid: expected a whole number from 100 to 7500".to_owned()),
        },
    }
}

pub struct Dialog<T> {
    config: WebhookConfig,
    detector: LanguageDetector,
    translator: TranslationPipeline<T>,
    deadline: Duration,
    metrics: MetricsSink,
}

impl<T: Translator> Dialog<T> {
    pub fn new(config: WebhookConfig, translator: T, deadline: Duration) -> Self {
        let detector = LanguageDetector::new(&config.assistant_language, &config.supported_languages);
        let translator = TranslationPipeline::new(
            translator,
            config.translate_cache_entries,
            Protector::new(&config.protected_terms),
        );
        Dialog { config, detector, translator, deadline, metrics: MetricsSink::stdout() }
    }

    /// Serves and keeps translations in the shared translation memory.
    pub fn with_memory(mut self, memory: Arc<dyn TranslationMemory>) -> Self {
        self.translator = self.translator.with_memory(memory);
        self
    }

    /// Where the per-invocation metric line goes (stdout unless changed, for tests).
    pub fn with_metrics(mut self, sink: MetricsSink) -> Self {
        self.metrics = sink;
        self
    }

    /// The function-URL entry point: a JSON answer for every request, within the deadline, and
    /// one metric line.
    pub async fn handle(&self, request: Request) -> Response<Body> {
        let invocation = Invocation::start(self.translator.counters());
        let response = self.respond(request).await;
        let failed = response.status().is_server_error();
        invocation.finish(&self.metrics, "dialog", self.translator.counters(), failed);
        response
    }

    async fn respond(&self, request: Request) -> Response<Body> {
        let request_id = webhook::request_id(&request);
        let params: Map<String, Value> = match webhook::accept(&self.config, &request) {
            Ok(params) => params,
            Err(response) => return response,
        };
        let result = match DialogCall::parse(&params) {
            Ok(call) => match tokio::time::timeout(self.deadline, self.answer(call)).await {
                Ok(result) => result,
                Err(_) => Err(DialogError::DeadlineExceeded { deadline_ms: self.deadline.as_millis() as u64 }),
            },
            Err(error) => Err(error),
        };
        match result {
            Ok(answer) => {
                tracing::info!(request_id, status = 200, "answered");
                json_response(StatusCode::OK, &answer)
            }
            Err(error) => {
                tracing::warn!(request_id, status = error.status().as_u16(), error = error.code(), "callout failed");
                error.into_response()
            }
        }
    }

    /// The JSON that lands in the node's result variable.
    pub async fn answer(&self, call: DialogCall) -> Result<Value, DialogError> {
        match call {
            DialogCall::Detect { text } => Ok(self.detect(&text)),
            DialogCall::Translate { text, target, source } => {
                let source = match source {
                    Some(code) => SourceLanguage::Code(code),
                    None => self.detected_source(&text),
                };
                let (translation, source) = self.translate(&text, &source, &target).await?;
                Ok(json!({ "translation": translation, "source": source, "target": target }))
            }
            DialogCall::LanguageTranslator { texts, source, target } => {
                let source = if source == "auto" { SourceLanguage::Auto } else { SourceLanguage::Code(source) };
                let translations =
                    try_join_all(texts.iter().map(|text| self.translate(text, &source, &target))).await?;
                Ok(json!({
                    "translations": translations.into_iter().map(|(translation, _)| json!({"translation": translation})).collect::<Vec<_>>(),
                    "word_count": texts.iter().map(|text| text.split_whitespace().count()).sum::<usize>(),
                    "character_count": texts.iter().map(|text| text.chars().count()).sum::<usize>(),
                }))
            }
        }
    }

    /// The same offline check the pre-message webhook uses, so the two never disagree.
    /// `reliable` is true exactly when pre-message would translate from this language without
    /// asking Amazon Translate; `clear` when it would also switch the session to it.
    fn detect(&self, text: &str) -> Value {
        let (detection, confidence) = self.detector.assess(text);
        match detection {
            Detection::Language { code, strength } => json!({
                "language": code,
                "confidence": (confidence * 100.0).round() / 100.0,
                "reliable": true,
                "clear": strength == Strength::Clear,
            }),
            Detection::NotLanguage | Detection::Foreign | Detection::Unknown => {
                json!({ "language": Value::Null, "confidence": 0.0, "reliable": false, "clear": false })
            }
        }
    }

    fn detected_source(&self, text: &str) -> SourceLanguage {
        match self.detector.detect(text) {
            Detection::Language { code, .. } => SourceLanguage::Code(code),
            _ => SourceLanguage::Auto,
        }
    }

    /// (translated text, source language). The same language in and out, or no text at all
    /// (whatever the source, `auto` included: Translate refuses an empty text), costs no call.
    async fn translate(
        &self,
        text: &str,
        source: &SourceLanguage,
        target: &str,
    ) -> Result<(String, String), DialogError> {
        if text.trim().is_empty() {
            return Ok((text.to_owned(), source.as_str().to_owned()));
        }
        if let SourceLanguage::Code(code) = source
            && code == target
        {
            return Ok((text.to_owned(), code.clone()));
        }
        let translation = self.translator.translate(text, source, target).await.map_err(|error| match error {
            // Over Translate's limit is the caller's problem (400 naming `text`), not ours (502).
            TranslateError::TextTooLong { .. } => {
                DialogError::InvalidParameter { name: "text", expected: "at most 10000 bytes of UTF-8 to translate" }
            }
            // An unsupported language pair, or a text Translate cannot place: the node's input.
            TranslateError::Refused { .. } => DialogError::TranslationRefused,
            error => DialogError::TranslationFailed { kind: error.kind() },
        })?;
        Ok((translation.text, translation.source))
    }
}
