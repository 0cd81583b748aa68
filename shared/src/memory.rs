//! The translation memory: translations shared by every instance and cold start, in a DynamoDB
//! table. A read is one BatchGetItem for all of a reply's misses, a write one BatchWriteItem of the
//! new machine translations. The memory has its own short deadline and at most one retry; a
//! memory that is down, throttled, slow or answering garbage is a miss, never a failed turn.
//!
//! Item layout (partition key `id`, a string):
//! `id` SHA-256 hex of the pipeline's cache key (text, source, target, settings and terms),
//! `text` the source text, `source` and `target` the languages, `translation`, `detected` (the
//! source language Translate reported), `uses` (how often it served users: 1 when written, then
//! counted up by the instances that serve it, see [`TranslationMemory::add_uses`]), `reviewed` (a boolean: reviewed
//! entries carry no `expires_at`, so they never expire, and always win) and `expires_at` (epoch
//! seconds; the table's TTL attribute, see "Using time to live (TTL) in DynamoDB" in the Amazon
//! DynamoDB Developer Guide).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, PutRequest, WriteRequest};
use futures::StreamExt;
use futures::future::{BoxFuture, join_all};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use crate::aws::Endpoint;
use crate::config::{ConfigError, Variables};

/// BatchGetItem takes at most 100 keys per call ("BatchGetItem", Amazon DynamoDB API Reference).
pub const MAX_GET_KEYS: usize = 100;
/// BatchWriteItem takes at most 25 put or delete requests per call ("BatchWriteItem", ibid.).
pub const MAX_WRITE_ITEMS: usize = 25;
pub const DEFAULT_TTL_DAYS: u64 = 30;
pub const DEFAULT_TIMEOUT_MS: u64 = 300;
/// How long a warm instance serves a machine translation from its cache before it asks the
/// memory again (a reviewed one may have replaced it); `TRANSLATION_MEMORY_REFRESH_SECONDS`.
pub const DEFAULT_REFRESH_SECONDS: u64 = 300;
/// At most this many entries' use counts go in one flush (one UpdateItem each)...
pub const MAX_USE_UPDATES: usize = 100;
/// ...and at most this many of those UpdateItems are in flight at once.
pub const MAX_CONCURRENT_UPDATES: usize = 8;

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
}

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

/// Whether `text` may go into the shared memory: never when it holds something that looks
/// personal (an e-mail address, a phone number, a run of 6+ digits, or an id mixing letters and
/// digits such as an order number). Conservative on purpose: "9am" or "MP3" stay out too, and are
/// kept only in the warm instance's cache.
pub fn may_store(text: &str) -> bool {
    // E-mail: a word character on both sides of an `@`.
    let chars: Vec<char> = text.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if *c == '@'
            && i > 0
            && chars[i - 1].is_alphanumeric()
            && chars.get(i + 1).is_some_and(|next| next.is_alphanumeric())
        {
            return false;
        }
    }
    // Digits: 6+ in a row, or 7+ joined only by phone separators (`+1 (555) 010-9999`).
    let (mut run, mut phone) = (0usize, 0usize);
    for c in &chars {
        if c.is_ascii_digit() {
            run += 1;
            phone += 1;
            if run >= 6 || phone >= 7 {
                return false;
            }
        } else {
            run = 0;
            if !matches!(c, ' ' | '-' | '.' | '(' | ')' | '+' | '/') {
                phone = 0;
            }
        }
    }
    // Ids: a token with both letters and digits (`A12B9`, `ORD-4411X`).
    let tokens = text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '!' | '?' | '"' | '\''));
    !tokens.into_iter().any(|token| {
        let token = token.trim_matches(|c: char| !c.is_alphanumeric());
        token.chars().any(|c| c.is_ascii_digit()) && token.chars().any(char::is_alphabetic)
    })
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

    async fn put_chunk(&self, entries: &[MemoryEntry]) -> Result<(), MemoryError> {
        let expires_at = now_seconds().saturating_add(self.ttl.as_secs());
        let mut requests = Vec::with_capacity(entries.len());
        for entry in entries {
            let put = PutRequest::builder()
                .set_item(Some(item(entry, expires_at)))
                .build()
                .map_err(|_| MemoryError::InvalidResponse)?;
            requests.push(WriteRequest::builder().put_request(put).build());
        }
        for _ in 0..2 {
            let output = self
                .client()
                .await
                .batch_write_item()
                .request_items(&self.table, requests)
                .send()
                .await
                .map_err(classify)?;
            match output.unprocessed_items().and_then(|unprocessed| unprocessed.get(&self.table)) {
                Some(rest) if !rest.is_empty() => requests = rest.clone(),
                _ => return Ok(()),
            }
        }
        Err(MemoryError::Throttled)
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

    fn put_many<'a>(&'a self, entries: &'a [MemoryEntry]) -> BoxFuture<'a, Result<(), MemoryError>> {
        Box::pin(async move {
            if entries.is_empty() {
                return Ok(());
            }
            let work = join_all(entries.chunks(MAX_WRITE_ITEMS).map(|chunk| self.put_chunk(chunk)));
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
}

/// The item for `entry`: machine entries expire, reviewed ones do not.
pub fn item(entry: &MemoryEntry, expires_at: u64) -> HashMap<String, AttributeValue> {
    let mut item = HashMap::from([
        ("id".to_owned(), AttributeValue::S(entry.id.clone())),
        ("text".to_owned(), AttributeValue::S(entry.text.clone())),
        ("source".to_owned(), AttributeValue::S(entry.source.clone())),
        ("target".to_owned(), AttributeValue::S(entry.target.clone())),
        ("translation".to_owned(), AttributeValue::S(entry.translation.clone())),
        ("detected".to_owned(), AttributeValue::S(entry.detected.clone())),
        ("uses".to_owned(), AttributeValue::N(entry.uses.to_string())),
        ("reviewed".to_owned(), AttributeValue::Bool(entry.reviewed)),
    ]);
    if !entry.reviewed {
        item.insert("expires_at".to_owned(), AttributeValue::N(expires_at.to_string()));
    }
    item
}

/// An entry from a stored item; `None` for anything malformed, or a machine entry past its expiry
/// (TTL deletes lazily, so it may still be there): a miss, not an error.
pub fn parse_item(item: &HashMap<String, AttributeValue>) -> Option<MemoryEntry> {
    let string = |name: &str| item.get(name).and_then(|value| value.as_s().ok()).cloned();
    let number = |name: &str| item.get(name).and_then(|value| value.as_n().ok()).and_then(|n| n.parse::<u64>().ok());
    let reviewed = item.get("reviewed").and_then(|value| value.as_bool().ok()).copied().unwrap_or(false);
    if !reviewed && number("expires_at").is_none_or(|expires_at| expires_at <= now_seconds()) {
        return None;
    }
    let entry = MemoryEntry {
        id: string("id")?,
        text: string("text")?,
        source: string("source")?,
        target: string("target")?,
        translation: string("translation")?,
        detected: string("detected").unwrap_or_default(),
        uses: number("uses").unwrap_or(0),
        reviewed,
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
    fn personal_looking_strings_stay_out() {
        for text in [
            "Write to jane.doe@example.com for help.",
            "Call us on +1 (555) 010-9999.",
            "Your code is 482913.",
            "Order A12B9 has shipped.",
            "Your order ORD-4411 is on its way.",
            "Tracking: 1Z999AA10123456784",
        ] {
            assert!(!may_store(text), "{text}");
        }
        for text in ["Hello! How can I help?", "Main menu", "Open 24 hours, 7 days a week.", "You have 3 items."] {
            assert!(may_store(text), "{text}");
        }
    }

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
        };
        assert_eq!(parse_item(&item(&entry, now_seconds() + 60)), Some(entry.clone()));
        assert_eq!(parse_item(&item(&entry, now_seconds() - 1)), None, "expired but not yet deleted");
        let reviewed = MemoryEntry { reviewed: true, ..entry.clone() };
        assert!(!item(&reviewed, 0).contains_key("expires_at"));
        assert_eq!(parse_item(&item(&reviewed, 0)), Some(reviewed));
        let mut garbage = item(&entry, now_seconds() + 60);
        garbage.insert("translation".into(), AttributeValue::N("5".into()));
        assert_eq!(parse_item(&garbage), None);
    }
}
