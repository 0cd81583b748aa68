//! Where a recording is stored: `<prefix>dt=YYYY-MM-DD/<session>/<recording>.<digest>.<ext>`,
//! with its metadata beside it under the same name ending in `.json`.
//!
//! - `dt` is the UTC date of the metadata's `start_timestamp`, else of the receipt.
//! - `<session>` and `<recording>` are `session_id` and `recording_id` reduced to `[A-Za-z0-9._-]`
//!   (`no-session`, and the audio's digest, when the metadata has none): nothing a sender writes
//!   can leave the prefix or name a path.
//! - `<digest>` is the first 16 hex digits of the audio's SHA-256, so the same recording sent
//!   again lands on the same key (and is recognised there), and a different one never replaces it.
//! - `<ext>` follows the audio part's type: `mulaw` (IBM's `audio/mulaw;rate=8000`), `wav`, else `audio`.

use std::time::SystemTime;

use aws_smithy_types::DateTime;
use shared::object_key::{MAX_ID_CHARS, parse_timestamp, plausible_date, sanitise, sha256_hex, utc_date};

use crate::recording::Recording;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingKey {
    /// The audio object's key.
    pub audio: String,
    /// The metadata object's key.
    pub metadata: String,
    /// The full SHA-256 of the audio, in hex.
    pub sha256: String,
    /// `start_timestamp`, or `received`.
    pub date_source: &'static str,
}

impl RecordingKey {
    pub fn derive(recording: &Recording, prefix: &str, received: SystemTime) -> RecordingKey {
        let sha256 = sha256_hex(&recording.audio);
        let (date, date_source) = match recording.field("start_timestamp").and_then(parse_timestamp) {
            Some(start) if plausible_date(&start, &DateTime::from(received)) => (utc_date(&start), "start_timestamp"),
            _ => (utc_date(&DateTime::from(received)), "received"),
        };
        let session =
            recording.field("session_id").map_or_else(|| "no-session".to_owned(), |id| sanitise(id, MAX_ID_CHARS));
        let id = recording.field("recording_id").map_or_else(|| sha256.clone(), |id| sanitise(id, MAX_ID_CHARS));
        let stem = format!("{prefix}dt={date}/{session}/{id}.{}", &sha256[..16]);
        RecordingKey {
            audio: format!("{stem}.{}", extension(&recording.audio_type)),
            metadata: format!("{stem}.json"),
            sha256,
            date_source,
        }
    }
}

/// The file extension for the audio part's type (`audio/…`, parameters ignored).
fn extension(audio_type: &str) -> &'static str {
    let subtype = audio_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    match subtype.as_str() {
        "audio/mulaw" | "audio/x-mulaw" | "audio/basic" | "audio/pcmu" => "mulaw",
        "audio/wav" | "audio/wave" | "audio/x-wav" | "audio/vnd.wave" => "wav",
        _ => "audio",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use std::time::{Duration, UNIX_EPOCH};

    /// 2025-06-01T23:59:00Z
    fn received() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_748_822_340)
    }

    fn recording(metadata: Value, audio_type: &str) -> Recording {
        Recording {
            metadata: metadata.to_string().into(),
            fields: metadata.as_object().cloned().unwrap_or_default(),
            audio: vec![0xffu8; 8].into(),
            audio_type: audio_type.to_owned(),
        }
    }

    #[test]
    fn ibm_s_metadata_names_the_key() {
        let key = RecordingKey::derive(
            &recording(
                json!({"session_id": "50989a59-9976-4b3f-9a98-af42adcad69a", "recording_id": "3daeb5d2-f52b-4c3e-a869-328b6fc6327c",
                       "start_timestamp": "2024-10-21T17:22:07.789Z"}),
                "audio/mulaw;rate=8000",
            ),
            "recordings/",
            received(),
        );
        let stem = format!(
            "recordings/dt=2024-10-21/50989a59-9976-4b3f-9a98-af42adcad69a/3daeb5d2-f52b-4c3e-a869-328b6fc6327c.{}",
            &key.sha256[..16]
        );
        assert_eq!((key.audio, key.metadata), (format!("{stem}.mulaw"), format!("{stem}.json")));
        assert_eq!(key.date_source, "start_timestamp");
    }

    #[test]
    fn no_ids_no_date_and_hostile_ids_stay_inside_the_prefix() {
        let bare = RecordingKey::derive(&recording(json!({}), "audio/wave"), "", received());
        assert!(bare.audio.starts_with("dt=2025-06-01/no-session/") && bare.audio.ends_with(".wav"), "{}", bare.audio);
        assert_eq!(bare.date_source, "received");
        for hostile in ["../../etc/passwd", "..", "a/b", "a\\b", "\u{0}", "x y", ".hidden", "%2e%2e%2f"] {
            let key = RecordingKey::derive(
                &recording(
                    json!({"session_id": hostile, "recording_id": hostile, "start_timestamp": "1999-01-01T00:00:00Z"}),
                    "audio/ogg",
                ),
                "p/",
                received(),
            );
            let parts: Vec<&str> = key.audio.split('/').collect();
            assert_eq!(parts.len(), 4, "{hostile:?} → {}", key.audio);
            assert_eq!(parts[1], "dt=2025-06-01");
            for part in &parts[2..] {
                assert!(
                    part.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) && !part.starts_with('.'),
                    "{part}"
                );
            }
            assert!(key.audio.ends_with(".audio"));
        }
    }
}
