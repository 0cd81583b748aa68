//! What to do with one user message, from the offline check and what the session knows. Pure:
//! no I/O, so every rule has a test.

use shared::language::{Detection, Origin, SessionLanguage, Strength};
use shared::translate::SourceLanguage;

/// Why a message goes to the assistant as it is, without a Translate call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassReason {
    /// Welcome turns and `skip_user_input` continuations.
    EmptyText,
    /// Numbers, order ids, e-mail addresses, URLs, emoji.
    NotLanguage,
    AssistantLanguage,
    /// One unknown word and nothing known about the session: translating it risks more than it
    /// helps ("faq" once became "page").
    TooShortToJudge,
}

impl PassReason {
    pub fn as_str(self) -> &'static str {
        match self {
            PassReason::EmptyText => "empty_text",
            PassReason::NotLanguage => "not_language",
            PassReason::AssistantLanguage => "assistant_language",
            PassReason::TooShortToJudge => "too_short_to_judge",
        }
    }
}

/// What to record as the session's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionUpdate {
    Keep,
    Set(String),
    /// Whatever Amazon Translate detects, if it is an enabled language.
    Detected,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    PassThrough(PassReason),
    Translate(SourceLanguage),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub plan: Plan,
    pub session: SessionUpdate,
}

/// The rules, in short:
/// - the assistant's language passes; clearly so, it also ends a foreign session;
/// - a clearly foreign message is translated from its language, which becomes the session's;
/// - a weakly foreign one ("hola") is translated from its language, and becomes the session's
///   unless the session already has another foreign language;
/// - words of several other languages ("hallo") follow a stored foreign session, else `auto`;
/// - an unknown message follows a stored foreign session ("sí" stays Spanish); with only a
///   browser hint, or nothing and more than one word, Amazon Translate decides (`auto`);
///   a single unknown word with nothing known passes.
pub fn decide(detection: &Detection, session: Option<&SessionLanguage>, assistant: &str, words: usize) -> Decision {
    let foreign_session = session.filter(|s| s.code != assistant);
    let pass = |reason, session| Decision { plan: Plan::PassThrough(reason), session };
    let translate = |source, session| Decision { plan: Plan::Translate(source), session };
    match detection {
        Detection::NotLanguage => pass(PassReason::NotLanguage, SessionUpdate::Keep),
        Detection::Language { code, strength } if code == assistant => {
            let ends_foreign_session =
                *strength == Strength::Clear && foreign_session.is_some_and(|s| s.origin == Origin::Stored);
            let update =
                if ends_foreign_session { SessionUpdate::Set(assistant.to_owned()) } else { SessionUpdate::Keep };
            pass(PassReason::AssistantLanguage, update)
        }
        Detection::Language { code, strength } => {
            let other_stored = foreign_session.is_some_and(|s| s.origin == Origin::Stored && &s.code != code);
            let update = if *strength == Strength::Weak && other_stored {
                SessionUpdate::Keep
            } else {
                SessionUpdate::Set(code.clone())
            };
            translate(SourceLanguage::Code(code.clone()), update)
        }
        Detection::Foreign => match foreign_session {
            Some(SessionLanguage { code, origin: Origin::Stored }) => {
                translate(SourceLanguage::Code(code.clone()), SessionUpdate::Keep)
            }
            _ => translate(SourceLanguage::Auto, SessionUpdate::Detected),
        },
        Detection::Unknown => match foreign_session {
            Some(SessionLanguage { code, origin: Origin::Stored }) => {
                translate(SourceLanguage::Code(code.clone()), SessionUpdate::Keep)
            }
            Some(SessionLanguage { origin: Origin::BrowserHint, .. }) => {
                translate(SourceLanguage::Auto, SessionUpdate::Detected)
            }
            None if words < 2 => pass(PassReason::TooShortToJudge, SessionUpdate::Keep),
            None => translate(SourceLanguage::Auto, SessionUpdate::Detected),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lang(code: &str, strength: Strength) -> Detection {
        Detection::Language { code: code.into(), strength }
    }
    fn stored(code: &str) -> SessionLanguage {
        SessionLanguage { code: code.into(), origin: Origin::Stored }
    }
    fn hint(code: &str) -> SessionLanguage {
        SessionLanguage { code: code.into(), origin: Origin::BrowserHint }
    }
    fn code(code: &str) -> Plan {
        Plan::Translate(SourceLanguage::Code(code.into()))
    }

    #[test]
    fn assistant_language_passes_and_only_a_clear_sentence_ends_a_foreign_session() {
        let d = decide(&lang("en", Strength::Weak), Some(&stored("es")), "en", 1);
        assert_eq!(
            d,
            Decision { plan: Plan::PassThrough(PassReason::AssistantLanguage), session: SessionUpdate::Keep }
        );
        let d = decide(&lang("en", Strength::Clear), Some(&stored("es")), "en", 5);
        assert_eq!(d.session, SessionUpdate::Set("en".into()));
        let d = decide(&lang("en", Strength::Clear), None, "en", 5);
        assert_eq!(d.session, SessionUpdate::Keep);
    }

    #[test]
    fn foreign_is_translated_from_its_language() {
        let d = decide(&lang("es", Strength::Clear), None, "en", 4);
        assert_eq!(d, Decision { plan: code("es"), session: SessionUpdate::Set("es".into()) });
        // A clear switch from Spanish to French updates the session.
        let d = decide(&lang("fr", Strength::Clear), Some(&stored("es")), "en", 4);
        assert_eq!(d.session, SessionUpdate::Set("fr".into()));
        // One Italian word in a Spanish session is translated but does not switch it.
        let d = decide(&lang("it", Strength::Weak), Some(&stored("es")), "en", 1);
        assert_eq!(d, Decision { plan: code("it"), session: SessionUpdate::Keep });
        let d = decide(&lang("es", Strength::Weak), Some(&hint("en")), "en", 1);
        assert_eq!(d.session, SessionUpdate::Set("es".into()));
    }

    #[test]
    fn unknown_follows_the_session_then_translate() {
        let d = decide(&Detection::Unknown, Some(&stored("es")), "en", 1);
        assert_eq!(d, Decision { plan: code("es"), session: SessionUpdate::Keep });
        let d = decide(&Detection::Unknown, Some(&hint("de")), "en", 1);
        assert_eq!(d, Decision { plan: Plan::Translate(SourceLanguage::Auto), session: SessionUpdate::Detected });
        let d = decide(&Detection::Unknown, Some(&hint("en")), "en", 1);
        assert_eq!(d.plan, Plan::PassThrough(PassReason::TooShortToJudge));
        let d = decide(&Detection::Unknown, None, "en", 3);
        assert_eq!(d.plan, Plan::Translate(SourceLanguage::Auto));
        let d = decide(&Detection::Foreign, None, "en", 1);
        assert_eq!(d, Decision { plan: Plan::Translate(SourceLanguage::Auto), session: SessionUpdate::Detected });
        let d = decide(&Detection::Foreign, Some(&stored("nl")), "en", 1);
        assert_eq!(d.plan, code("nl"));
        let d = decide(&Detection::NotLanguage, Some(&stored("es")), "en", 0);
        assert_eq!(d.plan, Plan::PassThrough(PassReason::NotLanguage));
    }
}
