//! Where an event is stored: `event=<name>/dt=YYYY-MM-DD/<id>.json`, a Hive-style layout that
//! Athena's partition projection reads as the partitions `event` and `dt`.
//!
//! - `dt` is the UTC date of the event's own timestamp (`payload.request_timestamp` for
//!   `message_logged`, `payload.call.start_timestamp` for `cdr_logged`), else of its receipt.
//!   A timestamp that is there but is no RFC 3339 time within [2020-01-01, receipt + 1 day] is
//!   noted (`bad_date`): such an event goes to the quarantine, under its date of receipt.
//! - `<id>` is `payload.log_id` (`payload.global_session_id` for a CDR), else the SHA-256 of the
//!   event as parsed and written out again, so a redelivered event lands on the same key (where
//!   the store recognises it; a different record under a taken key goes beside it, see `copy_key`).
//! - Every part is reduced to `[A-Za-z0-9._-]`, so nothing in a request can leave its prefix.

use std::time::SystemTime;

use aws_smithy_types::DateTime;
use serde_json::{Map, Value};
use shared::object_key::{MAX_ID_CHARS, plausible_date, sha256_hex};
pub use shared::object_key::{parse_timestamp, sanitise, utc_date};
use shared::payload::event_names::{CDR_LOGGED, MESSAGE_LOGGED};

/// The partition of an event without a name.
pub const UNNAMED_EVENT: &str = "unnamed";
/// A sanitised name or id keeps at most this many characters of the original before its hash.
const MAX_KEPT_CHARS: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventKey {
    /// The sanitised event name: the `event=` partition.
    pub event: String,
    /// `YYYY-MM-DD`, UTC: the `dt=` partition.
    pub date: String,
    /// The sanitised id: the object's name without `.json`.
    pub id: String,
    /// Which member gave the date, or `received`.
    pub date_source: &'static str,
    /// Which member gave the id, or `body_sha256`.
    pub id_source: &'static str,
    /// `YYYY-MM-DD`, UTC, of the receipt: the quarantine's `dt=`, a date no sender chooses.
    pub received: String,
    /// The timestamp member that is there but gives no usable date (then `date` is `received`).
    pub bad_date: Option<&'static str>,
}

impl EventKey {
    /// Derives the key of one webhook request. `body` is the event as stored before redaction
    /// (hashed when the event carries no id); `received` is the time of receipt.
    pub fn derive(event: &Map<String, Value>, body: &[u8], received: SystemTime) -> EventKey {
        let name =
            event.get("event").and_then(|e| e.get("name")).and_then(Value::as_str).map(str::trim).unwrap_or_default();
        let payload = event.get("payload");
        let (date, date_source, bad_date) = event_date(name, payload, received);
        let (id, id_source) = match event_id(name, payload) {
            Some((id, source)) => (sanitise(id, MAX_ID_CHARS), source),
            None => (sha256_hex(body), "body_sha256"),
        };
        let event = if name.is_empty() { UNNAMED_EVENT.to_owned() } else { sanitise(name, MAX_KEPT_CHARS) };
        let received = utc_date(&DateTime::from(received));
        EventKey { event, date, id, date_source, id_source, received, bad_date }
    }

    /// The object key under `prefix` (empty, or ending in `/`).
    pub fn object_key(&self, prefix: &str) -> String {
        format!("{prefix}event={}/dt={}/{}.json", self.event, self.date, self.id)
    }

    /// The key of this event in the quarantine under `prefix` (empty, or ending in `/`):
    /// `reason=<reason>/event=<name>/dt=<date of receipt>/<id>.json`.
    pub fn quarantine_key(&self, prefix: &str, reason: &str) -> String {
        format!("{prefix}reason={reason}/event={}/dt={}/{}.json", self.event, self.received, self.id)
    }
}

/// The members that may carry an event's timestamp, in order of preference.
fn date_fields(name: &str) -> &'static [(&'static str, &'static [&'static str])] {
    const REQUEST: (&str, &[&str]) = ("request_timestamp", &["request_timestamp"]);
    const CALL_START: (&str, &[&str]) = ("call.start_timestamp", &["call", "start_timestamp"]);
    match name {
        MESSAGE_LOGGED => &[REQUEST],
        CDR_LOGGED => &[CALL_START],
        _ => &[REQUEST, CALL_START],
    }
}

/// The date, the member it came from (or `received`), and the member that is there but could
/// not give one. The first member present (not `null`) decides.
fn event_date(
    name: &str,
    payload: Option<&Value>,
    received: SystemTime,
) -> (String, &'static str, Option<&'static str>) {
    let received = DateTime::from(received);
    for (source, path) in date_fields(name) {
        let found = payload.and_then(|payload| path.iter().try_fold(payload, |value, member| value.get(member)));
        let Some(found) = found.filter(|found| !found.is_null()) else { continue };
        let date = found.as_str().and_then(parse_timestamp).filter(|date| plausible_date(date, &received));
        return match date {
            Some(date) => (utc_date(&date), source, None),
            None => (utc_date(&received), "received", Some(source)),
        };
    }
    (utc_date(&received), "received", None)
}

fn event_id<'a>(name: &str, payload: Option<&'a Value>) -> Option<(&'a str, &'static str)> {
    let fields: &[&'static str] = match name {
        MESSAGE_LOGGED => &["log_id"],
        CDR_LOGGED => &["global_session_id"],
        _ => &["log_id", "global_session_id"],
    };
    let payload = payload?;
    fields.iter().find_map(|field| {
        let id = payload.get(field)?.as_str()?.trim();
        (!id.is_empty()).then_some((id, *field))
    })
}

/// The key of the `copy`-th record kept beside the one at `object_key` (a different record under
/// the same id): `<id>.copy-<copy>.json`, in the same partition, so Athena reads both.
pub fn copy_key(object_key: &str, copy: usize) -> String {
    let stem = object_key.strip_suffix(".json").unwrap_or(object_key);
    format!("{stem}.copy-{copy}.json")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    // The id is checked against a digest computed here, not through the helper under test.
    use sha2::{Digest, Sha256};
    use shared::object_key::hex;
    use std::time::{Duration, UNIX_EPOCH};

    /// 2025-06-01T23:59:00Z
    fn received() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_748_822_340)
    }

    fn key(event: Value) -> EventKey {
        let body = event.to_string();
        EventKey::derive(event.as_object().unwrap(), body.as_bytes(), received())
    }

    #[test]
    fn message_logged_uses_log_id_and_request_timestamp() {
        let key = key(json!({"event": {"name": "message_logged"}, "payload": {
            "log_id": "58bebfd1-0118-419b-a555-b152a1efbbe8", "request_timestamp": "2025-05-30T10:00:05.120Z",
            "global_session_id": "ignored", "call": {"start_timestamp": "2021-10-12T20:54:02.591Z"}}}));
        assert_eq!(key.object_key(""), "event=message_logged/dt=2025-05-30/58bebfd1-0118-419b-a555-b152a1efbbe8.json");
        assert_eq!((key.date_source, key.id_source, key.bad_date), ("request_timestamp", "log_id", None));
        assert_eq!(key.object_key("watson/prod/"), format!("watson/prod/{}", key.object_key("")));
        assert_eq!(
            key.quarantine_key("quarantine/", "wrong_type"),
            "quarantine/reason=wrong_type/event=message_logged/dt=2025-06-01/58bebfd1-0118-419b-a555-b152a1efbbe8.json",
            "the quarantine is dated by receipt"
        );
        assert_eq!(copy_key("p/event=a/dt=2025-06-01/x.json", 2), "p/event=a/dt=2025-06-01/x.copy-2.json");
    }

    #[test]
    fn cdr_logged_uses_global_session_id_and_call_start() {
        let key = key(json!({"event": {"name": "cdr_logged"}, "payload": {
            "global_session_id": "9caa8bad-aaa8-4a5a-a4b5-62bccc703d15", "request_timestamp": "2025-01-01T00:00:00Z",
            "call": {"start_timestamp": "2021-10-12T20:54:02.591Z"}}}));
        assert_eq!(key.object_key(""), "event=cdr_logged/dt=2021-10-12/9caa8bad-aaa8-4a5a-a4b5-62bccc703d15.json");
        assert_eq!((key.date_source, key.id_source), ("call.start_timestamp", "global_session_id"));
    }

    #[test]
    fn dates_are_utc_and_fall_back_to_receipt() {
        let date = |timestamp: Value| {
            key(json!({"event": {"name": "message_logged"}, "payload": {"log_id": "a", "request_timestamp": timestamp}})).date
        };
        assert_eq!(date(json!("2025-05-31T23:30:00-05:00")), "2025-06-01", "an offset moves the UTC date");
        assert_eq!(date(json!("2025-06-01T00:30:00+02:00")), "2025-05-31");
        assert_eq!(date(json!("2025-05-31T10:00:00Z")), "2025-05-31");
        assert_eq!(date(json!(" 2025-05-31T10:00:00.123456Z ")), "2025-05-31");
        // Not a timestamp, not a string, absent, before 2020, or days ahead of receipt: the receipt date.
        for odd in [
            json!("yesterday"),
            json!("2025-05-31"),
            json!("2025-05-31 10:00:00Z"),
            json!(1748822340),
            json!(null),
            json!("0001-01-01T00:00:00Z"),
            json!("2019-12-31T23:59:59Z"),
            json!("2025-06-04T00:00:00Z"),
        ] {
            assert_eq!(date(odd.clone()), "2025-06-01", "{odd}");
            let noted = key(json!({"event": {"name": "message_logged"}, "payload": {"request_timestamp": odd}}));
            let expected = (!odd.is_null()).then_some("request_timestamp");
            assert_eq!((noted.bad_date, noted.date_source), (expected, "received"), "{odd}");
        }
        let unknown = key(
            json!({"event": {"name": "conversation_ended"}, "payload": {"call": {"start_timestamp": "2025-05-02T00:00:00Z"}}}),
        );
        assert_eq!((unknown.date.as_str(), unknown.date_source), ("2025-05-02", "call.start_timestamp"));
        let bare = key(json!({"payload": "not an object"}));
        assert_eq!((bare.date.as_str(), bare.date_source), ("2025-06-01", "received"));
    }

    #[test]
    fn no_id_means_the_body_hash_and_no_name_means_unnamed() {
        let event = json!({"payload": {"something": "new"}});
        let body = event.to_string();
        let key = EventKey::derive(event.as_object().unwrap(), body.as_bytes(), received());
        assert_eq!(key.event, UNNAMED_EVENT);
        assert_eq!(key.id_source, "body_sha256");
        assert_eq!(key.id, hex(&Sha256::digest(body.as_bytes())));
        assert_eq!(key.id.len(), 64);
        // An empty or non-string log_id is no id either.
        for log_id in [json!(""), json!("  "), json!(42), json!({"id": "x"})] {
            let key = key_of(json!({"event": {"name": "message_logged"}, "payload": {"log_id": log_id}}));
            assert_eq!(key.id_source, "body_sha256", "{log_id}");
        }
        fn key_of(event: Value) -> EventKey {
            super::tests::key(event)
        }
    }

    #[test]
    fn hostile_names_and_ids_stay_inside_the_prefix() {
        for hostile in [
            "../../etc/passwd",
            "..",
            ".",
            "a/b",
            "a\\b",
            "event=x/dt=y",
            "\u{0}",
            "名前",
            "a b",
            "%2e%2e%2f",
            ".hidden",
        ] {
            let key = key(json!({"event": {"name": hostile}, "payload": {"log_id": hostile}}));
            let object = key.object_key("p/");
            let parts: Vec<&str> = object.split('/').collect();
            assert_eq!(parts.len(), 4, "{hostile:?} → {object}");
            assert!(
                parts[1].starts_with("event=") && parts[2].starts_with("dt=") && parts[3].ends_with(".json"),
                "{object}"
            );
            for part in &parts[1..] {
                assert!(
                    part.chars().all(|c| c.is_ascii_alphanumeric() || "._-=".contains(c)),
                    "{hostile:?} → {object}"
                );
                assert!(!part.starts_with('.'), "{hostile:?} → {object}");
            }
        }
        // Distinct ids that sanitise alike stay distinct; the same id is stable.
        assert_ne!(sanitise("a/b", MAX_ID_CHARS), sanitise("a_b", MAX_ID_CHARS));
        assert_ne!(sanitise("a/b", MAX_ID_CHARS), sanitise("a\\b", MAX_ID_CHARS));
        assert_eq!(sanitise("a/b", MAX_ID_CHARS), sanitise("a/b", MAX_ID_CHARS));
        assert_eq!(sanitise("58bebfd1-0118-419b", MAX_ID_CHARS), "58bebfd1-0118-419b");
        let long = "x".repeat(500);
        let short = sanitise(&long, MAX_ID_CHARS);
        assert_eq!(short.len(), 64 + 1 + 16);
    }
}
