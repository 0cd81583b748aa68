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
    /// The user chose the assistant's language: no translation for the rest of the session.
    TranslationOff,
}

impl PassReason {
    pub fn as_str(self) -> &'static str {
        match self {
            PassReason::EmptyText => "empty_text",
            PassReason::NotLanguage => "not_language",
            PassReason::AssistantLanguage => "assistant_language",
            PassReason::TooShortToJudge => "too_short_to_judge",
            PassReason::TranslationOff => "translation_off",
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
/// - a weakly foreign one ("hola") is translated from its language, which becomes the session's;
///   in a session stored in another foreign language it follows the session's language instead;
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
        Detection::Language { code, strength } => match foreign_session {
            // One or two words are too few to leave the session's language: "obrigado" in a
            // Spanish session is read as Spanish (on public test data, every wrong source of a
            // short foreign text was such a weak guess).
            Some(SessionLanguage { code: stored, origin: Origin::Stored })
                if *strength == Strength::Weak && stored != code =>
            {
                translate(SourceLanguage::Code(stored.clone()), SessionUpdate::Keep)
            }
            _ => translate(SourceLanguage::Code(code.clone()), SessionUpdate::Set(code.clone())),
        },
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

/// An answer the pre-message webhook gives itself through the skip reply: the assistant never
/// sees the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// An explicit choice: the session's language becomes this one, locked, confirmed in it.
    Chosen(String),
    /// A language outside `ALLOWED_LANGUAGES`: say which languages are offered, in this one if
    /// Amazon Translate can.
    NotOffered(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TurnDecision {
    Answer(Answer),
    Continue(Decision),
}

/// What is known about one message and its session.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub detection: &'a Detection,
    /// The language the message explicitly chooses (`language::choice`), if any.
    pub choice: Option<&'a str>,
    pub session: Option<&'a SessionLanguage>,
    /// `language_locked`: the user chose the session's language.
    pub locked: bool,
    pub assistant: &'a str,
    pub words: usize,
}

/// `decide`, with the user's choice, the lock and the allowed languages on top:
/// - an explicit choice is answered: confirmed and locked if allowed, else "not offered";
/// - a session locked to the assistant's language translates nothing;
/// - a message clearly in a language that is not allowed gets "not offered"; a weak hint of one
///   ("danke") follows an allowed foreign session if there is one;
/// - a session locked to a foreign language keeps it: detection translates a message from its
///   own language for the turn, but never switches the session;
/// - otherwise `decide`'s sticky rules.
pub fn decide_turn(facts: &Facts, allowed: impl Fn(&str) -> bool) -> TurnDecision {
    let Facts { detection, choice, session, locked, assistant, words } = *facts;
    if let Some(code) = choice {
        let answer = if not_offered(code, assistant, &allowed) {
            Answer::NotOffered(code.to_owned())
        } else {
            Answer::Chosen(code.to_owned())
        };
        return TurnDecision::Answer(answer);
    }
    let stored = session.filter(|s| s.origin == Origin::Stored);
    let keep = |plan| TurnDecision::Continue(Decision { plan, session: SessionUpdate::Keep });
    let locked_to = stored.filter(|_| locked).map(|s| s.code.as_str());
    if locked_to == Some(assistant) {
        return keep(Plan::PassThrough(PassReason::TranslationOff));
    }
    if let Detection::Language { code, strength } = detection
        && not_offered(code, assistant, &allowed)
    {
        let allowed_session = stored.filter(|s| s.code != assistant && allowed(&s.code));
        return match (strength, allowed_session) {
            (Strength::Weak, Some(s)) => keep(Plan::Translate(SourceLanguage::Code(s.code.clone()))),
            _ => TurnDecision::Answer(Answer::NotOffered(code.clone())),
        };
    }
    if let Some(language) = locked_to {
        return keep(match detection {
            Detection::NotLanguage => Plan::PassThrough(PassReason::NotLanguage),
            Detection::Language { code, .. } if code == assistant => Plan::PassThrough(PassReason::AssistantLanguage),
            Detection::Language { code, .. } => Plan::Translate(SourceLanguage::Code(code.clone())),
            Detection::Foreign | Detection::Unknown => Plan::Translate(SourceLanguage::Code(language.to_owned())),
        });
    }
    TurnDecision::Continue(decide(detection, session, assistant, words))
}

/// What Amazon Translate's detection decides once the message is translated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterDetection {
    /// A language users may not use: answered with the offered ones instead.
    NotOffered,
    /// The assistant's language after all, or one the offline check does not enable: the text
    /// goes on as written.
    Kept,
    /// The translation goes on, and the session is updated so.
    Translated(SessionUpdate),
}

/// `detected`: the language Amazon Translate reported (normalized; empty if none). `session`:
/// the turn's plan for the session, where `Detected` becomes the detected language.
pub fn decide_detected(
    detected: &str,
    assistant: &str,
    session: SessionUpdate,
    allowed: impl Fn(&str) -> bool,
    enabled: impl Fn(&str) -> bool,
) -> AfterDetection {
    if not_offered(detected, assistant, &allowed) {
        return AfterDetection::NotOffered;
    }
    if detected == assistant || !enabled(detected) {
        return AfterDetection::Kept;
    }
    AfterDetection::Translated(match session {
        SessionUpdate::Detected => SessionUpdate::Set(detected.to_owned()),
        other => other,
    })
}

/// The one rule for "not offered", before and after Amazon Translate's detection: a language
/// other than the assistant's that users may not use.
fn not_offered(code: &str, assistant: &str, allowed: impl Fn(&str) -> bool) -> bool {
    !code.is_empty() && code != assistant && !allowed(code)
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
        // One word that looks Italian in a Spanish session is read as Spanish, and does not switch it.
        let d = decide(&lang("it", Strength::Weak), Some(&stored("es")), "en", 1);
        assert_eq!(d, Decision { plan: code("es"), session: SessionUpdate::Keep });
        let d = decide(&lang("es", Strength::Weak), Some(&hint("en")), "en", 1);
        assert_eq!(d.session, SessionUpdate::Set("es".into()));
    }

    fn turn<'a>(detection: &'a Detection, session: Option<&'a SessionLanguage>, locked: bool) -> Facts<'a> {
        Facts { detection, choice: None, session, locked, assistant: "en", words: 5 }
    }
    fn continues(decision: TurnDecision) -> Decision {
        match decision {
            TurnDecision::Continue(decision) => decision,
            TurnDecision::Answer(answer) => panic!("expected to continue, got {answer:?}"),
        }
    }
    fn any(_: &str) -> bool {
        true
    }

    #[test]
    fn a_choice_is_answered_and_a_choice_outside_the_allowed_languages_is_not_offered() {
        let english = lang("en", Strength::Weak);
        let chosen = Facts { choice: Some("es"), ..turn(&english, None, false) };
        assert_eq!(decide_turn(&chosen, any), TurnDecision::Answer(Answer::Chosen("es".into())));
        let only_french = |code: &str| ["en", "fr"].contains(&code);
        assert_eq!(decide_turn(&chosen, only_french), TurnDecision::Answer(Answer::NotOffered("es".into())));
        // Choosing again while locked is still a choice.
        let es = stored("es");
        let back = Facts { choice: Some("en"), ..turn(&english, Some(&es), true) };
        assert_eq!(decide_turn(&back, any), TurnDecision::Answer(Answer::Chosen("en".into())));
    }

    #[test]
    fn a_lock_keeps_the_language_whatever_detection_says() {
        let es = stored("es");
        let french = lang("fr", Strength::Clear);
        // Unlocked, a clear French sentence switches the session; locked, it is translated but kept.
        assert_eq!(
            continues(decide_turn(&turn(&french, Some(&es), false), any)).session,
            SessionUpdate::Set("fr".into())
        );
        assert_eq!(
            continues(decide_turn(&turn(&french, Some(&es), true), any)),
            Decision { plan: code("fr"), session: SessionUpdate::Keep }
        );
        // An English sentence in a session locked to Spanish passes, and the session stays Spanish.
        let english = lang("en", Strength::Clear);
        assert_eq!(
            continues(decide_turn(&turn(&english, Some(&es), true), any)),
            Decision { plan: Plan::PassThrough(PassReason::AssistantLanguage), session: SessionUpdate::Keep }
        );
        assert_eq!(
            continues(decide_turn(&turn(&english, Some(&es), false), any)).session,
            SessionUpdate::Set("en".into())
        );
        // Unknown and shared words follow the locked language, never `auto`.
        for detection in [Detection::Unknown, Detection::Foreign] {
            assert_eq!(continues(decide_turn(&turn(&detection, Some(&es), true), any)).plan, code("es"));
        }
        // Locked to the assistant's language: translation is off.
        let en = stored("en");
        let spanish = lang("es", Strength::Clear);
        assert_eq!(
            continues(decide_turn(&turn(&spanish, Some(&en), true), any)),
            Decision { plan: Plan::PassThrough(PassReason::TranslationOff), session: SessionUpdate::Keep }
        );
        assert_eq!(continues(decide_turn(&turn(&spanish, Some(&en), false), any)).plan, code("es"));
    }

    #[test]
    fn a_language_outside_the_allowed_ones_is_not_offered() {
        let allowed = |code: &str| ["en", "es"].contains(&code);
        let german = lang("de", Strength::Clear);
        assert_eq!(
            decide_turn(&turn(&german, None, false), allowed),
            TurnDecision::Answer(Answer::NotOffered("de".into()))
        );
        let es = stored("es");
        assert_eq!(
            decide_turn(&turn(&german, Some(&es), true), allowed),
            TurnDecision::Answer(Answer::NotOffered("de".into()))
        );
        // One weak German word in a Spanish session follows the session.
        let danke = lang("de", Strength::Weak);
        assert_eq!(continues(decide_turn(&turn(&danke, Some(&es), false), allowed)).plan, code("es"));
        assert_eq!(
            decide_turn(&turn(&danke, None, false), allowed),
            TurnDecision::Answer(Answer::NotOffered("de".into()))
        );
        // Allowed languages go on as before.
        assert_eq!(continues(decide_turn(&turn(&lang("es", Strength::Clear), None, false), allowed)).plan, code("es"));
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

    #[test]
    fn detection_after_translation_decides_once() {
        let only_spanish = |code: &str| ["en", "es"].contains(&code);
        let enabled = |code: &str| ["en", "es", "de"].contains(&code);
        let decide = |detected, session| decide_detected(detected, "en", session, only_spanish, enabled);
        assert_eq!(decide("de", SessionUpdate::Detected), AfterDetection::NotOffered);
        assert_eq!(decide("en", SessionUpdate::Detected), AfterDetection::Kept);
        assert_eq!(decide("", SessionUpdate::Detected), AfterDetection::Kept, "nothing detected");
        assert_eq!(
            decide_detected("sw", "en", SessionUpdate::Detected, any, enabled),
            AfterDetection::Kept,
            "allowed but not enabled"
        );
        assert_eq!(decide("es", SessionUpdate::Detected), AfterDetection::Translated(SessionUpdate::Set("es".into())));
        assert_eq!(decide("es", SessionUpdate::Keep), AfterDetection::Translated(SessionUpdate::Keep));
    }
}
