//! Phone calls: the speech recognition model and the voice follow the session's language.
//!
//! On the phone channel (`context.integrations.voice_telephony`), IBM's "Handling phone
//! interactions" page (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-phone-actions)
//! documents two response types that reconfigure the call: `speech_to_text` with
//! `command_info.type: "configure"` and `parameters.narrowband_recognize` /
//! `parameters.broadband_recognize` (Speech to Text's recognize parameters, `model` among them),
//! and `text_to_speech` with `parameters.synthesize` (`voice`). Both take an `update_strategy`;
//! `merge` changes only the model or voice and keeps the rest of the integration's settings.
//!
//! `speech_language` in `user_defined` records the language the call is configured for, so the
//! commands go out once per change. A call starts in the assistant's language.
//!
//! The pre-message webhook keeps both records, because the assistant keeps the context changes it
//! makes; whether it keeps those the post-message webhook makes after processing is not
//! documented. On a turn that moves the call to another language, pre-message sets
//! `speech_switch` to that language ([`VoiceModels::record_switch`]) and on every other turn
//! removes it; post-message sends the commands the marker asks for
//! ([`VoiceModels::recorded_switch`]). So they go out once per change whether or not the
//! post-message context survives the turn. (A choice answered by pre-message itself carries the
//! commands in its own reply, [`VoiceModels::switch`].)

use serde_json::{Value, json};

use crate::payload::{Context, GenericItem, KeptItem};

use super::codes;

pub const SPEECH_LANGUAGE_KEY: &str = "speech_language";

/// Set by pre-message on the turn the call moves to another language: that language.
pub const SPEECH_SWITCH_KEY: &str = "speech_switch";

/// The integration whose presence marks the phone channel.
pub const PHONE_INTEGRATION: &str = "voice_telephony";

/// IBM Speech to Text telephony models ("Next-generation languages and models") and IBM Text to
/// Speech voices ("Languages and voices"), for the languages IBM has both for. Operators can
/// add recognition-only entries (e.g. `zh=zh-CN_Telephony/`) for languages without a voice.
pub const DEFAULT_VOICE_MODELS: &str = "en=en-US_Telephony/en-US_AllisonV3Voice,\
es=es-ES_Telephony/es-ES_EnriqueV3Voice,\
fr=fr-FR_Telephony/fr-FR_ReneeV3Voice,\
de=de-DE_Telephony/de-DE_BirgitV3Voice,\
it=it-IT_Telephony/it-IT_FrancescaV3Voice,\
pt=pt-BR_Telephony/pt-BR_IsabelaV3Voice,\
nl=nl-NL_Telephony/nl-NL_MerelV3Voice,\
ja=ja-JP_Telephony/ja-JP_EmiV3Voice,\
ko=ko-KR_Telephony/ko-KR_JinV3Voice";

/// What a phone call uses for one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceModel {
    /// The Speech to Text model, e.g. `es-ES_Telephony`.
    pub recognition: Option<String>,
    /// The Text to Speech voice, e.g. `es-ES_EnriqueV3Voice`.
    pub voice: Option<String>,
}

/// `VOICE_MODELS`: language → model and voice.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VoiceModels(Vec<(String, VoiceModel)>);

impl VoiceModels {
    /// `lang=model/voice` entries separated by commas; either side of `/` may be empty.
    /// `off` (or `none`) turns the feature off.
    pub fn parse(spec: &str) -> Result<VoiceModels, String> {
        let spec = spec.trim();
        if spec.eq_ignore_ascii_case("off") || spec.eq_ignore_ascii_case("none") {
            return Ok(VoiceModels::default());
        }
        let mut entries: Vec<(String, VoiceModel)> = Vec::new();
        for item in spec.split(',').map(str::trim).filter(|item| !item.is_empty()) {
            let (language, models) = item.split_once('=').ok_or_else(|| format!("`{item}` is not lang=model/voice"))?;
            let code = codes::normalize(language)
                .filter(|code| codes::is_translate_code(code))
                .ok_or_else(|| format!("`{}` is not a language code Amazon Translate supports", language.trim()))?;
            let (recognition, voice) = models.split_once('/').unwrap_or((models, ""));
            let name = |name: &str| -> Result<Option<String>, String> {
                let name = name.trim();
                if name.is_empty() {
                    return Ok(None);
                }
                if name.len() > 100 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                    return Err(format!("`{name}` is not a model or voice name such as es-ES_Telephony"));
                }
                Ok(Some(name.to_owned()))
            };
            let model = VoiceModel { recognition: name(recognition)?, voice: name(voice)? };
            if model.recognition.is_none() && model.voice.is_none() {
                return Err(format!("`{item}` names neither a model nor a voice"));
            }
            entries.retain(|(existing, _)| *existing != code);
            entries.push((code, model));
        }
        Ok(VoiceModels(entries))
    }

    /// The entry for a language, else for its base language (`pt-PT` → `pt`).
    pub fn get(&self, code: &str) -> Option<&VoiceModel> {
        let find = |code: &str| self.0.iter().find(|(language, _)| language == code).map(|(_, model)| model);
        find(code).or_else(|| find(codes::base(code)))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// On the phone channel, the configuration responses that move the call to `language` if it
    /// is not configured for it yet, and records it in `speech_language`. Elsewhere, or with no
    /// entry for the language, nothing.
    pub fn switch(&self, context: &mut Context, language: &str, assistant: &str) -> Vec<GenericItem> {
        clear_switch(context);
        match self.moves_to(context, language, assistant) {
            Some(model) => {
                context.set_user_defined(SPEECH_LANGUAGE_KEY, Value::String(language.to_owned()));
                configuration_responses(model)
            }
            None => Vec::new(),
        }
    }

    /// Pre-message, on a turn the assistant will answer: when the call moves to `language`,
    /// records it in `speech_language` and asks post-message for the commands
    /// (`speech_switch`); on any other turn, takes an earlier turn's request back. Whether it
    /// asked. A context off the phone with nothing to take back is left untouched.
    pub fn record_switch(&self, context: &mut Context, language: &str, assistant: &str) -> bool {
        clear_switch(context);
        if self.moves_to(context, language, assistant).is_none() {
            return false;
        }
        context.set_user_defined(SPEECH_LANGUAGE_KEY, Value::String(language.to_owned()));
        context.set_user_defined(SPEECH_SWITCH_KEY, Value::String(language.to_owned()));
        true
    }

    /// Post-message: the commands pre-message asked for on this turn (none without its request,
    /// off the phone, or for a language without an entry). The request is taken out of the
    /// context that goes back.
    pub fn recorded_switch(&self, context: &mut Context) -> Vec<GenericItem> {
        let asked = context.user_defined(SPEECH_SWITCH_KEY).and_then(Value::as_str).and_then(codes::normalize);
        clear_switch(context);
        match asked {
            Some(language) if context.has_integration(PHONE_INTEGRATION) => {
                self.get(&language).map(configuration_responses).unwrap_or_default()
            }
            _ => Vec::new(),
        }
    }

    /// The entry to move to, on the phone, when the call is not configured for `language` yet.
    fn moves_to(&self, context: &Context, language: &str, assistant: &str) -> Option<&VoiceModel> {
        if !context.has_integration(PHONE_INTEGRATION) {
            return None;
        }
        let current = context
            .user_defined(SPEECH_LANGUAGE_KEY)
            .and_then(Value::as_str)
            .and_then(codes::normalize)
            .unwrap_or_else(|| assistant.to_owned());
        if current == language { None } else { self.get(language) }
    }
}

fn clear_switch(context: &mut Context) {
    if context.user_defined(SPEECH_SWITCH_KEY).is_some() {
        context.remove_user_defined(SPEECH_SWITCH_KEY);
    }
}

/// IBM's `speech_to_text` and `text_to_speech` `configure` commands for one language.
pub fn configuration_responses(model: &VoiceModel) -> Vec<GenericItem> {
    let mut items = Vec::with_capacity(2);
    if let Some(recognition) = &model.recognition {
        items.push(GenericItem::SpeechToText(kept(json!({
            "command_info": {
                "type": "configure",
                "parameters": {
                    "update_strategy": "merge",
                    "narrowband_recognize": {"model": recognition},
                    "broadband_recognize": {"model": recognition}
                }
            }
        }))));
    }
    if let Some(voice) = &model.voice {
        items.push(GenericItem::TextToSpeech(kept(json!({
            "command_info": {
                "type": "configure",
                "parameters": {"update_strategy": "merge", "synthesize": {"voice": voice}}
            }
        }))));
    }
    items
}

fn kept(value: Value) -> KeptItem {
    match value {
        Value::Object(extra) => KeptItem { extra },
        _ => KeptItem::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_defaults_and_operator_maps() {
        let defaults = VoiceModels::parse(DEFAULT_VOICE_MODELS).unwrap();
        let es = defaults.get("es").unwrap();
        assert_eq!(es.recognition.as_deref(), Some("es-ES_Telephony"));
        assert_eq!(es.voice.as_deref(), Some("es-ES_EnriqueV3Voice"));
        assert!(defaults.get("pt-PT").is_some());
        let custom = VoiceModels::parse(" zh=zh-CN_Telephony/ , es = es-LA_Telephony/es-LA_SofiaV3Voice").unwrap();
        assert_eq!(custom.get("zh").unwrap().voice, None);
        assert_eq!(custom.get("es").unwrap().recognition.as_deref(), Some("es-LA_Telephony"));
        assert!(VoiceModels::parse("off").unwrap().is_empty());
        for bad in ["es", "klingon=x/y", "es=/", "es=es ES/voice", "es=a/b\"c"] {
            assert!(VoiceModels::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn switches_once_and_only_on_the_phone() {
        let models = VoiceModels::parse(DEFAULT_VOICE_MODELS).unwrap();
        let mut web: Context = serde_json::from_value(json!({"integrations": {"chat": {}}})).unwrap();
        assert!(models.switch(&mut web, "es", "en").is_empty());
        let mut phone: Context = serde_json::from_value(json!({"integrations": {"voice_telephony": {}}})).unwrap();
        assert!(models.switch(&mut phone, "en", "en").is_empty(), "a call starts in the assistant's language");
        let items = models.switch(&mut phone, "es", "en");
        let types: Vec<_> = items.iter().map(|item| item.response_type().unwrap_or_default()).collect();
        assert_eq!(types, ["speech_to_text", "text_to_speech"]);
        assert!(models.switch(&mut phone, "es", "en").is_empty(), "once");
        assert_eq!(models.switch(&mut phone, "en", "en").len(), 2, "and back");
        assert!(models.switch(&mut phone, "sv", "en").is_empty(), "no entry: nothing to switch");
    }

    #[test]
    fn premessage_s_record_asks_postmessage_once_per_change() {
        let models = VoiceModels::parse(DEFAULT_VOICE_MODELS).unwrap();
        let mut web: Context = serde_json::from_value(json!({"integrations": {"chat": {}}})).unwrap();
        assert!(!models.record_switch(&mut web, "es", "en"));
        assert_eq!(web, serde_json::from_value(json!({"integrations": {"chat": {}}})).unwrap(), "untouched");
        // Premessage's context is the one that lasts; postmessage's is thrown away each turn.
        let mut kept: Context = serde_json::from_value(json!({"integrations": {"voice_telephony": {}}})).unwrap();
        let mut sent = Vec::new();
        for language in ["en", "es", "es", "en", "en", "sv", "es"] {
            models.record_switch(&mut kept, language, "en");
            let mut post = kept.clone();
            let commands = models.recorded_switch(&mut post);
            assert!(post.user_defined(SPEECH_SWITCH_KEY).is_none(), "taken out of postmessage's context");
            assert_eq!(models.recorded_switch(&mut post).len(), 0, "and not sent twice if it is kept");
            sent.push(commands.len());
        }
        assert_eq!(sent, [0, 2, 0, 2, 0, 0, 2]);
        let mut other: Context = serde_json::from_value(json!({"integrations": {"chat": {}},
            "skills": {"main skill": {"user_defined": {"speech_switch": "es"}}}}))
        .unwrap();
        assert!(models.recorded_switch(&mut other).is_empty(), "off the phone");
    }
}
