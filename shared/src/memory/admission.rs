//! Admission by provenance: what may enter the shared translation memory.
//!
//! A text's translation is written to the memory only when
//! - it is one of the assistant's authored texts (written by the CLI's seed with `origin`
//!   `authored`; the functions serve those, and never overwrite them), or
//! - it was to be shown in at least `MEMORY_ADMIT_SESSIONS` (default 5) distinct sessions
//!   (`context.global.session_id`), per text and target language, whether the warm cache, the
//!   memory or Amazon Translate answered it.
//!
//! Until then the text is not stored: a *sighting item* counts the sessions. Its `id` is
//! [`SIGHTING_PREFIX`] and an HMAC-SHA256 of the entry's id (itself a hash of the template, the
//! languages and the settings), and it holds only HMACs of session ids (`sessions`, a string set)
//! and `expires_at`, [`SIGHTING_TTL_DAYS`] after the first sighting. The HMAC key is
//! `MEMORY_ADMIT_KEY`, a per-deployment key that is not in the table (the template sets it to a
//! secret of your own, or to the stack's random id): someone holding the table alone (an
//! export, a backup, a scan) cannot check a guessed text or session against it.
//!
//! Anything a session shows only once (a name, an amount, a quote of the user) never reaches the
//! threshold and lives only in the warm instance's cache. A function without sessions (dialog)
//! reads the memory and writes nothing.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::Mutex;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use futures::StreamExt;
use hmac::{Hmac, KeyInit, Mac};
use lru::LruCache;
use sha2::Sha256;

use super::{DynamoMemory, MAX_CONCURRENT_UPDATES, MemoryError, classify, now_seconds};
use crate::config::{ConfigError, Variables};

/// `MEMORY_ADMIT_SESSIONS`' default: distinct sessions before a text is stored.
pub const DEFAULT_ADMIT_SESSIONS: u64 = 5;
/// A sighting item expires this long after the text's first sighting: a text must reach the
/// threshold within this window, and no hashed session id is kept longer.
pub const SIGHTING_TTL_DAYS: u64 = 7;
/// The sighting items' ids start with this; no entry id (64 hex digits) does.
pub const SIGHTING_PREFIX: &str = "sighting#";
/// `MEMORY_ADMIT_KEY` is at least this long.
pub const MIN_KEY_BYTES: usize = 16;
/// (entry, session) pairs an instance remembers having counted, so a session's later turns on the
/// same instance send nothing.
const SEEN_CAPACITY: usize = 10_000;

/// What decides admission, read once at cold start.
#[derive(Clone, PartialEq, Eq)]
pub struct AdmissionSettings {
    /// `MEMORY_ADMIT_SESSIONS`, 1-1000. 1: every translation is stored at once (no sightings).
    pub sessions: u64,
    /// `MEMORY_ADMIT_KEY`: the HMAC key of the sighting items.
    pub key: Option<String>,
}

impl std::fmt::Debug for AdmissionSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let key = if self.key.is_some() { "set" } else { "unset" };
        f.debug_struct("AdmissionSettings").field("sessions", &self.sessions).field("key", &key).finish()
    }
}

impl Default for AdmissionSettings {
    fn default() -> Self {
        AdmissionSettings { sessions: DEFAULT_ADMIT_SESSIONS, key: None }
    }
}

impl AdmissionSettings {
    /// `memory_on`: `TRANSLATION_TABLE` is set, so counting sessions needs the key.
    pub fn read(variables: &Variables, memory_on: bool) -> Result<Self, ConfigError> {
        let sessions = variables.number("MEMORY_ADMIT_SESSIONS", DEFAULT_ADMIT_SESSIONS, 1..=1000)?;
        let key = variables.secret("MEMORY_ADMIT_KEY");
        let invalid = |why: &str| ConfigError::Invalid { variable: "MEMORY_ADMIT_KEY", why: why.into() };
        match &key {
            Some(key) if key.len() < MIN_KEY_BYTES => return Err(invalid("expected at least 16 bytes")),
            None if memory_on && sessions > 1 => {
                return Err(invalid(
                    "required with TRANSLATION_TABLE set and MEMORY_ADMIT_SESSIONS over 1: at least 16 bytes of a secret that is not in the table",
                ));
            }
            _ => {}
        }
        Ok(AdmissionSettings { sessions, key })
    }
}

/// One session in which a not yet admitted text was shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    /// The sighting item's id: [`SIGHTING_PREFIX`] and the keyed hash of the entry's id.
    pub id: String,
    /// The keyed hash of the session id.
    pub session: String,
}

/// The admission rule at run time: the threshold, the key, and what this instance has counted.
pub struct Admission {
    sessions: u64,
    key: Option<Vec<u8>>,
    seen: Mutex<LruCache<(String, String), ()>>,
}

impl std::fmt::Debug for Admission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admission").field("sessions", &self.sessions).finish_non_exhaustive()
    }
}

impl Default for Admission {
    fn default() -> Self {
        Admission::new(&AdmissionSettings::default())
    }
}

impl Admission {
    pub fn new(settings: &AdmissionSettings) -> Self {
        let capacity = NonZeroUsize::new(SEEN_CAPACITY).unwrap_or(NonZeroUsize::MIN);
        Admission {
            sessions: settings.sessions,
            key: settings.key.as_ref().map(|key| key.as_bytes().to_vec()),
            seen: Mutex::new(LruCache::new(capacity)),
        }
    }

    /// Every translation is admitted at once (`MEMORY_ADMIT_SESSIONS=1`).
    pub fn at_once(&self) -> bool {
        self.sessions <= 1
    }

    /// Whether `count` distinct sessions admit a text.
    pub fn admits(&self, count: u64) -> bool {
        count >= self.sessions
    }

    /// The sighting of `entry_id` in `session`, unless this instance counted it already (or no key
    /// is set: then nothing is counted, and nothing admitted by sightings).
    pub fn sighting(&self, entry_id: &str, session: &str) -> Option<Sighting> {
        let key = self.key.as_ref()?;
        let sighting = Sighting {
            id: format!("{SIGHTING_PREFIX}{}", keyed_hash(key, "entry", entry_id)),
            session: keyed_hash(key, "session", session)[..32].to_owned(),
        };
        let mut seen = self.seen.lock().ok()?;
        let pair = (sighting.id.clone(), sighting.session.clone());
        seen.put(pair, ()).is_none().then_some(sighting)
    }

    /// A sighting that could not be recorded may be counted again by a later turn.
    pub fn forget(&self, sightings: &[Sighting]) {
        if let Ok(mut seen) = self.seen.lock() {
            for sighting in sightings {
                seen.pop(&(sighting.id.clone(), sighting.session.clone()));
            }
        }
    }
}

/// HMAC-SHA256 of `purpose` and `value` under `key`, in hex.
fn keyed_hash(key: &[u8], purpose: &str, value: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else { return String::new() };
    mac.update(purpose.as_bytes());
    mac.update(&[0]);
    mac.update(value.as_bytes());
    mac.finalize().into_bytes().iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Each sighting recorded, a few at a time within the memory's deadline: the count of distinct
/// sessions of each.
pub(super) async fn sight_all(memory: &DynamoMemory, sightings: &[Sighting]) -> Result<Vec<u64>, MemoryError> {
    let calls: Vec<_> = sightings.iter().map(|sighting| sight_one(memory, sighting)).collect();
    let work = futures::stream::iter(calls).buffered(MAX_CONCURRENT_UPDATES).collect::<Vec<_>>();
    let results = tokio::time::timeout(memory.deadline(), work).await.map_err(|_| MemoryError::Timeout)?;
    results.into_iter().collect()
}

/// `ADD` the session to the item's set (creating it, with its expiry, on the first sighting); an
/// item past its expiry that TTL has not deleted yet starts a new window.
async fn sight_one(memory: &DynamoMemory, sighting: &Sighting) -> Result<u64, MemoryError> {
    let now = now_seconds();
    let expires_at = now.saturating_add(SIGHTING_TTL_DAYS * 86_400);
    let session = AttributeValue::Ss(vec![sighting.session.clone()]);
    let result = memory
        .client()
        .await
        .update_item()
        .table_name(memory.table())
        .key("id", AttributeValue::S(sighting.id.clone()))
        .update_expression("ADD #sessions :session SET #expires_at = if_not_exists(#expires_at, :expires_at)")
        .condition_expression("attribute_not_exists(#id) OR #expires_at > :now")
        .expression_attribute_names("#id", "id")
        .expression_attribute_names("#sessions", "sessions")
        .expression_attribute_names("#expires_at", "expires_at")
        .expression_attribute_values(":session", session.clone())
        .expression_attribute_values(":expires_at", AttributeValue::N(expires_at.to_string()))
        .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
        .return_values(ReturnValue::AllNew)
        .send()
        .await;
    match result {
        Ok(output) => Ok(session_count(output.attributes())),
        Err(error) if error.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
            let item = HashMap::from([
                ("id".to_owned(), AttributeValue::S(sighting.id.clone())),
                ("sessions".to_owned(), session),
                ("expires_at".to_owned(), AttributeValue::N(expires_at.to_string())),
            ]);
            memory
                .client()
                .await
                .put_item()
                .table_name(memory.table())
                .set_item(Some(item))
                .send()
                .await
                .map_err(classify)?;
            Ok(1)
        }
        Err(error) => Err(classify(error)),
    }
}

fn session_count(attributes: Option<&HashMap<String, AttributeValue>>) -> u64 {
    attributes
        .and_then(|item| item.get("sessions"))
        .and_then(|value| value.as_ss().ok())
        .map_or(0, |set| set.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)], memory_on: bool) -> Result<AdmissionSettings, ConfigError> {
        AdmissionSettings::read(&vars.into(), memory_on)
    }

    #[test]
    fn the_key_is_required_where_sessions_are_counted_and_never_shown() {
        assert_eq!(settings(&[], false).unwrap().sessions, 5);
        let error = settings(&[], true).unwrap_err().to_string();
        assert!(error.starts_with("MEMORY_ADMIT_KEY is invalid"), "{error}");
        assert_eq!(settings(&[("MEMORY_ADMIT_SESSIONS", "1")], true).unwrap().sessions, 1);
        let error = settings(&[("MEMORY_ADMIT_KEY", "short")], false).unwrap_err().to_string();
        assert!(error.starts_with("MEMORY_ADMIT_KEY is invalid"), "{error}");
        let error = settings(&[("MEMORY_ADMIT_SESSIONS", "0")], false).unwrap_err().to_string();
        assert!(error.starts_with("MEMORY_ADMIT_SESSIONS is invalid"), "{error}");
        let read = settings(&[("MEMORY_ADMIT_KEY", "a-deployment-secret-0123")], true).unwrap();
        assert!(!format!("{read:?}").contains("deployment"), "the key is never printed");
    }

    #[test]
    fn a_session_is_counted_once_per_instance_and_the_hashes_depend_on_the_key() {
        let key = |key: &str| AdmissionSettings { sessions: 5, key: Some(key.to_owned()) };
        let admission = Admission::new(&key("a-deployment-secret-0123"));
        let first = admission.sighting("entry", "session-1").unwrap();
        assert!(first.id.starts_with(SIGHTING_PREFIX) && !first.id.contains("entry"));
        assert_eq!(admission.sighting("entry", "session-1"), None, "counted already");
        admission.forget(std::slice::from_ref(&first));
        assert_eq!(admission.sighting("entry", "session-1"), Some(first.clone()));
        let other = Admission::new(&key("another-secret-456789")).sighting("entry", "session-1").unwrap();
        assert_ne!((other.id, other.session), (first.id, first.session));
        assert_eq!(Admission::default().sighting("entry", "session-1"), None, "no key: nothing counted");
        assert!(admission.admits(5) && !admission.admits(4) && !admission.at_once());
    }
}
