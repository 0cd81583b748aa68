//! Translation: the `Translator` trait the handlers use, and Amazon Translate behind it with a
//! hard deadline, at most one retry, and errors that never carry the text.

use std::future::Future;
use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_translate::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_translate::operation::translate_text::TranslateTextError;
use lru::LruCache;
use tokio::sync::OnceCell;

use crate::protect::Protector;

/// Amazon Translate's limit for one TranslateText call, in UTF-8 bytes.
pub const MAX_TEXT_BYTES: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceLanguage {
    /// Let Amazon Translate detect it (it asks Amazon Comprehend).
    Auto,
    Code(String),
}

impl SourceLanguage {
    pub fn as_str(&self) -> &str {
        match self {
            SourceLanguage::Auto => "auto",
            SourceLanguage::Code(code) => code,
        }
    }
}

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

/// What the operator asks of every TranslateText call: formality (for every target or per target
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translation {
    pub text: String,
    /// The source language: the one given, or the one Translate detected.
    pub source: String,
}

/// Why a translation did not happen. Carries codes only, never the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranslateError {
    #[error("translation is off (no AWS credentials)")]
    Disabled,
    #[error("text of {bytes} bytes is over Translate's limit")]
    TextTooLong { bytes: usize },
    #[error("no answer within the deadline")]
    Timeout,
    #[error("throttled")]
    Throttled,
    #[error("service error {code}")]
    Service { code: String },
    #[error("the request was refused: {code}")]
    Refused { code: String },
    #[error("unreadable response")]
    InvalidResponse,
    #[error("network error")]
    Network,
    /// The answer lost, repeated or invented a protected piece: the original is kept instead.
    #[error("the translation did not keep the protected pieces")]
    MarkupLost,
}

impl TranslateError {
    /// A short code for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            TranslateError::Disabled => "disabled",
            TranslateError::TextTooLong { .. } => "text_too_long",
            TranslateError::Timeout => "timeout",
            TranslateError::Throttled => "throttled",
            TranslateError::Service { .. } => "service_error",
            TranslateError::Refused { .. } => "refused",
            TranslateError::InvalidResponse => "invalid_response",
            TranslateError::Network => "network_error",
            TranslateError::MarkupLost => "markup_lost",
        }
    }
}

/// What the handlers need from a translation service.
pub trait Translator: Send + Sync {
    fn translate(
        &self,
        text: &str,
        source: &SourceLanguage,
        target: &str,
    ) -> impl Future<Output = Result<Translation, TranslateError>> + Send;

    /// What, beyond the text and the languages, changes this translator's output into `target`
    /// (settings, terminology): part of every cache key.
    fn settings_key(&self, _target: &str) -> String {
        String::new()
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
    /// A local endpoint with static test credentials, instead of the AWS environment.
    local_endpoint: Option<String>,
}

impl AmazonTranslate {
    /// `deadline` bounds a whole translation, retry included.
    pub fn new(deadline: Duration) -> Self {
        AmazonTranslate {
            client: OnceCell::new(),
            deadline,
            enabled: true,
            settings: TranslationSettings::default(),
            local_endpoint: None,
        }
    }

    /// Sends `settings` (formality, profanity, terminology) with every call.
    pub fn with_settings(mut self, settings: TranslationSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Talks to a Translate-compatible endpoint on this machine (the tests' fake service), with
    /// dummy credentials and region, whatever the environment says.
    pub fn local(endpoint: impl Into<String>, deadline: Duration) -> Self {
        AmazonTranslate { local_endpoint: Some(endpoint.into()), ..Self::new(deadline) }
    }

    /// A translator that always answers `Disabled`: for local runs without AWS credentials.
    pub fn disabled() -> Self {
        AmazonTranslate { enabled: false, ..Self::new(Duration::ZERO) }
    }

    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Whether the SDK client has been built (it is, on the first translation).
    pub fn is_client_built(&self) -> bool {
        self.client.initialized()
    }

    async fn client(&self) -> &aws_sdk_translate::Client {
        self.client
            .get_or_init(|| async {
                // The first attempt gets most of the deadline; a retry (throttling, 5xx, a hung
                // connection) gets the rest. The outer timeout in `translate` is the hard stop.
                let timeouts = TimeoutConfig::builder()
                    .connect_timeout(self.deadline.min(Duration::from_secs(1)))
                    .operation_attempt_timeout(self.deadline.mul_f32(0.6))
                    .operation_timeout(self.deadline)
                    .build();
                let retries = RetryConfig::standard()
                    .with_max_attempts(2)
                    .with_initial_backoff(Duration::from_millis(50))
                    .with_max_backoff(Duration::from_millis(200));
                let mut loader =
                    aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts).retry_config(retries);
                if let Some(endpoint) = &self.local_endpoint {
                    loader = loader
                        .endpoint_url(endpoint)
                        .region(aws_sdk_translate::config::Region::new("us-east-1"))
                        .credentials_provider(aws_sdk_translate::config::Credentials::new(
                            "test", "test", None, None, "local",
                        ));
                }
                let config = loader.load().await;
                aws_sdk_translate::Client::new(&config)
            })
            .await
    }

    async fn call(&self, text: &str, source: &SourceLanguage, target: &str) -> Result<Translation, TranslateError> {
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
        let output = request.send().await.map_err(classify)?;
        let translated = output.translated_text();
        if translated.trim().is_empty() && !text.trim().is_empty() {
            return Err(TranslateError::InvalidResponse);
        }
        let detected = match source {
            SourceLanguage::Code(code) => code.clone(),
            SourceLanguage::Auto => output.source_language_code().to_owned(),
        };
        if detected.is_empty() {
            return Err(TranslateError::InvalidResponse);
        }
        Ok(Translation { text: translated.to_owned(), source: detected })
    }
}

impl Translator for AmazonTranslate {
    async fn translate(
        &self,
        text: &str,
        source: &SourceLanguage,
        target: &str,
    ) -> Result<Translation, TranslateError> {
        if !self.enabled {
            return Err(TranslateError::Disabled);
        }
        if text.len() > MAX_TEXT_BYTES {
            return Err(TranslateError::TextTooLong { bytes: text.len() });
        }
        tokio::time::timeout(self.deadline, self.call(text, source, target))
            .await
            .unwrap_or(Err(TranslateError::Timeout))
    }

    fn settings_key(&self, target: &str) -> String {
        self.settings.key(target)
    }
}

fn classify(error: SdkError<TranslateTextError, aws_sdk_translate::config::http::HttpResponse>) -> TranslateError {
    match &error {
        SdkError::TimeoutError(_) => TranslateError::Timeout,
        SdkError::DispatchFailure(failure) if failure.is_timeout() => TranslateError::Timeout,
        SdkError::DispatchFailure(_) => TranslateError::Network,
        SdkError::ResponseError(_) => TranslateError::InvalidResponse,
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("unknown").to_owned();
            match service.err() {
                TranslateTextError::TooManyRequestsException(_) => TranslateError::Throttled,
                TranslateTextError::TextSizeLimitExceededException(_) => TranslateError::TextTooLong { bytes: 0 },
                TranslateTextError::DetectedLanguageLowConfidenceException(_)
                | TranslateTextError::UnsupportedLanguagePairException(_)
                | TranslateTextError::InvalidRequestException(_)
                | TranslateTextError::ResourceNotFoundException(_) => TranslateError::Refused { code },
                _ if service.raw().status().is_client_error() && code == "unknown" => TranslateError::InvalidResponse,
                _ => TranslateError::Service { code },
            }
        }
        _ => TranslateError::Network,
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

/// Counters of a translator, for metrics. Monotonic; take differences per invocation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TranslateCounters {
    /// Calls that reached the Translate service.
    pub calls: u64,
    /// Characters sent to it (what Amazon Translate bills).
    pub characters: u64,
    pub cache_hits: u64,
    pub cache_misses: u64,
}

impl std::ops::Sub for TranslateCounters {
    type Output = TranslateCounters;
    fn sub(self, earlier: TranslateCounters) -> TranslateCounters {
        TranslateCounters {
            calls: self.calls.saturating_sub(earlier.calls),
            characters: self.characters.saturating_sub(earlier.characters),
            cache_hits: self.cache_hits.saturating_sub(earlier.cache_hits),
            cache_misses: self.cache_misses.saturating_sub(earlier.cache_misses),
        }
    }
}

/// The one path every translation takes: the warm instance's cache, then the protected spans
/// (what must come back byte-identical goes as `translate="no"` HTML, see [`crate::protect`]),
/// then the translator, at most one call per text. A text with nothing to translate (ids, URLs,
/// numbers, protected terms) costs no call. The cache is a bounded LRU (the `lru` crate), for the
/// life of a warm instance: a reply the assistant sends again and again (greetings, menus, error
/// messages) is translated once. Only successes are kept.
pub struct TranslationPipeline<T> {
    inner: T,
    protector: Protector,
    cache: Option<Mutex<LruCache<CacheKey, Translation>>>,
    calls: AtomicU64,
    characters: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// (text, source, target, settings key): everything that changes a translation.
type CacheKey = (String, String, String, String);

/// Texts longer than this are translated every time rather than kept.
pub const CACHE_MAX_TEXT_BYTES: usize = 2048;

impl<T: Translator> TranslationPipeline<T> {
    /// `capacity` entries at most (0 turns the cache off); each holds at most
    /// `CACHE_MAX_TEXT_BYTES` of text and its translation, so memory stays bounded.
    pub fn new(inner: T, capacity: usize, protector: Protector) -> Self {
        TranslationPipeline {
            inner,
            protector,
            cache: NonZeroUsize::new(capacity).map(|capacity| Mutex::new(LruCache::new(capacity))),
            calls: AtomicU64::new(0),
            characters: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub fn inner(&self) -> &T {
        &self.inner
    }

    pub fn protector(&self) -> &Protector {
        &self.protector
    }

    pub fn counters(&self) -> TranslateCounters {
        TranslateCounters {
            calls: self.calls.load(Ordering::Relaxed),
            characters: self.characters.load(Ordering::Relaxed),
            cache_hits: self.hits.load(Ordering::Relaxed),
            cache_misses: self.misses.load(Ordering::Relaxed),
        }
    }

    pub fn len(&self) -> usize {
        self.cache.as_ref().and_then(|cache| cache.lock().ok()).map_or(0, |cache| cache.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lookup(&self, key: &CacheKey) -> Option<Translation> {
        self.cache.as_ref()?.lock().ok()?.get(key).cloned()
    }

    fn store(&self, key: CacheKey, translation: Translation) {
        if let Some(mut cache) = self.cache.as_ref().and_then(|cache| cache.lock().ok()) {
            cache.put(key, translation);
        }
    }

    async fn translate_protected(
        &self,
        text: &str,
        source: &SourceLanguage,
        target: &str,
    ) -> Result<Translation, TranslateError> {
        let protected = self.protector.protect(text);
        if !protected.needs_translation() {
            // Nothing a translation could change; with `auto`, nothing to detect either.
            let source = match source {
                SourceLanguage::Code(code) => code.clone(),
                SourceLanguage::Auto => target.to_owned(),
            };
            return Ok(Translation { text: text.to_owned(), source });
        }
        let result = self.inner.translate(protected.html(), source, target).await;
        if !matches!(result, Err(TranslateError::Disabled | TranslateError::TextTooLong { .. })) {
            self.calls.fetch_add(1, Ordering::Relaxed);
            self.characters.fetch_add(protected.html().chars().count() as u64, Ordering::Relaxed);
        }
        let translation = result?;
        let text = protected.restore(&translation.text).map_err(|_| TranslateError::MarkupLost)?;
        Ok(Translation { text, source: translation.source })
    }
}

impl<T: Translator> Translator for TranslationPipeline<T> {
    async fn translate(
        &self,
        text: &str,
        source: &SourceLanguage,
        target: &str,
    ) -> Result<Translation, TranslateError> {
        let cacheable = self.cache.is_some() && text.len() <= CACHE_MAX_TEXT_BYTES;
        let key = cacheable
            .then(|| (text.to_owned(), source.as_str().to_owned(), target.to_owned(), self.settings_key(target)));
        if let Some(key) = &key {
            if let Some(translation) = self.lookup(key) {
                self.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(translation);
            }
            self.misses.fetch_add(1, Ordering::Relaxed);
        }
        let result = self.translate_protected(text, source, target).await;
        if let (Some(key), Ok(translation)) = (key, &result) {
            self.store(key, translation.clone());
        }
        result
    }

    /// The inner translator's settings and the protected terms.
    fn settings_key(&self, target: &str) -> String {
        format!("{};terms={}", self.inner.settings_key(target), self.protector.terms().join("\u{1f}"))
    }
}

#[cfg(test)]
mod cache_tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// Counts the calls that get through and fails on request.
    struct Counting {
        calls: AtomicUsize,
        fail: bool,
    }

    impl Translator for Counting {
        async fn translate(
            &self,
            text: &str,
            source: &SourceLanguage,
            target: &str,
        ) -> Result<Translation, TranslateError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if self.fail {
                return Err(TranslateError::Throttled);
            }
            Ok(Translation {
                text: format!("[{}->{target}] {text}", source.as_str()),
                source: source.as_str().to_owned(),
            })
        }
    }

    fn counting(fail: bool) -> Counting {
        Counting { calls: AtomicUsize::new(0), fail }
    }

    #[tokio::test]
    async fn a_repeated_text_is_translated_once() {
        let cache = TranslationPipeline::new(counting(false), 10, Protector::default());
        let en = SourceLanguage::Code("en".into());
        let first = cache.translate("Hello!", &en, "es").await.unwrap();
        let second = cache.translate("Hello!", &en, "es").await.unwrap();
        assert_eq!(first, second);
        cache.translate("Hello!", &en, "fr").await.unwrap();
        assert_eq!(cache.inner().calls.load(Ordering::SeqCst), 2, "a different target is another key");
        let counters = cache.counters();
        assert_eq!((counters.cache_hits, counters.cache_misses, counters.calls, counters.characters), (1, 2, 2, 12));
    }

    #[tokio::test]
    async fn the_least_recently_used_entry_goes_when_full() {
        let cache = TranslationPipeline::new(counting(false), 2, Protector::default());
        let en = SourceLanguage::Code("en".into());
        cache.translate("a", &en, "es").await.unwrap();
        cache.translate("b", &en, "es").await.unwrap();
        cache.translate("a", &en, "es").await.unwrap(); // a is now fresher than b
        cache.translate("c", &en, "es").await.unwrap(); // b goes
        assert_eq!(cache.len(), 2);
        cache.translate("a", &en, "es").await.unwrap();
        assert_eq!(cache.inner().calls.load(Ordering::SeqCst), 3);
        cache.translate("b", &en, "es").await.unwrap();
        assert_eq!(cache.inner().calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn failures_and_long_texts_are_not_kept() {
        let failing = TranslationPipeline::new(counting(true), 10, Protector::default());
        let en = SourceLanguage::Code("en".into());
        assert!(failing.translate("x", &en, "es").await.is_err());
        assert!(failing.translate("x", &en, "es").await.is_err());
        assert_eq!(failing.inner().calls.load(Ordering::SeqCst), 2);
        assert!(failing.is_empty());

        let cache = TranslationPipeline::new(counting(false), 10, Protector::default());
        let long = "x".repeat(CACHE_MAX_TEXT_BYTES + 1);
        cache.translate(&long, &en, "es").await.unwrap();
        cache.translate(&long, &en, "es").await.unwrap();
        assert_eq!(cache.inner().calls.load(Ordering::SeqCst), 2);
        let off = TranslationPipeline::new(counting(false), 0, Protector::default());
        off.translate("x", &en, "es").await.unwrap();
        off.translate("x", &en, "es").await.unwrap();
        assert_eq!(off.inner().calls.load(Ordering::SeqCst), 2);
    }
}
