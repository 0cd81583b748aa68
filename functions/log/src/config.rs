//! The log webhook's own settings, read once at cold start next to the edge's `EdgeConfig`.
//! A malformed value fails the start with a message that names the variable.

use std::path::PathBuf;
use std::time::Duration;

use shared::config::{ConfigError, Variables};
use shared::object_key::{bucket_name, key_prefix as prefix};

use crate::redact::RedactPath;
use crate::table::ColumnType;

pub const DEFAULT_LOG_DIR: &str = "./logs";
pub const DEFAULT_STORE_TIMEOUT_MS: u64 = 2000;
/// Where records the table could not read go: beside the table's prefix, never under it.
pub const DEFAULT_QUARANTINE_PREFIX: &str = "quarantine/";

/// Where events are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// `LOG_BUCKET`: one object per event in this Amazon S3 bucket.
    S3 { bucket: String },
    /// No bucket: the same layout under a local directory (`LOG_DIR`), for local runs.
    Directory { root: PathBuf },
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogSettings {
    pub backend: Backend,
    /// `LOG_KEY_PREFIX`: empty, or `segment/…/` (always ending in `/`).
    pub key_prefix: String,
    /// `LOG_QUARANTINE_PREFIX` (default `quarantine/`): `segment/…/`, outside the table's prefix.
    pub quarantine_prefix: String,
    /// `LOG_REDACT_PATHS`: the paths masked before an event is stored (or logged as a fallback).
    pub redact_paths: Vec<RedactPath>,
    /// `LOG_STORE_TIMEOUT_MS`: the deadline for one store, retry included.
    pub store_timeout: Duration,
    /// `MASK_PERSONAL_DATA`, `MASK_PHONE_REGION`: personal values masked in every string before an
    /// event is stored (no key needed: the log keeps only the masked form).
    pub mask: Option<shared::mask::Detector>,
}

impl LogSettings {
    pub fn read(variables: &Variables) -> Result<Self, ConfigError> {
        let get = |name: &str| variables.get(name);

        let backend = match get("LOG_BUCKET") {
            Some(bucket) => Backend::S3 { bucket: bucket_name("LOG_BUCKET", &bucket)? },
            None => {
                Backend::Directory { root: PathBuf::from(get("LOG_DIR").unwrap_or_else(|| DEFAULT_LOG_DIR.to_owned())) }
            }
        };
        let key_prefix = prefix("LOG_KEY_PREFIX", get("LOG_KEY_PREFIX").as_deref().unwrap_or_default())?;
        let quarantine = get("LOG_QUARANTINE_PREFIX").unwrap_or_else(|| DEFAULT_QUARANTINE_PREFIX.to_owned());
        let quarantine_prefix = outside_the_table(prefix("LOG_QUARANTINE_PREFIX", &quarantine)?, &key_prefix)?;
        let mut redact_paths = Vec::new();
        for path in
            get("LOG_REDACT_PATHS").as_deref().unwrap_or_default().split(',').map(str::trim).filter(|p| !p.is_empty())
        {
            let parsed =
                path.parse::<RedactPath>().map_err(|why| ConfigError::Invalid { variable: "LOG_REDACT_PATHS", why })?;
            queryable_when_redacted(&parsed)?;
            if !redact_paths.contains(&parsed) {
                redact_paths.push(parsed);
            }
        }
        // Below the function's 10 s timeout, so a hung S3 call still gets its 503.
        let timeout_ms = variables.number("LOG_STORE_TIMEOUT_MS", DEFAULT_STORE_TIMEOUT_MS, 100..=8000)?;
        let mask = shared::mask::read_detector(variables)?;
        Ok(LogSettings {
            backend,
            key_prefix,
            quarantine_prefix,
            redact_paths,
            store_timeout: Duration::from_millis(timeout_ms),
            mask,
        })
    }
}

/// `"[redacted]"` is a string: a path that lands where the Glue table declares another type (a
/// struct such as `payload.request.input`, an array, a map, a number, a boolean) would make every
/// Athena query over the redacted events fail, so it is refused, naming its string members.
fn queryable_when_redacted(path: &RedactPath) -> Result<(), ConfigError> {
    let declared = crate::table::types_at(path.segments());
    let Some(other) = declared.iter().find(|declared| declared.kind() != "string") else { return Ok(()) };
    let hint = match other {
        ColumnType::Struct(fields) => {
            let strings: Vec<String> = fields
                .iter()
                .filter(|(_, field)| field.kind() == "string")
                .map(|(name, _)| format!("{path}.{name}"))
                .collect();
            if strings.is_empty() {
                String::new()
            } else {
                format!("; list its string members instead, such as {}", strings.join(", "))
            }
        }
        _ => String::new(),
    };
    Err(ConfigError::Invalid {
        variable: "LOG_REDACT_PATHS",
        why: format!(
            "`{path}` is a {} in the Glue table `events`, where \"[redacted]\" (a string) would make Athena queries fail{hint}",
            other.kind()
        ),
    })
}

/// The quarantine must be outside what the table reads: not empty, and not under the table's
/// prefix (with no table prefix, the table reads `event=…/` from the bucket's root).
fn outside_the_table(quarantine: String, table: &str) -> Result<String, ConfigError> {
    let inside = quarantine.is_empty()
        || (!table.is_empty() && (quarantine.starts_with(table) || table.starts_with(&quarantine)))
        || quarantine.starts_with("event=");
    if inside {
        return Err(ConfigError::Invalid {
            variable: "LOG_QUARANTINE_PREFIX",
            why: "must be a prefix of its own, outside LOG_KEY_PREFIX (the Athena table's location)".into(),
        });
    }
    Ok(quarantine)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<LogSettings, ConfigError> {
        LogSettings::read(&vars.into())
    }

    #[test]
    fn defaults_write_under_logs_with_no_prefix_and_no_redaction() {
        let settings = settings(&[]).unwrap();
        assert_eq!(settings.backend, Backend::Directory { root: PathBuf::from("./logs") });
        assert_eq!(settings.key_prefix, "");
        assert_eq!(settings.quarantine_prefix, "quarantine/");
        assert!(settings.redact_paths.is_empty());
        assert_eq!(settings.store_timeout, Duration::from_millis(2000));
        // SAM passes unset parameters as empty strings.
        assert_eq!(
            super::tests::settings(&[("LOG_BUCKET", ""), ("LOG_KEY_PREFIX", "")]).unwrap().backend,
            settings.backend
        );
    }

    #[test]
    fn a_bucket_selects_s3_and_the_prefix_is_normalised() {
        let settings =
            settings(&[("LOG_BUCKET", "my-logs.example"), ("LOG_DIR", "/ignored"), ("LOG_KEY_PREFIX", "/watson/prod")])
                .unwrap();
        assert_eq!(settings.backend, Backend::S3 { bucket: "my-logs.example".into() });
        assert_eq!(settings.key_prefix, "watson/prod/");
        assert_eq!(settings.quarantine_prefix, "quarantine/");
        let beside =
            super::tests::settings(&[("LOG_KEY_PREFIX", "logs/events"), ("LOG_QUARANTINE_PREFIX", "logs/quarantine")]);
        assert_eq!(beside.unwrap().quarantine_prefix, "logs/quarantine/");
        let paths = super::tests::settings(&[(
            "LOG_REDACT_PATHS",
            " payload.request.input.text , payload.response.output.generic,,",
        )])
        .unwrap();
        assert_eq!(paths.redact_paths.len(), 2);
    }

    #[test]
    fn redaction_paths_must_land_on_strings_or_outside_the_table() {
        let error = settings(&[("LOG_REDACT_PATHS", "payload.request.input")]).unwrap_err().to_string();
        assert_eq!(
            error,
            "LOG_REDACT_PATHS is invalid: `payload.request.input` is a struct in the Glue table `events`, where \"[redacted]\" (a string) would make Athena queries fail; list its string members instead, such as payload.request.input.message_type, payload.request.input.text"
        );
        let fine = "payload.request.input.text,payload.response.output.generic,payload.response.output.generic.text,payload.request.context.skills.*.user_defined.original_input,payload.brand_new,event.name";
        assert_eq!(settings(&[("LOG_REDACT_PATHS", fine)]).unwrap().redact_paths.len(), 6);
    }

    #[test]
    fn errors_name_the_variable() {
        for (vars, variable) in [
            (vec![("LOG_BUCKET", "arn:aws:s3:::my-logs")], "LOG_BUCKET"),
            (vec![("LOG_BUCKET", "s3://my-logs")], "LOG_BUCKET"),
            (vec![("LOG_BUCKET", "My_Logs")], "LOG_BUCKET"),
            (vec![("LOG_KEY_PREFIX", "a/../b")], "LOG_KEY_PREFIX"),
            (vec![("LOG_KEY_PREFIX", "a b")], "LOG_KEY_PREFIX"),
            (vec![("LOG_KEY_PREFIX", "a//b")], "LOG_KEY_PREFIX"),
            (vec![("LOG_QUARANTINE_PREFIX", "a/../b")], "LOG_QUARANTINE_PREFIX"),
            (vec![("LOG_QUARANTINE_PREFIX", "/")], "LOG_QUARANTINE_PREFIX"),
            (vec![("LOG_QUARANTINE_PREFIX", "event=x")], "LOG_QUARANTINE_PREFIX"),
            (vec![("LOG_KEY_PREFIX", "events/"), ("LOG_QUARANTINE_PREFIX", "events/bad")], "LOG_QUARANTINE_PREFIX"),
            (vec![("LOG_KEY_PREFIX", "logs/events/"), ("LOG_QUARANTINE_PREFIX", "logs")], "LOG_QUARANTINE_PREFIX"),
            (vec![("LOG_STORE_TIMEOUT_MS", "2s")], "LOG_STORE_TIMEOUT_MS"),
            (vec![("LOG_STORE_TIMEOUT_MS", "60000")], "LOG_STORE_TIMEOUT_MS"),
            (vec![("LOG_REDACT_PATHS", "payload..text")], "LOG_REDACT_PATHS"),
            (vec![("LOG_REDACT_PATHS", "payload.request.input")], "LOG_REDACT_PATHS"),
            (
                vec![("LOG_REDACT_PATHS", "payload.request.input.text,payload.response.output.intents")],
                "LOG_REDACT_PATHS",
            ),
            (vec![("LOG_REDACT_PATHS", "payload.request.context.skills.*.user_defined")], "LOG_REDACT_PATHS"),
            (vec![("LOG_REDACT_PATHS", "payload.call.outbound")], "LOG_REDACT_PATHS"),
            (vec![("LOG_REDACT_PATHS", "payload")], "LOG_REDACT_PATHS"),
        ] {
            let error = settings(&vars).unwrap_err();
            assert!(error.to_string().starts_with(&format!("{variable} is invalid")), "{vars:?}: {error}");
        }
    }
}
