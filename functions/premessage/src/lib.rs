//! The pre-message webhook: runs before the assistant sees each user message. It checks the
//! message's language offline; only when the text is not in the assistant's language does it call
//! Amazon Translate, and it keeps the user's language in the session for the post-message webhook.

pub mod decision;

use lambda_http::{Body, Request, Response};
use serde_json::Value;
use shared::config::WebhookConfig;
use shared::language::{self, LanguageDetector, ORIGINAL_INPUT_KEY, SessionLanguage, store_language, word_count};
use std::sync::Arc;

use shared::memory::TranslationMemory;
use shared::metrics::{Invocation, MetricsSink};
use shared::payload::{MessageRequest, event_names};
use shared::protect::Protector;
use shared::translate::{TranslationPipeline, Translator};
use shared::webhook;

use decision::{Decision, PassReason, Plan, SessionUpdate, decide};

/// What happened to one message, for the turn's log line (never the text itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    PassedThrough(PassReason),
    Translated {
        source: String,
    },
    /// Amazon Translate detected the assistant's language (or one not enabled): text kept.
    KeptAfterDetection {
        detected: String,
    },
    /// Translation failed; the message went on untranslated (fail open).
    Failed {
        error: &'static str,
        source: String,
    },
}

pub struct PreMessage<T> {
    config: WebhookConfig,
    detector: LanguageDetector,
    translator: TranslationPipeline<T>,
    metrics: MetricsSink,
}

impl<T: Translator> PreMessage<T> {
    pub fn new(config: WebhookConfig, translator: T) -> Self {
        let detector = LanguageDetector::new(&config.assistant_language, &config.supported_languages);
        let translator = TranslationPipeline::new(
            translator,
            config.translate_cache_entries,
            Protector::new(&config.protected_terms),
        );
        PreMessage { config, detector, translator, metrics: MetricsSink::stdout() }
    }

    /// Serves and keeps users' messages in the shared translation memory, only when the operator
    /// turned that on (`TRANSLATION_MEMORY_INPUTS=on`): what users write can be personal.
    pub fn with_memory(mut self, memory: Arc<dyn TranslationMemory>) -> Self {
        if self.config.memory_inputs {
            self.translator = self.translator.with_memory(memory);
        }
        self
    }

    /// Where the per-invocation metric line goes (stdout unless changed, for tests).
    pub fn with_metrics(mut self, sink: MetricsSink) -> Self {
        self.metrics = sink;
        self
    }

    pub fn translator(&self) -> &TranslationPipeline<T> {
        &self.translator
    }

    /// The function-URL entry point: every request gets an answer, never a panic, and one
    /// metric line.
    pub async fn handle(&self, request: Request) -> Response<Body> {
        let invocation = Invocation::start(self.translator.counters());
        let (response, failed) = self.respond(request).await;
        invocation.finish(&self.metrics, "premessage", self.translator.counters(), failed);
        response
    }

    /// The answer, and whether a translation fault made the message pass through.
    async fn respond(&self, request: Request) -> (Response<Body>, bool) {
        let mut envelope =
            match webhook::accept_event::<MessageRequest>(&self.config, &request, event_names::MESSAGE_RECEIVED) {
                Ok(envelope) => envelope,
                Err(response) => return (response, false),
            };
        let request_id = webhook::request_id(&request);
        let outcome = self.process(&mut envelope.payload).await;
        log_outcome(&request_id, &outcome);
        (webhook::reply(&envelope.payload), matches!(outcome, Outcome::Failed { .. }))
    }

    /// Checks the message and, if needed, translates `input.text` in place and records the
    /// session's language. Everything else in the payload is left as it came.
    pub async fn process(&self, payload: &mut MessageRequest) -> Outcome {
        let assistant = self.config.assistant_language.as_str();
        let text = payload.text().unwrap_or_default().to_owned();
        let decision = if text.trim().is_empty() {
            Decision { plan: Plan::PassThrough(PassReason::EmptyText), session: SessionUpdate::Keep }
        } else {
            // The language of the words, not of an id, a URL or a command typed in English.
            let protected = self.translator.protector().protect(&text);
            let prose = if protected.needs_translation() { protected.prose() } else { "" };
            let session = SessionLanguage::read(payload.context.as_ref());
            decide(&self.detector.detect(prose), session.as_ref(), assistant, word_count(prose))
        };
        let source = match decision.plan {
            Plan::PassThrough(reason) => {
                self.record(payload, &decision.session, None);
                return Outcome::PassedThrough(reason);
            }
            Plan::Translate(source) => source,
        };
        match self.translator.translate(&text, &source, assistant).await {
            Ok(translation) => {
                let detected = language::normalize(&translation.source).unwrap_or_default();
                if detected == assistant || !self.detector.is_enabled(&detected) {
                    self.record(payload, &SessionUpdate::Keep, None);
                    return Outcome::KeptAfterDetection { detected };
                }
                let update = match decision.session {
                    SessionUpdate::Detected => SessionUpdate::Set(detected.clone()),
                    other => other,
                };
                if let Some(input) = payload.input.as_mut() {
                    input.text = translation.text.into();
                }
                self.record(payload, &update, Some(text));
                Outcome::Translated { source: detected }
            }
            Err(error) => {
                let update = match decision.session {
                    SessionUpdate::Detected => SessionUpdate::Keep,
                    other => other,
                };
                self.record(payload, &update, None);
                Outcome::Failed { error: error.kind(), source: source.as_str().to_owned() }
            }
        }
    }

    /// Writes the session's language and `original_input` (only for a translated turn, so it
    /// never describes an earlier one). An untouched context stays untouched.
    fn record(&self, payload: &mut MessageRequest, update: &SessionUpdate, original_input: Option<String>) {
        let has_stale_original = payload.context.as_ref().is_some_and(|c| c.user_defined(ORIGINAL_INPUT_KEY).is_some());
        if matches!(update, SessionUpdate::Keep) && original_input.is_none() && !has_stale_original {
            return;
        }
        let context = payload.context_mut();
        if let SessionUpdate::Set(code) = update {
            store_language(context, code);
        }
        match original_input {
            Some(original) => context.set_user_defined(ORIGINAL_INPUT_KEY, Value::String(original)),
            None => context.remove_user_defined(ORIGINAL_INPUT_KEY),
        }
    }
}

fn log_outcome(request_id: &str, outcome: &Outcome) {
    match outcome {
        Outcome::PassedThrough(reason) => {
            tracing::info!(
                request_id,
                outcome = "passed_through",
                reason = reason.as_str(),
                translate_calls = 0,
                "turn"
            )
        }
        Outcome::Translated { source } => {
            tracing::info!(request_id, outcome = "translated", source, translate_calls = 1, "turn")
        }
        Outcome::KeptAfterDetection { detected } => {
            tracing::info!(request_id, outcome = "kept_after_detection", detected, translate_calls = 1, "turn")
        }
        // The one line that says a fault let the message through: a warning, with no user text.
        Outcome::Failed { error, source } => tracing::warn!(
            request_id,
            outcome = "passed_through_after_fault",
            error,
            source = source.as_str(),
            "translation failed; the message goes on untranslated"
        ),
    }
}

/// Used by the language-check measurement: the plan for one message with no session context.
pub fn plan_for(detector: &LanguageDetector, text: &str, session: Option<&SessionLanguage>) -> Plan {
    decide(&detector.detect(text), session, detector.assistant_language(), word_count(text)).plan
}
