//! The parts of a stored object's key: the bucket and prefix from the settings (checked at cold
//! start), and what comes from a request, its ids made safe as path segments and its date. The
//! log and audio webhooks build their keys from these, so that nothing a sender writes can choose
//! a path.

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use sha2::{Digest, Sha256};

use crate::config::ConfigError;

/// A sanitised value keeps at most this many characters of the original before its hash.
const MAX_KEPT_CHARS: usize = 64;

/// The value itself when it is already safe (`[A-Za-z0-9._-]`, not starting with `.`, at most
/// `max` characters). Otherwise its safe characters, cut to 64, then `-` and the first 16 hex
/// digits of its SHA-256: distinct ids stay distinct, and the same id always maps to the same name.
pub fn sanitise(value: &str, max: usize) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if !value.is_empty() && value.len() <= max && value.chars().all(safe) && !value.starts_with('.') {
        return value.to_owned();
    }
    let kept: String = value.chars().take(MAX_KEPT_CHARS).map(|c| if safe(c) { c } else { '_' }).collect();
    let kept = kept.trim_start_matches('.');
    let digest = hex(&Sha256::digest(value.as_bytes()));
    format!("{kept}-{}", &digest[..16])
}

/// RFC 3339 with `Z` or an offset, such as `2025-06-01T10:00:05.120Z`.
pub fn parse_timestamp(text: &str) -> Option<DateTime> {
    DateTime::from_str(text.trim(), Format::DateTimeWithOffset).ok()
}

/// Ids longer than this are shortened (S3 keys stop at 1,024 bytes).
pub const MAX_ID_CHARS: usize = 128;
/// 2020-01-01: a date in a request before this is a clock error.
const EARLIEST_SECS: i64 = 1_577_836_800;
/// A date in a request more than a day after its receipt is a clock error.
const LATEST_AHEAD_SECS: i64 = 86_400;

/// Whether a date a request gives can be the date of its key: within [2020-01-01, receipt + 1
/// day]. The callers use the date of receipt otherwise, so an object stays inside the dates a
/// table projects.
pub fn plausible_date(date: &DateTime, received: &DateTime) -> bool {
    (EARLIEST_SECS..=received.secs() + LATEST_AHEAD_SECS).contains(&date.secs())
}

/// `YYYY-MM-DD` of the instant in UTC.
pub fn utc_date(date: &DateTime) -> String {
    // RFC 3339 in UTC always starts with the 10-character date; the epoch is a safe fallback
    // that cannot happen for the dates the callers let through.
    date.fmt(Format::DateTime)
        .ok()
        .and_then(|text| text.get(..10).map(str::to_owned))
        .unwrap_or_else(|| "1970-01-01".to_owned())
}

/// Lower-case hex digits of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The SHA-256 of `bytes`, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// S3's naming rules: 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending
/// with a letter or digit. Catches an ARN or an `s3://` URL given instead of the name.
pub fn bucket_name(variable: &'static str, value: &str) -> Result<String, ConfigError> {
    let valid = (3..=63).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && value.starts_with(|c: char| c.is_ascii_alphanumeric())
        && value.ends_with(|c: char| c.is_ascii_alphanumeric());
    if valid {
        Ok(value.to_owned())
    } else {
        Err(ConfigError::Invalid {
            variable,
            why: format!("`{value}` is not an S3 bucket name (give the name alone, not an ARN or an s3:// URL)"),
        })
    }
}

/// `logs`, `/logs/`, `a/b` → `logs/`, `logs/`, `a/b/`. Each segment is made of
/// `[A-Za-z0-9._-]` and is not `.` or `..`, so the prefix is the same path on S3 and on disk.
pub fn key_prefix(variable: &'static str, value: &str) -> Result<String, ConfigError> {
    let trimmed = value.trim_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    let valid = trimmed.split('/').all(|segment| {
        !segment.is_empty()
            && segment != "."
            && segment != ".."
            && segment.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    });
    if valid {
        Ok(format!("{trimmed}/"))
    } else {
        Err(ConfigError::Invalid {
            variable,
            why: "expected segments of letters, digits, `.`, `_` and `-` separated by `/` (no `..`)".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_values_stay_and_others_get_a_hash() {
        assert_eq!(sanitise("58bebfd1-0118-419b", 128), "58bebfd1-0118-419b");
        for hostile in ["../../etc/passwd", "..", ".", "a/b", "a\\b", "\u{0}", "名前", "a b", ".hidden", ""] {
            let safe = sanitise(hostile, 128);
            assert!(safe.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)), "{hostile:?} → {safe}");
            assert!(!safe.starts_with('.') && !safe.is_empty(), "{hostile:?} → {safe}");
        }
        assert_ne!(sanitise("a/b", 128), sanitise("a_b", 128));
        assert_eq!(sanitise(&"x".repeat(500), 128).len(), 64 + 1 + 16);
        assert_eq!(utc_date(&parse_timestamp("2025-05-31T23:30:00-05:00").unwrap()), "2025-06-01");
        assert_eq!(sha256_hex(b"").len(), 64);
    }
}
