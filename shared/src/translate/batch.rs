//! One call's texts on their way through the pipeline, and each phase's work on them. A phase
//! fills the results it can and leaves the rest to the next; what a later phase needs to know of
//! an earlier one (a memory id, a stale cache entry, a failed read) is on the batch, not in locals.
//!
//! Templates (`template.rs`) are made before the batch: each item's text here is its template,
//! which the cache key, the memory id and the engine call all take; the pipeline puts the values
//! back after [`Batch::results`]. Admission to the shared memory (`crate::memory::admission`) is
//! [`Batch::admitted_entries`], called by [`Batch::write_back`] with the turn's session.
//!
//! Each item has its own result: one that fails leaves the others translated.
//!
//! Around the batch (`split.rs`, `limits.rs`): a text too long for one engine
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
use crate::memory::admission::Admission;
use crate::memory::{MemoryEntry, TranslationMemory, entry_id};
use crate::protect::Protected;

/// What the phases work with beside the engine: the pipeline's stores and counters.
pub(super) struct Stores {
    pub cache: WarmCache,
    pub memory: Option<Arc<dyn TranslationMemory>>,
    /// `TRANSLATION_MEMORY_REFRESH_SECONDS`.
    pub refresh: Duration,
    pub uses: PendingUses,
    pub counters: Counters,
    /// What enters the memory, and the sessions this instance counted.
    pub admission: Admission,
    /// False: the memory is read, never written (dialog: what a caller sends is not the assistant's).
    pub writes: bool,
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
    /// Translated by the engine in this batch.
    translated: bool,
    /// Answered by the memory, or by the cache for an entry the memory holds: nothing to admit.
    admitted: bool,
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
                admitted: false,
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
            // Shown again: a sighting of a text the memory does not hold yet.
            item.memory_id = cached.memory_id.clone();
            item.admitted = cached.in_memory;
            item.result = Some(Ok(cached.translation));
        }
    }

    /// Phase 2: one memory read for the misses short enough to keep and with nothing personal in
    /// them, and for the entries due for a re-check; the pending use counts go with it,
    /// concurrently. A re-check the memory did not answer serves the cached translation.
    pub async fn answer_from_memory(&mut self, stores: &Stores) {
        if let Some(memory) = &stores.memory {
            self.assign_memory_ids();
            let ids = self.ids_to_read();
            if !ids.is_empty() {
                let uses = stores.uses.take(true, stores.refresh);
                let (read, flush) = join(memory.get_many(&ids), memory.add_uses(&uses)).await;
                self.uses_flushed = true;
                report_flush(flush);
                match read {
                    Ok(entries) => self.take_entries(stores, &entries),
                    Err(error) => {
                        self.memory_failed = true;
                        let asked = self.items.iter().filter(|i| i.result.is_none() && i.memory_id.is_some()).count();
                        stores.counters.memory_misses(asked);
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
        for item in self.items.iter_mut().filter(|item| item.result.is_none()) {
            item.memory_id = match &item.stale {
                Some(stale) => stale.memory_id.clone(),
                None if item.text.len() <= CACHE_MAX_TEXT_BYTES => {
                    Some(entry_id(item.text, self.source.as_str(), self.target, &self.settings))
                }
                None => None,
            };
        }
    }

    /// The ids to read: the misses and the re-checks (a cache hit's id is only for admission).
    fn ids_to_read(&self) -> Vec<String> {
        let mut ids: Vec<String> =
            self.items.iter().filter(|item| item.result.is_none()).filter_map(|item| item.memory_id.clone()).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    fn take_entries(&mut self, stores: &Stores, entries: &[MemoryEntry]) {
        let found: HashMap<&str, &MemoryEntry> = entries.iter().map(|entry| (entry.id.as_str(), entry)).collect();
        let (source, target) = (self.source.as_str(), self.target);
        for item in self.items.iter_mut().filter(|item| item.result.is_none()) {
            let Some(id) = &item.memory_id else { continue };
            // The stored text and languages must match too: anything else is garbage.
            let entry = found
                .get(id.as_str())
                .filter(|entry| entry.text == item.text && entry.source == source && entry.target == target);
            let Some(entry) = entry else {
                stores.counters.memory_misses(1);
                continue;
            };
            stores.counters.memory_hit(entry.is_final());
            stores.uses.count(id);
            let detected = if entry.detected.is_empty() { &entry.source } else { &entry.detected };
            let translation = Translation { text: entry.translation.clone(), source: detected.clone() };
            if let Some(key) = &item.cache_key {
                let cached = Cached {
                    translation: translation.clone(),
                    memory_id: Some(id.clone()),
                    in_memory: true,
                    reviewed: entry.is_final(),
                    checked: self.now,
                };
                stores.cache.put(key.clone(), cached);
            }
            item.admitted = true;
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
            let in_memory = stale.in_memory && self.memory_failed;
            item.admitted = in_memory;
            if let Some(key) = &item.cache_key {
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

    /// Phase 4: the turn's newly admitted translations go to the memory in one write, then the
    /// new translations to the cache (marked as held by the memory only if it took them).
    /// `session`: the turn's session id, for admission by sightings.
    pub async fn write_back(&mut self, stores: &Stores, session: Option<&str>) {
        let stored: HashSet<String> = match &stores.memory {
            Some(memory) if stores.writes => self.write_to_memory(stores, memory.as_ref(), session).await,
            Some(memory) => {
                // Read-only: the counts still go, when due.
                let uses = if self.uses_flushed { Vec::new() } else { stores.uses.take(false, stores.refresh) };
                report_flush(memory.add_uses(&uses).await);
                HashSet::new()
            }
            None => HashSet::new(),
        };
        for item in &self.items {
            let in_memory = item.memory_id.as_ref().is_some_and(|id| stored.contains(id));
            if !(item.translated || in_memory) {
                continue;
            }
            let (Some(key), Some(Ok(translation))) = (&item.cache_key, &item.result) else { continue };
            let cached = Cached {
                translation: translation.clone(),
                memory_id: item.memory_id.clone(),
                in_memory,
                reviewed: false,
                checked: self.now,
            };
            stores.cache.put(key.clone(), cached);
        }
    }

    /// The ids the memory took. No write after a failed read. Use counts that have waited long
    /// enough go with the write, or, in a batch that neither read nor writes (all from the
    /// cache), on their own: at most once a refresh interval.
    async fn write_to_memory(
        &self,
        stores: &Stores,
        memory: &dyn TranslationMemory,
        session: Option<&str>,
    ) -> HashSet<String> {
        let entries =
            if self.memory_failed { Vec::new() } else { self.admitted_entries(stores, memory, session).await };
        let write = !entries.is_empty();
        let uses = if self.uses_flushed { Vec::new() } else { stores.uses.take(write, stores.refresh) };
        let put = async { if write { memory.put_many(&entries).await } else { Ok(()) } };
        let (put, flush) = join(put, memory.add_uses(&uses)).await;
        report_flush(flush);
        match put {
            Ok(()) => entries.into_iter().map(|entry| entry.id).collect(),
            Err(error) => {
                tracing::warn!(error = error.kind(), operation = "write", "translation memory unavailable: not stored");
                HashSet::new()
            }
        }
    }

    /// Admission (`crate::memory::admission`): with `MEMORY_ADMIT_SESSIONS=1`, every new machine
    /// translation; else each text not yet in the memory is sighted in `session` (once per
    /// instance and session), and the ones seen in enough distinct sessions are admitted. No
    /// session: nothing.
    async fn admitted_entries(
        &self,
        stores: &Stores,
        memory: &dyn TranslationMemory,
        session: Option<&str>,
    ) -> Vec<MemoryEntry> {
        let candidates = self.candidates();
        if stores.admission.at_once() {
            return candidates.into_iter().filter(|(_, item)| item.translated).map(|(entry, _)| entry).collect();
        }
        let Some(session) = session.filter(|session| !session.is_empty()) else { return Vec::new() };
        let (sighted, sightings): (Vec<_>, Vec<_>) = candidates
            .into_iter()
            .filter_map(|(entry, _)| stores.admission.sighting(&entry.id, session).map(|sighting| (entry, sighting)))
            .unzip();
        if sightings.is_empty() {
            return Vec::new();
        }
        match memory.sight(&sightings).await {
            Ok(counts) => sighted
                .into_iter()
                .zip(counts)
                .filter(|(_, count)| stores.admission.admits(*count))
                .map(|(entry, _)| entry)
                .collect(),
            Err(error) => {
                stores.admission.forget(&sightings);
                tracing::warn!(
                    error = error.kind(),
                    operation = "sight",
                    "translation memory unavailable: not counted"
                );
                Vec::new()
            }
        }
    }

    /// One entry per memory id shown in this batch that the memory does not hold, with the item
    /// that shows it; written, it serves this turn: one use.
    fn candidates(&self) -> Vec<(MemoryEntry, &Item<'a>)> {
        let mut seen: HashSet<&str> = HashSet::new();
        let mut entries = Vec::new();
        for item in self.items.iter().filter(|item| !item.admitted) {
            let (Some(id), Some(Ok(translation))) = (&item.memory_id, &item.result) else { continue };
            if !seen.insert(id) {
                continue;
            }
            let entry = MemoryEntry {
                id: id.clone(),
                text: item.text.to_owned(),
                source: self.source.as_str().to_owned(),
                target: self.target.to_owned(),
                translation: translation.text.clone(),
                detected: translation.source.clone(),
                uses: 1,
                reviewed: false,
                authored: false,
            };
            entries.push((entry, item));
        }
        entries
    }

    /// Every text's result, in order.
    pub fn results(self) -> Vec<TranslationResult> {
        self.items.into_iter().map(|item| item.result.unwrap_or(Err(AwsError::InvalidResponse.into()))).collect()
    }
}
