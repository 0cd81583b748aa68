//! Configuration from the environment, read once at cold start. A missing or malformed value
//! fails the start with a message that names the variable (and never prints a secret).
//!
//! Each part reads only its own settings: the edge [`EdgeConfig`] (auth, read in [`read_auth`]
//! alone, and the body limit); the translation part `crate::translate::TranslationConfig`; each
//! function its own type (pre-message's, post-message's and dialog's in their crates, built from
//! [`Languages`], [`LanguageChoiceConfig`], [`voice_models`] as they need).

use lambda_http::http::HeaderName;

use crate::auth::{AuthMode, DEFAULT_JWT_MAX_LIFETIME_SECONDS, JwtPolicy, MIN_SECRET_BYTES, Secret, WebhookAuth};
use crate::language;
use crate::oauth::{OAuthSettings, OAuthVerifier};

pub const DEFAULT_ASSISTANT_LANGUAGE: &str = "en";
pub const DEFAULT_SUPPORTED_LANGUAGES: &str = "en,es,fr,de,it,pt,nl,sv,pl,ru,tr,ar,hi,ja,zh,ko";
/// Watson caps pre/post-message bodies near 4 MB (IBM's pre-message page, "Error handling"); Lambda's own cap is 6 MB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
pub const DEFAULT_API_KEY_HEADER: &str = "x-api-key";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{variable} is required: {why}")]
    Missing { variable: &'static str, why: String },
    #[error("{variable} is invalid: {why}")]
    Invalid { variable: &'static str, why: String },
}

/// Where every setting of every function is read from: one lookup by variable name, for the
/// edge's [`EdgeConfig`] and for a function's own settings alike (the log webhook's
/// `LogSettings`, the translation part's `TranslationConfig`, dialog's deadline). In production [`Variables::of_function`]; tests give a table, so they
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

    /// These variables with `set` on top (e.g. secrets read from Parameter Store at cold start).
    pub fn with(self, set: Vec<(&'static str, String)>) -> Variables<'a> {
        Variables::new(move |name| {
            set.iter().find(|(key, _)| *key == name).map(|(_, value)| value.clone()).or_else(|| (self.lookup)(name))
        })
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

    /// A comma-separated list, each entry trimmed, empty ones dropped; unset is empty.
    pub fn list(&self, name: &str) -> Vec<String> {
        let value = self.get(name).unwrap_or_default();
        value.split(',').map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned).collect()
    }
}

/// A table of variables, set in order: a later entry overrides an earlier one.
impl<'a> From<&'a [(&'a str, &'a str)]> for Variables<'a> {
    fn from(table: &'a [(&'a str, &'a str)]) -> Self {
        Variables::new(|name| table.iter().rfind(|(key, _)| *key == name).map(|(_, value)| (*value).to_owned()))
    }
}

/// Reads settings of `function` with `read`, from the function's variables
/// ([`Variables::of_function`]: `<FUNCTION>_<VARIABLE>` overrides `<VARIABLE>`); a bad value fails
/// the cold start with one line naming the variable (never its value: it could be a secret).
pub fn settings<T>(
    function: &str,
    read: impl FnOnce(&Variables) -> Result<T, ConfigError>,
) -> Result<T, lambda_http::Error> {
    read(&Variables::of_function(function)).map_err(|error| refuse(function, error))
}

/// A cold start refused: one line naming the variable (never its value), and the error for `main`.
pub fn refuse(function: &str, error: ConfigError) -> lambda_http::Error {
    tracing::error!(%error, "{function}: configuration error");
    error.into()
}

/// What the edge needs, and every function reads: who may call, and how large a body it takes.
/// Nothing about what a function does with the body.
#[derive(Debug, Clone)]
pub struct EdgeConfig {
    pub auth: WebhookAuth,
    /// `MAX_BODY_BYTES`: larger requests get 413.
    pub max_body_bytes: usize,
}

impl EdgeConfig {
    pub fn read(variables: &Variables) -> Result<Self, ConfigError> {
        let auth = read_auth(variables)?;
        let max_body_bytes =
            variables.number("MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES as u64, 1024..=6 * 1024 * 1024)?;
        Ok(EdgeConfig { auth, max_body_bytes: max_body_bytes as usize })
    }
}

/// The one reading of the auth settings: `WEBHOOK_AUTH`, `WEBHOOK_API_KEY_HEADER`,
/// `WEBHOOK_SECRET` and `WEBHOOK_SECRET_PREVIOUS` (each at least [`MIN_SECRET_BYTES`]),
/// `JWT_MAX_LIFETIME_SECONDS`, `JWT_REQUIRE_EXP`, and in `oauth2` mode the `OAUTH_*` settings.
pub fn read_auth(variables: &Variables) -> Result<WebhookAuth, ConfigError> {
    let mode = auth_mode(variables)?;
    let policy = JwtPolicy {
        max_lifetime_seconds: variables.number(
            "JWT_MAX_LIFETIME_SECONDS",
            DEFAULT_JWT_MAX_LIFETIME_SECONDS,
            60..=7 * 24 * 3600,
        )?,
        require_exp: variables.switch("JWT_REQUIRE_EXP", "on")?,
    };
    let secrets = if mode.uses_secret() { read_secrets(variables, &mode)? } else { Vec::new() };
    let auth = WebhookAuth::new(mode.clone(), secrets).with_policy(policy);
    if mode == AuthMode::OAuth2 {
        return Ok(auth.with_oauth(OAuthVerifier::new(OAuthSettings::read(variables)?)?));
    }
    Ok(auth)
}

/// `WEBHOOK_AUTH` (default `jwt`), and `WEBHOOK_API_KEY_HEADER` for `api-key`.
fn auth_mode(variables: &Variables) -> Result<AuthMode, ConfigError> {
    let get = |name: &str| variables.get(name);
    let Some(name) = get("WEBHOOK_AUTH") else { return Ok(AuthMode::Jwt) };
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
    })
}

/// `WEBHOOK_SECRET` and, during a rotation, `WEBHOOK_SECRET_PREVIOUS`: each at least
/// [`MIN_SECRET_BYTES`] bytes and not only whitespace (for `basic`, `user:password` with a password
/// that long).
fn read_secrets(variables: &Variables, mode: &AuthMode) -> Result<Vec<Secret>, ConfigError> {
    let current = variables.secret("WEBHOOK_SECRET").ok_or_else(|| ConfigError::Missing {
        variable: "WEBHOOK_SECRET",
        why: format!(
            "WEBHOOK_AUTH={} needs a secret (or WEBHOOK_SECRET_PARAMETER; WEBHOOK_AUTH=none accepts any caller)",
            mode.name()
        ),
    })?;
    let mut secrets = vec![("WEBHOOK_SECRET", current)];
    secrets.extend(variables.secret("WEBHOOK_SECRET_PREVIOUS").map(|previous| ("WEBHOOK_SECRET_PREVIOUS", previous)));
    for (variable, secret) in &secrets {
        check_secret(variable, secret, mode)?;
    }
    Ok(secrets.into_iter().map(|(_, secret)| Secret::new(secret)).collect())
}

fn check_secret(variable: &'static str, secret: &str, mode: &AuthMode) -> Result<(), ConfigError> {
    let invalid = |why: String| ConfigError::Invalid { variable, why };
    let key = if *mode == AuthMode::Basic {
        secret.split_once(':').ok_or_else(|| invalid("basic auth expects user:password".into()))?.1
    } else {
        secret
    };
    let what = if *mode == AuthMode::Basic { "the password" } else { "the secret" };
    if key.len() < MIN_SECRET_BYTES || key.trim().is_empty() {
        return Err(invalid(format!(
            "{what} must be at least {MIN_SECRET_BYTES} bytes (e.g. `openssl rand -base64 32`)"
        )));
    }
    Ok(())
}

/// The languages a translating function works between.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Languages {
    /// `ASSISTANT_LANGUAGE`: the language the assistant is built in.
    pub assistant: String,
    /// `SUPPORTED_LANGUAGES`: the users' languages the offline check considers; always holds
    /// the assistant's.
    pub supported: Vec<String>,
}

impl Languages {
    pub fn read(variables: &Variables) -> Result<Self, ConfigError> {
        let assistant = assistant_language(variables)?;
        let listed = variables.get("SUPPORTED_LANGUAGES").unwrap_or_else(|| DEFAULT_SUPPORTED_LANGUAGES.to_owned());
        let mut supported = Vec::new();
        for tag in listed.split(',').map(str::trim).filter(|tag| !tag.is_empty()) {
            let code = language_code("SUPPORTED_LANGUAGES", tag)?;
            if !supported.contains(&code) {
                supported.push(code);
            }
        }
        if !supported.contains(&assistant) {
            supported.push(assistant.clone());
        }
        Ok(Languages { assistant, supported })
    }
}

/// `ASSISTANT_LANGUAGE`, default `en`.
pub fn assistant_language(variables: &Variables) -> Result<String, ConfigError> {
    let tag = variables.get("ASSISTANT_LANGUAGE");
    language_code("ASSISTANT_LANGUAGE", tag.as_deref().unwrap_or(DEFAULT_ASSISTANT_LANGUAGE))
}

/// `VOICE_MODELS`: the speech model and voice per language, for phone calls.
pub fn voice_models(variables: &Variables) -> Result<language::voice::VoiceModels, ConfigError> {
    let spec = variables.get("VOICE_MODELS");
    language::voice::VoiceModels::parse(spec.as_deref().unwrap_or(language::voice::DEFAULT_VOICE_MODELS))
        .map_err(|why| ConfigError::Invalid { variable: "VOICE_MODELS", why })
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
    /// The choice's settings, for an assistant in `assistant`.
    pub fn read(variables: &Variables, assistant: &str) -> Result<Self, ConfigError> {
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
        Ok(LanguageChoiceConfig { allowed_languages, not_offered_message, voice_models: voice_models(variables)? })
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

    /// A secret of the least length allowed.
    const S: &str = "a-test-secret-of-32-bytes-000000";

    fn edge(vars: &[(&str, &str)]) -> Result<EdgeConfig, ConfigError> {
        EdgeConfig::read(&vars.into())
    }

    #[test]
    fn one_reading_of_every_variable() {
        let table = [("A", "  7 "), ("EMPTY", " "), ("SECRET", " s p "), ("A", "8"), ("BAD", "7s"), ("L", " a, ,b ")];
        let variables = Variables::from(&table[..]);
        assert_eq!(variables.get("A").as_deref(), Some("8"), "a later entry overrides");
        assert_eq!((variables.get("EMPTY"), variables.get("UNSET")), (None, None));
        assert_eq!(variables.secret("SECRET").as_deref(), Some(" s p "), "a secret is not trimmed");
        assert_eq!(variables.number("A", 1, 0..=10), Ok(8));
        assert_eq!(variables.number("UNSET", 1, 0..=10), Ok(1));
        assert_eq!((variables.list("L"), variables.list("UNSET")), (vec!["a".to_owned(), "b".into()], vec![]));
        for (name, range) in [("BAD", 0..=10), ("A", 0..=5)] {
            let error = variables.number(name, 1, range).unwrap_err().to_string();
            assert!(error.starts_with(&format!("{name} is invalid: expected a whole number")), "{error}");
        }
    }

    #[test]
    fn the_edge_needs_only_the_secret() {
        let config = edge(&[("WEBHOOK_SECRET", S)]).unwrap();
        assert_eq!(config.auth.mode(), &AuthMode::Jwt);
        assert_eq!(config.auth.policy(), &JwtPolicy::default());
        assert_eq!(config.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
        let error = edge(&[("WEBHOOK_SECRET", S), ("MAX_BODY_BYTES", "1k")]).unwrap_err();
        assert!(error.to_string().starts_with("MAX_BODY_BYTES is invalid"), "{error}");
    }

    #[test]
    fn the_edge_reads_nothing_of_what_a_function_does() {
        // Every other function's variables, each set to a value its reader refuses.
        let bad = [
            ("WEBHOOK_SECRET", S),
            ("VOICE_MODELS", "es=es ES"),
            ("ASSISTANT_LANGUAGE", "klingon"),
            ("TRANSLATE_TIMEOUT_MS", "3s"),
            ("TRANSLATION_TABLE", "a b"),
            ("ALLOWED_LANGUAGES", "klingon"),
        ];
        assert!(edge(&bad).is_ok());
        let variables = Variables::from(&bad[..]);
        assert!(voice_models(&variables).is_err() && Languages::read(&variables).is_err());
    }

    #[test]
    fn errors_name_the_variable_and_not_the_secret() {
        let error = edge(&[]).unwrap_err();
        assert!(error.to_string().starts_with("WEBHOOK_SECRET is required"), "{error}");
        let error = edge(&[("WEBHOOK_AUTH", "oauth"), ("WEBHOOK_SECRET", S)]).unwrap_err();
        assert!(error.to_string().starts_with("WEBHOOK_AUTH is invalid"), "{error}");
        let error = edge(&[("WEBHOOK_AUTH", "basic"), ("WEBHOOK_SECRET", "no-colon-secret")]).unwrap_err();
        assert!(error.to_string().contains("WEBHOOK_SECRET") && !error.to_string().contains("no-colon-secret"));
        for (key, value) in [("JWT_MAX_LIFETIME_SECONDS", "0"), ("JWT_REQUIRE_EXP", "yes")] {
            let error = edge(&[("WEBHOOK_SECRET", S), (key, value)]).unwrap_err();
            assert!(error.to_string().starts_with(&format!("{key} is invalid")), "{error}");
        }
    }

    #[test]
    fn a_short_or_blank_secret_is_refused_naming_its_variable() {
        let short = "s".repeat(MIN_SECRET_BYTES - 1);
        let blank = " ".repeat(40);
        for (variable, rows) in [
            ("WEBHOOK_SECRET", vec![("WEBHOOK_SECRET", short.as_str())]),
            ("WEBHOOK_SECRET", vec![("WEBHOOK_SECRET", blank.as_str())]),
            ("WEBHOOK_SECRET_PREVIOUS", vec![("WEBHOOK_SECRET", S), ("WEBHOOK_SECRET_PREVIOUS", "old")]),
        ] {
            let error = edge(&rows).unwrap_err().to_string();
            assert!(
                error.starts_with(&format!("{variable} is invalid: the secret must be at least 32 bytes")),
                "{error}"
            );
            assert!(!error.contains(&short) && !error.contains("old"), "{error}");
        }
        let short_password = format!("watson:{short}");
        let error = edge(&[("WEBHOOK_AUTH", "basic"), ("WEBHOOK_SECRET", &short_password)]).unwrap_err();
        assert!(error.to_string().starts_with("WEBHOOK_SECRET is invalid: the password"), "{error}");
        let password = format!("watson:{S}");
        assert!(edge(&[("WEBHOOK_AUTH", "basic"), ("WEBHOOK_SECRET", &password)]).is_ok());
    }

    #[test]
    fn oauth2_needs_an_issuer_and_no_secret() {
        let config = edge(&[("WEBHOOK_AUTH", "OAuth2"), ("OAUTH_ISSUER", "https://i.example"), ("OAUTH_SCOPES", "s")]);
        assert_eq!(config.unwrap().auth.mode(), &AuthMode::OAuth2);
        let error = edge(&[("WEBHOOK_AUTH", "oauth2")]).unwrap_err();
        assert!(error.to_string().starts_with("OAUTH_ISSUER is required"), "{error}");
    }

    #[test]
    fn variables_set_on_top_win() {
        let table = [("WEBHOOK_SECRET", "from the environment"), ("OTHER", "o")];
        let variables = Variables::from(&table[..]).with(vec![("WEBHOOK_SECRET", "from the store".into())]);
        assert_eq!(variables.secret("WEBHOOK_SECRET").as_deref(), Some("from the store"));
        assert_eq!(variables.get("OTHER").as_deref(), Some("o"));
    }

    #[test]
    fn languages_default_and_always_hold_the_assistant_s() {
        let languages = Languages::read(&[][..].into()).unwrap();
        assert_eq!((languages.assistant.as_str(), languages.supported.len()), ("en", 16));
        let languages = Languages::read(&[("ASSISTANT_LANGUAGE", "de"), ("SUPPORTED_LANGUAGES", "es, fr")][..].into());
        assert_eq!(languages.unwrap().supported, ["es", "fr", "de"]);
        let error = Languages::read(&[("ASSISTANT_LANGUAGE", "klingon")][..].into()).unwrap_err();
        assert!(error.to_string().starts_with("ASSISTANT_LANGUAGE is invalid"), "{error}");
        let error = Languages::read(&[("SUPPORTED_LANGUAGES", "en,xx")][..].into()).unwrap_err();
        assert!(error.to_string().starts_with("SUPPORTED_LANGUAGES is invalid"), "{error}");
    }

    #[test]
    fn none_needs_no_secret_and_api_key_takes_a_header() {
        assert_eq!(edge(&[("WEBHOOK_AUTH", "none")]).unwrap().auth.mode(), &AuthMode::None);
        let config =
            edge(&[("WEBHOOK_AUTH", "api-key"), ("WEBHOOK_SECRET", S), ("WEBHOOK_API_KEY_HEADER", "X-Watson-Key")])
                .unwrap();
        assert_eq!(config.auth.mode(), &AuthMode::ApiKey { header: HeaderName::from_static("x-watson-key") });
    }
}
