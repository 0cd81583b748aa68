//! `MASK_PERSONAL_DATA`, `MASK_PHONE_REGION` and `MASK_SECRET`, read once at cold start.

use std::sync::Arc;

use phonenumber::country::Id as Region;

use super::{Detector, Kind, SealKey};
use crate::config::{ConfigError, Variables};

/// The shortest `MASK_SECRET` accepted, in bytes: a 256-bit key needs 256 bits of input.
pub const MIN_SECRET_BYTES: usize = 32;

/// Masking, when `MASK_PERSONAL_DATA` turns it on: what to find, and the key that seals it.
#[derive(Debug, Clone)]
pub struct MaskSettings {
    pub detector: Detector,
    pub(super) key: Arc<SealKey>,
}

impl MaskSettings {
    /// `None` when masking is off (the default); an error names the variable it refuses.
    pub fn read(variables: &Variables) -> Result<Option<MaskSettings>, ConfigError> {
        let Some(detector) = read_detector(variables)? else { return Ok(None) };
        let secret = variables.secret("MASK_SECRET").ok_or_else(|| ConfigError::Missing {
            variable: "MASK_SECRET",
            why: format!("MASK_PERSONAL_DATA is on: set a secret of at least {MIN_SECRET_BYTES} bytes"),
        })?;
        if secret.len() < MIN_SECRET_BYTES {
            let why = format!("expected at least {MIN_SECRET_BYTES} bytes");
            return Err(ConfigError::Invalid { variable: "MASK_SECRET", why });
        }
        Ok(Some(MaskSettings { detector, key: Arc::new(SealKey::derive(secret.as_bytes())) }))
    }
}

/// The kinds `MASK_PERSONAL_DATA` lists (`off` or unset: `None`; `all`: every kind) and
/// `MASK_PHONE_REGION`, without the key: what a store that keeps only the masked form needs.
pub fn read_detector(variables: &Variables) -> Result<Option<Detector>, ConfigError> {
    let listed = variables.list("MASK_PERSONAL_DATA");
    if listed.is_empty() || (listed.len() == 1 && listed[0].eq_ignore_ascii_case("off")) {
        return Ok(None);
    }
    let mut kinds = Vec::new();
    for name in listed.iter().map(|name| name.to_ascii_lowercase()) {
        match Kind::parse(&name) {
            Some(kind) => kinds.push(kind),
            None if name == "all" => kinds.extend(Kind::ALL),
            None => {
                let names: Vec<&str> = Kind::ALL.iter().map(|kind| kind.name()).collect();
                let why = format!("`{name}` is not a kind; expected off, all, or a list of {}", names.join(", "));
                return Err(ConfigError::Invalid { variable: "MASK_PERSONAL_DATA", why });
            }
        }
    }
    Ok(Some(Detector::new(&kinds, read_region(variables)?)))
}

fn read_region(variables: &Variables) -> Result<Option<Region>, ConfigError> {
    let Some(region) = variables.get("MASK_PHONE_REGION") else { return Ok(None) };
    let parsed = region.to_ascii_uppercase().parse::<Region>().map_err(|_| ConfigError::Invalid {
        variable: "MASK_PHONE_REGION",
        why: "expected a two-letter region such as FR, DE, ES or US".into(),
    })?;
    Ok(Some(parsed))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn read(vars: &[(&str, &str)]) -> Result<Option<MaskSettings>, ConfigError> {
        MaskSettings::read(&vars.into())
    }

    #[test]
    fn off_by_default_and_a_list_of_kinds_when_on() {
        assert!(read(&[]).unwrap().is_none());
        assert!(read(&[("MASK_PERSONAL_DATA", "off"), ("MASK_SECRET", "short")]).unwrap().is_none());
        let on = read(&[("MASK_PERSONAL_DATA", "email, IBAN"), ("MASK_SECRET", SECRET)]).unwrap().unwrap();
        assert_eq!(on.detector.kinds(), [Kind::Iban, Kind::Email]);
        let all = read(&[("MASK_PERSONAL_DATA", "all"), ("MASK_SECRET", SECRET), ("MASK_PHONE_REGION", "fr")]);
        assert_eq!(all.unwrap().unwrap().detector.kinds().len(), 5);
    }

    #[test]
    fn errors_name_the_variable_and_never_the_secret() {
        let missing = read(&[("MASK_PERSONAL_DATA", "email")]).unwrap_err().to_string();
        assert!(missing.starts_with("MASK_SECRET is required"), "{missing}");
        let short = read(&[("MASK_PERSONAL_DATA", "email"), ("MASK_SECRET", "too-short-secret")]).unwrap_err();
        assert!(short.to_string().starts_with("MASK_SECRET is invalid") && !short.to_string().contains("too-short"));
        let kind = read(&[("MASK_PERSONAL_DATA", "email,names"), ("MASK_SECRET", SECRET)]).unwrap_err();
        assert!(kind.to_string().starts_with("MASK_PERSONAL_DATA is invalid"), "{kind}");
        let region = read(&[("MASK_PERSONAL_DATA", "phone"), ("MASK_SECRET", SECRET), ("MASK_PHONE_REGION", "XX")]);
        assert!(region.unwrap_err().to_string().starts_with("MASK_PHONE_REGION is invalid"));
    }
}
