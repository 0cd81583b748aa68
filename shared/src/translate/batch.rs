//! One call's texts on their way through the pipeline, and each phase's work on them. A phase
//! fills the results it can and leaves the rest to the next; what a later phase needs to know of
//! an earlier one (a memory id, a stale cache entry, a failed read) is on the batch, not in locals.
//!
//! Where the next pieces of work slot in:
//! - per-user values replaced by numbered placeholders: a phase before [`Batch::answer_from_cache`]
//!   that sets each item's key text (the template) and, after [`Batch::answer_from_translator`],
//!   one that puts the values back; the cache key and the memory id are taken from the key text;
//! - admission to the shared memory by the number of distinct sessions: the session id as a field
//!   of [`Batch`], read by [`Batch::write_back`] when it chooses the entries to write;
//! - per-item failure is already so: each item has its own result.
//!
//! Already in place around the batch (`split.rs`, `limits.rs`): a text too long for one engine
//! call comes as its pieces, each an item, and is joined again from the items' results after the
//! last phase; the caps on texts and characters and the deadline's check of the CPU work are
//! applied where the items are made; [`Batch::answer_from_translator`] keeps at most the
//! configured number of calls in flight and stops at the deadline.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::join;

use super::cache::{CACHE_MAX_TEXT_BYTES, CacheKey, Cached, WarmCache};
use super::counters::Counters;
use super::limits;
use super::uses::{PendingUses, report_flush};
use super::{SourceLanguage, Translation, TranslationResult};
use crate::aws::AwsError;
use crate::memory::{MemoryEntry, TranslationMemory, entry_id, may_store};
use crate::protect::Protected;

/// What the phases work with beside the engine: the pipeline's stores and counters.
pub(super) struct Stores {
    pub cache: WarmCache,
    pub memory: Option<Arc<dyn TranslationMemory>>,
    /// `TRANSLATION_MEMORY_REFRESH_SECONDS`.
    pub refresh: Duration,
    pub uses: PendingUses,
    pub counters: Counters,
}

pub(super) struct Batch<'a> {
    source: &'a SourceLanguage,
    target: &'a str,
    /// The pipeline's settings key for `target`: part of every cache key and memory id.
    settings: String,
    /// One clock reading for the whole batch: what is due for a re-check, when an entry was checked.
    now: Instant,
    items: Vec<Item<'a>>,
    /// The memory read failed: it may hide a reviewed entry that a blind write would overwrite.
    memory_failed: bool,
    /// The pending use counts went with the memory read.
    uses_flushed: bool,
}

/// One text of the batch.
struct Item<'a> {
    text: &'a str,
    /// Its protected spans, when the caller has found them already.
    scanned: Option<Protected>,
    /// Where the warm cache keeps it; `None`: not kept (cache off, text too long).
    cache_key: Option<CacheKey>,
    /// Where the memory keeps it; `None`: memory off, or a text that stays out of it.
    memory_id: Option<String>,
    /// A cached machine translation due for a re-check: served unless the memory answers.
    stale: Option<Cached>,
    result: Option<TranslationResult>,
    /// Translated by the engine in this batch: to be written back.
    translated: bool,
}

impl<'a> Batch<'a> {
    /// `settings`: the pipeline's settings key for `target`.
    pub fn new(
        stores: &Stores,
        texts: impl IntoIterator<Item = (&'a str, Option<Protected>)>,
        source: &'a SourceLanguage,
        target: &'a str,
        settings: String,
    ) -> Self {
        let items = texts
            .into_iter()
            .map(|(text, scanned)| Item {
                text,
                scanned,
                cache_key: stores.cache.key(text, source.as_str(), target, &settings),
                memory_id: None,
                stale: None,
                result: None,
                translated: false,
            })
            .collect();
        Batch { source, target, settings, now: Instant::now(), items, memory_failed: false, uses_flushed: false }
    }

    /// Phase 1: the warm cache. A machine translation the memory may have a reviewed one for by
    /// now is set aside for phase 2 instead.
    pub fn answer_from_cache(&mut self, stores: &Stores) {
        let recheck = stores.memory.is_some();
        for item in &mut self.items {
            let Some(key) = &item.cache_key else { continue };
            let Some(cached) = stores.cache.get(key) else {
                stores.counters.cache_miss();
                continue;
            };
            if recheck && cached.due_for_recheck(self.now, stores.refresh) {
                item.stale = Some(cached);
                continue;
            }
            stores.counters.cache_hit();
            if let Some(id) = cached.counted_id() {
                stores.uses.count(id);
            }
            item.result = Some(Ok(cached.translation));
        }
    }

    /// Phase 2: one memory read for the misses short enough to keep and with nothing personal in
    /// them, and for the entries due for a re-check; the pending use counts go with it,
    /// concurrently. A re-check the memory did not answer serves the cached translation.
    pub async fn answer_from_memory(&mut self, stores: &Stores) {
        if let Some(memory) = &stores.memory {
            self.assign_memory_ids();
            let mut ids: Vec<String> = self.items.iter().filter_map(|item| item.memory_id.clone()).collect();
            ids.sort_unstable();
            ids.dedup();
            if !ids.is_empty() {
                let uses = stores.uses.take(true, stores.refresh);
                let (read, flush) = join(memory.get_many(&ids), memory.add_uses(&uses)).await;
                self.uses_flushed = true;
                report_flush(flush);
                match read {
                    Ok(entries) => self.take_entries(stores, &entries),
                    Err(error) => {
                        self.memory_failed = true;
                        stores.counters.memory_misses(self.items.iter().filter(|i| i.memory_id.is_some()).count());
                        tracing::warn!(
                            error = error.kind(),
                            operation = "read",
                            "translation memory unavailable: treated as a miss"
                        );
                    }
                }
            }
        }
        self.serve_stale(stores);
    }

    fn assign_memory_ids(&mut self) {
        for item in &mut self.items {
            item.memory_id = match &item.stale {
                Some(stale) => stale.memory_id.clone(),
                None if item.result.is_none() && item.text.len() <= CACHE_MAX_TEXT_BYTES && may_store(item.text) => {
                    Some(entry_id(item.text, self.source.as_str(), self.target, &self.settings))
                }
                None => None,
            };
        }
    }

    fn take_entries(&mut self, stores: &Stores, entries: &[MemoryEntry]) {
        let found: HashMap<&str, &MemoryEntry> = entries.iter().map(|entry| (entry.id.as_str(), entry)).collect();
        let (source, target) = (self.source.as_str(), self.target);
        for item in &mut self.items {
            let Some(id) = &item.memory_id else { continue };
            // The stored text and languages must match too: anything else is garbage.
            let entry = found
                .get(id.as_str())
                .filter(|entry| entry.text == item.text && entry.source == source && entry.target == target);
            let Some(entry) = entry else {
                stores.counters.memory_misses(1);
                continue;
            };
            stores.counters.memory_hit(entry.reviewed);
            stores.uses.count(id);
            let detected = if entry.detected.is_empty() { &entry.source } else { &entry.detected };
            let translation = Translation { text: entry.translation.clone(), source: detected.clone() };
            if let Some(key) = &item.cache_key {
                let cached = Cached {
                    translation: translation.clone(),
                    memory_id: Some(id.clone()),
                    in_memory: true,
                    reviewed: entry.reviewed,
                    checked: self.now,
                };
                stores.cache.put(key.clone(), cached);
            }
            item.result = Some(Ok(translation));
        }
    }

    /// A re-check the memory did not answer (the entry is gone, or the memory failed): the cached
    /// translation still serves, and is asked about again a refresh interval later.
    fn serve_stale(&mut self, stores: &Stores) {
        for item in &mut self.items {
            let Some(stale) = item.stale.take() else { continue };
            if item.result.is_some() {
                continue;
            }
            stores.counters.cache_hit();
            item.result = Some(Ok(stale.translation.clone()));
            if let Some(key) = &item.cache_key {
                let in_memory = stale.in_memory && self.memory_failed;
                stores.cache.put(key.clone(), Cached { in_memory, checked: self.now, ..stale });
            }
        }
    }

    /// Phase 3: what is still missing goes to the engine, each distinct text once, `concurrency`
    /// calls at a time, until `deadline` ([`limits::drive`]).
    /// `engine`: one call for one text (and its scan, if the caller made one).
    pub async fn answer_from_translator<F>(
        &mut self,
        concurrency: usize,
        deadline: tokio::time::Instant,
        engine: impl Fn(&'a str, Option<Protected>) -> F,
    ) where
        F: Future<Output = TranslationResult>,
    {
        let mut slots: HashMap<&'a str, usize> = HashMap::new();
        let mut calls: Vec<(&'a str, Option<Protected>)> = Vec::new();
        for item in self.items.iter_mut().filter(|item| item.result.is_none()) {
            if !slots.contains_key(item.text) {
                slots.insert(item.text, calls.len());
                calls.push((item.text, item.scanned.take()));
            }
        }
        let results = limits::drive(calls, &engine, concurrency, deadline).await;
        for item in self.items.iter_mut().filter(|item| item.result.is_none()) {
            let result = results[slots[item.text]].clone();
            item.translated = result.is_ok();
            item.result = Some(result);
        }
    }

    /// Phase 4: the new machine translations go to the memory in one write, then to the cache
    /// (marked as held by the memory only if it took them).
    pub async fn write_back(&mut self, stores: &Stores) {
        let stored = match &stores.memory {
            Some(memory) => self.write_to_memory(stores, memory.as_ref()).await,
            None => false,
        };
        for item in self.items.iter().filter(|item| item.translated) {
            let (Some(key), Some(Ok(translation))) = (&item.cache_key, &item.result) else { continue };
            let cached = Cached {
                translation: translation.clone(),
                memory_id: item.memory_id.clone(),
                in_memory: stored && item.memory_id.is_some(),
                reviewed: false,
                checked: self.now,
            };
            stores.cache.put(key.clone(), cached);
        }
    }

    /// Whether the memory took the batch's new entries. No write after a failed read. Use counts
    /// that have waited long enough go with the write, or, in a batch that neither read nor
    /// writes (all from the cache), on their own: at most once a refresh interval.
    async fn write_to_memory(&self, stores: &Stores, memory: &dyn TranslationMemory) -> bool {
        let entries = self.new_entries();
        let write = !self.memory_failed && !entries.is_empty();
        let uses = if self.uses_flushed { Vec::new() } else { stores.uses.take(write, stores.refresh) };
        let put = async { if write { memory.put_many(&entries).await } else { Ok(()) } };
        let (put, flush) = join(put, memory.add_uses(&uses)).await;
        report_flush(flush);
        match put {
            Ok(()) => write,
            Err(error) => {
                tracing::warn!(error = error.kind(), operation = "write", "translation memory unavailable: not stored");
                false
            }
        }
    }

    /// One entry per memory id the engine translated in this batch; it serves this turn: one use.
    fn new_entries(&self) -> Vec<MemoryEntry> {
        let mut seen: HashSet<&str> = HashSet::new();
        let mut entries = Vec::new();
        for item in self.items.iter().filter(|item| item.translated) {
            let (Some(id), Some(Ok(translation))) = (&item.memory_id, &item.result) else { continue };
            if !seen.insert(id) {
                continue;
            }
            entries.push(MemoryEntry {
                id: id.clone(),
                text: item.text.to_owned(),
                source: self.source.as_str().to_owned(),
                target: self.target.to_owned(),
                translation: translation.text.clone(),
                detected: translation.source.clone(),
                uses: 1,
                reviewed: false,
            });
        }
        entries
    }

    /// Every text's result, in order.
    pub fn results(self) -> Vec<TranslationResult> {
        self.items.into_iter().map(|item| item.result.unwrap_or(Err(AwsError::InvalidResponse.into()))).collect()
    }
}
