//! The log webhook: the assistant sends every message and its response (`message_logged`) and,
//! on phone channels, call detail records (`cdr_logged`). Each event is parsed, redacted as
//! configured, and stored as that value written out again on one line, under
//! `event=<name>/dt=YYYY-MM-DD/<id>.json` on Amazon S3 or in a local directory: the raw body is
//! never stored. A record the Athena table could not read goes to the quarantine, outside the
//! table (see `fit`). A stored event is never replaced: a redelivery answers as stored, and a
//! different event under a taken key is kept beside it, a few times at most. If it cannot be
//! stored, the answer is a 503 (so a sender that retries can retry) and the event goes to the
//! function's log as one fallback record.

pub mod config;
pub mod fit;
pub mod key;
pub mod redact;
pub mod store;
pub mod table;

use std::time::{Instant, SystemTime};

use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value, json};
use shared::aws::AwsError;
use shared::config::EdgeConfig;
use shared::functions::Function;
use shared::http::{error_response, json_response};
use shared::metrics::{Count, MetricLine, MetricsSink};
use shared::webhook::Webhook;

pub use config::{Backend, LogSettings};
pub use fit::{Misfit, Reason};
pub use key::EventKey;
pub use store::{ConfiguredStore, DirLogStore, LogStore, MAX_KEPT_BESIDE, Outcome, S3LogStore, StoreError, Stored};

/// The message of the fallback record, for searching the function's log.
pub const FALLBACK_MESSAGE: &str = "log event not stored; fallback record";
/// The message of the one line a quarantined event gets.
pub const QUARANTINED_MESSAGE: &str = "log event quarantined";
/// A fallback record longer than this is split into parts (`part`, `parts`), each well below
/// CloudWatch Logs' 256 KB limit for one log event.
pub const FALLBACK_PART_BYTES: usize = 200_000;
/// 1 for each event stored in the quarantine rather than the table (one EMF line each).
pub const LOG_QUARANTINED: Count = Count("LogQuarantined");

pub struct LogWebhook<S> {
    edge: EdgeConfig,
    settings: LogSettings,
    store: S,
    metric_sink: MetricsSink,
}

/// Where one record went: the table (`misfit` is `None`) or the quarantine, and how that went.
struct Placement {
    misfit: Option<Misfit>,
    /// The key it was meant for (its own key, in the table or the quarantine).
    key: String,
    result: Result<Stored, StoreError>,
}

impl<S: LogStore> LogWebhook<S> {
    pub fn new(edge: EdgeConfig, settings: LogSettings, store: S) -> Self {
        LogWebhook { edge, settings, store, metric_sink: MetricsSink::stdout() }
    }

    /// Where the quarantine's metric lines go (stdout, where Lambda's EMF reads them, by default).
    pub fn with_metric_sink(mut self, sink: MetricsSink) -> Self {
        self.metric_sink = sink;
        self
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    async fn store_event(&self, event: Map<String, Value>, request_id: &str) -> Response<Body> {
        // The event as parsed, written out again: a key sent twice is the one member the parser
        // kept, and what is stored, hashed and redacted is that one value.
        let parsed = Value::Object(event);
        let written = parsed.to_string();
        let key = match &parsed {
            Value::Object(event) => EventKey::derive(event, written.as_bytes(), SystemTime::now()),
            _ => unreachable!("built as an object above"),
        };
        let (record, value, redacted) = self.record(parsed, written);
        let misfit = fit::check(&value, key.bad_date).err();
        drop(value);

        let started = Instant::now();
        let placement = self.place(&key, misfit, record.as_bytes()).await;
        let store_ms = started.elapsed().as_secs_f64() * 1000.0;
        let facts = Facts { request_id, key: &key, redacted, bytes: record.len(), store_ms };
        match placement.result {
            Ok(stored) => match placement.misfit {
                None => answer_stored(&facts, &placement.key, &stored),
                Some(misfit) => self.answer_quarantined(&facts, &misfit, &stored),
            },
            Err(StoreError::TooManyCopies) => answer_too_many_copies(&facts, placement.misfit.as_ref()),
            Err(error) => {
                log_fallback(request_id, &placement.key, &error, record.trim_end());
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

    /// The stored record, one line of JSON and a newline (the JSON Lines form Athena reads), with
    /// the value it holds; and how many values were masked (`LOG_REDACT_PATHS`, and personal data
    /// found with `MASK_PERSONAL_DATA` on). Always the parsed event written out again (`written`,
    /// when nothing was masked), never the body as received.
    fn record(&self, mut value: Value, written: String) -> (String, Value, usize) {
        let mut redacted = redact::redact(&mut value, &self.settings.redact_paths);
        if let Some(detector) = &self.settings.mask {
            redacted += redact::mask_personal_data(&mut value, detector);
        }
        let mut record = if redacted == 0 { written } else { value.to_string() };
        record.push('\n');
        (record, value, redacted)
    }

    /// The record in the table; in the quarantine if it does not fit, or if its id already holds
    /// [`MAX_KEPT_BESIDE`] other records there. Both writes together within `LOG_STORE_TIMEOUT_MS`.
    async fn place(&self, key: &EventKey, misfit: Option<Misfit>, record: &[u8]) -> Placement {
        let deadline = tokio::time::Instant::now() + self.settings.store_timeout;
        let put = |at: String| async move {
            let result = tokio::time::timeout_at(deadline, self.store.put(&at, record)).await;
            (at, result.unwrap_or(Err(AwsError::Timeout.into())))
        };
        let misfit = match misfit {
            Some(misfit) => misfit,
            None => match put(key.object_key(&self.settings.key_prefix)).await {
                (_, Err(StoreError::TooManyCopies)) => Misfit { reason: Reason::TooManyCopies, column: None },
                (table_key, result) => return Placement { misfit: None, key: table_key, result },
            },
        };
        let (key, result) = put(key.quarantine_key(&self.settings.quarantine_prefix, misfit.reason.as_str())).await;
        Placement { misfit: Some(misfit), key, result }
    }

    /// `201`, one warning that says why (never the content), and one EMF line.
    fn answer_quarantined(&self, facts: &Facts, misfit: &Misfit, stored: &Stored) -> Response<Body> {
        tracing::warn!(
            request_id = facts.request_id,
            event = facts.key.event,
            key = stored.key,
            reason = misfit.reason.as_str(),
            column = misfit.column.as_deref(),
            outcome = stored.outcome.as_str(),
            redacted = facts.redacted,
            bytes = facts.bytes,
            store_ms = facts.store_ms,
            "{QUARANTINED_MESSAGE}"
        );
        let mut line = MetricLine::new(<Self as Webhook>::NAME);
        line.count(LOG_QUARANTINED, 1);
        self.metric_sink.write(&line);
        json_response(StatusCode::CREATED, &json!({ "stored": stored.key, "quarantined": misfit.reason.as_str() }))
    }
}

/// What the answer's log line says of one event besides where it went.
struct Facts<'a> {
    request_id: &'a str,
    key: &'a EventKey,
    redacted: usize,
    bytes: usize,
    store_ms: f64,
}

/// `201 {"stored": key}`, and the line that says so (a warning when it was kept beside another).
fn answer_stored(facts: &Facts, taken_key: &str, stored: &Stored) -> Response<Body> {
    let Facts { request_id, key, redacted, bytes, store_ms } = *facts;
    if stored.outcome == Outcome::KeptBeside {
        // Someone sent a different event under an id already stored: both are kept.
        tracing::warn!(
            request_id,
            event = key.event,
            key = stored.key,
            taken_key,
            id_source = key.id_source,
            redacted,
            bytes,
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
            bytes,
            store_ms,
            "log event stored"
        );
    }
    json_response(StatusCode::CREATED, &json!({ "stored": stored.key }))
}

/// `409`: the id holds [`MAX_KEPT_BESIDE`] other records in the quarantine too, so this one is
/// not stored. A sender's doing, never a fault of the store: one warning, no fallback record.
fn answer_too_many_copies(facts: &Facts, misfit: Option<&Misfit>) -> Response<Body> {
    tracing::warn!(
        request_id = facts.request_id,
        event = facts.key.event,
        reason = misfit.map(|misfit| misfit.reason.as_str()),
        id_source = facts.key.id_source,
        bytes = facts.bytes,
        store_ms = facts.store_ms,
        "log event not stored: its id holds too many different records"
    );
    error_response(
        StatusCode::CONFLICT,
        "too_many_copies",
        "other events were stored under this event's id too many times; this one was not stored",
    )
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

/// Says at start where events go, and warns when that is a directory inside Lambda, where
/// nothing outside /tmp is writable and nothing survives the execution environment.
pub fn announce(settings: &LogSettings, store: &impl LogStore) {
    tracing::info!(
        store = store.location(),
        key_prefix = settings.key_prefix,
        quarantine_prefix = settings.quarantine_prefix,
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
    /// Each store logs its own line (stored, kept beside, quarantined, refused, or the fallback record).
    type Outcome = ();

    fn edge(&self) -> &EdgeConfig {
        &self.edge
    }

    async fn process(&self, event: Self::Event, _request: &Request, request_id: &str) -> (Response<Body>, ()) {
        (self.store_event(event, request_id).await, ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
