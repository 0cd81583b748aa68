//! Configuration from the environment, read once at cold start. A missing or malformed value
//! fails the start with a message that names the variable (and never prints a secret).

use std::time::Duration;

use lambda_http::http::HeaderName;

use crate::auth::{AuthMode, Secret, WebhookAuth};
use crate::aws::Endpoint;
use crate::language;
use crate::translate::{Formality, TranslationSettings};

pub const DEFAULT_ASSISTANT_LANGUAGE: &str = "en";
pub const DEFAULT_SUPPORTED_LANGUAGES: &str = "en,es,fr,de,it,pt,nl,sv,pl,ru,tr,ar,hi,ja,zh,ko";
pub const DEFAULT_TRANSLATE_TIMEOUT_MS: u64 = 3000;
/// Watson caps pre/post-message bodies near 4 MB (IBM's pre-message page, "Error handling"); Lambda's own cap is 6 MB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
pub const DEFAULT_API_KEY_HEADER: &str = "x-api-key";
pub const DEFAULT_TRANSLATE_CACHE_ENTRIES: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{variable} is required: {why}")]
    Missing { variable: &'static str, why: String },
    #[error("{variable} is invalid: {why}")]
    Invalid { variable: &'static str, why: String },
}

/// What every webhook function reads from its environment.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub auth: WebhookAuth,
    /// `ASSISTANT_LANGUAGE`: the language the assistant is built in.
    pub assistant_language: String,
    /// `SUPPORTED_LANGUAGES`: the users' languages the offline check considers.
    pub supported_languages: Vec<String>,
    /// `TRANSLATE_TIMEOUT_MS`: the deadline for one translation, retry included.
    pub translate_timeout: Duration,
    /// `MAX_BODY_BYTES`: larger requests get 413.
    pub max_body_bytes: usize,
    /// `TRANSLATE_CACHE_ENTRIES`: translations kept per warm instance (0: no cache).
    pub translate_cache_entries: usize,
    /// `TRANSLATE_FORMALITY`, `TRANSLATE_PROFANITY`, `TRANSLATE_TERMINOLOGY`.
    pub translation: TranslationSettings,
    /// `PROTECTED_TERMS`: never translated, case-sensitive (brand and product names, commands).
    pub protected_terms: Vec<String>,
    /// `ALLOWED_LANGUAGES`, `LANGUAGE_NOT_OFFERED_MESSAGE`, `VOICE_MODELS`.
    pub language_choice: LanguageChoiceConfig,
    /// `TRANSLATION_TABLE` and its settings; `None` (unset): the memory is off.
    pub memory: Option<MemorySettings>,
    /// `TRANSLATION_MEMORY_INPUTS=on`: what users write (pre-message) goes into the memory too.
    pub memory_inputs: bool,
    /// `TRANSLATION_MEMORY_REFRESH_SECONDS`: how long a warm instance serves a machine translation
    /// from its cache before it asks the memory again, so that a reviewed translation imported
    /// meanwhile reaches it within that time (0: ask on every use).
    pub memory_refresh: Duration,
}

/// The translation memory's table and limits (see [`crate::memory`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemorySettings {
    /// `TRANSLATION_TABLE`.
    pub table: String,
    /// `TRANSLATION_TTL_DAYS`: how long a machine translation is kept (reviewed ones: always).
    pub ttl_days: u64,
    /// `TRANSLATION_MEMORY_TIMEOUT_MS`: the deadline of one read or write, retry included.
    pub timeout: Duration,
    /// `TRANSLATION_MEMORY_ENDPOINT`: a local DynamoDB (run-local.sh), with test credentials;
    /// unset, DynamoDB itself.
    pub endpoint: Endpoint,
}

/// Where every setting of every function is read from: one lookup by variable name, for
/// `WebhookConfig` and for a function's own settings alike (the log webhook's `LogSettings`,
/// dialog's deadline). In production [`Variables::of_function`]; tests give a table, so they
/// need not touch the process environment.
pub struct Variables<'a> {
    lookup: Box<Lookup<'a>>,
}

/// The value of a variable by name, as set (`None`: unset).
type Lookup<'a> = dyn Fn(&str) -> Option<String> + 'a;

impl<'a> Variables<'a> {
    pub fn new(lookup: impl Fn(&str) -> Option<String> + 'a) -> Self {
        Variables { lookup: Box::new(lookup) }
    }

    /// The process environment of `function`: `<FUNCTION>_<VARIABLE>` (e.g.
    /// `DIALOG_WEBHOOK_AUTH`) before `<VARIABLE>`. Under `cargo lambda watch` every function
    /// shares one environment, while each may need its own auth.
    pub fn of_function(function: &str) -> Variables<'static> {
        let prefix = function.to_ascii_uppercase();
        Variables::new(move |name| std::env::var(format!("{prefix}_{name}")).or_else(|_| std::env::var(name)).ok())
    }

    /// The value, trimmed; empty counts as unset (SAM passes unset parameters as empty strings).
    pub fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name).map(|value| value.trim().to_owned()).filter(|value| !value.is_empty())
    }

    /// The value as set: a secret is not trimmed, since a space may be part of one. Empty counts
    /// as unset.
    pub fn secret(&self, name: &str) -> Option<String> {
        (self.lookup)(name).filter(|value| !value.is_empty())
    }

    /// A whole number in `range`, `default` when unset; the error names the variable.
    pub fn number(
        &self,
        variable: &'static str,
        default: u64,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<u64, ConfigError> {
        let Some(value) = self.get(variable) else { return Ok(default) };
        value.parse::<u64>().ok().filter(|n| range.contains(n)).ok_or_else(|| ConfigError::Invalid {
            variable,
            why: format!("expected a whole number from {} to {}", range.start(), range.end()),
        })
    }

    /// A switch: `off` (or unset) is false, `on_word` is true, in any case; anything else is an
    /// error that names the variable.
    pub fn switch(&self, variable: &'static str, on_word: &str) -> Result<bool, ConfigError> {
        match self.get(variable).map(|value| value.to_ascii_lowercase()) {
            None => Ok(false),
            Some(value) if value == "off" => Ok(false),
            Some(value) if value == on_word => Ok(true),
            Some(_) => Err(ConfigError::Invalid { variable, why: format!("expected {on_word} or off") }),
        }
    }
}

/// A table of variables, set in order: a later entry overrides an earlier one.
impl<'a> From<&'a [(&'a str, &'a str)]> for Variables<'a> {
    fn from(table: &'a [(&'a str, &'a str)]) -> Self {
        Variables::new(|name| table.iter().rfind(|(key, _)| *key == name).map(|(_, value)| (*value).to_owned()))
    }
}

impl WebhookConfig {
    pub fn read(variables: &Variables) -> Result<Self, ConfigError> {
        let get = |name: &str| variables.get(name);

        let mode = match get("WEBHOOK_AUTH") {
            None => AuthMode::Jwt,
            Some(name) => {
                let mut header_error = None;
                let mode = AuthMode::from_name(&name, || {
                    let name = get("WEBHOOK_API_KEY_HEADER").unwrap_or_else(|| DEFAULT_API_KEY_HEADER.to_owned());
                    HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()).unwrap_or_else(|_| {
                        header_error = Some(ConfigError::Invalid {
                            variable: "WEBHOOK_API_KEY_HEADER",
                            why: "not a valid header name".into(),
                        });
                        HeaderName::from_static(DEFAULT_API_KEY_HEADER)
                    })
                });
                if let Some(error) = header_error {
                    return Err(error);
                }
                mode.ok_or_else(|| ConfigError::Invalid {
                    variable: "WEBHOOK_AUTH",
                    why: format!("expected one of {}", AuthMode::NAMES.join(", ")),
                })?
            }
        };
        let secret = |name: &str| variables.secret(name);
        let mut secrets = Vec::new();
        if mode != AuthMode::None {
            let current = secret("WEBHOOK_SECRET").ok_or_else(|| ConfigError::Missing {
                variable: "WEBHOOK_SECRET",
                why: format!(
                    "WEBHOOK_AUTH={} needs a secret (set WEBHOOK_AUTH=none to accept any caller)",
                    mode.name()
                ),
            })?;
            secrets.push(current);
            secrets.extend(secret("WEBHOOK_SECRET_PREVIOUS"));
            if mode == AuthMode::Basic
                && let Some(position) = secrets.iter().position(|s| !s.contains(':'))
            {
                let variable = if position == 0 { "WEBHOOK_SECRET" } else { "WEBHOOK_SECRET_PREVIOUS" };
                return Err(ConfigError::Invalid { variable, why: "basic auth expects user:password".into() });
            }
        }
        let auth = WebhookAuth::new(mode, secrets.into_iter().map(Secret::new).collect());

        let assistant_language = language_code(
            "ASSISTANT_LANGUAGE",
            get("ASSISTANT_LANGUAGE").as_deref().unwrap_or(DEFAULT_ASSISTANT_LANGUAGE),
        )?;
        let supported = get("SUPPORTED_LANGUAGES").unwrap_or_else(|| DEFAULT_SUPPORTED_LANGUAGES.to_owned());
        let mut supported_languages = Vec::new();
        for tag in supported.split(',').map(str::trim).filter(|tag| !tag.is_empty()) {
            let code = language_code("SUPPORTED_LANGUAGES", tag)?;
            if !supported_languages.contains(&code) {
                supported_languages.push(code);
            }
        }
        if !supported_languages.contains(&assistant_language) {
            supported_languages.push(assistant_language.clone());
        }

        let translate_timeout_ms =
            variables.number("TRANSLATE_TIMEOUT_MS", DEFAULT_TRANSLATE_TIMEOUT_MS, 50..=30_000)?;
        let max_body_bytes =
            variables.number("MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES as u64, 1024..=6 * 1024 * 1024)?;

        let translate_cache_entries =
            variables.number("TRANSLATE_CACHE_ENTRIES", DEFAULT_TRANSLATE_CACHE_ENTRIES as u64, 0..=100_000)?;

        let translation = TranslationSettings {
            formality: None,
            formality_by_language: Vec::new(),
            mask_profanity: variables.switch("TRANSLATE_PROFANITY", "mask")?,
            terminology: list(get("TRANSLATE_TERMINOLOGY").as_deref()),
        };
        let translation = formality(get("TRANSLATE_FORMALITY").as_deref(), translation)?;
        let protected_terms = list(get("PROTECTED_TERMS").as_deref());

        let language_choice = LanguageChoiceConfig::read(variables, &assistant_language)?;
        let memory = match get("TRANSLATION_TABLE") {
            None => None,
            Some(table) => {
                let valid = (3..=255).contains(&table.len())
                    && table.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
                if !valid {
                    return Err(ConfigError::Invalid {
                        variable: "TRANSLATION_TABLE",
                        why: "expected a DynamoDB table name (3-255 of a-z, A-Z, 0-9, _ - .)".into(),
                    });
                }
                Some(MemorySettings {
                    table,
                    ttl_days: variables.number("TRANSLATION_TTL_DAYS", crate::memory::DEFAULT_TTL_DAYS, 1..=3650)?,
                    timeout: Duration::from_millis(variables.number(
                        "TRANSLATION_MEMORY_TIMEOUT_MS",
                        crate::memory::DEFAULT_TIMEOUT_MS,
                        20..=5000,
                    )?),
                    endpoint: get("TRANSLATION_MEMORY_ENDPOINT").into(),
                })
            }
        };
        let memory_inputs = variables.switch("TRANSLATION_MEMORY_INPUTS", "on")?;

        let memory_refresh = Duration::from_secs(variables.number(
            "TRANSLATION_MEMORY_REFRESH_SECONDS",
            crate::memory::DEFAULT_REFRESH_SECONDS,
            0..=86_400,
        )?);

        Ok(WebhookConfig {
            auth,
            assistant_language,
            supported_languages,
            translate_timeout: Duration::from_millis(translate_timeout_ms),
            max_body_bytes: max_body_bytes as usize,
            translate_cache_entries: translate_cache_entries as usize,
            translation,
            protected_terms,
            language_choice,
            memory,
            memory_inputs,
            memory_refresh,
        })
    }
}

/// A comma-separated list, each entry trimmed, empty ones dropped.
fn list(value: Option<&str>) -> Vec<String> {
    value.into_iter().flat_map(|v| v.split(',')).map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned).collect()
}

/// `formal`, `informal`, or per language: `de:formal,es:informal` (a bare value sets the default).
fn formality(value: Option<&str>, mut settings: TranslationSettings) -> Result<TranslationSettings, ConfigError> {
    let invalid = |why: String| ConfigError::Invalid { variable: "TRANSLATE_FORMALITY", why };
    for entry in list(value) {
        match entry.split_once(':') {
            None => {
                settings.formality = Some(
                    Formality::parse(&entry)
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

// ---- Language choice: allowed languages, the answer outside them, phone voices ----

pub const DEFAULT_NOT_OFFERED_MESSAGE: &str = "Sorry, I can't chat in this language. I can chat in:";

/// What users may choose, and what a phone call switches to.
#[derive(Debug, Clone)]
pub struct LanguageChoiceConfig {
    /// `ALLOWED_LANGUAGES`: the languages users may use; `None` (unset, `any`): any language
    /// Amazon Translate supports. When set, it always holds the assistant's language.
    pub allowed_languages: Option<Vec<String>>,
    /// `LANGUAGE_NOT_OFFERED_MESSAGE`: the answer to a message in a language outside
    /// `ALLOWED_LANGUAGES`, in the assistant's language; the offered languages follow it.
    pub not_offered_message: String,
    /// `VOICE_MODELS`: the speech model and voice per language, for phone calls.
    pub voice_models: language::voice::VoiceModels,
}

impl LanguageChoiceConfig {
    fn read(variables: &Variables, assistant: &str) -> Result<Self, ConfigError> {
        let get = |name: &str| variables.get(name);
        let invalid = |variable, why| ConfigError::Invalid { variable, why };
        let allowed_languages = match get("ALLOWED_LANGUAGES") {
            None => None,
            Some(value) if matches!(value.to_ascii_lowercase().as_str(), "any" | "all" | "*") => None,
            Some(value) => {
                let mut codes = vec![assistant.to_owned()];
                for tag in value.split(',').map(str::trim).filter(|tag| !tag.is_empty()) {
                    let code = language::normalize(tag)
                        .filter(|code| language::is_translate_code(code) || language::is_known(code))
                        .ok_or_else(|| {
                            invalid(
                                "ALLOWED_LANGUAGES",
                                format!("`{tag}` is not a language code Amazon Translate supports"),
                            )
                        })?;
                    if !codes.contains(&code) {
                        codes.push(code);
                    }
                }
                Some(codes)
            }
        };
        let not_offered_message =
            get("LANGUAGE_NOT_OFFERED_MESSAGE").unwrap_or_else(|| DEFAULT_NOT_OFFERED_MESSAGE.to_owned());
        if not_offered_message.chars().count() > 1000 {
            return Err(invalid("LANGUAGE_NOT_OFFERED_MESSAGE", "expected at most 1000 characters".into()));
        }
        let voice_models = language::voice::VoiceModels::parse(
            get("VOICE_MODELS").as_deref().unwrap_or(language::voice::DEFAULT_VOICE_MODELS),
        )
        .map_err(|why| invalid("VOICE_MODELS", why))?;
        Ok(LanguageChoiceConfig { allowed_languages, not_offered_message, voice_models })
    }

    /// Whether users may use `code` (a region counts as its language: `pt-PT` is `pt`).
    pub fn is_allowed(&self, code: &str) -> bool {
        self.allowed_languages.as_ref().is_none_or(|allowed| {
            allowed.iter().any(|entry| entry == code || language::base(entry) == language::base(code))
        })
    }
}

#[cfg(test)]
mod language_choice_tests {
    use super::*;

    fn choice(vars: &[(&str, &str)]) -> Result<LanguageChoiceConfig, ConfigError> {
        LanguageChoiceConfig::read(&vars.into(), "en")
    }

    #[test]
    fn any_language_by_default_and_the_assistant_always_allowed() {
        let default = choice(&[]).unwrap();
        assert!(default.allowed_languages.is_none() && default.is_allowed("sw"));
        assert_eq!(default.not_offered_message, DEFAULT_NOT_OFFERED_MESSAGE);
        assert!(default.voice_models.get("es").is_some());
        let some = choice(&[("ALLOWED_LANGUAGES", "es, fr,pt-BR")]).unwrap();
        assert_eq!(
            some.allowed_languages.as_deref(),
            Some(&["en".to_owned(), "es".into(), "fr".into(), "pt".into()][..])
        );
        assert!(some.is_allowed("en") && some.is_allowed("pt-PT") && !some.is_allowed("de"));
        assert!(choice(&[("ALLOWED_LANGUAGES", "any")]).unwrap().allowed_languages.is_none());
    }

    #[test]
    fn errors_name_the_variable() {
        let error = choice(&[("ALLOWED_LANGUAGES", "es,klingon")]).unwrap_err();
        assert!(error.to_string().starts_with("ALLOWED_LANGUAGES is invalid"), "{error}");
        let error = choice(&[("VOICE_MODELS", "es=es ES")]).unwrap_err();
        assert!(error.to_string().starts_with("VOICE_MODELS is invalid"), "{error}");
        let long = "x".repeat(1001);
        let error = choice(&[("LANGUAGE_NOT_OFFERED_MESSAGE", &long)]).unwrap_err();
        assert!(error.to_string().starts_with("LANGUAGE_NOT_OFFERED_MESSAGE is invalid"), "{error}");
    }
}

fn language_code(variable: &'static str, tag: &str) -> Result<String, ConfigError> {
    language::normalize(tag).filter(|code| language::is_known(code)).ok_or_else(|| ConfigError::Invalid {
        variable,
        why: format!(
            "`{tag}` is not a language code the offline check knows (known: {})",
            language::known_codes().collect::<Vec<_>>().join(",")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<WebhookConfig, ConfigError> {
        WebhookConfig::read(&vars.into())
    }

    #[test]
    fn one_reading_of_every_variable() {
        let table = [("A", "  7 "), ("EMPTY", " "), ("SECRET", " s p "), ("A", "8"), ("BAD", "7s")];
        let variables = Variables::from(&table[..]);
        assert_eq!(variables.get("A").as_deref(), Some("8"), "a later entry overrides");
        assert_eq!((variables.get("EMPTY"), variables.get("UNSET")), (None, None));
        assert_eq!(variables.secret("SECRET").as_deref(), Some(" s p "), "a secret is not trimmed");
        assert_eq!(variables.number("A", 1, 0..=10), Ok(8));
        assert_eq!(variables.number("UNSET", 1, 0..=10), Ok(1));
        for (name, range) in [("BAD", 0..=10), ("A", 0..=5)] {
            let error = variables.number(name, 1, range).unwrap_err().to_string();
            assert!(error.starts_with(&format!("{name} is invalid: expected a whole number")), "{error}");
        }
    }

    #[test]
    fn defaults_need_only_the_secret() {
        let config = config(&[("WEBHOOK_SECRET", "s")]).unwrap();
        assert_eq!(config.auth.mode(), &AuthMode::Jwt);
        assert_eq!(config.assistant_language, "en");
        assert_eq!(config.supported_languages.len(), 16);
        assert_eq!(config.translate_timeout, Duration::from_millis(3000));
        assert_eq!(config.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
    }

    #[test]
    fn errors_name_the_variable_and_not_the_secret() {
        let error = config(&[]).unwrap_err();
        assert!(error.to_string().starts_with("WEBHOOK_SECRET is required"), "{error}");
        let error = config(&[("WEBHOOK_AUTH", "oauth"), ("WEBHOOK_SECRET", "s")]).unwrap_err();
        assert!(error.to_string().starts_with("WEBHOOK_AUTH is invalid"), "{error}");
        let error = config(&[("WEBHOOK_AUTH", "basic"), ("WEBHOOK_SECRET", "no-colon-secret")]).unwrap_err();
        assert!(error.to_string().contains("WEBHOOK_SECRET") && !error.to_string().contains("no-colon-secret"));
        let error = config(&[("WEBHOOK_SECRET", "s"), ("ASSISTANT_LANGUAGE", "klingon")]).unwrap_err();
        assert!(error.to_string().starts_with("ASSISTANT_LANGUAGE is invalid"), "{error}");
        let error = config(&[("WEBHOOK_SECRET", "s"), ("SUPPORTED_LANGUAGES", "en,xx")]).unwrap_err();
        assert!(error.to_string().starts_with("SUPPORTED_LANGUAGES is invalid"), "{error}");
        let error = config(&[("WEBHOOK_SECRET", "s"), ("TRANSLATE_TIMEOUT_MS", "3s")]).unwrap_err();
        assert!(error.to_string().starts_with("TRANSLATE_TIMEOUT_MS is invalid"), "{error}");
    }

    #[test]
    fn translation_settings_and_protected_terms() {
        let config = config(&[
            ("WEBHOOK_SECRET", "s"),
            ("TRANSLATE_FORMALITY", "informal, de:formal"),
            ("TRANSLATE_PROFANITY", "MASK"),
            ("TRANSLATE_TERMINOLOGY", "brand-terms, support"),
            ("PROTECTED_TERMS", "Acme Cloud, FAQ ,,reset password"),
        ])
        .unwrap();
        assert_eq!(config.translation.formality_for("de"), Some(Formality::Formal));
        assert_eq!(config.translation.formality_for("es"), Some(Formality::Informal));
        assert!(config.translation.mask_profanity);
        assert_eq!(config.translation.terminology, ["brand-terms", "support"]);
        assert_eq!(config.protected_terms, ["Acme Cloud", "FAQ", "reset password"]);
        assert_ne!(config.translation.key("de"), config.translation.key("es"));

        let error = config_error(&[("TRANSLATE_FORMALITY", "polite")]);
        assert!(error.starts_with("TRANSLATE_FORMALITY is invalid"), "{error}");
        let error = config_error(&[("TRANSLATE_FORMALITY", "english:formal")]);
        assert!(error.starts_with("TRANSLATE_FORMALITY is invalid"), "{error}");
        let error = config_error(&[("TRANSLATE_PROFANITY", "hide")]);
        assert!(error.starts_with("TRANSLATE_PROFANITY is invalid"), "{error}");
    }

    #[test]
    fn the_memory_is_off_without_a_table_and_checked_with_one() {
        let off = config(&[("WEBHOOK_SECRET", "s"), ("TRANSLATION_TTL_DAYS", "7")]).unwrap();
        assert_eq!((off.memory, off.memory_inputs), (None, false));
        let on = config(&[
            ("WEBHOOK_SECRET", "s"),
            ("TRANSLATION_TABLE", "webhooks-translations"),
            ("TRANSLATION_TTL_DAYS", "7"),
            ("TRANSLATION_MEMORY_INPUTS", "ON"),
        ])
        .unwrap();
        let memory = on.memory.unwrap();
        assert_eq!(
            (memory.table.as_str(), memory.ttl_days, memory.timeout),
            ("webhooks-translations", 7, Duration::from_millis(300))
        );
        assert!(on.memory_inputs);
        assert_eq!(on.memory_refresh, Duration::from_secs(300));
        let refresh = config(&[("WEBHOOK_SECRET", "s"), ("TRANSLATION_MEMORY_REFRESH_SECONDS", "60")]).unwrap();
        assert_eq!(refresh.memory_refresh, Duration::from_secs(60));
        for (variable, value) in [
            ("TRANSLATION_MEMORY_REFRESH_SECONDS", "86401"),
            ("TRANSLATION_MEMORY_REFRESH_SECONDS", "5m"),
            ("TRANSLATION_TTL_DAYS", "0"),
            ("TRANSLATION_MEMORY_TIMEOUT_MS", "1s"),
            ("TRANSLATION_MEMORY_INPUTS", "yes"),
            ("TRANSLATION_TABLE", "a b"),
        ] {
            let error = config_error(&[("TRANSLATION_TABLE", "translations"), (variable, value)]);
            assert!(error.starts_with(&format!("{variable} is invalid")), "{error}");
        }
    }

    fn config_error(vars: &[(&str, &str)]) -> String {
        let mut vars = vars.to_vec();
        vars.push(("WEBHOOK_SECRET", "s"));
        config(&vars).unwrap_err().to_string()
    }

    #[test]
    fn none_needs_no_secret_and_api_key_takes_a_header() {
        assert_eq!(config(&[("WEBHOOK_AUTH", "none")]).unwrap().auth.mode(), &AuthMode::None);
        let config =
            config(&[("WEBHOOK_AUTH", "api-key"), ("WEBHOOK_SECRET", "k"), ("WEBHOOK_API_KEY_HEADER", "X-Watson-Key")])
                .unwrap();
        assert_eq!(config.auth.mode(), &AuthMode::ApiKey { header: HeaderName::from_static("x-watson-key") });
    }
}
