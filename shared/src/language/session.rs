//! The session's language: where it is kept in the context, and how it is read back.
//!
//! Kept in the skill's `user_defined.language` (the documented place: IBM's pre-message page, its translation example) and mirrored
//! in the actions skill's `skill_variables.language`, so that actions can read it too.

use serde_json::Value;

use crate::payload::Context;

use super::codes;

pub const LANGUAGE_KEY: &str = "language";
pub const ORIGINAL_INPUT_KEY: &str = "original_input";
pub const ORIGINAL_OUTPUT_KEY: &str = "original_output";

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
        let stored = context.user_defined(LANGUAGE_KEY).and_then(Value::as_str).and_then(codes::normalize);
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
