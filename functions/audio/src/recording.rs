//! The request as IBM's audio webhook sends it ("Defining an audio webhook", Request body):
//! `multipart/form-data` with a `metadata` part (JSON: the assistant, environment, session and
//! recording ids, start and stop timestamps) and an `audio_recording` part
//! (`audio/mulaw;rate=8000` from the phone integration; IBM's example client sends a WAV file).
//!
//! The body is read with `multer` from the buffer lambda_http already holds. Refusals name the
//! part and the problem in the webhook's own words, never a value from the body.

use std::convert::Infallible;

use lambda_http::Request;
use lambda_http::http::header::CONTENT_TYPE;
use multer::bytes::Bytes;
use serde_json::{Map, Value};
use shared::http::RequestError;
use shared::webhook::Accepted;

/// The name of the part that holds the recording's metadata.
pub const METADATA_PART: &str = "metadata";
/// The name of the part that holds the audio.
pub const AUDIO_PART: &str = "audio_recording";
/// What the audio part must be, as the refusal says it.
const AUDIO_EXPECTED: &str = "audio (a content type audio/*, such as audio/mulaw;rate=8000)";

/// One recording as received: the metadata part's bytes exactly, its members, and the audio.
#[derive(Debug, Clone)]
pub struct Recording {
    /// The `metadata` part, byte for byte.
    pub metadata: Bytes,
    /// The same part, parsed (always a JSON object).
    pub fields: Map<String, Value>,
    /// The `audio_recording` part, byte for byte.
    pub audio: Bytes,
    /// The audio part's content type, as declared (`audio/*`).
    pub audio_type: String,
}

impl Recording {
    /// A string member of the metadata (`session_id`, `recording_id`, …), trimmed, if not empty.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).and_then(Value::as_str).map(str::trim).filter(|value| !value.is_empty())
    }
}

impl Accepted for Recording {
    async fn read(request: &Request, max_body_bytes: usize) -> Result<Self, RequestError> {
        let boundary = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| multer::parse_boundary(value).ok())
            .ok_or(RequestError::NotMultipart)?;
        let body: &[u8] = request.body().as_ref();
        if body.len() > max_body_bytes {
            return Err(RequestError::PayloadTooLarge { limit: max_body_bytes });
        }
        read_parts(Bytes::copy_from_slice(body), &boundary).await
    }

    /// Any recording is taken: the audio webhook has no event name.
    fn event_name(&self) -> Option<&str> {
        None
    }
}

/// The two parts, in any order; any other part is read past and dropped. Each of the two must
/// come once.
async fn read_parts(body: Bytes, boundary: &str) -> Result<Recording, RequestError> {
    let stream = futures::stream::once(async move { Ok::<Bytes, Infallible>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let (mut metadata, mut audio) = (None, None);
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        let slot = match field.name() {
            Some(METADATA_PART) => &mut metadata,
            Some(AUDIO_PART) => {
                // Checked before the audio is read. No type (multipart's text/plain) is refused too.
                if field.content_type().is_none_or(|declared| declared.type_() != "audio") {
                    return Err(RequestError::UnsupportedPart { part: AUDIO_PART, expected: AUDIO_EXPECTED });
                }
                &mut audio
            }
            _ => continue,
        };
        let content_type = field.content_type().map(ToString::to_string);
        let bytes = field.bytes().await.map_err(unreadable)?;
        if slot.replace((bytes, content_type)).is_some() {
            return Err(RequestError::InvalidMultipart { problem: "a part is sent twice" });
        }
    }
    let (metadata, _) = metadata.ok_or(RequestError::InvalidMultipart { problem: "the `metadata` part is missing" })?;
    let (audio, audio_type) =
        audio.ok_or(RequestError::InvalidMultipart { problem: "the `audio_recording` part is missing" })?;
    let fields = match serde_json::from_slice(&metadata) {
        Ok(Value::Object(fields)) => fields,
        _ => return Err(RequestError::InvalidMultipart { problem: "the `metadata` part is not a JSON object" }),
    };
    Ok(Recording { metadata, fields, audio, audio_type: audio_type.unwrap_or_default() })
}

/// multer's errors can quote what the sender wrote (a field name, a header): only our words.
fn unreadable(error: multer::Error) -> RequestError {
    let problem = match error {
        multer::Error::IncompleteStream | multer::Error::IncompleteFieldData { .. } => {
            "it ends before its closing boundary"
        }
        multer::Error::IncompleteHeaders | multer::Error::ReadHeaderFailed(_) => "a part's headers cannot be read",
        _ => "a part cannot be read",
    };
    RequestError::InvalidMultipart { problem }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(parts: &[(&str, Option<&str>, &[u8])]) -> Bytes {
        let mut body = Vec::new();
        for (name, content_type, bytes) in parts {
            body.extend_from_slice(format!("--B\r\nContent-Disposition: form-data; name=\"{name}\"\r\n").as_bytes());
            if let Some(content_type) = content_type {
                body.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
            }
            body.extend_from_slice(b"\r\n");
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(b"--B--\r\n");
        body.into()
    }

    const META: &[u8] = br#"{"session_id": "s", "recording_id": "r"}"#;
    // Line breaks and the boundary inside the audio (never after a CRLF: that would end the part).
    const AUDIO: &[u8] = &[0xff, 0x00, 0x7f, b'\r', b'\n', b'-', b'x', b'-', b'-', b'B', 0x80, b'\r'];

    #[tokio::test]
    async fn both_parts_in_any_order_byte_for_byte() {
        let recording = read_parts(
            body(&[
                ("other", None, b"dropped"),
                (AUDIO_PART, Some("audio/mulaw;rate=8000"), AUDIO),
                (METADATA_PART, None, META),
            ]),
            "B",
        )
        .await
        .unwrap();
        assert_eq!(recording.audio.as_ref(), AUDIO);
        assert_eq!(recording.metadata.as_ref(), META);
        assert_eq!(recording.audio_type, "audio/mulaw;rate=8000");
        assert_eq!((recording.field("session_id"), recording.field("absent")), (Some("s"), None));
    }

    #[tokio::test]
    async fn refusals_name_the_part_and_never_the_content() {
        let refused = |parts: Vec<(&'static str, Option<&'static str>, &'static [u8])>| async move {
            read_parts(body(&parts), "B").await.unwrap_err()
        };
        let audio = (AUDIO_PART, Some("audio/mulaw;rate=8000"), AUDIO);
        let meta = (METADATA_PART, Some("application/json"), META);
        assert!(
            matches!(refused(vec![meta]).await, RequestError::InvalidMultipart { problem } if problem.contains("audio_recording"))
        );
        assert!(
            matches!(refused(vec![audio]).await, RequestError::InvalidMultipart { problem } if problem.contains("metadata"))
        );
        assert!(matches!(refused(vec![audio, audio, meta]).await, RequestError::InvalidMultipart { .. }));
        let not_json = (METADATA_PART, None, &b"[1]"[..]);
        assert!(
            matches!(refused(vec![audio, not_json]).await, RequestError::InvalidMultipart { problem } if problem.contains("JSON object"))
        );
        for content_type in [None, Some("text/plain"), Some("application/octet-stream"), Some("video/mp4")] {
            let error = refused(vec![meta, (AUDIO_PART, content_type, AUDIO)]).await;
            assert_eq!(error.status().as_u16(), 415, "{content_type:?}");
        }
        let cut =
            read_parts(Bytes::from_static(b"--B\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{"), "B");
        assert!(matches!(cut.await.unwrap_err(), RequestError::InvalidMultipart { .. }));
    }
}
