//! What the pipeline counts (engine calls, characters sent, cache and memory hits), and the
//! translating functions' metrics, each named once: a turn's figures go to its log line and its
//! metric line from the same [`TranslateCounters`].

use std::sync::atomic::{AtomicU64, Ordering};

use crate::metrics::{Count, MetricLine};

pub const TRANSLATE_CALLS: Count = Count("TranslateCalls");
pub const TRANSLATED_CHARACTERS: Count = Count("TranslatedCharacters");
pub const CACHE_HITS: Count = Count("CacheHits");
pub const CACHE_MISSES: Count = Count("CacheMisses");
pub const MEMORY_HITS: Count = Count("MemoryHits");
pub const MEMORY_MISSES: Count = Count("MemoryMisses");
pub const REVIEWED_HITS: Count = Count("ReviewedHits");
pub const TEXTS_SPLIT: Count = Count("TextsSplit");
pub const TEXTS_BEYOND_CAP: Count = Count("TextsBeyondCap");
pub const TEXTS_PAST_DEADLINE: Count = Count("TextsPastDeadline");

/// Counters of a pipeline. Monotonic; a turn's figures are the difference over it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TranslateCounters {
    /// Calls that reached the engine.
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
    /// Texts too long for one engine call, sent in pieces.
    pub texts_split: u64,
    /// Texts left as they were beyond `MAX_TEXTS_PER_REPLY` or `MAX_TRANSLATE_CHARS`.
    pub texts_beyond_cap: u64,
    /// Texts left as they were when `TRANSLATE_REPLY_DEADLINE_MS` passed.
    pub texts_past_deadline: u64,
}

impl TranslateCounters {
    /// These figures on a metric line, in the order the dashboard lists them.
    pub fn measure(&self, line: &mut MetricLine) {
        line.count(TRANSLATE_CALLS, self.calls);
        line.count(TRANSLATED_CHARACTERS, self.characters);
        line.count(CACHE_HITS, self.cache_hits);
        line.count(CACHE_MISSES, self.cache_misses);
        line.count(MEMORY_HITS, self.memory_hits);
        line.count(MEMORY_MISSES, self.memory_misses);
        line.count(REVIEWED_HITS, self.reviewed_hits);
        line.count(TEXTS_SPLIT, self.texts_split);
        line.count(TEXTS_BEYOND_CAP, self.texts_beyond_cap);
        line.count(TEXTS_PAST_DEADLINE, self.texts_past_deadline);
    }
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
            texts_split: self.texts_split.saturating_sub(earlier.texts_split),
            texts_beyond_cap: self.texts_beyond_cap.saturating_sub(earlier.texts_beyond_cap),
            texts_past_deadline: self.texts_past_deadline.saturating_sub(earlier.texts_past_deadline),
        }
    }
}

/// The live counters, shared by every turn of a warm instance.
#[derive(Debug, Default)]
pub(super) struct Counters {
    calls: AtomicU64,
    characters: AtomicU64,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    memory_hits: AtomicU64,
    memory_misses: AtomicU64,
    reviewed_hits: AtomicU64,
    texts_split: AtomicU64,
    texts_beyond_cap: AtomicU64,
    texts_past_deadline: AtomicU64,
}

impl Counters {
    pub(super) fn engine_call(&self, characters: usize) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.characters.fetch_add(characters as u64, Ordering::Relaxed);
    }

    pub(super) fn cache_hit(&self) {
        self.cache_hits.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn cache_miss(&self) {
        self.cache_misses.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn memory_hit(&self, reviewed: bool) {
        self.memory_hits.fetch_add(1, Ordering::Relaxed);
        if reviewed {
            self.reviewed_hits.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(super) fn memory_misses(&self, texts: usize) {
        self.memory_misses.fetch_add(texts as u64, Ordering::Relaxed);
    }

    /// A request's texts sent in pieces, left beyond a cap, and left when its deadline passed.
    pub(super) fn limited(&self, split: usize, beyond_cap: usize, past_deadline: usize) {
        self.texts_split.fetch_add(split as u64, Ordering::Relaxed);
        self.texts_beyond_cap.fetch_add(beyond_cap as u64, Ordering::Relaxed);
        self.texts_past_deadline.fetch_add(past_deadline as u64, Ordering::Relaxed);
    }

    pub(super) fn snapshot(&self) -> TranslateCounters {
        TranslateCounters {
            calls: self.calls.load(Ordering::Relaxed),
            characters: self.characters.load(Ordering::Relaxed),
            cache_hits: self.cache_hits.load(Ordering::Relaxed),
            cache_misses: self.cache_misses.load(Ordering::Relaxed),
            memory_hits: self.memory_hits.load(Ordering::Relaxed),
            memory_misses: self.memory_misses.load(Ordering::Relaxed),
            reviewed_hits: self.reviewed_hits.load(Ordering::Relaxed),
            texts_split: self.texts_split.load(Ordering::Relaxed),
            texts_beyond_cap: self.texts_beyond_cap.load(Ordering::Relaxed),
            texts_past_deadline: self.texts_past_deadline.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_turn_s_figures_are_the_difference_and_go_on_the_line_in_order() {
        let before = TranslateCounters {
            calls: 5,
            characters: 100,
            cache_hits: 1,
            cache_misses: 5,
            memory_hits: 2,
            memory_misses: 1,
            reviewed_hits: 0,
            ..TranslateCounters::default()
        };
        let after = TranslateCounters {
            calls: 7,
            characters: 130,
            cache_hits: 4,
            cache_misses: 7,
            memory_hits: 6,
            memory_misses: 2,
            reviewed_hits: 1,
            texts_split: 1,
            texts_beyond_cap: 4,
            texts_past_deadline: 2,
        };
        let mut line = MetricLine::new("postmessage");
        (after - before).measure(&mut line);
        let line: serde_json::Value = serde_json::from_str(&line.render(0)).unwrap();
        let names: Vec<&str> = line["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|metric| metric["Name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "TranslateCalls",
                "TranslatedCharacters",
                "CacheHits",
                "CacheMisses",
                "MemoryHits",
                "MemoryMisses",
                "ReviewedHits",
                "TextsSplit",
                "TextsBeyondCap",
                "TextsPastDeadline"
            ]
        );
        let values: Vec<u64> = names.iter().map(|name| line[*name].as_u64().unwrap()).collect();
        assert_eq!(values, [2, 30, 3, 2, 4, 1, 1, 1, 4, 2]);
    }

    #[test]
    fn live_counters_add_up() {
        let counters = Counters::default();
        counters.engine_call(12);
        counters.engine_call(3);
        counters.cache_hit();
        counters.cache_miss();
        counters.memory_hit(true);
        counters.memory_hit(false);
        counters.memory_misses(4);
        counters.limited(1, 2, 3);
        let expected = TranslateCounters {
            calls: 2,
            characters: 15,
            cache_hits: 1,
            cache_misses: 1,
            memory_hits: 2,
            memory_misses: 4,
            reviewed_hits: 1,
            texts_split: 1,
            texts_beyond_cap: 2,
            texts_past_deadline: 3,
        };
        assert_eq!(counters.snapshot(), expected);
    }
}
