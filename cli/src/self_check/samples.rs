//! The sample requests the self-check sends each function, and what a translated answer must show.

use serde_json::{Value, json};

use super::http::{Answer, Failure, Http};
use super::{Function, SELF_CHECK_MARKER, Targets};

pub(super) const FOREIGN: &str = "¿Dónde está mi pedido? Necesito ayuda con la entrega, por favor.";
pub(super) const ENGLISH: &str = "Where is my order? I need help with the delivery, please.";
pub(super) const RICH_REPLY: &str = "See our [help page](https://example.com/help) or write to help@example.com.";

pub(super) fn pre_message(text: &str) -> Value {
    json!({"event": {"name": "message_received"}, "options": {}, "payload": {
        "input": {"message_type": "text", "text": text},
        "context": {"skills": {"actions skill": {"user_defined": {}, "skill_variables": {}}}}}})
}

pub(super) fn post_message(text: &str, language: Option<&str>) -> Value {
    let user_defined = language.map_or(json!({}), |language| json!({"language": language}));
    json!({"event": {"name": "message_processed"}, "options": {}, "payload": {
        "output": {"generic": [{"response_type": "text", "text": text}]},
        "context": {"skills": {"actions skill": {"user_defined": user_defined}}}}})
}

/// A request body the self-check sends: JSON, or the audio webhook's `multipart/form-data`.
#[derive(Debug, Clone)]
pub(super) enum Sample {
    Json(Value),
    Multipart { boundary: &'static str, body: Vec<u8> },
}

impl Sample {
    pub(super) async fn post(&self, client: &Http, url: &str, headers: &[(String, String)]) -> Result<Answer, Failure> {
        match self {
            Sample::Json(body) => client.post(url, headers, body).await,
            Sample::Multipart { boundary, body } => {
                let content_type = format!("multipart/form-data; boundary={boundary}");
                client.post_as(url, headers, &content_type, body.clone()).await
            }
        }
    }
}

/// The multipart boundary of the self-check's recordings.
pub(super) const RECORDING_BOUNDARY: &str = "webhooks-self-check-3f9c1e7a";

/// A caller's recording as the audio webhook receives it (IBM's "Defining an audio webhook"): a
/// `metadata` part, marked, with a recording id of its own (a stored recording is never replaced,
/// so each check stores a new one), and a tenth of a second of 8 kHz μ-law silence.
pub(super) fn recording() -> Sample {
    let metadata = json!({
        "assistant_id": SELF_CHECK_MARKER, "environment_id": SELF_CHECK_MARKER, "session_id": SELF_CHECK_MARKER,
        "recording_id": format!("{SELF_CHECK_MARKER}-{}", unique()),
    });
    let mut body = Vec::new();
    for (name, content_type, bytes) in [
        ("metadata", "application/json", metadata.to_string().into_bytes()),
        ("audio_recording", "audio/mulaw;rate=8000", vec![0xFF; 800]),
    ] {
        body.extend_from_slice(
            format!(
                "--{RECORDING_BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\
                 Content-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(&bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{RECORDING_BOUNDARY}--\r\n").as_bytes());
    Sample::Multipart { boundary: RECORDING_BOUNDARY, body }
}

/// `<milliseconds since the epoch>-<a count>`: unique per run and request.
pub(super) fn unique() -> String {
    static SENT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
    let n = SENT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{now}-{n}")
}

/// A `message_logged` event with an id of its own: a stored event is never replaced, so each check
/// stores a new one.
pub(super) fn log_event() -> Value {
    json!({"event": {"name": "message_logged"}, "options": {}, "payload": {
        "log_id": format!("{SELF_CHECK_MARKER}-{}", unique()),
        "request": {"input": {"text": "self-check"}},
        "response": {"output": {"generic": [{"response_type": "text", "text": "self-check"}]}},
        "assistant_id": SELF_CHECK_MARKER, "session_id": SELF_CHECK_MARKER, "skill_id": SELF_CHECK_MARKER,
        "request_timestamp": "2025-06-01T10:00:00.000Z", "response_timestamp": "2025-06-01T10:00:00.100Z",
        "language": "en", "customer_id": SELF_CHECK_MARKER}})
}

pub(super) fn samples(function: Function, targets: &Targets) -> (Sample, Option<Value>) {
    let (assistant, user) = (targets.assistant_language.as_str(), targets.user_language.as_str());
    let (plain, foreign) = match function {
        Function::PreMessage => (pre_message(ENGLISH), Some(pre_message(FOREIGN))),
        Function::PostMessage => (post_message(ENGLISH, None), Some(post_message(RICH_REPLY, Some(user)))),
        Function::Dialog => (
            json!({"action": "detect", "text": FOREIGN}),
            Some(json!({"action": "translate", "text": ENGLISH, "source": assistant, "target": user})),
        ),
        Function::Log => (log_event(), None),
        Function::Audio => return (recording(), None),
    };
    (Sample::Json(plain), foreign)
}

pub(super) const NOT_TRANSLATED: &str = "answered but did not translate: check that the function's role allows \
     translate:TranslateText (premessage and dialog also comprehend:DetectDominantLanguage), that Amazon Translate \
     is offered in the stack's region, and the function's log line `passed_through_after_fault` (its error says \
     throttled, refused, timeout); a local run without AWS credentials says `translation is off` at start";

pub(super) fn translation_verdict(function: Function, targets: &Targets, body: &Value) -> Result<String, String> {
    let user = targets.user_language.as_str();
    let assistant = targets.assistant_language.as_str();
    match function {
        Function::PreMessage => {
            let text = body.pointer("/payload/input/text").and_then(Value::as_str).unwrap_or_default();
            let stored = body.pointer("/payload/context/skills/actions skill/user_defined/language");
            if text.is_empty() || text == FOREIGN {
                return Err(format!("premessage {NOT_TRANSLATED}"));
            }
            if stored.and_then(Value::as_str) != Some(user) {
                return Err(format!("premessage translated but stored language {stored:?}, not {user:?}"));
            }
            Ok(format!("{user}->{assistant} ok"))
        }
        Function::PostMessage => {
            let text = body.pointer("/payload/output/generic/0/text").and_then(Value::as_str).unwrap_or_default();
            if text.is_empty() || text == RICH_REPLY {
                return Err(format!("postmessage {NOT_TRANSLATED}"));
            }
            if !text.contains("](https://example.com/help)") || !text.contains("help@example.com") {
                return Err("postmessage damaged the Markdown link or the e-mail address of a reply".into());
            }
            Ok(format!("{assistant}->{user} ok, markup kept"))
        }
        Function::Dialog => {
            let translation = body["translation"].as_str().unwrap_or_default();
            if translation.is_empty() || translation == ENGLISH {
                return Err(format!("dialog translate {NOT_TRANSLATED}"));
            }
            Ok(format!("translate {assistant}->{user} ok"))
        }
        Function::Log | Function::Audio => Ok("stored".into()),
    }
}
