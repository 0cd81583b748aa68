//! The pre-message webhook: runs before the assistant sees each user message. It checks the
//! message's language offline; only when the text is not in the assistant's language does it call
//! Amazon Translate, and it keeps the user's language in the session for the post-message webhook.
//!
//! Two kinds of message it answers itself, through the skip reply (the
//! `x-watson-assistant-webhook-return` header, "Skipping the assistant processing" in IBM's
//! "Making a call before processing a message" page): an explicit language choice ("Español"),
//! confirmed in the chosen language, and a message in a language outside `ALLOWED_LANGUAGES`.

pub mod decision;

use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value};
use shared::config::{ConfigError, EdgeConfig, LanguageChoiceConfig, Languages, Variables};
use shared::functions::Function;
use shared::language::{
    self, LanguageDetector, ORIGINAL_INPUT_KEY, SessionLanguage, choice, store_language, store_locked_language,
    word_count,
};
use shared::mask::MaskSettings;
use shared::metrics::MetricsSink;
use shared::payload::{Envelope, Field, GenericItem, MessageOutput, MessageRequest, MessageResponse, TextItem};
use shared::protect::Protected;
use shared::translate::{
    Audience, Metered, SourceLanguage, TranslatedOutcome, Translating, TranslationPipeline, Translator,
};
use shared::webhook::{self, Webhook};

use decision::{
    AfterDetection, Answer, Decision, Facts, PassReason, Plan, SessionUpdate, TurnDecision, decide_detected,
    decide_turn,
};

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

/// How a turn ends: the message goes on to the assistant, or the webhook answers it itself.
enum TurnEnd {
    Continue(Outcome),
    Answer(Answer),
}

/// What the pre-message webhook reads beside the edge's settings and its translation part's.
#[derive(Debug, Clone)]
pub struct PreMessageSettings {
    /// `ASSISTANT_LANGUAGE`, `SUPPORTED_LANGUAGES`.
    pub languages: Languages,
    /// `ALLOWED_LANGUAGES`, `LANGUAGE_NOT_OFFERED_MESSAGE`, `VOICE_MODELS`.
    pub choice: LanguageChoiceConfig,
    /// `TRANSLATION_MEMORY_INPUTS=on`: what users write goes into the shared memory too.
    pub memory_inputs: bool,
    /// `MASK_PERSONAL_DATA`, `MASK_PHONE_REGION`, `MASK_SECRET`: personal values masked before
    /// anything reads the message (`None`: off).
    pub mask: Option<MaskSettings>,
}

impl PreMessageSettings {
    pub fn read(variables: &Variables) -> Result<Self, ConfigError> {
        let languages = Languages::read(variables)?;
        let choice = LanguageChoiceConfig::read(variables, &languages.assistant)?;
        let memory_inputs = variables.switch("TRANSLATION_MEMORY_INPUTS", "on")?;
        let mask = MaskSettings::read(variables)?;
        Ok(PreMessageSettings { languages, choice, memory_inputs, mask })
    }
}

pub struct PreMessage<T> {
    edge: EdgeConfig,
    settings: PreMessageSettings,
    detector: LanguageDetector,
    translating: Translating<T>,
}

impl<T: Translator> PreMessage<T> {
    pub fn new(edge: EdgeConfig, settings: PreMessageSettings, translating: Translating<T>) -> Self {
        let detector = LanguageDetector::new(&settings.languages.assistant, &settings.languages.supported);
        // What users write can be personal: in the shared memory only on the operator's say-so.
        let translating = if settings.memory_inputs { translating } else { translating.without_memory() };
        PreMessage { edge, settings, detector, translating }
    }

    pub fn translator(&self) -> &TranslationPipeline<T> {
        self.translating.pipeline()
    }

    fn assistant(&self) -> &str {
        &self.settings.languages.assistant
    }

    /// Checks the message and, if needed, translates `input.text` in place and records the
    /// session's language; everything else in the payload is left as it came. Also returns the
    /// message response to send straight back when the webhook answers the message itself (an
    /// explicit language choice, or a language not offered). Its context is the request's, with
    /// the session's language recorded, so the next turn carries it.
    pub async fn check_message(&self, payload: &mut MessageRequest) -> (Outcome, Option<MessageResponse>) {
        self.mask_input(payload);
        let text = payload.text().unwrap_or_default().to_owned();
        // The one scan for protected spans: the language check reads its prose, Translate its HTML.
        let scanned = self.translator().scan(&text);
        let end = match self.decide(payload, &text, &scanned) {
            TurnDecision::Answer(answer) => TurnEnd::Answer(answer),
            TurnDecision::Continue(Decision { plan: Plan::PassThrough(reason), session }) => {
                self.record(payload, &session, None);
                TurnEnd::Continue(Outcome::PassedThrough(reason))
            }
            TurnDecision::Continue(Decision { plan: Plan::Translate(source), session }) => {
                self.translate_message(payload, text, scanned, &source, session).await
            }
        };
        match end {
            TurnEnd::Continue(outcome) => {
                self.record_speech(payload);
                (outcome, None)
            }
            TurnEnd::Answer(answer) => {
                let (outcome, response) = self.answer(payload, answer).await;
                (outcome, Some(response))
            }
        }
    }

    /// On the phone, whether this turn moves the call to the session's language, recorded for
    /// the post-message webhook in the context the assistant keeps (see
    /// [`shared::language::voice`]).
    fn record_speech(&self, payload: &mut MessageRequest) {
        let assistant = self.assistant();
        let Some(context) = payload.context.as_mut() else { return };
        let language = SessionLanguage::stored(Some(context)).unwrap_or_else(|| assistant.to_owned());
        if self.settings.choice.voice_models.record_switch(context, &language, assistant) {
            tracing::info!(speech_language = language.as_str(), "phone speech switch recorded");
        }
    }

    /// With `MASK_PERSONAL_DATA` on, every personal value in `input.text` becomes a token
    /// (`[email A]`) before Translate, the assistant or `original_input` see it; the values go
    /// into the context sealed. A message with none leaves the payload untouched.
    fn mask_input(&self, payload: &mut MessageRequest) {
        let Some(mask) = &self.settings.mask else { return };
        let Some(text) = payload.text() else { return };
        let found = mask.detector.find(text);
        if found.is_empty() {
            return;
        }
        let text = text.to_owned();
        let masked = mask.mask_found(&text, found, payload.context_mut());
        if let Some(input) = payload.input.as_mut() {
            input.text = masked.text.into();
        }
        match masked.lost {
            0 => tracing::info!(masked = masked.count, "personal data masked"),
            lost => {
                tracing::warn!(masked = masked.count, lost, "personal data masked; some values could not be sealed")
            }
        }
    }

    /// The offline decision, from the language of the words (not of an id, a URL or a command
    /// typed in English) and what the session knows.
    fn decide(&self, payload: &MessageRequest, text: &str, scanned: &Protected) -> TurnDecision {
        if text.trim().is_empty() {
            let plan = Plan::PassThrough(PassReason::EmptyText);
            return TurnDecision::Continue(Decision { plan, session: SessionUpdate::Keep });
        }
        let context = payload.context.as_ref();
        let session = SessionLanguage::read(context);
        let prose = if scanned.needs_translation() { scanned.prose() } else { "" };
        let detection = self.detector.detect(prose);
        let facts = Facts {
            detection: &detection,
            choice: choice::explicit_choice(text),
            session: session.as_ref(),
            locked: language::is_locked(context),
            assistant: self.assistant(),
            words: word_count(prose),
        };
        decide_turn(&facts, |code| self.settings.choice.is_allowed(code))
    }

    /// Translates the message into the assistant's language; the language Amazon Translate
    /// detected decides what goes on ([`decide_detected`]). A failed translation lets the message
    /// through as written (fail open).
    async fn translate_message(
        &self,
        payload: &mut MessageRequest,
        text: String,
        scanned: Protected,
        source: &SourceLanguage,
        session: SessionUpdate,
    ) -> TurnEnd {
        let assistant = self.assistant();
        let audience = Audience::from_context(payload.context.as_ref());
        let translation = match self.translator().translate_scanned(&text, scanned, source, assistant, &audience).await
        {
            Ok(translation) => translation,
            Err(error) => {
                let update = if session == SessionUpdate::Detected { SessionUpdate::Keep } else { session };
                self.record(payload, &update, None);
                return TurnEnd::Continue(Outcome::Failed { error: error.kind(), source: source.as_str().to_owned() });
            }
        };
        let detected = language::normalize(&translation.source).unwrap_or_default();
        let allowed = |code: &str| self.settings.choice.is_allowed(code);
        match decide_detected(&detected, assistant, session, allowed, |code| self.detector.is_enabled(code)) {
            AfterDetection::NotOffered => TurnEnd::Answer(Answer::NotOffered(detected)),
            AfterDetection::Kept => {
                self.record(payload, &SessionUpdate::Keep, None);
                TurnEnd::Continue(Outcome::KeptAfterDetection { detected })
            }
            AfterDetection::Translated(update) => {
                if let Some(input) = payload.input.as_mut() {
                    input.text = translation.text.into();
                }
                self.record(payload, &update, Some(text));
                TurnEnd::Continue(Outcome::Translated { source: detected })
            }
        }
    }

    /// The skip reply: the confirmation of a choice (with the phone's speech configuration when
    /// the language changes), or the list of offered languages. The session's language is
    /// recorded in the context that goes back, and a stale `original_input` is dropped.
    async fn answer(&self, payload: &mut MessageRequest, answer: Answer) -> (Outcome, MessageResponse) {
        let assistant = self.assistant();
        let mut generic = Vec::new();
        let (text, outcome) = match answer {
            Answer::Chosen(code) => {
                let context = payload.context_mut();
                store_locked_language(context, &code);
                context.remove_user_defined(ORIGINAL_INPUT_KEY);
                generic.extend(self.settings.choice.voice_models.switch(context, &code, assistant));
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
        let settings = &self.settings.choice;
        let assistant = self.assistant();
        let mut message = settings.not_offered_message.clone();
        if code != assistant {
            match self.translator().translate(&message, &SourceLanguage::Code(assistant.to_owned()), code).await {
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
    const FUNCTION: Function = Function::PreMessage;
    type Event = Envelope<MessageRequest>;
    type Outcome = Metered<Outcome>;

    fn edge(&self) -> &EdgeConfig {
        &self.edge
    }

    async fn process(&self, mut envelope: Self::Event, _: &Request, _: &str) -> (Response<Body>, Metered<Outcome>) {
        let ((outcome, skip), usage) = self.translating.metered(self.check_message(&mut envelope.payload)).await;
        let response = match skip {
            Some(answer) => webhook::skip(&answer),
            None => webhook::reply(&envelope.payload),
        };
        (response, Metered { outcome, usage })
    }

    fn metrics(&self) -> Option<&MetricsSink> {
        Some(self.translating.metrics())
    }
}

impl TranslatedOutcome for Outcome {
    fn downstream_fault(&self) -> bool {
        matches!(self, Outcome::Failed { .. })
    }

    fn log(&self, request_id: &str, translate_calls: u64) {
        match self {
            Outcome::PassedThrough(reason) => {
                let reason = reason.as_str();
                tracing::info!(request_id, outcome = "passed_through", reason, translate_calls, "turn")
            }
            Outcome::Translated { source } => {
                tracing::info!(request_id, outcome = "translated", source, translate_calls, "turn")
            }
            Outcome::Answered { answer, language } => {
                let language = language.as_str();
                tracing::info!(request_id, outcome = "answered", answer, language, translate_calls, "turn")
            }
            Outcome::KeptAfterDetection { detected } => {
                tracing::info!(request_id, outcome = "kept_after_detection", detected, translate_calls, "turn")
            }
            // The one line that says a fault let the message through: a warning, with no user text.
            Outcome::Failed { error, source } => tracing::warn!(
                request_id,
                outcome = "passed_through_after_fault",
                error,
                source = source.as_str(),
                translate_calls,
                "translation failed; the message goes on untranslated"
            ),
        }
    }
}
