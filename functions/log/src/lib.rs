//! The log webhook: the assistant sends every message and its response (`message_logged`) and,
//! on phone channels, call detail records (`cdr_logged`). Each event is stored as one JSON object,
//! every member kept as received, under `event=<name>/dt=YYYY-MM-DD/<id>.json` on Amazon S3 or in
//! a local directory. A stored event is never replaced: a redelivery answers as stored, and a
//! different event under a taken key is kept beside it. If it cannot be stored, the answer is a 503 (so a sender that retries can
//! retry) and the event goes to the function's log as one fallback record.

pub mod config;
pub mod key;
pub mod redact;
pub mod store;
pub mod table;

use std::time::{Instant, SystemTime};

use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value, json};
use shared::config::EdgeConfig;
use shared::functions::Function;
use shared::http::{error_response, json_response};
use shared::webhook::Webhook;

pub use config::{Backend, LogSettings};
pub use key::EventKey;
pub use store::{ConfiguredStore, DirLogStore, LogStore, Outcome, S3LogStore, StoreError, Stored};

/// The message of the fallback record, for searching the function's log.
pub const FALLBACK_MESSAGE: &str = "log event not stored; fallback record";
/// A fallback record longer than this is split into parts (`part`, `parts`), each well below
/// CloudWatch Logs' 256 KB limit for one log event.
pub const FALLBACK_PART_BYTES: usize = 200_000;

pub struct LogWebhook<S> {
    edge: EdgeConfig,
    settings: LogSettings,
    store: S,
}

impl<S: LogStore> LogWebhook<S> {
    pub fn new(edge: EdgeConfig, settings: LogSettings, store: S) -> Self {
        LogWebhook { edge, settings, store }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    async fn store_event(&self, event: Map<String, Value>, request: &Request, request_id: &str) -> Response<Body> {
        // `accept` has checked that the body is UTF-8 JSON.
        let body = std::str::from_utf8(request.body().as_ref()).unwrap_or_default();
        let key = EventKey::derive(&event, body.as_bytes(), SystemTime::now());
        let object_key = key.object_key(&self.settings.key_prefix);
        let (record, redacted) = self.record(body, event);

        let started = Instant::now();
        let stored = self.store.put(&object_key, record.as_bytes()).await;
        let store_ms = started.elapsed().as_secs_f64() * 1000.0;
        match stored {
            Ok(stored) => {
                if stored.outcome == Outcome::KeptBeside {
                    // Someone sent a different event under an id already stored: both are kept.
                    tracing::warn!(
                        request_id,
                        event = key.event,
                        key = stored.key,
                        taken_key = object_key,
                        id_source = key.id_source,
                        redacted,
                        bytes = record.len(),
                        store_ms,
                        "log event differs from the one stored at its key; kept beside it"
                    );
                } else {
                    tracing::info!(
                        request_id,
                        event = key.event,
                        key = stored.key,
                        outcome = stored.outcome.as_str(),
                        date_source = key.date_source,
                        id_source = key.id_source,
                        redacted,
                        bytes = record.len(),
                        store_ms,
                        "log event stored"
                    );
                }
                json_response(StatusCode::CREATED, &json!({ "stored": stored.key }))
            }
            Err(error) => {
                log_fallback(request_id, &object_key, &error, record.trim_end());
                let mut response = error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    "the event could not be stored; send it again",
                );
                response.headers_mut().insert("retry-after", HeaderValue::from_static("1"));
                response
            }
        }
    }

    /// The stored record: one line of JSON and a newline (the JSON Lines form Athena reads).
    /// Without redaction it is the body minus insignificant whitespace, so every member, number
    /// and key order stays exactly as the assistant sent it. With redaction it is the event
    /// re-serialised after masking. Returns the record and how many values were masked.
    fn record(&self, body: &str, event: Map<String, Value>) -> (String, usize) {
        let mut value = Value::Object(event);
        let redacted = redact::redact(&mut value, &self.settings.redact_paths);
        let mut record = if redacted == 0 { minify(body) } else { value.to_string() };
        record.push('\n');
        (record, redacted)
    }
}

/// Writes the event that could not be stored to the function's log, so it can be recovered from
/// there (search for `FALLBACK_MESSAGE`, read `fields.event`).
///
/// This is ON PURPOSE the one place where an event's content (user text included) is logged:
/// the alternative is losing it. The record is the same redacted record that would have been
/// stored, so `LOG_REDACT_PATHS` applies here too. Large records are split into parts.
fn log_fallback(request_id: &str, key: &str, error: &StoreError, record: &str) {
    let parts = split_at_char_boundaries(record, FALLBACK_PART_BYTES);
    let count = parts.len();
    for (index, part) in parts.into_iter().enumerate() {
        tracing::error!(
            request_id,
            key,
            error = error.kind(),
            part = index + 1,
            parts = count,
            event = part,
            "{FALLBACK_MESSAGE}"
        );
    }
}

/// `text` in pieces of at most `max` bytes (at least one piece), never splitting a character.
fn split_at_char_boundaries(text: &str, max: usize) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = text;
    while rest.len() > max {
        let mut cut = max;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (part, tail) = rest.split_at(cut);
        parts.push(part);
        rest = tail;
    }
    parts.push(rest);
    parts
}

/// Valid JSON without the whitespace between tokens. Strings are copied byte for byte (JSON
/// strings cannot hold a raw line break), so the result is one line with the same meaning.
pub fn minify(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            out.push(c);
        }
    }
    out
}

/// Says at start where events go, and warns when that is a directory inside Lambda, where
/// nothing outside /tmp is writable and nothing survives the execution environment.
pub fn announce(settings: &LogSettings, store: &impl LogStore) {
    tracing::info!(
        store = store.location(),
        key_prefix = settings.key_prefix,
        redact_paths = settings.redact_paths.len(),
        store_timeout_ms = settings.store_timeout.as_millis() as u64,
        "log store"
    );
    if matches!(settings.backend, Backend::Directory { .. }) && std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some() {
        tracing::warn!("LOG_BUCKET is not set: events go to a local directory, which does not survive in Lambda");
    }
}

/// Method, auth, content type, size and JSON object, as for every webhook; but any event name and
/// any payload shape are accepted: a log event is never refused for its content.
impl<S: LogStore> Webhook for LogWebhook<S> {
    const FUNCTION: Function = Function::Log;
    type Event = Map<String, Value>;
    /// Each store logs its own line (stored, kept beside, or the fallback record).
    type Outcome = ();

    fn edge(&self) -> &EdgeConfig {
        &self.edge
    }

    async fn process(&self, event: Self::Event, request: &Request, request_id: &str) -> (Response<Body>, ()) {
        (self.store_event(event, request, request_id).await, ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minify_keeps_strings_and_drops_layout() {
        let pretty = "{\n  \"a\" : [ 1 , 2.50, 1e3 ],\r\n\t\"b\": \"x  y\\\" \\\\\" , \"c\":{ } }";
        let one_line = minify(pretty);
        assert_eq!(one_line, r#"{"a":[1,2.50,1e3],"b":"x  y\" \\","c":{}}"#);
        let before: Value = serde_json::from_str(pretty).unwrap();
        let after: Value = serde_json::from_str(&one_line).unwrap();
        assert_eq!(before, after);
        assert_eq!(minify("{\"é\": \"日本 語\"}"), "{\"é\":\"日本 語\"}");
    }

    #[test]
    fn large_records_split_on_character_boundaries() {
        assert_eq!(split_at_char_boundaries("", 4), [""]);
        assert_eq!(split_at_char_boundaries("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        let text = "ééééé"; // 2 bytes each
        let parts = split_at_char_boundaries(text, 3);
        assert_eq!(parts, ["é", "é", "é", "é", "é"]);
        assert_eq!(parts.concat(), text);
    }
}
