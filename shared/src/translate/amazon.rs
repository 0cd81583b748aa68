//! Amazon Translate as an engine: the TranslateText call with a hard deadline and at most one
//! retry, what its service errors mean, and whether AWS credentials can be found at all.

use std::time::Duration;

use tokio::sync::OnceCell;

use super::{SourceLanguage, TranslateError, Translation, TranslationResult, Translator};
use crate::aws::{AwsError, Endpoint, ServiceErrors};
use crate::translate::settings::{Formality, TranslationSettings};

/// Amazon Translate's limit for one TranslateText call, in UTF-8 bytes.
pub const MAX_TEXT_BYTES: usize = 10_000;

/// The error codes by which Amazon Translate says the text or the languages are the problem
/// ("TranslateText", Amazon Translate API Reference): `Refused`.
const INPUT_REFUSED: [&str; 4] = [
    "DetectedLanguageLowConfidenceException",
    "UnsupportedLanguagePairException",
    "InvalidRequestException",
    "ResourceNotFoundException",
];

/// What Amazon Translate says its own way: a text over its limit, and which refusals are about
/// the request's text or languages (any other 4xx, such as a missing permission, is a service
/// error: nothing the caller could change).
impl ServiceErrors for TranslateError {
    fn special(status: u16, code: Option<&str>) -> Option<Self> {
        match code? {
            "TextSizeLimitExceededException" => Some(TranslateError::TextTooLong { bytes: 0 }),
            code if (400..500).contains(&status) && !INPUT_REFUSED.contains(&code) => {
                Some(AwsError::Service { code: code.to_owned() }.into())
            }
            _ => None,
        }
    }
}

/// Amazon Translate through the AWS SDK. The client is built on first use, so a turn that needs
/// no translation never loads the AWS config or touches the network.
#[derive(Debug)]
pub struct AmazonTranslate {
    client: OnceCell<aws_sdk_translate::Client>,
    deadline: Duration,
    enabled: bool,
    settings: TranslationSettings,
    endpoint: Endpoint,
}

impl AmazonTranslate {
    /// Amazon Translate at `endpoint` (in production `Endpoint::Aws`). `deadline` bounds a whole
    /// translation, retry included.
    pub fn new(deadline: Duration, endpoint: Endpoint) -> Self {
        AmazonTranslate {
            client: OnceCell::new(),
            deadline,
            enabled: true,
            settings: TranslationSettings::default(),
            endpoint,
        }
    }

    /// Amazon Translate in the function's region with `settings` and `deadline`, built without
    /// touching the network; off, and said so, when no AWS credentials can be found.
    pub fn from_environment(deadline: Duration, settings: &TranslationSettings) -> Self {
        if aws_credentials_configured() {
            tracing::info!(translate_timeout_ms = deadline.as_millis() as u64, "translation is on");
            AmazonTranslate::new(deadline, Endpoint::Aws).with_settings(settings.clone())
        } else {
            tracing::warn!("no AWS credentials found: translation is off, every message passes through untranslated");
            AmazonTranslate::disabled()
        }
    }

    /// Sends `settings` (formality, profanity, terminology) with every call.
    pub fn with_settings(mut self, settings: TranslationSettings) -> Self {
        self.settings = settings;
        self
    }

    /// A translator that always answers `Disabled`: for local runs without AWS credentials.
    pub fn disabled() -> Self {
        AmazonTranslate { enabled: false, ..Self::new(Duration::ZERO, Endpoint::Aws) }
    }

    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    async fn client(&self) -> &aws_sdk_translate::Client {
        self.client
            .get_or_init(|| async {
                let config = crate::aws::sdk_config(self.deadline, &self.endpoint).await;
                aws_sdk_translate::Client::new(&config)
            })
            .await
    }

    async fn call(&self, text: &str, source: &SourceLanguage, target: &str) -> TranslationResult {
        let mut request = self
            .client()
            .await
            .translate_text()
            .text(text)
            .source_language_code(source.as_str())
            .target_language_code(target);
        let formality = self.settings.formality_for(target);
        if formality.is_some() || self.settings.mask_profanity {
            let settings = aws_sdk_translate::types::TranslationSettings::builder()
                .set_formality(formality.map(|formality| match formality {
                    Formality::Formal => aws_sdk_translate::types::Formality::Formal,
                    Formality::Informal => aws_sdk_translate::types::Formality::Informal,
                }))
                .set_profanity(self.settings.mask_profanity.then_some(aws_sdk_translate::types::Profanity::Mask))
                .build();
            request = request.settings(settings);
        }
        if !self.settings.terminology.is_empty() {
            request = request.set_terminology_names(Some(self.settings.terminology.clone()));
        }
        let output = request.send().await.map_err(crate::aws::classify::<TranslateError, _>)?;
        let translated = output.translated_text();
        if translated.trim().is_empty() && !text.trim().is_empty() {
            return Err(AwsError::InvalidResponse.into());
        }
        let detected = match source {
            SourceLanguage::Code(code) => code.clone(),
            SourceLanguage::Auto => output.source_language_code().to_owned(),
        };
        if detected.is_empty() {
            return Err(AwsError::InvalidResponse.into());
        }
        Ok(Translation { text: translated.to_owned(), source: detected })
    }
}

impl Translator for AmazonTranslate {
    async fn translate(&self, text: &str, source: &SourceLanguage, target: &str) -> TranslationResult {
        if !self.enabled {
            return Err(TranslateError::Disabled);
        }
        if text.len() > MAX_TEXT_BYTES {
            return Err(TranslateError::TextTooLong { bytes: text.len() });
        }
        tokio::time::timeout(self.deadline, self.call(text, source, target))
            .await
            .unwrap_or(Err(AwsError::Timeout.into()))
    }

    fn settings_key(&self, target: &str) -> String {
        self.settings.key(target)
    }
}

/// Whether AWS credentials can plausibly be found, checked without any network call: Lambda sets
/// the key variables; a developer has them in the environment or in `~/.aws`.
pub fn aws_credentials_configured() -> bool {
    const VARIABLES: [&str; 5] = [
        "AWS_ACCESS_KEY_ID",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    ];
    if VARIABLES.iter().any(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty())) {
        return true;
    }
    let Some(home) = std::env::var_os("HOME") else { return false };
    let aws = std::path::Path::new(&home).join(".aws");
    aws.join("credentials").is_file() || aws.join("config").is_file()
}

#[cfg(test)]
mod error_tests {
    use super::*;
    use crate::aws::classify;
    use crate::aws::test_errors::*;

    #[test]
    fn translate_s_own_readings() {
        let read = |error| classify::<TranslateError, _>(error);
        let refused = |code: &str| TranslateError::Aws(AwsError::Refused { code: code.into() });
        let service = |code: &str| TranslateError::Aws(AwsError::Service { code: code.into() });
        assert_eq!(read(answer(400, Some("TextSizeLimitExceededException"))), TranslateError::TextTooLong { bytes: 0 });
        for code in INPUT_REFUSED {
            assert_eq!(read(answer(400, Some(code))), refused(code));
        }
        // Not about the text or the languages: nothing the caller could change.
        assert_eq!(read(answer(400, Some("AccessDeniedException"))), service("AccessDeniedException"));
        assert_eq!(read(answer(400, Some("TooManyRequestsException"))).kind(), "throttled");
        assert_eq!(read(answer(500, Some("InternalServerException"))), service("InternalServerException"));
        assert_eq!(read(answer(400, None)).kind(), "invalid_response");
        assert_eq!(read(timeout()).kind(), "timeout");
        assert_eq!(read(connection_refused()).kind(), "network_error");
    }
}
