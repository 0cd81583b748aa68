//! The dialog webhook: language services a dialog node can call, answering within the 8 seconds
//! the assistant allows all of a turn's callouts. It also answers IBM Language Translator's
//! request shape, so a dialog skill built on that withdrawn service works again by changing only
//! its webhook URL.

pub mod call;
pub mod error;

use std::time::Duration;

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value, json};
use shared::auth::AuthMode;
use shared::aws::AwsError;
use shared::config::{ConfigError, EdgeConfig, Languages, Variables};
use shared::functions::Function;
use shared::http::json_response;
use shared::language::{Detection, LanguageDetector, Strength, choice};
use shared::metrics::MetricsSink;
use shared::translate::{
    Metered, SourceLanguage, TranslateError, TranslatedOutcome, Translating, TranslationPipeline, Translator,
};
use shared::webhook::Webhook;

pub use call::DialogCall;
pub use error::DialogError;

/// Default for `DIALOG_DEADLINE_MS`: well under the assistant's 8 s for all of a turn's callouts.
pub const DEFAULT_DEADLINE: Duration = Duration::from_millis(5000);

/// Dialog callouts carry no Signed JWT (IBM's "Making a programmatic call from dialog"): that mode would refuse every call.
pub fn check_auth(mode: &AuthMode) -> Result<(), ConfigError> {
    match mode {
        AuthMode::Jwt => Err(ConfigError::Invalid {
            variable: "WEBHOOK_AUTH",
            why: "dialog callouts carry no Signed JWT; use basic, api-key or bearer for the dialog webhook".into(),
        }),
        _ => Ok(()),
    }
}

/// `DIALOG_DEADLINE_MS`, default 5000.
pub fn deadline(variables: &Variables) -> Result<Duration, ConfigError> {
    let ms = variables.number("DIALOG_DEADLINE_MS", DEFAULT_DEADLINE.as_millis() as u64, 100..=7500)?;
    Ok(Duration::from_millis(ms))
}

/// What the dialog webhook reads beside the edge's settings and its translation part's.
#[derive(Debug, Clone)]
pub struct DialogSettings {
    /// `ASSISTANT_LANGUAGE`, `SUPPORTED_LANGUAGES`: what `detect` knows.
    pub languages: Languages,
    /// `DIALOG_DEADLINE_MS`.
    pub deadline: Duration,
}

impl DialogSettings {
    pub fn read(variables: &Variables) -> Result<Self, ConfigError> {
        Ok(DialogSettings { languages: Languages::read(variables)?, deadline: deadline(variables)? })
    }
}

pub struct Dialog<T> {
    edge: EdgeConfig,
    detector: LanguageDetector,
    translating: Translating<T>,
    deadline: Duration,
}

impl<T: Translator> Dialog<T> {
    pub fn new(edge: EdgeConfig, settings: DialogSettings, translating: Translating<T>) -> Self {
        let detector = LanguageDetector::new(&settings.languages.assistant, &settings.languages.supported);
        // A callout's texts are whatever the node sends (often `<? input.text ?>`, the user's own
        // words), with no session to count: the memory serves them, and keeps none of them.
        let translating = translating.read_only();
        Dialog { edge, detector, translating, deadline: settings.deadline }
    }

    pub fn translator(&self) -> &TranslationPipeline<T> {
        self.translating.pipeline()
    }

    /// The node's parameters read, and answered within the deadline.
    async fn answer_callout(&self, params: &Map<String, Value>) -> Result<Value, DialogError> {
        let call = DialogCall::parse(params)?;
        match tokio::time::timeout(self.deadline, self.answer(call)).await {
            Ok(result) => result,
            Err(_) => Err(DialogError::DeadlineExceeded { deadline_ms: self.deadline.as_millis() as u64 }),
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
                let translations = self.translate_list(&texts, &source, &target).await?;
                Ok(json!({
                    "translations": translations.into_iter().map(|translation| json!({"translation": translation})).collect::<Vec<_>>(),
                    "word_count": texts.iter().map(|text| text.split_whitespace().count()).sum::<usize>(),
                    "character_count": texts.iter().map(|text| text.chars().count()).sum::<usize>(),
                }))
            }
        }
    }

    /// The same offline check the pre-message webhook uses, so the two never disagree.
    /// `reliable` is true exactly when pre-message would translate from this language without
    /// asking Amazon Translate; `clear` when it would also switch the session to it. `choice` is
    /// the language the message explicitly chooses ("Español", "in English please"), else null:
    /// pre-message answers such a message itself and locks the session's language.
    fn detect(&self, text: &str) -> Value {
        let (detection, confidence) = self.detector.assess(text);
        let choice = choice::explicit_choice(text);
        let mut answer = match detection {
            Detection::Language { code, strength } => json!({
                "language": code,
                "confidence": (confidence * 100.0).round() / 100.0,
                "reliable": true,
                "clear": strength == Strength::Clear,
            }),
            Detection::NotLanguage | Detection::Foreign | Detection::Unknown => {
                json!({ "language": Value::Null, "confidence": 0.0, "reliable": false, "clear": false })
            }
        };
        answer["choice"] = choice.map_or(Value::Null, |code| Value::String(code.to_owned()));
        answer
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
        let translation = self.translator().translate(text, source, target).await.map_err(dialog_error)?;
        Ok((translation.text, translation.source))
    }

    /// Language Translator's list form: every text in one batch through the pipeline (the cache,
    /// then one memory read for all of the list's misses, then Translate for the rest at once),
    /// with the same rules as [`Self::translate`] for empty texts and same-language pairs. The
    /// first text that fails fails the call, as one text alone would: a list beyond
    /// `MAX_TEXTS_PER_REPLY` or `MAX_TRANSLATE_CHARS` is the caller's problem (400 naming `text`).
    async fn translate_list(
        &self,
        texts: &[String],
        source: &SourceLanguage,
        target: &str,
    ) -> Result<Vec<String>, DialogError> {
        if matches!(source, SourceLanguage::Code(code) if code == target) {
            return Ok(texts.to_vec());
        }
        let wanted: Vec<&str> = texts.iter().map(String::as_str).filter(|text| !text.trim().is_empty()).collect();
        let mut translated = self.translator().translate_all(&wanted, source, target).await.into_iter();
        texts
            .iter()
            .map(|text| {
                if text.trim().is_empty() {
                    return Ok(text.clone());
                }
                match translated.next() {
                    Some(result) => result.map(|translation| translation.text).map_err(dialog_error),
                    None => Err(dialog_error(AwsError::InvalidResponse.into())),
                }
            })
            .collect()
    }
}

fn dialog_error(error: TranslateError) -> DialogError {
    match error {
        // Over Translate's limit is the caller's problem (400 naming `text`), not ours (502).
        TranslateError::TextTooLong { .. } => {
            DialogError::InvalidParameter { name: "text", expected: "at most 10000 bytes of UTF-8 to translate" }
        }
        TranslateError::BeyondCap => DialogError::InvalidParameter {
            name: "text",
            expected: "at most MAX_TRANSLATE_CHARS characters to translate",
        },
        // An unsupported language pair, or a text Translate cannot place: the node's input.
        TranslateError::Aws(AwsError::Refused { .. }) => DialogError::TranslationRefused,
        error => DialogError::TranslationFailed { kind: error.kind() },
    }
}

/// How one accepted callout ended: the status, and the error code when it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CalloutOutcome {
    pub status: u16,
    pub error: Option<&'static str>,
}

impl TranslatedOutcome for CalloutOutcome {
    fn log(&self, request_id: &str, translate_calls: u64) {
        match self.error {
            None => tracing::info!(request_id, status = self.status, translate_calls, "answered"),
            Some(error) => tracing::warn!(request_id, status = self.status, error, translate_calls, "callout failed"),
        }
    }

    /// A 5xx: the engine failed or the deadline passed.
    fn downstream_fault(&self) -> bool {
        self.status >= 500
    }
}

impl<T: Translator> Webhook for Dialog<T> {
    const FUNCTION: Function = Function::Dialog;
    type Event = Map<String, Value>;
    type Outcome = Metered<CalloutOutcome>;

    fn edge(&self) -> &EdgeConfig {
        &self.edge
    }

    async fn process(&self, params: Self::Event, _: &Request, _: &str) -> (Response<Body>, Metered<CalloutOutcome>) {
        let (result, usage) = self.translating.metered(self.answer_callout(&params)).await;
        let (response, outcome) = match result {
            Ok(answer) => (json_response(StatusCode::OK, &answer), CalloutOutcome { status: 200, error: None }),
            Err(error) => {
                let outcome = CalloutOutcome { status: error.status().as_u16(), error: Some(error.code()) };
                (error.into_response(), outcome)
            }
        };
        (response, Metered { outcome, usage })
    }

    fn metrics(&self) -> Option<&MetricsSink> {
        Some(self.translating.metrics())
    }
}
