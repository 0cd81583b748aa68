//! Translation: the `Translator` trait the handlers use, and Amazon Translate behind it with a
//! hard deadline, at most one retry, and errors that never carry the text.

use std::collections::HashMap;
use std::future::Future;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::join_all;
use lru::LruCache;
use tokio::sync::OnceCell;

use crate::aws::{AwsError, Endpoint, ServiceErrors};
use crate::memory::{MAX_USE_UPDATES, MemoryEntry, MemoryError, TranslationMemory, entry_id, may_store};
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
    /// The answer lost, repeated or invented a protected piece: the original is kept instead.
    #[error("the translation did not keep the protected pieces")]
    MarkupLost,
    /// The call to Amazon Translate failed (see [`crate::aws::classify`]).
    #[error(transparent)]
    Aws(#[from] AwsError),
}

impl TranslateError {
    /// A short code for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            TranslateError::Disabled => "disabled",
            TranslateError::TextTooLong { .. } => "text_too_long",
            TranslateError::MarkupLost => "markup_lost",
            TranslateError::Aws(error) => error.kind(),
        }
    }
}

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

/// Counters of a translator, for metrics. Monotonic; take differences per invocation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TranslateCounters {
    /// Calls that reached the Translate service.
    pub calls: u64,
    /// Characters sent to it (what Amazon Translate bills).
    pub characters: u64,
    pub cache_hits: u64,
    pub cache_misses: u64,
    /// Texts the translation memory answered (reviewed ones included).
    pub memory_hits: u64,
    /// Texts looked up in the memory and not found there (or the memory did not answer).
    pub memory_misses: u64,
    /// Memory hits on a reviewed translation.
    pub reviewed_hits: u64,
}

impl std::ops::Sub for TranslateCounters {
    type Output = TranslateCounters;
    fn sub(self, earlier: TranslateCounters) -> TranslateCounters {
        TranslateCounters {
            calls: self.calls.saturating_sub(earlier.calls),
            characters: self.characters.saturating_sub(earlier.characters),
            cache_hits: self.cache_hits.saturating_sub(earlier.cache_hits),
            cache_misses: self.cache_misses.saturating_sub(earlier.cache_misses),
            memory_hits: self.memory_hits.saturating_sub(earlier.memory_hits),
            memory_misses: self.memory_misses.saturating_sub(earlier.memory_misses),
            reviewed_hits: self.reviewed_hits.saturating_sub(earlier.reviewed_hits),
        }
    }
}

/// The one path every translation takes: the warm instance's cache, then the translation memory
/// shared by all instances (one BatchGetItem for all of a call's misses, see [`crate::memory`]),
/// then the protected spans
/// (what must come back byte-identical goes as `translate="no"` HTML, see [`crate::protect`]),
/// then the translator, at most one call per text. A text with nothing to translate (ids, URLs,
/// numbers, protected terms) costs no call. The cache is a bounded LRU (the `lru` crate), for the
/// life of a warm instance: a reply the assistant sends again and again (greetings, menus, error
/// messages) is translated once. Only successes are kept.
///
/// With a memory, the pipeline also keeps two promises about what it caches:
/// - **Reviewed translations arrive.** A machine translation is served from the cache for at most
///   the refresh interval (`TRANSLATION_MEMORY_REFRESH_SECONDS`) after the memory last confirmed
///   it; its next use after that looks it up again, in the same one read as the turn's misses, and
///   a reviewed translation imported meanwhile replaces it. Reviewed entries are never re-checked.
/// - **Uses are counted.** Every time an entry held in the memory serves a text (a memory hit, or
///   a cache hit of an entry the memory holds), its count goes up by one in this instance; the
///   counts are added to the entries' `uses` (UpdateItem `ADD`) alongside the turn's next memory
///   read, so they cost no round trip of their own, or on their own when they have waited a
///   refresh interval or reached [`MAX_USE_UPDATES`] entries. Advisory: a failed flush is dropped
///   (one WARN line), and an instance recycled before its flush loses its counts.
pub struct TranslationPipeline<T> {
    inner: T,
    protector: Protector,
    cache: Option<Mutex<LruCache<CacheKey, Cached>>>,
    calls: AtomicU64,
    characters: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
    memory: Option<Arc<dyn TranslationMemory>>,
    memory_hits: AtomicU64,
    memory_misses: AtomicU64,
    reviewed_hits: AtomicU64,
    refresh: Duration,
    pending_uses: Mutex<PendingUses>,
}

/// A translation in the warm cache, and what the memory knows of it.
#[derive(Debug, Clone)]
struct Cached {
    translation: Translation,
    /// The entry's id when the text may be in the memory (memory on, text storable).
    memory_id: Option<String>,
    /// The memory held it when last asked (or took it when written): its uses are counted.
    in_memory: bool,
    reviewed: bool,
    /// When the memory last answered for it (or it was translated).
    checked: Instant,
}

/// Use counts not yet added to the memory.
#[derive(Debug, Default)]
struct PendingUses {
    counts: HashMap<String, u64>,
    /// When the oldest of them was counted.
    since: Option<Instant>,
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
            memory: None,
            memory_hits: AtomicU64::new(0),
            memory_misses: AtomicU64::new(0),
            reviewed_hits: AtomicU64::new(0),
            refresh: Duration::from_secs(crate::memory::DEFAULT_REFRESH_SECONDS),
            pending_uses: Mutex::new(PendingUses::default()),
        }
    }

    /// How long a machine translation is served from the cache before the memory is asked again
    /// (`TRANSLATION_MEMORY_REFRESH_SECONDS`).
    pub fn with_refresh(mut self, refresh: Duration) -> Self {
        self.refresh = refresh;
        self
    }

    /// Use counts waiting for the next flush (distinct entries).
    pub fn pending_uses(&self) -> usize {
        self.pending_uses.lock().map_or(0, |pending| pending.counts.len())
    }

    /// Adds the pending use counts to the memory now (at most [`MAX_USE_UPDATES`] entries); a
    /// turn does this by itself, alongside its memory read.
    pub async fn flush_uses(&self) {
        if let Some(memory) = &self.memory {
            let batch = self.take_uses(true);
            report_flush(memory.add_uses(&batch).await);
        }
    }

    /// Looks translations up in, and writes new machine translations to, `memory`.
    pub fn with_memory(mut self, memory: Arc<dyn TranslationMemory>) -> Self {
        self.set_memory(memory);
        self
    }

    /// [`Self::with_memory`] in place.
    pub fn set_memory(&mut self, memory: Arc<dyn TranslationMemory>) {
        self.memory = Some(memory);
    }

    pub fn has_memory(&self) -> bool {
        self.memory.is_some()
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
            memory_hits: self.memory_hits.load(Ordering::Relaxed),
            memory_misses: self.memory_misses.load(Ordering::Relaxed),
            reviewed_hits: self.reviewed_hits.load(Ordering::Relaxed),
        }
    }

    pub fn len(&self) -> usize {
        self.cache.as_ref().and_then(|cache| cache.lock().ok()).map_or(0, |cache| cache.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lookup(&self, key: &CacheKey) -> Option<Cached> {
        self.cache.as_ref()?.lock().ok()?.get(key).cloned()
    }

    fn store(&self, key: CacheKey, cached: Cached) {
        if let Some(mut cache) = self.cache.as_ref().and_then(|cache| cache.lock().ok()) {
            cache.put(key, cached);
        }
    }

    fn count_use(&self, id: &str) {
        if let Ok(mut pending) = self.pending_uses.lock() {
            *pending.counts.entry(id.to_owned()).or_insert(0) += 1;
            pending.since.get_or_insert_with(Instant::now);
        }
    }

    /// Up to [`MAX_USE_UPDATES`] pending counts, taken out: all that are there when `always`, else
    /// only when they are due (waited a refresh interval, or reached the batch size).
    fn take_uses(&self, always: bool) -> Vec<(String, u64)> {
        let Ok(mut pending) = self.pending_uses.lock() else { return Vec::new() };
        let due = pending.counts.len() >= MAX_USE_UPDATES
            || pending.since.is_some_and(|since| since.elapsed() >= self.refresh);
        if pending.counts.is_empty() || !(always || due) {
            return Vec::new();
        }
        let ids: Vec<String> = pending.counts.keys().take(MAX_USE_UPDATES).cloned().collect();
        let batch: Vec<(String, u64)> = ids.into_iter().filter_map(|id| pending.counts.remove_entry(&id)).collect();
        if pending.counts.is_empty() {
            pending.since = None;
        }
        batch
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

impl<T: Translator> TranslationPipeline<T> {
    /// Translates every text of `texts` (distinct or not) from `source` into `target`, fastest
    /// first: the warm cache, then one memory read for all of its misses (and for the cached
    /// machine translations due for a re-check, see [`TranslationPipeline`]), then Translate for
    /// what is still missing (concurrently), then one memory write of the new machine
    /// translations, before answering. The results are in the order of `texts`. A memory that
    /// fails is a miss, said once (a WARN line with the error code, no text), and then not
    /// written to this time. Pending use counts ride along with the read (or the write).
    pub async fn translate_all(
        &self,
        texts: &[&str],
        source: &SourceLanguage,
        target: &str,
    ) -> Vec<Result<Translation, TranslateError>> {
        let settings = self.settings_key(target);
        let now = Instant::now();
        let mut results: Vec<Option<Result<Translation, TranslateError>>> = vec![None; texts.len()];
        // Cached machine translations due for a re-check: served as they are unless the memory
        // answers for them.
        let mut stale: HashMap<usize, Cached> = HashMap::new();
        let keys: Vec<Option<CacheKey>> = texts
            .iter()
            .map(|text| {
                (self.cache.is_some() && text.len() <= CACHE_MAX_TEXT_BYTES)
                    .then(|| ((*text).to_owned(), source.as_str().to_owned(), target.to_owned(), settings.clone()))
            })
            .collect();
        for (index, key) in keys.iter().enumerate() {
            let Some(key) = key else { continue };
            match self.lookup(key) {
                Some(cached)
                    if self.memory.is_some()
                        && cached.memory_id.is_some()
                        && !cached.reviewed
                        && now.saturating_duration_since(cached.checked) >= self.refresh =>
                {
                    stale.insert(index, cached);
                }
                Some(cached) => {
                    self.hits.fetch_add(1, Ordering::Relaxed);
                    if let (true, Some(id)) = (cached.in_memory, &cached.memory_id) {
                        self.count_use(id);
                    }
                    results[index] = Some(Ok(cached.translation));
                }
                None => {
                    self.misses.fetch_add(1, Ordering::Relaxed);
                }
            }
        }

        // The memory: texts short enough to keep and with nothing personal in them.
        let mut memory_ids: HashMap<usize, String> = HashMap::new();
        let mut memory_failed = false;
        let mut flushed = false;
        if let Some(memory) = &self.memory {
            for (index, text) in texts.iter().enumerate() {
                if let Some(cached) = stale.get(&index) {
                    memory_ids.extend(cached.memory_id.clone().map(|id| (index, id)));
                } else if results[index].is_none() && text.len() <= CACHE_MAX_TEXT_BYTES && may_store(text) {
                    memory_ids.insert(index, entry_id(text, source.as_str(), target, &settings));
                }
            }
            let mut ids: Vec<String> = memory_ids.values().cloned().collect();
            ids.sort_unstable();
            ids.dedup();
            if !ids.is_empty() {
                // The use counts so far go with the read, concurrently: no round trip of their own.
                let uses = self.take_uses(true);
                let (read, flush) = futures::future::join(memory.get_many(&ids), memory.add_uses(&uses)).await;
                flushed = true;
                report_flush(flush);
                match read {
                    Ok(entries) => {
                        let found: HashMap<&str, &MemoryEntry> =
                            entries.iter().map(|entry| (entry.id.as_str(), entry)).collect();
                        for (index, id) in &memory_ids {
                            // The stored text and languages must match too: anything else is garbage.
                            let entry = found.get(id.as_str()).filter(|entry| {
                                entry.text == texts[*index] && entry.source == source.as_str() && entry.target == target
                            });
                            match entry {
                                Some(entry) => {
                                    self.memory_hits.fetch_add(1, Ordering::Relaxed);
                                    if entry.reviewed {
                                        self.reviewed_hits.fetch_add(1, Ordering::Relaxed);
                                    }
                                    self.count_use(id);
                                    let detected = if entry.detected.is_empty() {
                                        entry.source.clone()
                                    } else {
                                        entry.detected.clone()
                                    };
                                    let translation = Translation { text: entry.translation.clone(), source: detected };
                                    if let Some(key) = &keys[*index] {
                                        let cached = Cached {
                                            translation: translation.clone(),
                                            memory_id: Some(id.clone()),
                                            in_memory: true,
                                            reviewed: entry.reviewed,
                                            checked: now,
                                        };
                                        self.store(key.clone(), cached);
                                    }
                                    results[*index] = Some(Ok(translation));
                                }
                                None => {
                                    self.memory_misses.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                        }
                    }
                    Err(error) => {
                        memory_failed = true;
                        self.memory_misses.fetch_add(memory_ids.len() as u64, Ordering::Relaxed);
                        tracing::warn!(
                            error = error.kind(),
                            operation = "read",
                            "translation memory unavailable: treated as a miss"
                        );
                    }
                }
            }
        }
        // A re-check the memory did not answer (the entry is gone, or the memory failed): the
        // cached translation still serves, and is asked about again a refresh interval later.
        for (index, cached) in stale {
            if results[index].is_some() {
                continue;
            }
            self.hits.fetch_add(1, Ordering::Relaxed);
            results[index] = Some(Ok(cached.translation.clone()));
            if let Some(key) = &keys[index] {
                let in_memory = cached.in_memory && memory_failed;
                self.store(key.clone(), Cached { in_memory, checked: now, ..cached });
            }
        }

        // Translate what is still missing, each distinct text once, all at once.
        let mut missing: Vec<&str> = Vec::new();
        for (index, text) in texts.iter().enumerate() {
            if results[index].is_none() && !missing.contains(text) {
                missing.push(text);
            }
        }
        let translated = join_all(missing.iter().map(|text| self.translate_protected(text, source, target))).await;
        let translated: HashMap<&str, Result<Translation, TranslateError>> =
            missing.into_iter().zip(translated).collect();
        let mut new_entries: Vec<MemoryEntry> = Vec::new();
        let mut to_cache: Vec<(CacheKey, Cached)> = Vec::new();
        for (index, text) in texts.iter().enumerate() {
            if results[index].is_some() {
                continue;
            }
            let Some(result) = translated.get(text) else { continue };
            if let (Some(key), Ok(translation)) = (&keys[index], result) {
                let memory_id = memory_ids.get(&index).cloned();
                let cached = Cached {
                    translation: translation.clone(),
                    memory_id,
                    in_memory: false,
                    reviewed: false,
                    checked: now,
                };
                to_cache.push((key.clone(), cached));
            }
            if let (Some(id), Ok(translation)) = (memory_ids.get(&index), result)
                && !new_entries.iter().any(|entry| &entry.id == id)
            {
                new_entries.push(MemoryEntry {
                    id: id.clone(),
                    text: (*text).to_owned(),
                    source: source.as_str().to_owned(),
                    target: target.to_owned(),
                    translation: translation.text.clone(),
                    detected: translation.source.clone(),
                    // It serves this turn: one use.
                    uses: 1,
                    reviewed: false,
                });
            }
            results[index] = Some(result.clone());
        }
        // A failed read may hide a reviewed entry that a blind write would overwrite: no write then.
        let mut stored = false;
        if let Some(memory) = &self.memory {
            let write = !memory_failed && !new_entries.is_empty();
            // Counts that have waited long enough go with the write, or, in a turn that neither
            // reads nor writes (all from the cache), on their own: at most once a refresh interval.
            let uses = if flushed { Vec::new() } else { self.take_uses(write) };
            let put = async { if write { memory.put_many(&new_entries).await } else { Ok(()) } };
            let (put, flush) = futures::future::join(put, memory.add_uses(&uses)).await;
            report_flush(flush);
            match put {
                Ok(()) => stored = write,
                Err(error) => {
                    tracing::warn!(
                        error = error.kind(),
                        operation = "write",
                        "translation memory unavailable: not stored"
                    );
                }
            }
        }
        for (key, mut cached) in to_cache {
            cached.in_memory = stored && cached.memory_id.is_some();
            self.store(key, cached);
        }
        results.into_iter().map(|result| result.unwrap_or(Err(AwsError::InvalidResponse.into()))).collect()
    }
}

/// A failed flush of use counts: dropped (they are advisory), said once, with the code only.
fn report_flush(result: Result<(), MemoryError>) {
    if let Err(error) = result {
        tracing::warn!(error = error.kind(), operation = "count_uses", "translation memory use counts dropped");
    }
}

impl<T: Translator> Translator for TranslationPipeline<T> {
    async fn translate(
        &self,
        text: &str,
        source: &SourceLanguage,
        target: &str,
    ) -> Result<Translation, TranslateError> {
        self.translate_all(&[text], source, target).await.pop().unwrap_or(Err(AwsError::InvalidResponse.into()))
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
                return Err(AwsError::Throttled.into());
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
