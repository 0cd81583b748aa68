//! The post-message webhook: translates every reply the user will read back into the session's
//! language, and leaves everything the assistant routes on (option values, ids, URLs, unknown
//! response types) untouched. On a phone call whose language changed, it puts IBM's
//! `speech_to_text` and `text_to_speech` configuration responses first, so the caller is heard
//! and answered in the new language.

use std::collections::HashMap;

use lambda_http::{Body, Request, Response};
use serde_json::Value;
use shared::config::{self, ConfigError, EdgeConfig, Variables};
use shared::language::voice::VoiceModels;
use shared::language::{ORIGINAL_OUTPUT_KEY, SessionLanguage};
use shared::mask::MaskSettings;
use shared::metrics::MetricsSink;
use shared::payload::{Envelope, GenericItem, MessageOutput, MessageResponse, event_names, reply_texts_mut};
use shared::translate::{
    Audience, Metered, SourceLanguage, TranslatedOutcome, Translating, TranslationPipeline, Translator,
};
use shared::webhook::{self, Webhook};

/// `original_output` lives in the session context, which Watson caps at 100 KB: keep it short.
const ORIGINAL_OUTPUT_MAX_CHARS: usize = 2000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// No stored language, or the assistant's own.
    NotNeeded,
    /// Nothing user-visible to translate.
    NothingToTranslate,
    Translated {
        target: String,
        texts: usize,
    },
    /// A translation failed: the whole reply went out untranslated (fail open, and never half
    /// translated).
    Failed {
        target: String,
        error: &'static str,
    },
}

/// What the post-message webhook reads beside the edge's settings and its translation part's.
#[derive(Debug, Clone)]
pub struct PostMessageSettings {
    /// `ASSISTANT_LANGUAGE`: replies are translated out of it.
    pub assistant_language: String,
    /// `VOICE_MODELS`: the speech model and voice per language, for phone calls.
    pub voice_models: VoiceModels,
    /// `MASK_PERSONAL_DATA`, `MASK_SECRET`: the values premessage masked are put back into the
    /// reply (`None`: off).
    pub mask: Option<MaskSettings>,
}

impl PostMessageSettings {
    pub fn read(variables: &Variables) -> Result<Self, ConfigError> {
        let assistant_language = config::assistant_language(variables)?;
        let voice_models = config::voice_models(variables)?;
        Ok(PostMessageSettings { assistant_language, voice_models, mask: MaskSettings::read(variables)? })
    }
}

pub struct PostMessage<T> {
    edge: EdgeConfig,
    settings: PostMessageSettings,
    translating: Translating<T>,
}

impl<T: Translator> PostMessage<T> {
    pub fn new(edge: EdgeConfig, settings: PostMessageSettings, translating: Translating<T>) -> Self {
        PostMessage { edge, settings, translating }
    }

    pub fn translator(&self) -> &TranslationPipeline<T> {
        self.translating.pipeline()
    }

    /// Translates the user-visible texts of `output.generic` in place, all at once, each distinct
    /// string once, records the assistant's original in `original_output`, and on the phone
    /// reconfigures the call's speech for the session's language.
    pub async fn translate_response(&self, payload: &mut MessageResponse) -> Outcome {
        let outcome = self.translate_reply(payload).await;
        if !matches!(outcome, Outcome::Translated { .. }) {
            // An earlier turn's original would describe this one wrongly.
            if let Some(context) = payload.context.as_mut()
                && context.user_defined(ORIGINAL_OUTPUT_KEY).is_some()
            {
                context.remove_user_defined(ORIGINAL_OUTPUT_KEY);
            }
        }
        self.configure_phone(payload);
        self.reinsert_values(payload);
        outcome
    }

    /// With `MASK_PERSONAL_DATA` on, every token premessage put in place of a personal value
    /// (`[email A]`) gets its value back in the texts the user reads, after translation, so the
    /// value never reaches Translate, the memory or `original_output`. A token that does not open
    /// (another key, a tampered context, an unknown token) stays: the reply goes out without the
    /// value, and one line says so.
    fn reinsert_values(&self, payload: &mut MessageResponse) {
        let Some(mask) = &self.settings.mask else { return };
        let (Some(context), Some(output)) = (payload.context.as_ref(), payload.output.as_mut()) else { return };
        let Some(items) = output.generic.as_mut() else { return };
        let texts = items.iter_mut().flat_map(GenericItem::user_visible_texts_mut);
        let result = mask.reinsert(texts, context);
        if result.failed > 0 {
            tracing::warn!(
                restored = result.restored,
                failed = result.failed,
                "masked values could not be put back; their tokens stay in the reply"
            );
        }
    }

    /// On the phone channel, when the session's language is not the one the call is configured
    /// for, the speech model and voice for it go first in `output.generic` (once per change).
    fn configure_phone(&self, payload: &mut MessageResponse) {
        let assistant = self.settings.assistant_language.as_str();
        let Some(context) = payload.context.as_mut() else { return };
        let language = SessionLanguage::stored(Some(context)).unwrap_or_else(|| assistant.to_owned());
        let commands = self.settings.voice_models.switch(context, &language, assistant);
        if commands.is_empty() {
            return;
        }
        tracing::info!(speech_language = language.as_str(), commands = commands.len(), "phone speech reconfigured");
        let output = payload.output.get_or_insert_with(MessageOutput::default);
        let generic = output.generic.get_or_insert_with(Vec::new);
        generic.splice(0..0, commands);
    }

    async fn translate_reply(&self, payload: &mut MessageResponse) -> Outcome {
        let assistant = self.settings.assistant_language.as_str();
        let Some(target) = SessionLanguage::stored(payload.context.as_ref()).filter(|code| code != assistant) else {
            return Outcome::NotNeeded;
        };
        // Who reads the reply: the session (admission to the memory) and its per-user values (templates).
        let audience = Audience::from_context(payload.context.as_ref());
        let Some(items) = payload.generic_mut() else { return Outcome::NothingToTranslate };
        let mut texts: Vec<&mut String> = reply_texts_mut(items);
        if texts.is_empty() {
            return Outcome::NothingToTranslate;
        }
        let mut distinct: Vec<String> = Vec::new();
        for text in &texts {
            if !distinct.iter().any(|seen| seen == text.as_str()) {
                distinct.push(text.to_string());
            }
        }
        let source = SourceLanguage::Code(assistant.to_owned());
        let all: Vec<&str> = distinct.iter().map(String::as_str).collect();
        let results = self.translator().translate_for(&all, &source, &target, &audience).await;
        let mut translated: HashMap<&str, String> = HashMap::with_capacity(distinct.len());
        for (original, result) in distinct.iter().zip(results) {
            match result {
                Ok(translation) => {
                    translated.insert(original.as_str(), translation.text);
                }
                Err(error) => return Outcome::Failed { target, error: error.kind() },
            }
        }
        let originals: Vec<String> = texts.iter().map(|text| text.to_string()).collect();
        for text in texts.iter_mut() {
            if let Some(translation) = translated.get(text.as_str()) {
                **text = translation.clone();
            }
        }
        let count = texts.len();
        drop(texts);
        if let Some(items) = payload.generic_mut() {
            items.iter_mut().for_each(GenericItem::realign_citation_ranges);
        }
        let original_output: String = originals.join("\n").chars().take(ORIGINAL_OUTPUT_MAX_CHARS).collect();
        payload.context_mut().set_user_defined(ORIGINAL_OUTPUT_KEY, Value::String(original_output));
        Outcome::Translated { target, texts: count }
    }
}

impl<T: Translator> Webhook for PostMessage<T> {
    const NAME: &'static str = "postmessage";
    const EVENT: Option<&'static str> = Some(event_names::MESSAGE_PROCESSED);
    type Event = Envelope<MessageResponse>;
    type Outcome = Metered<Outcome>;

    fn edge(&self) -> &EdgeConfig {
        &self.edge
    }

    async fn process(&self, mut envelope: Self::Event, _: &Request, _: &str) -> (Response<Body>, Metered<Outcome>) {
        let (outcome, usage) = self.translating.metered(self.translate_response(&mut envelope.payload)).await;
        (webhook::reply(&envelope.payload), Metered { outcome, usage })
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
            Outcome::NotNeeded => tracing::info!(request_id, outcome = "not_needed", translate_calls, "turn"),
            Outcome::NothingToTranslate => {
                tracing::info!(request_id, outcome = "nothing_to_translate", translate_calls, "turn")
            }
            Outcome::Translated { target, texts } => {
                tracing::info!(request_id, outcome = "translated", target, texts, translate_calls, "turn")
            }
            // The one line that says a fault sent the reply out untranslated: a warning, no user text.
            Outcome::Failed { target, error } => tracing::warn!(
                request_id,
                outcome = "passed_through_after_fault",
                target,
                error,
                translate_calls,
                "translation failed; the reply goes out untranslated"
            ),
        }
    }
}
