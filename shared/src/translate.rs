//! Translation: the `Translator` trait the handlers use, and Amazon Translate behind it with a
//! hard deadline, at most one retry, and errors that never carry the text.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_translate::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_translate::operation::translate_text::TranslateTextError;
use tokio::sync::OnceCell;

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
}

/// Amazon Translate through the AWS SDK. The client is built on first use, so a turn that needs
/// no translation never loads the AWS config or touches the network.
#[derive(Debug)]
pub struct AmazonTranslate {
    client: OnceCell<aws_sdk_translate::Client>,
    deadline: Duration,
    enabled: bool,
    /// A local endpoint with static test credentials, instead of the AWS environment.
    local_endpoint: Option<String>,
}

impl AmazonTranslate {
    /// `deadline` bounds a whole translation, retry included.
    pub fn new(deadline: Duration) -> Self {
        AmazonTranslate { client: OnceCell::new(), deadline, enabled: true, local_endpoint: None }
    }

    /// Talks to a Translate-compatible endpoint on this machine (the tests' fake service), with
    /// dummy credentials and region, whatever the environment says.
    pub fn local(endpoint: impl Into<String>, deadline: Duration) -> Self {
        AmazonTranslate { local_endpoint: Some(endpoint.into()), ..Self::new(deadline) }
    }

    /// A translator that always answers `Disabled`: for local runs without AWS credentials.
    pub fn disabled() -> Self {
        AmazonTranslate { client: OnceCell::new(), deadline: Duration::ZERO, enabled: false, local_endpoint: None }
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
        let output = self
            .client()
            .await
            .translate_text()
            .text(text)
            .source_language_code(source.as_str())
            .target_language_code(target)
            .send()
            .await
            .map_err(classify)?;
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

/// A bounded in-memory cache in front of a translator, for the life of a warm instance: a reply
/// the assistant sends again and again (greetings, menus, error messages) is translated once.
/// Only successes are kept; keys are (text, source, target).
pub struct CachedTranslator<T> {
    inner: T,
    capacity: usize,
    entries: std::sync::Mutex<std::collections::HashMap<CacheKey, CacheEntry>>,
    clock: AtomicU64,
    calls: AtomicU64,
    characters: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
}

type CacheKey = (String, String, String);

struct CacheEntry {
    translation: Translation,
    last_used: u64,
}

/// Texts longer than this are translated every time rather than kept.
pub const CACHE_MAX_TEXT_BYTES: usize = 2048;

impl<T: Translator> CachedTranslator<T> {
    /// `capacity` entries at most (0 turns the cache off); each holds at most
    /// `CACHE_MAX_TEXT_BYTES` of text and its translation, so memory stays bounded.
    pub fn new(inner: T, capacity: usize) -> Self {
        CachedTranslator {
            inner,
            capacity,
            entries: std::sync::Mutex::new(std::collections::HashMap::new()),
            clock: AtomicU64::new(0),
            calls: AtomicU64::new(0),
            characters: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub fn inner(&self) -> &T {
        &self.inner
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
        self.entries.lock().map_or(0, |entries| entries.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lookup(&self, key: &CacheKey) -> Option<Translation> {
        let mut entries = self.entries.lock().ok()?;
        let entry = entries.get_mut(key)?;
        entry.last_used = self.clock.fetch_add(1, Ordering::Relaxed);
        Some(entry.translation.clone())
    }

    fn store(&self, key: CacheKey, translation: Translation) {
        let Ok(mut entries) = self.entries.lock() else { return };
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            // Least recently used out. A linear scan over a few thousand entries costs
            // microseconds, and it happens only after a network round trip.
            if let Some(oldest) = entries.iter().min_by_key(|(_, entry)| entry.last_used).map(|(key, _)| key.clone()) {
                entries.remove(&oldest);
            }
        }
        let last_used = self.clock.fetch_add(1, Ordering::Relaxed);
        entries.insert(key, CacheEntry { translation, last_used });
    }
}

impl<T: Translator> Translator for CachedTranslator<T> {
    async fn translate(
        &self,
        text: &str,
        source: &SourceLanguage,
        target: &str,
    ) -> Result<Translation, TranslateError> {
        let cacheable = self.capacity > 0 && text.len() <= CACHE_MAX_TEXT_BYTES;
        let key = (text.to_owned(), source.as_str().to_owned(), target.to_owned());
        if cacheable {
            if let Some(translation) = self.lookup(&key) {
                self.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(translation);
            }
            self.misses.fetch_add(1, Ordering::Relaxed);
        }
        let result = self.inner.translate(text, source, target).await;
        if !matches!(result, Err(TranslateError::Disabled | TranslateError::TextTooLong { .. })) {
            self.calls.fetch_add(1, Ordering::Relaxed);
            self.characters.fetch_add(text.chars().count() as u64, Ordering::Relaxed);
        }
        if let (true, Ok(translation)) = (cacheable, &result) {
            self.store(key, translation.clone());
        }
        result
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
        let cache = CachedTranslator::new(counting(false), 10);
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
        let cache = CachedTranslator::new(counting(false), 2);
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
        let failing = CachedTranslator::new(counting(true), 10);
        let en = SourceLanguage::Code("en".into());
        assert!(failing.translate("x", &en, "es").await.is_err());
        assert!(failing.translate("x", &en, "es").await.is_err());
        assert_eq!(failing.inner().calls.load(Ordering::SeqCst), 2);
        assert!(failing.is_empty());

        let cache = CachedTranslator::new(counting(false), 10);
        let long = "x".repeat(CACHE_MAX_TEXT_BYTES + 1);
        cache.translate(&long, &en, "es").await.unwrap();
        cache.translate(&long, &en, "es").await.unwrap();
        assert_eq!(cache.inner().calls.load(Ordering::SeqCst), 2);
        let off = CachedTranslator::new(counting(false), 0);
        off.translate("x", &en, "es").await.unwrap();
        off.translate("x", &en, "es").await.unwrap();
        assert_eq!(off.inner().calls.load(Ordering::SeqCst), 2);
    }
}
