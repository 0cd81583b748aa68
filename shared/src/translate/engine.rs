//! The one place a translation engine is chosen. Everything above it (the pipeline, the webhook
//! skeleton, the three translating functions and their `main.rs`) holds an [`Engine`] and never
//! names Amazon Translate.

use super::amazon::AmazonTranslate;
use super::settings::TranslationConfig;
use super::{SourceLanguage, TranslationResult, Translator};

/// The engine the translating functions use, as configured.
///
/// # Adding an engine
///
/// An LLM service beside Amazon Translate, say, is one new module and its configuration:
/// 1. `translate/<engine>.rs`: a type that implements [`Translator`], keeping the protected-HTML
///    contract written on the trait (tell the model to return the HTML as sent and to translate
///    only the text between the tags; the pipeline refuses an answer that breaks it), its own
///    deadline, errors as [`TranslateError`] (codes only), and a [`Translator::settings_key`]
///    that starts with the engine's name, so its translations never share a cache or memory
///    entry with another engine's.
/// 2. Its settings (endpoint, model, …) read from variables of its own beside
///    [`TranslationConfig`]'s, plus a `TRANSLATION_ENGINE` variable that names the engine.
/// 3. A variant here, its arm in [`Engine::configured`] and in the two `match`es below.
/// 4. Its parameters and the IAM permissions it needs in `template.yaml`.
///
/// Nothing else changes: the mains get their engine from [`Engine::configured`] through
/// [`super::Translating::configured`].
#[derive(Debug)]
pub enum Engine {
    Amazon(AmazonTranslate),
}

impl Engine {
    /// The engine `config` asks for, built without touching the network.
    pub fn configured(config: &TranslationConfig) -> Engine {
        Engine::Amazon(AmazonTranslate::from_environment(config.timeout, &config.settings))
    }
}

impl Translator for Engine {
    async fn translate(&self, text: &str, source: &SourceLanguage, target: &str) -> TranslationResult {
        match self {
            Engine::Amazon(engine) => engine.translate(text, source, target).await,
        }
    }

    fn settings_key(&self, target: &str) -> String {
        match self {
            Engine::Amazon(engine) => engine.settings_key(target),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::translate::TranslateError;
    use crate::translate::settings::{Formality, TranslationSettings};

    #[tokio::test]
    async fn the_engine_answers_and_keys_as_the_one_it_holds() {
        let settings = TranslationSettings { formality: Some(Formality::Formal), ..TranslationSettings::default() };
        let amazon = AmazonTranslate::disabled().with_settings(settings.clone());
        let engine = Engine::Amazon(AmazonTranslate::disabled().with_settings(settings));
        assert_eq!(engine.settings_key("de"), amazon.settings_key("de"), "the memory's ids stay as they were");
        let english = SourceLanguage::Code("en".into());
        assert_eq!(engine.translate("Hello", &english, "de").await, Err(TranslateError::Disabled));
    }
}
