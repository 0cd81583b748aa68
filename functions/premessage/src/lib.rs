//! The pre-message webhook: runs before the assistant sees each user message. It checks the
//! message's language offline; only when the text is not in the assistant's language does it call
//! Amazon Translate, and it keeps the user's language in the session for the post-message webhook.
//!
//! Two kinds of message it answers itself, through the skip reply (the
//! `x-watson-assistant-webhook-return` header, "Skipping the assistant processing" in IBM's
//! "Making a call before processing a message" page): an explicit language choice ("Español"),
//! confirmed in the chosen language, and a message in a language outside `ALLOWED_LANGUAGES`.

pub mod decision;

use std::sync::Arc;

use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value};
use shared::config::WebhookConfig;
use shared::language::{
    self, LanguageDetector, ORIGINAL_INPUT_KEY, SessionLanguage, choice, store_language, store_locked_language,
    word_count,
};
use shared::memory::TranslationMemory;
use shared::metrics::MetricsSink;
use shared::payload::{
    Envelope, Field, GenericItem, MessageOutput, MessageRequest, MessageResponse, TextItem, WebhookReply, event_names,
};
use shared::protect::Protector;
use shared::translate::{SourceLanguage, TranslateCounters, TranslationPipeline, Translator};
use shared::webhook::{self, TurnOutcome, Webhook};

use decision::{Answer, Decision, PassReason, Plan, SessionUpdate, Turn, TurnDecision, decide, decide_turn};

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
    /// Answered through the skip reply: `language_chosen` or `language_not_offered`.
    Answered {
        answer: &'static str,
        language: String,
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
        )
        .with_refresh(config.memory_refresh);
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

    /// The function-URL entry point (see [`webhook::serve`]).
    pub async fn handle(&self, request: Request) -> Response<Body> {
        webhook::serve(self, request).await
    }

    /// Checks the message and, if needed, translates `input.text` in place and records the
    /// session's language; everything else in the payload is left as it came. Also returns the
    /// message response to send straight back when the webhook answers
    /// the message itself (an explicit language choice, or a language not offered). Its context
    /// is the request's, with the session's language recorded, so the next turn carries it.
    pub async fn process_turn(&self, payload: &mut MessageRequest) -> (Outcome, Option<MessageResponse>) {
        let text = payload.text().unwrap_or_default().to_owned();
        if text.trim().is_empty() {
            let decision = Decision { plan: Plan::PassThrough(PassReason::EmptyText), session: SessionUpdate::Keep };
            return self.continue_or_answer(payload, text, decision).await;
        }
        let context = payload.context.as_ref();
        let session = SessionLanguage::read(context);
        // The language of the words, not of an id, a URL or a command typed in English.
        let protected = self.translator.protector().protect(&text);
        let prose = if protected.needs_translation() { protected.prose() } else { "" };
        let detection = self.detector.detect(prose);
        let turn = Turn {
            detection: &detection,
            choice: choice::explicit_choice(&text),
            session: session.as_ref(),
            locked: language::is_locked(context),
            assistant: &self.config.assistant_language,
            words: word_count(prose),
        };
        match decide_turn(&turn, |code| self.config.language_choice.is_allowed(code)) {
            TurnDecision::Continue(decision) => self.continue_or_answer(payload, text, decision).await,
            TurnDecision::Answer(answer) => {
                let (outcome, response) = self.answer(payload, answer).await;
                (outcome, Some(response))
            }
        }
    }

    async fn continue_or_answer(
        &self,
        payload: &mut MessageRequest,
        text: String,
        decision: Decision,
    ) -> (Outcome, Option<MessageResponse>) {
        match self.continue_turn(payload, text, decision).await {
            Ok(outcome) => (outcome, None),
            // Amazon Translate found a language that is not offered.
            Err(answer) => {
                let (outcome, response) = self.answer(payload, answer).await;
                (outcome, Some(response))
            }
        }
    }

    /// The message goes on to the assistant, translated or not; `Err` when Amazon Translate's
    /// detection shows a language that is not offered, to be answered instead.
    async fn continue_turn(
        &self,
        payload: &mut MessageRequest,
        text: String,
        decision: Decision,
    ) -> Result<Outcome, Answer> {
        let assistant = self.config.assistant_language.as_str();
        let source = match decision.plan {
            Plan::PassThrough(reason) => {
                self.record(payload, &decision.session, None);
                return Ok(Outcome::PassedThrough(reason));
            }
            Plan::Translate(source) => source,
        };
        match self.translator.translate(&text, &source, assistant).await {
            Ok(translation) => {
                let detected = language::normalize(&translation.source).unwrap_or_default();
                if !detected.is_empty() && detected != assistant && !self.config.language_choice.is_allowed(&detected) {
                    return Err(Answer::NotOffered(detected));
                }
                if detected == assistant || !self.detector.is_enabled(&detected) {
                    self.record(payload, &SessionUpdate::Keep, None);
                    return Ok(Outcome::KeptAfterDetection { detected });
                }
                let update = match decision.session {
                    SessionUpdate::Detected => SessionUpdate::Set(detected.clone()),
                    other => other,
                };
                if let Some(input) = payload.input.as_mut() {
                    input.text = translation.text.into();
                }
                self.record(payload, &update, Some(text));
                Ok(Outcome::Translated { source: detected })
            }
            Err(error) => {
                let update = match decision.session {
                    SessionUpdate::Detected => SessionUpdate::Keep,
                    other => other,
                };
                self.record(payload, &update, None);
                Ok(Outcome::Failed { error: error.kind(), source: source.as_str().to_owned() })
            }
        }
    }

    /// The skip reply: the confirmation of a choice (with the phone's speech configuration when
    /// the language changes), or the list of offered languages. The session's language is
    /// recorded in the context that goes back, and a stale `original_input` is dropped.
    async fn answer(&self, payload: &mut MessageRequest, answer: Answer) -> (Outcome, MessageResponse) {
        let assistant = self.config.assistant_language.as_str();
        let mut generic = Vec::new();
        let (text, outcome) = match answer {
            Answer::Chosen(code) => {
                let context = payload.context_mut();
                store_locked_language(context, &code);
                context.remove_user_defined(ORIGINAL_INPUT_KEY);
                generic.extend(self.config.language_choice.voice_models.switch(context, &code, assistant));
                let text = choice::confirmation(&code).or_else(|| choice::confirmation(assistant)).unwrap_or("OK.");
                (text.to_owned(), Outcome::Answered { answer: "language_chosen", language: code })
            }
            Answer::NotOffered(code) => {
                if let Some(context) = payload.context.as_mut() {
                    context.remove_user_defined(ORIGINAL_INPUT_KEY);
                }
                let text = self.not_offered_message(&code).await;
                (text, Outcome::Answered { answer: "language_not_offered", language: code })
            }
        };
        generic.push(GenericItem::Text(TextItem { text: text.into(), extra: Map::new() }));
        let mut extra = Map::new();
        // The v2 message response carries the user id; IBM's skip-mode sample returns it too.
        if let Some(user_id) = payload.extra.get("user_id") {
            extra.insert("user_id".to_owned(), user_id.clone());
        }
        let output = MessageOutput { generic: Field::Value(generic), extra: Map::new() };
        (outcome, MessageResponse { output: Field::Value(output), context: payload.context.clone(), extra })
    }

    /// `LANGUAGE_NOT_OFFERED_MESSAGE` in `code` when Amazon Translate can produce it, else in the
    /// assistant's language, followed by the offered languages by their own names.
    async fn not_offered_message(&self, code: &str) -> String {
        let settings = &self.config.language_choice;
        let assistant = self.config.assistant_language.as_str();
        let mut message = settings.not_offered_message.clone();
        if code != assistant {
            match self.translator.translate(&message, &SourceLanguage::Code(assistant.to_owned()), code).await {
                Ok(translation) if !translation.text.trim().is_empty() => message = translation.text,
                Ok(_) => {}
                Err(error) => tracing::info!(
                    error = error.kind(),
                    target = code,
                    "the not-offered message goes out in the assistant's language"
                ),
            }
        }
        let offered = settings.allowed_languages.as_deref().unwrap_or_default();
        let names: Vec<&str> = offered.iter().map(|code| choice::native_name(code).unwrap_or(code.as_str())).collect();
        if names.is_empty() { message } else { format!("{message} {}", names.join(", ")) }
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

impl<T: Translator> Webhook for PreMessage<T> {
    const NAME: &'static str = "premessage";
    const EVENT: Option<&'static str> = Some(event_names::MESSAGE_RECEIVED);
    type Event = Envelope<MessageRequest>;
    type Outcome = Outcome;

    fn config(&self) -> &WebhookConfig {
        &self.config
    }

    async fn process(&self, mut envelope: Self::Event, _: &Request, _: &str) -> (Response<Body>, Outcome) {
        let (outcome, skip) = self.process_turn(&mut envelope.payload).await;
        let response = match skip {
            Some(answer) => webhook::respond(&WebhookReply::<MessageRequest, _>::Skip(answer)),
            None => webhook::reply(&envelope.payload),
        };
        (response, outcome)
    }

    fn metrics(&self) -> Option<(&MetricsSink, TranslateCounters)> {
        Some((&self.metrics, self.translator.counters()))
    }
}

impl TurnOutcome for Outcome {
    fn log(&self, request_id: &str) {
        log_outcome(request_id, self);
    }

    fn failed(&self) -> bool {
        matches!(self, Outcome::Failed { .. })
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
        Outcome::Answered { answer, language } => {
            tracing::info!(request_id, outcome = "answered", answer, language = language.as_str(), "turn")
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
