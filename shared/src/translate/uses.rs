//! Use counts not yet added to the translation memory: every time an entry the memory holds
//! serves a text, its count goes up here, and the counts ride along with the next memory read or
//! write (UpdateItem `ADD`, see [`crate::memory::TranslationMemory::add_uses`]).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::memory::{MAX_USE_UPDATES, MemoryError};

#[derive(Debug, Default)]
pub(super) struct PendingUses(Mutex<Pending>);

#[derive(Debug, Default)]
struct Pending {
    counts: HashMap<String, u64>,
    /// When the oldest of them was counted.
    since: Option<Instant>,
}

impl PendingUses {
    pub fn count(&self, id: &str) {
        if let Ok(mut pending) = self.0.lock() {
            *pending.counts.entry(id.to_owned()).or_insert(0) += 1;
            pending.since.get_or_insert_with(Instant::now);
        }
    }

    /// Distinct entries waiting.
    pub fn len(&self) -> usize {
        self.0.lock().map_or(0, |pending| pending.counts.len())
    }

    /// Up to [`MAX_USE_UPDATES`] counts, taken out: all that are there when `always`, else only
    /// when they are due (waited `refresh`, or reached the batch size).
    pub fn take(&self, always: bool, refresh: Duration) -> Vec<(String, u64)> {
        let Ok(mut pending) = self.0.lock() else { return Vec::new() };
        let due =
            pending.counts.len() >= MAX_USE_UPDATES || pending.since.is_some_and(|since| since.elapsed() >= refresh);
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
}

/// A failed flush of use counts: dropped (they are advisory), said once, with the code only.
pub(super) fn report_flush(result: Result<(), MemoryError>) {
    if let Err(error) = result {
        tracing::warn!(error = error.kind(), operation = "count_uses", "translation memory use counts dropped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_wait_until_due_unless_asked_for() {
        let uses = PendingUses::default();
        assert!(uses.take(true, Duration::ZERO).is_empty(), "nothing to take");
        uses.count("a");
        uses.count("a");
        uses.count("b");
        assert_eq!(uses.len(), 2);
        assert!(uses.take(false, Duration::from_secs(300)).is_empty(), "not due yet");
        let mut taken = uses.take(true, Duration::from_secs(300));
        taken.sort();
        assert_eq!(taken, [("a".to_owned(), 2), ("b".to_owned(), 1)]);
        assert_eq!(uses.len(), 0);
        uses.count("c");
        assert_eq!(uses.take(false, Duration::ZERO), [("c".to_owned(), 1)], "due at once with no refresh interval");
    }

    #[test]
    fn at_most_one_batch_at_a_time() {
        let uses = PendingUses::default();
        for n in 0..MAX_USE_UPDATES + 5 {
            uses.count(&format!("id-{n}"));
        }
        assert_eq!(uses.take(false, Duration::from_secs(300)).len(), MAX_USE_UPDATES, "a full batch is due");
        assert_eq!(uses.len(), 5);
    }
}
