//! What the operator asks of translation: the settings every engine call carries (formality,
//! profanity, terminology) and the translating functions' own settings (the engine's deadline,
//! the warm cache, the protected terms, the translation memory), read once at cold start.

use std::time::Duration;

use super::limits::TranslateLimits;
use crate::config::{ConfigError, Variables};
use crate::language;
use crate::memory::MemorySettings;
use crate::memory::admission::AdmissionSettings;

pub const DEFAULT_TRANSLATE_TIMEOUT_MS: u64 = 3000;
pub const DEFAULT_TRANSLATE_CACHE_ENTRIES: usize = 1000;

/// `TRANSLATE_FORMALITY`'s values (Amazon Translate Developer Guide, "Setting formality in Amazon
/// Translate": a target language without formality support ignores it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Formality {
    Formal,
    Informal,
}

impl Formality {
    pub fn name(self) -> &'static str {
        match self {
            Formality::Formal => "formal",
            Formality::Informal => "informal",
        }
    }

    pub fn parse(value: &str) -> Option<Formality> {
        match value.trim().to_ascii_lowercase().as_str() {
            "formal" => Some(Formality::Formal),
            "informal" => Some(Formality::Informal),
            _ => None,
        }
    }
}

/// What the operator asks of every engine call: formality (for every target or per target
/// language), profanity masking and custom terminologies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TranslationSettings {
    /// For any target without its own entry.
    pub formality: Option<Formality>,
    /// Per target language, e.g. `de:formal,es:informal`.
    pub formality_by_language: Vec<(String, Formality)>,
    /// `TRANSLATE_PROFANITY=mask`.
    pub mask_profanity: bool,
    /// `TRANSLATE_TERMINOLOGY`: custom terminology names, sent as `TerminologyNames`.
    pub terminology: Vec<String>,
}

impl TranslationSettings {
    /// `TRANSLATE_FORMALITY`, `TRANSLATE_PROFANITY`, `TRANSLATE_TERMINOLOGY`.
    pub fn read(variables: &Variables) -> Result<Self, ConfigError> {
        let settings = TranslationSettings {
            formality: None,
            formality_by_language: Vec::new(),
            mask_profanity: variables.switch("TRANSLATE_PROFANITY", "mask")?,
            terminology: variables.list("TRANSLATE_TERMINOLOGY"),
        };
        formality(&variables.list("TRANSLATE_FORMALITY"), settings)
    }

    pub fn formality_for(&self, target: &str) -> Option<Formality> {
        self.formality_by_language.iter().find(|(code, _)| code == target).map(|(_, f)| *f).or(self.formality)
    }

    /// Everything here that changes a translation into `target`, as a short stable string for
    /// cache keys: two settings that translate differently never share an entry.
    pub fn key(&self, target: &str) -> String {
        let formality = self.formality_for(target).map_or("", Formality::name);
        let profanity = if self.mask_profanity { "mask" } else { "" };
        format!("f={formality};p={profanity};t={}", self.terminology.join(","))
    }
}

/// `formal`, `informal`, or per language: `de:formal,es:informal` (a bare value sets the default).
fn formality(entries: &[String], mut settings: TranslationSettings) -> Result<TranslationSettings, ConfigError> {
    let invalid = |why: String| ConfigError::Invalid { variable: "TRANSLATE_FORMALITY", why };
    for entry in entries {
        match entry.split_once(':') {
            None => {
                settings.formality = Some(
                    Formality::parse(entry)
                        .ok_or_else(|| invalid("expected formal, informal or lang:formal".into()))?,
                );
            }
            Some((tag, level)) => {
                let code =
                    language::normalize(tag).ok_or_else(|| invalid(format!("`{tag}` is not a language code")))?;
                let level = Formality::parse(level).ok_or_else(|| invalid("expected formal or informal".into()))?;
                settings.formality_by_language.push((code, level));
            }
        }
    }
    Ok(settings)
}

/// What a translating function (pre-message, post-message, dialog) reads for its translation
/// part, and nothing else reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranslationConfig {
    /// `TRANSLATE_TIMEOUT_MS`: the deadline for one engine call, retry included.
    pub timeout: Duration,
    /// `TRANSLATE_FORMALITY`, `TRANSLATE_PROFANITY`, `TRANSLATE_TERMINOLOGY`.
    pub settings: TranslationSettings,
    /// `PROTECTED_TERMS`: never translated, case-sensitive (brand and product names, commands).
    pub protected_terms: Vec<String>,
    /// `TRANSLATE_CACHE_ENTRIES`: translations kept per warm instance (0: no cache).
    pub cache_entries: usize,
    /// `TRANSLATION_TABLE` and its settings; `None` (unset): the memory is off.
    pub memory: Option<MemorySettings>,
    /// `TRANSLATION_MEMORY_REFRESH_SECONDS`: how long a warm instance serves a machine translation
    /// from its cache before it asks the memory again, so that a reviewed translation imported
    /// meanwhile reaches it within that time (0: ask on every use).
    pub memory_refresh: Duration,
    /// `MAX_TEXTS_PER_REPLY`, `MAX_TRANSLATE_CHARS`, `TRANSLATE_CONCURRENCY`,
    /// `TRANSLATE_REPLY_DEADLINE_MS`: what bounds one request's translations.
    pub limits: TranslateLimits,
    /// `MEMORY_ADMIT_SESSIONS`, `MEMORY_ADMIT_KEY`: what enters the memory.
    pub admission: AdmissionSettings,
    /// `TRANSLATION_TEMPLATES` (`on` unless `off`): per-user values replaced by placeholders
    /// before the cache, the memory and the engine (`template.rs`).
    pub templates: bool,
}

impl TranslationConfig {
    pub fn read(variables: &Variables) -> Result<Self, ConfigError> {
        let timeout_ms = variables.number("TRANSLATE_TIMEOUT_MS", DEFAULT_TRANSLATE_TIMEOUT_MS, 50..=30_000)?;
        let cache_entries =
            variables.number("TRANSLATE_CACHE_ENTRIES", DEFAULT_TRANSLATE_CACHE_ENTRIES as u64, 0..=100_000)?;
        let refresh_seconds = variables.number(
            "TRANSLATION_MEMORY_REFRESH_SECONDS",
            crate::memory::DEFAULT_REFRESH_SECONDS,
            0..=86_400,
        )?;
        let memory = MemorySettings::read(variables)?;
        let templates =
            variables.get("TRANSLATION_TEMPLATES").is_none() || variables.switch("TRANSLATION_TEMPLATES", "on")?;
        Ok(TranslationConfig {
            timeout: Duration::from_millis(timeout_ms),
            settings: TranslationSettings::read(variables)?,
            protected_terms: variables.list("PROTECTED_TERMS"),
            cache_entries: cache_entries as usize,
            admission: AdmissionSettings::read(variables, memory.is_some())?,
            memory,
            memory_refresh: Duration::from_secs(refresh_seconds),
            limits: TranslateLimits::read(variables)?,
            templates,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<TranslationConfig, ConfigError> {
        TranslationConfig::read(&vars.into())
    }

    fn config_error(vars: &[(&str, &str)]) -> String {
        config(vars).unwrap_err().to_string()
    }

    #[test]
    fn defaults_need_nothing() {
        let config = config(&[]).unwrap();
        assert_eq!(config.timeout, Duration::from_millis(3000));
        assert_eq!(config.cache_entries, DEFAULT_TRANSLATE_CACHE_ENTRIES);
        assert_eq!((config.memory, config.memory_refresh), (None, Duration::from_secs(300)));
        assert_eq!(config.settings, TranslationSettings::default());
        assert_eq!(config.limits, TranslateLimits::default());
        assert!(config.templates, "templates are on unless turned off");
        assert!(!self::config(&[("TRANSLATION_TEMPLATES", "off")]).unwrap().templates);
        let error = config_error(&[("TRANSLATION_TEMPLATES", "no")]);
        assert!(error.starts_with("TRANSLATION_TEMPLATES is invalid"), "{error}");
        let error = config_error(&[("TRANSLATE_TIMEOUT_MS", "3s")]);
        assert!(error.starts_with("TRANSLATE_TIMEOUT_MS is invalid"), "{error}");
    }

    #[test]
    fn translation_settings_and_protected_terms() {
        let config = config(&[
            ("TRANSLATE_FORMALITY", "informal, de:formal"),
            ("TRANSLATE_PROFANITY", "MASK"),
            ("TRANSLATE_TERMINOLOGY", "brand-terms, support"),
            ("PROTECTED_TERMS", "Acme Cloud, FAQ ,,reset password"),
        ])
        .unwrap();
        assert_eq!(config.settings.formality_for("de"), Some(Formality::Formal));
        assert_eq!(config.settings.formality_for("es"), Some(Formality::Informal));
        assert!(config.settings.mask_profanity);
        assert_eq!(config.settings.terminology, ["brand-terms", "support"]);
        assert_eq!(config.protected_terms, ["Acme Cloud", "FAQ", "reset password"]);
        assert_ne!(config.settings.key("de"), config.settings.key("es"));

        let error = config_error(&[("TRANSLATE_FORMALITY", "polite")]);
        assert!(error.starts_with("TRANSLATE_FORMALITY is invalid"), "{error}");
        let error = config_error(&[("TRANSLATE_FORMALITY", "english:formal")]);
        assert!(error.starts_with("TRANSLATE_FORMALITY is invalid"), "{error}");
        let error = config_error(&[("TRANSLATE_PROFANITY", "hide")]);
        assert!(error.starts_with("TRANSLATE_PROFANITY is invalid"), "{error}");
    }

    #[test]
    fn the_memory_is_off_without_a_table_and_checked_with_one() {
        let off = config(&[("TRANSLATION_TTL_DAYS", "7")]).unwrap();
        assert_eq!(off.memory, None);
        let on = config(&[
            ("TRANSLATION_TABLE", "webhooks-translations"),
            ("TRANSLATION_TTL_DAYS", "7"),
            ("MEMORY_ADMIT_KEY", "a-deployment-secret-0123"),
        ])
        .unwrap();
        let memory = on.memory.unwrap();
        assert_eq!(
            (memory.table.as_str(), memory.ttl_days, memory.timeout),
            ("webhooks-translations", 7, Duration::from_millis(300))
        );
        let refresh = config(&[("TRANSLATION_MEMORY_REFRESH_SECONDS", "60")]).unwrap();
        assert_eq!(refresh.memory_refresh, Duration::from_secs(60));
        for (variable, value) in [
            ("TRANSLATION_MEMORY_REFRESH_SECONDS", "86401"),
            ("TRANSLATION_MEMORY_REFRESH_SECONDS", "5m"),
            ("TRANSLATION_TTL_DAYS", "0"),
            ("TRANSLATION_MEMORY_TIMEOUT_MS", "1s"),
            ("TRANSLATION_TABLE", "a b"),
        ] {
            let error = config_error(&[
                ("TRANSLATION_TABLE", "translations"),
                ("MEMORY_ADMIT_SESSIONS", "1"),
                (variable, value),
            ]);
            assert!(error.starts_with(&format!("{variable} is invalid")), "{error}");
        }
    }
}
