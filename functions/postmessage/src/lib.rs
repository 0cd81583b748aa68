//! The post-message webhook: translates every reply the user will read back into the session's
//! language, and leaves everything the assistant routes on (option values, ids, URLs, unknown
//! response types) untouched. On a phone call whose language changed, it puts IBM's
//! `speech_to_text` and `text_to_speech` configuration responses first, so the caller is heard
//! and answered in the new language.

use std::collections::HashMap;

use lambda_http::{Body, Request, Response};
use serde_json::Value;
use shared::config::{self, ConfigError, EdgeConfig, Variables};
use shared::functions::Function;
use shared::language::voice::VoiceModels;
use shared::language::{ORIGINAL_OUTPUT_KEY, SessionLanguage};
use shared::mask::MaskSettings;
use shared::metrics::MetricsSink;
use shared::payload::{Envelope, GenericItem, MessageOutput, MessageResponse};
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
    /// Some texts were not translated (a failed call, a cap, the deadline): they went out as they
    /// were, every other text translated.
    PartlyTranslated {
        target: String,
        texts: usize,
        /// The positions in `output.generic` of the items holding them (never their text).
        untranslated: Vec<usize>,
        /// Why the first of them was not.
        error: &'static str,
    },
    /// No text could be translated: the whole reply went out as it was (fail open).
    Failed {
        target: String,
        error: &'static str,
    },
}

/// At most this many item positions on the turn's log line.
const LOGGED_POSITIONS: usize = 20;

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
        if !matches!(outcome, Outcome::Translated { .. } | Outcome::PartlyTranslated { .. }) {
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

    /// On the phone channel, on the turn the pre-message webhook recorded a change of language
    /// (`speech_switch`), the speech model and voice for it go first in `output.generic`: once
    /// per change, whether or not the assistant keeps this webhook's context.
    fn configure_phone(&self, payload: &mut MessageResponse) {
        let Some(context) = payload.context.as_mut() else { return };
        let commands = self.settings.voice_models.recorded_switch(context);
        if commands.is_empty() {
            return;
        }
        tracing::info!(commands = commands.len(), "phone speech reconfigured");
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
        items.iter_mut().for_each(GenericItem::prepare_for_translation);
        let mut texts: Vec<(usize, &mut String)> = items
            .iter_mut()
            .enumerate()
            .flat_map(|(position, item)| item.user_visible_texts_mut().into_iter().map(move |text| (position, text)))
            .filter(|(_, text)| !text.trim().is_empty())
            .collect();
        if texts.is_empty() {
            return Outcome::NothingToTranslate;
        }
        let original_output = original_output(&texts);
        let source = SourceLanguage::Code(assistant.to_owned());
        let (distinct, slots) = distinct_texts(&texts);
        let results = self.translator().translate_for(&distinct, &source, &target, &audience).await;
        let mut untranslated: Vec<usize> = Vec::new();
        let mut first_error = None;
        for ((position, text), slot) in texts.iter_mut().zip(slots) {
            match &results[slot] {
                Ok(translation) => **text = translation.text.clone(),
                Err(error) => {
                    first_error.get_or_insert(error.kind());
                    if untranslated.last() != Some(position) {
                        untranslated.push(*position);
                    }
                }
            }
        }
        let count = texts.len();
        drop(texts);
        let Some(error) = first_error else {
            self.finish(payload, original_output);
            return Outcome::Translated { target, texts: count };
        };
        if results.iter().all(Result::is_err) {
            return Outcome::Failed { target, error };
        }
        self.finish(payload, original_output);
        Outcome::PartlyTranslated { target, texts: count, untranslated, error }
    }

    /// After a translation: the citations' ranges moved onto the translated answers, and the
    /// assistant's original recorded.
    fn finish(&self, payload: &mut MessageResponse, original_output: String) {
        if let Some(items) = payload.generic_mut() {
            items.iter_mut().for_each(GenericItem::realign_citation_ranges);
        }
        payload.context_mut().set_user_defined(ORIGINAL_OUTPUT_KEY, Value::String(original_output));
    }
}

/// The distinct texts in order of first appearance, and for each text the index of its own:
/// one pass, one hash lookup per text.
fn distinct_texts<'t>(texts: &'t [(usize, &mut String)]) -> (Vec<&'t str>, Vec<usize>) {
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(texts.len());
    let mut distinct = Vec::new();
    let slots = texts
        .iter()
        .map(|(_, text)| {
            *index.entry(text.as_str()).or_insert_with(|| {
                distinct.push(text.as_str());
                distinct.len() - 1
            })
        })
        .collect();
    (distinct, slots)
}

/// The assistant's texts, one a line, at most `ORIGINAL_OUTPUT_MAX_CHARS` characters.
fn original_output(texts: &[(usize, &mut String)]) -> String {
    let mut original = String::new();
    let mut chars = 0;
    for (index, (_, text)) in texts.iter().enumerate() {
        if chars >= ORIGINAL_OUTPUT_MAX_CHARS {
            break;
        }
        let separated = (index > 0).then_some("\n").into_iter().chain([text.as_str()]);
        for part in separated {
            let taken: String = part.chars().take(ORIGINAL_OUTPUT_MAX_CHARS - chars).collect();
            chars += taken.chars().count();
            original.push_str(&taken);
        }
    }
    original
}

impl<T: Translator> Webhook for PostMessage<T> {
    const FUNCTION: Function = Function::PostMessage;
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
    /// A reply left wholly or partly untranslated by a fault (a cap or a text no call can carry
    /// is not one).
    fn downstream_fault(&self) -> bool {
        match self {
            Outcome::Failed { error, .. } | Outcome::PartlyTranslated { error, .. } => {
                !matches!(*error, "beyond_cap" | "text_too_long")
            }
            _ => false,
        }
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
            // The one line that names the items left as they were: positions, never text.
            Outcome::PartlyTranslated { target, texts, untranslated, error } => tracing::warn!(
                request_id,
                outcome = "partly_translated",
                target,
                texts,
                untranslated_items = %positions(untranslated),
                error,
                translate_calls,
                "some texts could not be translated and go out as they were; the rest is translated"
            ),
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

/// `3,7,12`, the first `LOGGED_POSITIONS` of them, then `…` if there are more.
fn positions(untranslated: &[usize]) -> String {
    let mut shown: Vec<String> = untranslated.iter().take(LOGGED_POSITIONS).map(usize::to_string).collect();
    if untranslated.len() > LOGGED_POSITIONS {
        shown.push("…".to_owned());
    }
    shown.join(",")
}
