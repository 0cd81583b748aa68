//! The audio webhook's own settings, read once at cold start next to the edge's `EdgeConfig`.
//! A malformed value fails the start with a message that names the variable.

use std::path::PathBuf;
use std::time::Duration;

use shared::config::{ConfigError, Variables};
use shared::object_key::{bucket_name, key_prefix};

pub const DEFAULT_AUDIO_DIR: &str = "./recordings";
pub const DEFAULT_KEY_PREFIX: &str = "recordings/";
/// Well under the assistant's 30 s and the function's 10 s timeout, so a hung S3 gets our 503.
pub const DEFAULT_STORE_TIMEOUT_MS: u64 = 6000;

/// Where recordings are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// `AUDIO_BUCKET`: Amazon S3, each object encrypted with KMS (`kms_key`: `AUDIO_KMS_KEY_ARN`,
    /// else S3's AWS managed key `aws/s3`).
    S3 { bucket: String, kms_key: Option<String> },
    /// No bucket: the same layout under a local directory (`AUDIO_DIR`), for local runs.
    Directory { root: PathBuf },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioSettings {
    pub backend: Backend,
    /// `AUDIO_KEY_PREFIX`: empty, or `segment/…/` (always ending in `/`).
    pub key_prefix: String,
    /// `AUDIO_STORE_TIMEOUT_MS`: the deadline for storing one recording (both objects, the one
    /// retry included).
    pub store_timeout: Duration,
}

impl AudioSettings {
    pub fn read(variables: &Variables) -> Result<Self, ConfigError> {
        let backend = match variables.get("AUDIO_BUCKET") {
            Some(bucket) => Backend::S3 {
                bucket: bucket_name("AUDIO_BUCKET", &bucket)?,
                kms_key: variables.get("AUDIO_KMS_KEY_ARN").map(kms_key_arn).transpose()?,
            },
            None => Backend::Directory {
                root: PathBuf::from(variables.get("AUDIO_DIR").unwrap_or_else(|| DEFAULT_AUDIO_DIR.to_owned())),
            },
        };
        let prefix = variables.get("AUDIO_KEY_PREFIX").unwrap_or_else(|| DEFAULT_KEY_PREFIX.to_owned());
        let key_prefix = key_prefix("AUDIO_KEY_PREFIX", &prefix)?;
        let timeout_ms = variables.number("AUDIO_STORE_TIMEOUT_MS", DEFAULT_STORE_TIMEOUT_MS, 100..=8000)?;
        Ok(AudioSettings { backend, key_prefix, store_timeout: Duration::from_millis(timeout_ms) })
    }
}

/// A KMS key ARN (`arn:aws:kms:<region>:<account>:key/<id>`): S3 takes an id, an alias or an ARN,
/// but only an ARN names the key unambiguously across accounts, and the template passes one.
fn kms_key_arn(value: String) -> Result<String, ConfigError> {
    let parts: Vec<&str> = value.split(':').collect();
    let valid = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "kms"
        && parts[5].strip_prefix("key/").is_some_and(|id| !id.is_empty());
    if valid {
        Ok(value)
    } else {
        Err(ConfigError::Invalid {
            variable: "AUDIO_KMS_KEY_ARN",
            why: "expected the ARN of a KMS key (arn:aws:kms:<region>:<account>:key/<id>)".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<AudioSettings, ConfigError> {
        AudioSettings::read(&vars.into())
    }

    const KEY: &str = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    #[test]
    fn defaults_write_recordings_to_a_directory() {
        let settings = settings(&[("AUDIO_BUCKET", "")]).unwrap();
        assert_eq!(settings.backend, Backend::Directory { root: PathBuf::from(DEFAULT_AUDIO_DIR) });
        assert_eq!(settings.key_prefix, "recordings/");
        assert_eq!(settings.store_timeout, Duration::from_millis(6000));
    }

    #[test]
    fn a_bucket_and_a_key_select_s3_with_kms() {
        let settings =
            settings(&[("AUDIO_BUCKET", "my-recordings"), ("AUDIO_KMS_KEY_ARN", KEY), ("AUDIO_KEY_PREFIX", "/calls")])
                .unwrap();
        assert_eq!(settings.backend, Backend::S3 { bucket: "my-recordings".into(), kms_key: Some(KEY.into()) });
        assert_eq!(settings.key_prefix, "calls/");
    }

    #[test]
    fn errors_name_the_variable() {
        for (vars, variable) in [
            (vec![("AUDIO_BUCKET", "s3://x")], "AUDIO_BUCKET"),
            (vec![("AUDIO_BUCKET", "my-recordings"), ("AUDIO_KMS_KEY_ARN", "alias/aws/s3")], "AUDIO_KMS_KEY_ARN"),
            (
                vec![("AUDIO_BUCKET", "my-recordings"), ("AUDIO_KMS_KEY_ARN", "arn:aws:kms:eu-west-1:1:alias/x")],
                "AUDIO_KMS_KEY_ARN",
            ),
            (vec![("AUDIO_KEY_PREFIX", "a/../b")], "AUDIO_KEY_PREFIX"),
            (vec![("AUDIO_STORE_TIMEOUT_MS", "30000")], "AUDIO_STORE_TIMEOUT_MS"),
        ] {
            let error = settings(&vars).unwrap_err().to_string();
            assert!(error.starts_with(&format!("{variable} is invalid")), "{vars:?}: {error}");
        }
    }
}
