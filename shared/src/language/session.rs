//! The session's language: where it is kept in the context, and how it is read back.
//!
//! Kept in the skill's `user_defined.language` (the documented place: IBM's pre-message page,
//! its translation example) and mirrored
//! in the actions skill's `skill_variables.language`, so that actions can read it too. Beside it,
//! `language_locked` (a boolean, in both places) says that the user chose the language: detection
//! then never switches it. An action sets or clears either by setting the session variable; the
//! session variable wins over `user_defined` when the two differ, since only an action changes it.

use serde_json::Value;

use crate::payload::Context;

use super::codes;

pub const LANGUAGE_KEY: &str = "language";
pub const ORIGINAL_INPUT_KEY: &str = "original_input";
pub const ORIGINAL_OUTPUT_KEY: &str = "original_output";
pub const LANGUAGE_LOCKED_KEY: &str = "language_locked";

/// Where the session's language came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Stored by an earlier turn: sticky.
    Stored,
    /// Only the browser's language setting: a hint, since many browsers say `en-US` regardless.
    BrowserHint,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionLanguage {
    pub code: String,
    pub origin: Origin,
}

impl SessionLanguage {
    /// The stored language, else the web chat's browser language. IBM's example stores `"none"`
    /// on empty turns; that and anything unparsable count as unknown.
    pub fn read(context: Option<&Context>) -> Option<SessionLanguage> {
        let context = context?;
        let code = |value: Option<&Value>| value.and_then(Value::as_str).and_then(codes::normalize);
        let stored = code(context.skill_variable(LANGUAGE_KEY)).or_else(|| code(context.user_defined(LANGUAGE_KEY)));
        if let Some(code) = stored.filter(|code| code != "none") {
            return Some(SessionLanguage { code, origin: Origin::Stored });
        }
        let hint = context.browser_language().and_then(codes::normalize)?;
        Some(SessionLanguage { code: hint, origin: Origin::BrowserHint })
    }

    /// The stored language only: what post-message translates into.
    pub fn stored(context: Option<&Context>) -> Option<String> {
        Self::read(context).filter(|language| language.origin == Origin::Stored).map(|language| language.code)
    }
}

/// Records the session's language in `user_defined` and the actions skill's `skill_variables`.
pub fn store_language(context: &mut Context, code: &str) {
    context.set_user_defined(LANGUAGE_KEY, Value::String(code.to_owned()));
    context.set_skill_variable(LANGUAGE_KEY, Value::String(code.to_owned()));
}

/// Whether the user chose the session's language (`language_locked`): the session variable if it
/// holds a boolean (or "true"/"false"), else `user_defined`. Absent or anything else: not locked.
pub fn is_locked(context: Option<&Context>) -> bool {
    fn flag(value: Option<&Value>) -> Option<bool> {
        match value? {
            Value::Bool(flag) => Some(*flag),
            Value::String(text) => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" => Some(true),
                "false" | "no" | "" => Some(false),
                _ => None,
            },
            Value::Null => Some(false),
            _ => None,
        }
    }
    let Some(context) = context else { return false };
    flag(context.skill_variable(LANGUAGE_LOCKED_KEY))
        .or_else(|| flag(context.user_defined(LANGUAGE_LOCKED_KEY)))
        .unwrap_or(false)
}

/// Records the session's language and locks it, in both places.
pub fn store_locked_language(context: &mut Context, code: &str) {
    store_language(context, code);
    context.set_user_defined(LANGUAGE_LOCKED_KEY, Value::Bool(true));
    context.set_skill_variable(LANGUAGE_LOCKED_KEY, Value::Bool(true));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn context(value: serde_json::Value) -> Context {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn reads_the_stored_language_from_either_skill_then_the_browser() {
        let actions = context(json!({"skills": {"actions skill": {"user_defined": {"language": "es"}}}}));
        assert_eq!(SessionLanguage::stored(Some(&actions)).as_deref(), Some("es"));
        let main = context(json!({"skills": {"main skill": {"user_defined": {"language": "fr"}}}}));
        assert_eq!(SessionLanguage::stored(Some(&main)).as_deref(), Some("fr"));
        let browser = context(json!({"skills": {"main skill": {"user_defined": {"language": "none"}}},
                                     "integrations": {"chat": {"browser_info": {"language": "de-DE"}}}}));
        assert_eq!(
            SessionLanguage::read(Some(&browser)),
            Some(SessionLanguage { code: "de".into(), origin: Origin::BrowserHint })
        );
        assert_eq!(SessionLanguage::stored(Some(&browser)), None);
        assert_eq!(SessionLanguage::read(None), None);
    }

    #[test]
    fn the_lock_is_read_from_the_session_variable_first() {
        let locked = context(
            json!({"skills": {"actions skill": {"user_defined": {"language": "es", "language_locked": true}}}}),
        );
        assert!(is_locked(Some(&locked)));
        // An action cleared it: the session variable wins over the stale user_defined copy.
        let cleared = context(json!({"skills": {"actions skill": {
            "user_defined": {"language": "es", "language_locked": true},
            "skill_variables": {"language": "fr", "language_locked": false}}}}));
        assert!(!is_locked(Some(&cleared)));
        assert_eq!(SessionLanguage::stored(Some(&cleared)).as_deref(), Some("fr"));
        let dialog = context(json!({"skills": {"main skill": {"user_defined": {"language_locked": "true"}}}}));
        assert!(is_locked(Some(&dialog)));
        assert!(!is_locked(Some(&context(
            json!({"skills": {"main skill": {"user_defined": {"language_locked": 7}}}})
        ))));
        assert!(!is_locked(None));
        let mut empty = Context::default();
        store_locked_language(&mut empty, "ja");
        assert!(is_locked(Some(&empty)));
        assert_eq!(empty.skill_variable(LANGUAGE_LOCKED_KEY), Some(&json!(true)));
        assert_eq!(SessionLanguage::stored(Some(&empty)).as_deref(), Some("ja"));
    }

    #[test]
    fn stores_in_user_defined_and_skill_variables_creating_objects() {
        let mut empty = Context::default();
        store_language(&mut empty, "es");
        assert_eq!(
            serde_json::to_value(&empty).unwrap(),
            json!({"skills": {
                "actions skill": {"user_defined": {"language": "es"}, "skill_variables": {"language": "es"}},
                "main skill": {"user_defined": {"language": "es"}}
            }})
        );
        let mut dialog = context(json!({"skills": {"main skill": {"system": {"state": "x"}}}}));
        store_language(&mut dialog, "pt");
        assert_eq!(
            serde_json::to_value(&dialog).unwrap(),
            json!({"skills": {"main skill": {"system": {"state": "x"}, "user_defined": {"language": "pt"}}}})
        );
    }
}
