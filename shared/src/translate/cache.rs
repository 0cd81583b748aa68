//! The warm instance's cache: a bounded LRU (the `lru` crate) of successful translations, for the
//! life of the instance, so a reply the assistant sends again and again (greetings, menus, error
//! messages) is translated once. Each entry also keeps what the translation memory knows of it.

use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lru::LruCache;

use super::Translation;

/// Texts longer than this are translated every time rather than kept (here or in the memory).
pub const CACHE_MAX_TEXT_BYTES: usize = 2048;

/// (text, source, target, settings key): everything that changes a translation.
pub(super) type CacheKey = (String, String, String, String);

/// A translation in the warm cache, and what the memory knows of it.
#[derive(Debug, Clone)]
pub(super) struct Cached {
    pub translation: Translation,
    /// The entry's id when the text may be in the memory (memory on, text storable).
    pub memory_id: Option<String>,
    /// The memory held it when last asked (or took it when written): its uses are counted.
    pub in_memory: bool,
    pub reviewed: bool,
    /// When the memory last answered for it (or it was translated).
    pub checked: Instant,
}

impl Cached {
    /// A machine translation the memory may know better by now: asked about again once
    /// `refresh` has passed since it last answered. Reviewed ones are final.
    pub fn due_for_recheck(&self, now: Instant, refresh: Duration) -> bool {
        self.memory_id.is_some() && !self.reviewed && now.saturating_duration_since(self.checked) >= refresh
    }

    /// The memory entry whose uses this serving counts, if the memory holds it.
    pub fn counted_id(&self) -> Option<&str> {
        self.memory_id.as_deref().filter(|_| self.in_memory)
    }
}

/// `capacity` entries at most, each at most [`CACHE_MAX_TEXT_BYTES`] of text and its translation,
/// so memory stays bounded; capacity 0 keeps nothing.
pub(super) struct WarmCache(Option<Mutex<LruCache<CacheKey, Cached>>>);

impl WarmCache {
    pub fn new(capacity: usize) -> Self {
        WarmCache(NonZeroUsize::new(capacity).map(|capacity| Mutex::new(LruCache::new(capacity))))
    }

    /// The key of `text`, if a translation of it may be kept.
    pub fn key(&self, text: &str, source: &str, target: &str, settings: &str) -> Option<CacheKey> {
        (self.0.is_some() && text.len() <= CACHE_MAX_TEXT_BYTES)
            .then(|| (text.to_owned(), source.to_owned(), target.to_owned(), settings.to_owned()))
    }

    pub fn get(&self, key: &CacheKey) -> Option<Cached> {
        self.0.as_ref()?.lock().ok()?.get(key).cloned()
    }

    pub fn put(&self, key: CacheKey, cached: Cached) {
        if let Some(mut cache) = self.0.as_ref().and_then(|cache| cache.lock().ok()) {
            cache.put(key, cached);
        }
    }

    pub fn len(&self) -> usize {
        self.0.as_ref().and_then(|cache| cache.lock().ok()).map_or(0, |cache| cache.len())
    }
}
