//! The translation memory: translations shared by every instance and cold start, in a DynamoDB
//! table. A read is one BatchGetItem for all of a reply's misses; a write puts the turn's newly
//! admitted machine translations, one conditional PutItem each, so a machine translation never
//! overwrites a reviewed or authored entry. What is admitted at all is decided by provenance
//! ([`admission`]). The memory has its own short deadline and at most one retry; a memory that is
//! down, throttled, slow or answering garbage is a miss, never a failed turn.
//!
//! Item layout (partition key `id`, a string):
//! `id` SHA-256 hex of the pipeline's cache key (the text's template, source, target, settings
//! and terms: [`entry_id`]), `text` the template (`translate/template.rs`: per-user values are
//! `{1}`, `{2}`, …), `source` and `target` the languages, `translation`, `detected` (the source
//! language Translate reported), `uses` (how often it served users: 1 when written, then counted
//! up by the instances that serve it, see [`TranslationMemory::add_uses`]), `origin` (`machine`,
//! `authored`: the assistant's own text and its translation, written by the CLI's seed, or
//! `reviewed`), `reviewed` (a boolean, as the review import sets it), and `expires_at` (epoch
//! seconds, machine entries only; the table's TTL attribute, see "Using time to live (TTL) in
//! DynamoDB" in the Amazon DynamoDB Developer Guide). Reviewed and authored entries never expire
//! and always win. The same table also holds the admission's sighting items (`id` starting with
//! [`admission::SIGHTING_PREFIX`]), which hold no text.

pub mod admission;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use futures::StreamExt;
use futures::future::{BoxFuture, join_all};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use crate::aws::Endpoint;
use crate::config::{ConfigError, Variables};

/// BatchGetItem takes at most 100 keys per call ("BatchGetItem", Amazon DynamoDB API Reference).
pub const MAX_GET_KEYS: usize = 100;
pub const DEFAULT_TTL_DAYS: u64 = 30;
pub const DEFAULT_TIMEOUT_MS: u64 = 300;
/// How long a warm instance serves a machine translation from its cache before it asks the
/// memory again (a reviewed one may have replaced it); `TRANSLATION_MEMORY_REFRESH_SECONDS`.
pub const DEFAULT_REFRESH_SECONDS: u64 = 300;
/// At most this many entries' use counts go in one flush (one UpdateItem each)...
pub const MAX_USE_UPDATES: usize = 100;
/// ...and at most this many of those UpdateItems are in flight at once.
pub const MAX_CONCURRENT_UPDATES: usize = 8;
/// At most this many conditional PutItems of one write are in flight at once.
pub const MAX_CONCURRENT_PUTS: usize = 25;

/// One stored translation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryEntry {
    /// [`entry_id`] of the cache key.
    pub id: String,
    pub text: String,
    /// The source language of the key (`auto` when Translate detected it).
    pub source: String,
    pub target: String,
    pub translation: String,
    /// The source language Translate reported.
    pub detected: String,
    pub uses: u64,
    pub reviewed: bool,
    /// The assistant's own text with its translation, seeded before go-live (`origin` `authored`):
    /// never expires, never overwritten by a machine translation.
    pub authored: bool,
}

impl MemoryEntry {
    /// A reviewed or authored entry: final, never re-checked, never expiring, never overwritten
    /// by a machine translation.
    pub fn is_final(&self) -> bool {
        self.reviewed || self.authored
    }

    /// The `origin` attribute's value.
    pub fn origin(&self) -> &'static str {
        match (self.reviewed, self.authored) {
            (true, _) => ORIGIN_REVIEWED,
            (false, true) => ORIGIN_AUTHORED,
            (false, false) => ORIGIN_MACHINE,
        }
    }
}

pub const ORIGIN_MACHINE: &str = "machine";
pub const ORIGIN_AUTHORED: &str = "authored";
pub const ORIGIN_REVIEWED: &str = "reviewed";

/// Why the memory did not answer: an AWS call that failed, read as every AWS error is (see
/// [`crate::aws::classify`]); the memory adds no reason of its own. Codes only, never text.
pub type MemoryError = crate::aws::AwsError;

/// What the pipeline needs from a shared store of translations. Boxed futures, so the pipeline
/// can hold any memory (or none) behind one `Arc<dyn TranslationMemory>`.
pub trait TranslationMemory: Send + Sync {
    /// The entries found among `ids` (absent ones are simply not returned).
    fn get_many<'a>(&'a self, ids: &'a [String]) -> BoxFuture<'a, Result<Vec<MemoryEntry>, MemoryError>>;
    fn put_many<'a>(&'a self, entries: &'a [MemoryEntry]) -> BoxFuture<'a, Result<(), MemoryError>>;
    /// Adds each count to its entry's `uses`, for entries that still exist (one gone meanwhile is
    /// skipped, never created). Counts are advisory: a memory without counters ignores them.
    fn add_uses<'a>(&'a self, _counts: &'a [(String, u64)]) -> BoxFuture<'a, Result<(), MemoryError>> {
        Box::pin(async { Ok(()) })
    }
    /// Records each sighting (a session in which a not yet admitted text was shown) and answers,
    /// for each, how many distinct sessions its text has now been seen in. A memory that keeps no
    /// sightings answers 0 for each: nothing is admitted by sightings there.
    fn sight<'a>(&'a self, sightings: &'a [admission::Sighting]) -> BoxFuture<'a, Result<Vec<u64>, MemoryError>> {
        Box::pin(async move { Ok(vec![0; sightings.len()]) })
    }
}

/// The partition key of a cache key: SHA-256 hex over its parts, each length-prefixed so that no
/// two different keys share a preimage.
pub fn entry_id(text: &str, source: &str, target: &str, settings_key: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [text, source, target, settings_key] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The translation memory's table and limits, read by the translating functions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemorySettings {
    /// `TRANSLATION_TABLE`.
    pub table: String,
    /// `TRANSLATION_TTL_DAYS`: how long a machine translation is kept (reviewed ones: always).
    pub ttl_days: u64,
    /// `TRANSLATION_MEMORY_TIMEOUT_MS`: the deadline of one read or write, retry included.
    pub timeout: Duration,
    /// `TRANSLATION_MEMORY_ENDPOINT`: a local DynamoDB (run-local.sh), with test credentials;
    /// unset, DynamoDB itself.
    pub endpoint: Endpoint,
}

impl MemorySettings {
    /// `None` when `TRANSLATION_TABLE` is unset: the memory is off.
    pub fn read(variables: &Variables) -> Result<Option<Self>, ConfigError> {
        let Some(table) = variables.get("TRANSLATION_TABLE") else { return Ok(None) };
        let valid = (3..=255).contains(&table.len())
            && table.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !valid {
            return Err(ConfigError::Invalid {
                variable: "TRANSLATION_TABLE",
                why: "expected a DynamoDB table name (3-255 of a-z, A-Z, 0-9, _ - .)".into(),
            });
        }
        Ok(Some(MemorySettings {
            table,
            ttl_days: variables.number("TRANSLATION_TTL_DAYS", DEFAULT_TTL_DAYS, 1..=3650)?,
            timeout: Duration::from_millis(variables.number(
                "TRANSLATION_MEMORY_TIMEOUT_MS",
                DEFAULT_TIMEOUT_MS,
                20..=5000,
            )?),
            endpoint: variables.get("TRANSLATION_MEMORY_ENDPOINT").into(),
        }))
    }

    /// The memory these settings name, built without touching the network (its client comes on
    /// the first lookup).
    pub fn open(&self) -> Arc<dyn TranslationMemory> {
        Arc::new(DynamoMemory::new(&self.table, self.timeout, self.ttl_days, self.endpoint.clone()))
    }
}

fn now_seconds() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The translation memory in a DynamoDB table. The client is built on first use, so a turn in the
/// assistant's language never loads the AWS config for it.
#[derive(Debug)]
pub struct DynamoMemory {
    client: OnceCell<aws_sdk_dynamodb::Client>,
    table: String,
    deadline: Duration,
    ttl: Duration,
    endpoint: Endpoint,
}

impl DynamoMemory {
    /// The memory in `table` at `endpoint` (DynamoDB itself, or a local one: `run-local.sh`'s,
    /// the tests' dynalite). `deadline` bounds one read or one write, retry included.
    pub fn new(table: impl Into<String>, deadline: Duration, ttl_days: u64, endpoint: Endpoint) -> Self {
        DynamoMemory {
            client: OnceCell::new(),
            table: table.into(),
            deadline,
            ttl: Duration::from_secs(ttl_days.saturating_mul(86_400)),
            endpoint,
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// The deadline of one read or write, retry included.
    pub fn deadline(&self) -> Duration {
        self.deadline
    }

    pub async fn client(&self) -> &aws_sdk_dynamodb::Client {
        self.client
            .get_or_init(|| async {
                let config = crate::aws::sdk_config(self.deadline, &self.endpoint).await;
                aws_sdk_dynamodb::Client::new(&config)
            })
            .await
    }

    async fn get_chunk(&self, ids: &[String]) -> Result<Vec<MemoryEntry>, MemoryError> {
        let keys: Vec<HashMap<String, AttributeValue>> =
            ids.iter().map(|id| HashMap::from([("id".to_owned(), AttributeValue::S(id.clone()))])).collect();
        let mut request =
            KeysAndAttributes::builder().set_keys(Some(keys)).build().map_err(|_| MemoryError::InvalidResponse)?;
        let mut found = Vec::new();
        // The first call, and one more for what DynamoDB left unprocessed (throttling, or the
        // 16 MB response limit); what is still left after that is a miss.
        for _ in 0..2 {
            let output = self
                .client()
                .await
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(classify)?;
            let items = output.responses().and_then(|responses| responses.get(&self.table));
            found.extend(items.into_iter().flatten().filter_map(parse_item));
            match output.unprocessed_keys().and_then(|unprocessed| unprocessed.get(&self.table)) {
                Some(rest) if !rest.keys().is_empty() => request = rest.clone(),
                _ => break,
            }
        }
        Ok(found)
    }

    /// One entry. A machine translation goes in only where no entry is, or a machine one
    /// (`origin` `machine`, or an entry written before `origin` existed, not reviewed): a reviewed
    /// or authored entry is never overwritten, whatever an instance believed it read.
    async fn put_one(&self, entry: &MemoryEntry, expires_at: u64) -> Result<(), MemoryError> {
        let mut request =
            self.client().await.put_item().table_name(&self.table).set_item(Some(item(entry, expires_at)));
        if !entry.is_final() {
            request = request
                .condition_expression(
                    "attribute_not_exists(#id) OR (#reviewed = :no AND (attribute_not_exists(#origin) OR #origin = :machine))",
                )
                .expression_attribute_names("#id", "id")
                .expression_attribute_names("#reviewed", "reviewed")
                .expression_attribute_names("#origin", "origin")
                .expression_attribute_values(":no", AttributeValue::Bool(false))
                .expression_attribute_values(":machine", AttributeValue::S(ORIGIN_MACHINE.to_owned()));
        }
        match request.send().await {
            Ok(_) => Ok(()),
            Err(error) if error.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(()),
            Err(error) => Err(classify(error)),
        }
    }

    /// `ADD uses :n` on an entry that exists (the condition keeps a count from creating a half
    /// item when the entry expired or was purged meanwhile: that count is simply dropped).
    async fn add_use(&self, id: &str, count: u64) -> Result<(), MemoryError> {
        let result = self
            .client()
            .await
            .update_item()
            .table_name(&self.table)
            .key("id", AttributeValue::S(id.to_owned()))
            .update_expression("ADD #uses :count")
            .condition_expression("attribute_exists(#id)")
            .expression_attribute_names("#uses", "uses")
            .expression_attribute_names("#id", "id")
            .expression_attribute_values(":count", AttributeValue::N(count.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if error.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(()),
            Err(error) => Err(classify(error)),
        }
    }
}

impl TranslationMemory for DynamoMemory {
    fn get_many<'a>(&'a self, ids: &'a [String]) -> BoxFuture<'a, Result<Vec<MemoryEntry>, MemoryError>> {
        Box::pin(async move {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let work = join_all(ids.chunks(MAX_GET_KEYS).map(|chunk| self.get_chunk(chunk)));
            let results = tokio::time::timeout(self.deadline, work).await.map_err(|_| MemoryError::Timeout)?;
            let mut found = Vec::new();
            for result in results {
                found.extend(result?);
            }
            Ok(found)
        })
    }

    /// One conditional PutItem per entry (BatchWriteItem takes no condition), a few at a time,
    /// all within the memory's deadline.
    fn put_many<'a>(&'a self, entries: &'a [MemoryEntry]) -> BoxFuture<'a, Result<(), MemoryError>> {
        Box::pin(async move {
            if entries.is_empty() {
                return Ok(());
            }
            let expires_at = now_seconds().saturating_add(self.ttl.as_secs());
            let puts: Vec<_> = entries.iter().map(|entry| self.put_one(entry, expires_at)).collect();
            let work = futures::stream::iter(puts).buffer_unordered(MAX_CONCURRENT_PUTS).collect::<Vec<_>>();
            let results = tokio::time::timeout(self.deadline, work).await.map_err(|_| MemoryError::Timeout)?;
            results.into_iter().collect()
        })
    }

    /// One UpdateItem per entry (DynamoDB has no batch update), a few at a time, all within the
    /// memory's deadline.
    fn add_uses<'a>(&'a self, counts: &'a [(String, u64)]) -> BoxFuture<'a, Result<(), MemoryError>> {
        Box::pin(async move {
            let updates: Vec<_> = counts.iter().map(|(id, count)| self.add_use(id, *count)).collect();
            let work = futures::stream::iter(updates).buffer_unordered(MAX_CONCURRENT_UPDATES).collect::<Vec<_>>();
            let results = tokio::time::timeout(self.deadline, work).await.map_err(|_| MemoryError::Timeout)?;
            results.into_iter().collect()
        })
    }

    fn sight<'a>(&'a self, sightings: &'a [admission::Sighting]) -> BoxFuture<'a, Result<Vec<u64>, MemoryError>> {
        Box::pin(admission::sight_all(self, sightings))
    }
}

/// An entry as its DynamoDB item, mapped by `serde_dynamo`: one attribute per field, by name.
/// Attributes an older item lacks take their defaults; an attribute of the wrong type makes the
/// item unreadable (a miss).
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredItem {
    id: String,
    text: String,
    source: String,
    target: String,
    translation: String,
    #[serde(default)]
    detected: String,
    #[serde(default)]
    uses: u64,
    #[serde(default)]
    reviewed: bool,
    #[serde(default)]
    origin: String,
    /// Machine entries only: DynamoDB's TTL attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<u64>,
}

/// The item for `entry`: machine entries expire, reviewed and authored ones do not.
pub fn item(entry: &MemoryEntry, expires_at: u64) -> HashMap<String, AttributeValue> {
    let stored = StoredItem {
        id: entry.id.clone(),
        text: entry.text.clone(),
        source: entry.source.clone(),
        target: entry.target.clone(),
        translation: entry.translation.clone(),
        detected: entry.detected.clone(),
        uses: entry.uses,
        reviewed: entry.reviewed,
        origin: entry.origin().to_owned(),
        expires_at: (!entry.is_final()).then_some(expires_at),
    };
    // Strings, numbers and booleans only: serialising cannot fail. Were it to, an empty item is a
    // write DynamoDB refuses (the memory's usual fail-open), not a panic.
    serde_dynamo::to_item(stored).unwrap_or_default()
}

/// An entry from a stored item; `None` for anything malformed, or a machine entry past its expiry
/// (TTL deletes lazily, so it may still be there): a miss, not an error.
pub fn parse_item(item: &HashMap<String, AttributeValue>) -> Option<MemoryEntry> {
    let stored: StoredItem = serde_dynamo::from_item(item.clone()).ok()?;
    let authored = stored.origin == ORIGIN_AUTHORED;
    if !stored.reviewed && !authored && stored.expires_at.is_none_or(|expires_at| expires_at <= now_seconds()) {
        return None;
    }
    let entry = MemoryEntry {
        id: stored.id,
        text: stored.text,
        source: stored.source,
        target: stored.target,
        translation: stored.translation,
        detected: stored.detected,
        uses: stored.uses,
        reviewed: stored.reviewed,
        authored,
    };
    (!entry.translation.trim().is_empty()).then_some(entry)
}

/// A DynamoDB error, read as every AWS error is.
fn classify<E: ProvideErrorMetadata>(error: SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>) -> MemoryError {
    crate::aws::classify(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_depend_on_every_part_of_the_key() {
        let id = entry_id("Hello", "en", "es", "f=;p=;t=");
        assert_eq!(id.len(), 64);
        assert_ne!(id, entry_id("Hello", "en", "fr", "f=;p=;t="));
        assert_ne!(id, entry_id("Hello", "en", "es", "f=formal;p=;t="));
        assert_ne!(entry_id("ab", "c", "d", ""), entry_id("a", "bc", "d", ""));
    }

    #[test]
    fn machine_entries_expire_and_reviewed_ones_do_not() {
        let entry = MemoryEntry {
            id: "x".into(),
            text: "Hi".into(),
            source: "en".into(),
            target: "es".into(),
            translation: "Hola".into(),
            detected: "en".into(),
            uses: 1,
            reviewed: false,
            authored: false,
        };
        assert_eq!(parse_item(&item(&entry, now_seconds() + 60)), Some(entry.clone()));
        assert_eq!(item(&entry, 0)["origin"].as_s().unwrap(), "machine");
        let authored = MemoryEntry { authored: true, ..entry.clone() };
        assert!(!item(&authored, 0).contains_key("expires_at"));
        assert_eq!(item(&authored, 0)["origin"].as_s().unwrap(), "authored");
        assert_eq!(parse_item(&item(&authored, 0)), Some(authored));
        assert_eq!(parse_item(&item(&entry, now_seconds() - 1)), None, "expired but not yet deleted");
        let reviewed = MemoryEntry { reviewed: true, ..entry.clone() };
        assert!(!item(&reviewed, 0).contains_key("expires_at"));
        assert_eq!(parse_item(&item(&reviewed, 0)), Some(reviewed));
        let mut garbage = item(&entry, now_seconds() + 60);
        garbage.insert("translation".into(), AttributeValue::N("5".into()));
        assert_eq!(parse_item(&garbage), None);
    }
}
