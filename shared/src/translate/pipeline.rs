//! The one path every translation takes, as phases over a batch of texts (`batch.rs`):
//!
//! 0. **templates**: what varies per user (the turn's context values, ids, numbers, e-mail
//!    addresses, URLs) replaced by numbered placeholders ([`super::template`]); every later phase
//!    sees only the template, and the values are put back at the end;
//! 1. **from the cache**: the warm instance's LRU ([`super::cache`]);
//! 2. **from the memory**: one read of the translation memory shared by all instances for all of
//!    the batch's misses ([`crate::memory`]), with the pending use counts riding along;
//! 3. **from the translator**: each distinct text still missing goes to the engine once, all at
//!    once, as protected HTML ([`crate::protect`], the contract on [`Translator`]);
//! 4. **write back**: the translations admitted this turn ([`crate::memory::admission`]) in one
//!    memory write, then the cache.
//!
//! Before the phases, the request's texts become the batch's items ([`super::split`]): a text
//! too long for one engine call becomes its pieces, and a text beyond a cap
//! ([`super::limits`]) or past the deadline is left out; after them, each text's result is read
//! back, a cut text's from its pieces'.
//!
//! A text with nothing to translate (ids, URLs, numbers, protected terms) costs no call. Only
//! successes are kept. Each text has its own result: one that fails leaves the others translated.

use std::sync::Arc;
use std::time::Duration;

use super::batch::{Batch, Stores};
use super::cache::WarmCache;
use super::counters::{Counters, TranslateCounters};
use super::limits::{Caps, TranslateLimits};
use super::split::Plan;
use super::template::{self, Templated, TurnValues};
use super::uses::{PendingUses, report_flush};
use super::{SourceLanguage, TranslateError, Translation, TranslationResult, Translator};
use crate::aws::AwsError;
use crate::memory::admission::{Admission, AdmissionSettings};
use crate::memory::{TranslationMemory, entry_id};
use crate::payload::Context;
use crate::protect::{Protected, Protector};

/// Whom a batch of texts is shown to: the session, for admission to the memory, and the values
/// that vary per user, for templates. The default: no session, no values (dialog, the CLI).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Audience {
    /// `context.global.session_id`.
    pub session: Option<String>,
    /// The session's context values.
    pub values: TurnValues,
}

impl Audience {
    /// The session id and the context values of `context`.
    pub fn from_context(context: Option<&Context>) -> Self {
        let session = context
            .and_then(|context| context.global.as_ref())
            .and_then(|global| global.extra.get("session_id"))
            .and_then(|id| id.as_str())
            .map(str::to_owned);
        Audience { session, values: TurnValues::from_context(context) }
    }
}

/// Where the memory keeps a text: its template and the entry id ([`TranslationPipeline::memory_key`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryKey {
    /// The text with its per-user spans as placeholders: the entry's `text`.
    pub template: String,
    /// What the placeholders stand for in this text.
    pub values: Vec<String>,
    /// The entry's `id`.
    pub id: String,
}

/// The translation pipeline in front of an engine `T`.
///
/// With a memory, it also keeps two promises about what it caches:
/// - **Reviewed translations arrive.** A machine translation is served from the cache for at most
///   the refresh interval (`TRANSLATION_MEMORY_REFRESH_SECONDS`) after the memory last confirmed
///   it; its next use after that looks it up again, in the same one read as the turn's misses, and
///   a reviewed translation imported meanwhile replaces it. Reviewed entries are never re-checked.
/// - **Uses are counted.** Every time an entry held in the memory serves a text (a memory hit, or
///   a cache hit of an entry the memory holds), its count goes up by one in this instance; the
///   counts are added to the entries' `uses` (UpdateItem `ADD`) alongside the turn's next memory
///   read, so they cost no round trip of their own, or on their own when they have waited a
///   refresh interval or reached [`MAX_USE_UPDATES`](crate::memory::MAX_USE_UPDATES) entries. Advisory: a failed flush is dropped
///   (one WARN line), and an instance recycled before its flush loses its counts.
///
/// A memory that fails is a miss, said once (a WARN line with the error code, no text), and then
/// not written to this time.
pub struct TranslationPipeline<T> {
    engine: T,
    protector: Protector,
    stores: Stores,
    limits: TranslateLimits,
    /// `TRANSLATION_TEMPLATES`.
    templates: bool,
}

impl<T: Translator> TranslationPipeline<T> {
    /// `capacity` entries at most in the warm cache (0 turns it off).
    pub fn new(engine: T, capacity: usize, protector: Protector) -> Self {
        let stores = Stores {
            cache: WarmCache::new(capacity),
            memory: None,
            refresh: Duration::from_secs(crate::memory::DEFAULT_REFRESH_SECONDS),
            uses: PendingUses::default(),
            counters: Counters::default(),
            admission: Admission::new(&AdmissionSettings { sessions: 1, key: None }),
            writes: true,
        };
        TranslationPipeline { engine, protector, stores, limits: TranslateLimits::default(), templates: true }
    }

    /// What enters the memory (`MEMORY_ADMIT_SESSIONS`, `MEMORY_ADMIT_KEY`); a pipeline built
    /// without it admits every new translation at once.
    pub fn with_admission(mut self, settings: &AdmissionSettings) -> Self {
        self.stores.admission = Admission::new(settings);
        self
    }

    /// `TRANSLATION_TEMPLATES`: per-user values replaced by placeholders (on unless turned off).
    pub fn with_templates(mut self, on: bool) -> Self {
        self.templates = on;
        self
    }

    /// Reads the memory, never writes a translation to it (dialog).
    pub fn read_only(mut self) -> Self {
        self.stores.writes = false;
        self
    }

    /// `text`'s template and its entry id, as every lookup of this pipeline computes them (no
    /// context values: the assistant's own text as authored). The CLI's seed writes an
    /// authored entry under exactly this id, with the template as its `text`.
    pub fn memory_key(&self, text: &str, source: &SourceLanguage, target: &str) -> MemoryKey {
        let Templated { key, values } = self.template(text, &TurnValues::default());
        let id = entry_id(&key, source.as_str(), target, &self.settings_key(target));
        MemoryKey { template: key, values, id }
    }

    fn template(&self, text: &str, values: &TurnValues) -> Templated {
        if self.templates {
            template::template(text, &self.protector, values)
        } else {
            Templated { key: text.to_owned(), values: Vec::new() }
        }
    }

    /// The caps, the calls in flight and the deadline of one request's translations.
    pub fn with_limits(mut self, limits: TranslateLimits) -> Self {
        self.limits = limits;
        self
    }

    /// How long a machine translation is served from the cache before the memory is asked again
    /// (`TRANSLATION_MEMORY_REFRESH_SECONDS`).
    pub fn with_refresh(mut self, refresh: Duration) -> Self {
        self.stores.refresh = refresh;
        self
    }

    /// Looks translations up in, and writes new machine translations to, `memory`.
    pub fn with_memory(mut self, memory: Arc<dyn TranslationMemory>) -> Self {
        self.stores.memory = Some(memory);
        self
    }

    /// Serves and keeps nothing in a shared memory.
    pub fn without_memory(mut self) -> Self {
        self.stores.memory = None;
        self
    }

    pub fn has_memory(&self) -> bool {
        self.stores.memory.is_some()
    }

    /// Use counts waiting for the next flush (distinct entries).
    pub fn pending_uses(&self) -> usize {
        self.stores.uses.len()
    }

    /// Adds the pending use counts to the memory now (at most [`MAX_USE_UPDATES`](crate::memory::MAX_USE_UPDATES) entries); a
    /// turn does this by itself, alongside its memory read.
    pub async fn flush_uses(&self) {
        if let Some(memory) = &self.stores.memory {
            let batch = self.stores.uses.take(true, self.stores.refresh);
            report_flush(memory.add_uses(&batch).await);
        }
    }

    pub fn engine(&self) -> &T {
        &self.engine
    }

    pub fn counters(&self) -> TranslateCounters {
        self.stores.counters.snapshot()
    }

    /// Translations in the warm cache.
    pub fn len(&self) -> usize {
        self.stores.cache.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `text`'s protected spans: what a caller reads before it translates (pre-message's language
    /// check reads the prose), handed back to [`Self::translate_scanned`] so it is scanned once.
    pub fn scan(&self, text: &str) -> Protected {
        self.protector.protect(text)
    }

    /// Translates every text of `texts` (distinct or not) from `source` into `target`, through the
    /// phases in order; the results are in the order of `texts`.
    pub async fn translate_all(&self, texts: &[&str], source: &SourceLanguage, target: &str) -> Vec<TranslationResult> {
        self.translate_for(texts, source, target, &Audience::default()).await
    }

    /// [`Self::translate_all`] of texts shown to `audience`: its values are templated, its
    /// session counts toward admission.
    pub async fn translate_for(
        &self,
        texts: &[&str],
        source: &SourceLanguage,
        target: &str,
        audience: &Audience,
    ) -> Vec<TranslationResult> {
        self.run(texts.iter().map(|text| (*text, None)), source, target, audience).await
    }

    /// [`Translator::translate`] of a text already [`Self::scan`]ned.
    pub async fn translate_scanned(
        &self,
        text: &str,
        scanned: Protected,
        source: &SourceLanguage,
        target: &str,
        audience: &Audience,
    ) -> TranslationResult {
        let results = self.run([(text, Some(scanned))], source, target, audience).await;
        results.into_iter().next().unwrap_or(Err(AwsError::InvalidResponse.into()))
    }

    async fn run<'a>(
        &self,
        texts: impl IntoIterator<Item = (&'a str, Option<Protected>)>,
        source: &'a SourceLanguage,
        target: &'a str,
        audience: &Audience,
    ) -> Vec<TranslationResult> {
        let deadline = tokio::time::Instant::now() + self.limits.deadline;
        let texts: Vec<(&str, Option<Protected>)> = texts.into_iter().collect();
        let templates: Vec<Templated> = texts.iter().map(|(text, _)| self.template(text, &audience.values)).collect();
        // A scan of the text is a scan of its template only when nothing was replaced.
        let keys = texts
            .into_iter()
            .zip(&templates)
            .map(|((_, scanned), templated)| (templated.key.as_str(), scanned.filter(|_| templated.values.is_empty())));
        let mut caps = Caps::new(self.limits);
        let mut plan = Plan::new(keys, &self.protector, &mut caps, deadline);
        let beyond_cap = caps.report();
        let items = std::mem::take(&mut plan.items);
        let mut batch = Batch::new(&self.stores, items, source, target, self.settings_key(target));
        batch.answer_from_cache(&self.stores);
        batch.answer_from_memory(&self.stores).await;
        let engine = |text, scanned| self.call_engine(text, scanned, source, target);
        batch.answer_from_translator(self.limits.concurrency, deadline, engine).await;
        batch.write_back(&self.stores, audience.session.as_deref()).await;
        let split = plan.split;
        let results = plan.join(batch.results());
        self.count_limited(split, beyond_cap, &results);
        fill_values(results, &templates)
    }

    /// A request's texts sent in pieces, left beyond a cap and left past the deadline, counted;
    /// the last said in one line (the caps say so themselves, [`Caps::report`]).
    fn count_limited(&self, split: usize, beyond_cap: usize, results: &[TranslationResult]) {
        let past_deadline =
            results.iter().filter(|result| matches!(result, Err(TranslateError::DeadlinePassed))).count();
        if past_deadline > 0 {
            tracing::warn!(
                texts_past_deadline = past_deadline,
                deadline_ms = self.limits.deadline.as_millis() as u64,
                "the translation deadline passed: the texts not done go out as they were"
            );
        }
        self.stores.counters.limited(split, beyond_cap, past_deadline);
    }

    /// One engine call for one text, as protected HTML, mapped back; counted when it reached the
    /// engine.
    async fn call_engine(
        &self,
        text: &str,
        scanned: Option<Protected>,
        source: &SourceLanguage,
        target: &str,
    ) -> TranslationResult {
        let protected = scanned.unwrap_or_else(|| self.protector.protect(text));
        if !protected.needs_translation() {
            // Nothing a translation could change; with `auto`, nothing to detect either.
            let source = match source {
                SourceLanguage::Code(code) => code.clone(),
                SourceLanguage::Auto => target.to_owned(),
            };
            return Ok(Translation { text: text.to_owned(), source });
        }
        let result = self.engine.translate(protected.html(), source, target).await;
        if !matches!(result, Err(TranslateError::Disabled | TranslateError::TextTooLong { .. })) {
            self.stores.counters.engine_call(protected.html().chars().count());
        }
        let translation = result?;
        let text = protected.restore(&translation.text).map_err(|_| TranslateError::MarkupLost)?;
        Ok(Translation { text, source: translation.source })
    }
}

/// Each result with its template's values put back; a translation that lost or invented a
/// placeholder (a stored one a person edited, say) fails as damaged markup does: the caller keeps
/// the original text.
fn fill_values(results: Vec<TranslationResult>, templates: &[Templated]) -> Vec<TranslationResult> {
    results
        .into_iter()
        .zip(templates)
        .map(|(result, templated)| {
            let translation = result?;
            match template::fill(&translation.text, &templated.values) {
                Some(text) => Ok(Translation { text, source: translation.source }),
                None => {
                    tracing::warn!(
                        error = "placeholder_lost",
                        "a translation lost a placeholder: the text stays untranslated"
                    );
                    Err(TranslateError::MarkupLost)
                }
            }
        })
        .collect()
}

impl<T: Translator> Translator for TranslationPipeline<T> {
    async fn translate(&self, text: &str, source: &SourceLanguage, target: &str) -> TranslationResult {
        self.translate_all(&[text], source, target).await.pop().unwrap_or(Err(AwsError::InvalidResponse.into()))
    }

    /// The engine's settings and the protected terms.
    fn settings_key(&self, target: &str) -> String {
        format!("{};terms={}", self.engine.settings_key(target), self.protector.terms().join("\u{1f}"))
    }
}

#[cfg(test)]
mod cache_tests {
    use super::*;
    use crate::translate::CACHE_MAX_TEXT_BYTES;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts the calls that get through and fails on request.
    struct Counting {
        calls: AtomicUsize,
        fail: bool,
    }

    impl Translator for Counting {
        async fn translate(&self, text: &str, source: &SourceLanguage, target: &str) -> TranslationResult {
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
        assert_eq!(cache.engine().calls.load(Ordering::SeqCst), 2, "a different target is another key");
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
        assert_eq!(cache.engine().calls.load(Ordering::SeqCst), 3);
        cache.translate("b", &en, "es").await.unwrap();
        assert_eq!(cache.engine().calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn failures_and_long_texts_are_not_kept() {
        let failing = TranslationPipeline::new(counting(true), 10, Protector::default());
        let en = SourceLanguage::Code("en".into());
        assert!(failing.translate("x", &en, "es").await.is_err());
        assert!(failing.translate("x", &en, "es").await.is_err());
        assert_eq!(failing.engine().calls.load(Ordering::SeqCst), 2);
        assert!(failing.is_empty());

        let cache = TranslationPipeline::new(counting(false), 10, Protector::default());
        let long = "x".repeat(CACHE_MAX_TEXT_BYTES + 1);
        cache.translate(&long, &en, "es").await.unwrap();
        cache.translate(&long, &en, "es").await.unwrap();
        assert_eq!(cache.engine().calls.load(Ordering::SeqCst), 2);
        let off = TranslationPipeline::new(counting(false), 0, Protector::default());
        off.translate("x", &en, "es").await.unwrap();
        off.translate("x", &en, "es").await.unwrap();
        assert_eq!(off.engine().calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_batch_calls_the_engine_once_per_distinct_text_and_a_scanned_text_is_not_scanned_again() {
        let pipeline = TranslationPipeline::new(counting(false), 10, Protector::new(["Acme"]));
        let en = SourceLanguage::Code("en".into());
        let results = pipeline.translate_all(&["Hi", "Bye", "Hi", "42"], &en, "es").await;
        let texts: Vec<String> = results.into_iter().map(|result| result.unwrap().text).collect();
        assert_eq!(texts, ["[en->es] Hi", "[en->es] Bye", "[en->es] Hi", "42"]);
        assert_eq!(pipeline.engine().calls.load(Ordering::SeqCst), 2, "Hi once, Bye once, 42 never");

        let scanned = pipeline.scan("Acme rocks");
        assert_eq!(scanned.prose().trim(), "rocks");
        let translation =
            pipeline.translate_scanned("Acme rocks", scanned, &en, "es", &Audience::default()).await.unwrap();
        assert_eq!(translation.text, "[en->es] Acme rocks");
        assert_eq!(pipeline.counters().characters, 2 + 3 + pipeline.scan("Acme rocks").html().chars().count() as u64);
    }
}
