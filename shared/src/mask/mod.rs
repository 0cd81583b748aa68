//! Masking personal values before the assistant sees them, and putting them back after
//! (`MASK_PERSONAL_DATA`; see README.md beside this file).
//!
//! premessage replaces each value [`detect`] finds in the user's input with a token ([`token`]:
//! `[email A]`), and keeps the value only sealed ([`seal`]) in the session context, under
//! `user_defined.masked_values`. postmessage puts the values back wherever a reply text carries
//! a token. A token whose value cannot be opened (another key, a tampered or unknown token) stays
//! as it is: the reply goes out without the value.

pub mod detect;
pub mod seal;
pub mod settings;
pub mod token;
mod vault;

pub use detect::{Detector, Found};
pub use seal::SealKey;
pub use settings::{MaskSettings, read_detector};
pub use vault::MASKED_VALUES_KEY;

use std::collections::HashMap;

use crate::payload::Context;
use vault::Vault;

/// A kind of personal value, by its name in `MASK_PERSONAL_DATA` and in tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Iban,
    Card,
    Email,
    Ip,
    Phone,
}

impl Kind {
    /// Every kind, in the order detection gives them precedence.
    pub const ALL: [Kind; 5] = [Kind::Iban, Kind::Card, Kind::Email, Kind::Ip, Kind::Phone];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Card => "card",
            Kind::Iban => "iban",
            Kind::Email => "email",
            Kind::Ip => "ip",
            Kind::Phone => "phone",
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

/// What masking did to one text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Masked {
    pub text: String,
    /// Values replaced by a token.
    pub count: usize,
    /// Values that could not be sealed (no randomness): replaced by a token all the same, lost.
    pub lost: usize,
}

/// What putting values back did to a reply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reinserted {
    pub restored: usize,
    /// Tokens left as they were: no sealed value, or one that does not open.
    pub failed: usize,
}

impl MaskSettings {
    /// Replaces every value found in `text` with its token, reusing the session's token for a
    /// value it has seen, and seals new values into `context`.
    pub fn mask(&self, text: &str, context: &mut Context) -> Masked {
        self.mask_found(text, self.detector.find(text), context)
    }

    /// [`MaskSettings::mask`] with what the detector found in `text` (so a caller can leave a
    /// context untouched when nothing was).
    pub fn mask_found(&self, text: &str, found: Vec<Found>, context: &mut Context) -> Masked {
        if found.is_empty() {
            return Masked { text: text.to_owned(), ..Masked::default() };
        }
        let session = session_id(context).to_owned();
        let mut vault = Vault::read(context);
        let mut known = vault.open_all(&self.key, &session);
        let mut masked = Masked { text: String::with_capacity(text.len()), ..Masked::default() };
        let mut last = 0;
        for Found { kind, range } in found {
            let value = &text[range.clone()];
            let label = match known.get(value) {
                Some(label) => label.clone(),
                None => {
                    let label = token::label(kind, token::count_of(kind, vault.labels()));
                    // An empty entry still takes the label, so no other value gets its token.
                    let sealed = self.key.seal(value, &session, &label).unwrap_or_default();
                    masked.lost += usize::from(sealed.is_empty());
                    vault.insert(&label, sealed);
                    known.insert(value.to_owned(), label.clone());
                    label
                }
            };
            masked.text.push_str(&text[last..range.start]);
            masked.text.push_str(&token::token(&label));
            masked.count += 1;
            last = range.end;
        }
        masked.text.push_str(&text[last..]);
        vault.write(context);
        masked
    }

    /// Puts the session's values back into every token of `texts`; a token that does not open
    /// stays.
    pub fn reinsert<'a>(&self, texts: impl Iterator<Item = &'a mut String>, context: &Context) -> Reinserted {
        let vault = Vault::read(context);
        let session = session_id(context);
        let mut opened: HashMap<String, Option<String>> = HashMap::new();
        let mut result = Reinserted::default();
        for text in texts {
            let tokens = token::find_tokens(text);
            if tokens.is_empty() {
                continue;
            }
            let mut out = String::with_capacity(text.len());
            let mut last = 0;
            for (range, label) in tokens {
                let value = opened.entry(label.to_owned()).or_insert_with(|| vault.open(&self.key, session, label));
                out.push_str(&text[last..range.start]);
                match value {
                    Some(value) => {
                        out.push_str(value);
                        result.restored += 1;
                    }
                    None => {
                        out.push_str(&text[range.clone()]);
                        result.failed += 1;
                    }
                }
                last = range.end;
            }
            out.push_str(&text[last..]);
            *text = out;
        }
        result
    }
}

/// Replaces every value `detector` finds with a token of its kind without a letter (`[email]`):
/// for stores that must hold the masked form and have no key (the log webhook).
pub fn redact(detector: &Detector, text: &str) -> Option<String> {
    let found = detector.find(text);
    if found.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for Found { kind, range } in found {
        out.push_str(&text[last..range.start]);
        out.push_str(&token::token(kind.name()));
        last = range.end;
    }
    out.push_str(&text[last..]);
    Some(out)
}

/// `context.global.session_id`: the associated data that binds a sealed value to its session
/// (empty when the assistant sends none).
fn session_id(context: &Context) -> &str {
    context.global.as_ref().and_then(|global| global.extra.get("session_id")).and_then(|id| id.as_str()).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn settings() -> MaskSettings {
        let vars = [("MASK_PERSONAL_DATA", "all"), ("MASK_SECRET", "0123456789abcdef0123456789abcdef")];
        MaskSettings::read(&vars[..].into()).unwrap().unwrap()
    }

    fn context(session: &str) -> Context {
        serde_json::from_value(json!({"global": {"session_id": session}, "skills": {"main skill": {}}})).unwrap()
    }

    #[test]
    fn masks_numbers_per_kind_and_puts_back() {
        let mask = settings();
        let mut ctx = context("s-1");
        let first = mask.mask("I'm ana@example.com, card 4111-1111-1111-1111, also bo@example.org", &mut ctx);
        assert_eq!(first.text, "I'm [email A], card [card A], also [email B]");
        assert_eq!((first.count, first.lost), (3, 0));
        let second = mask.mask("again bo@example.org and +44 20 7946 0958", &mut ctx);
        assert_eq!(second.text, "again [email B] and [phone A]", "a known value keeps its token");
        let stored = serde_json::to_string(&ctx).unwrap();
        assert!(!stored.contains("example") && !stored.contains("4111") && !stored.contains("7946"), "{stored}");

        let mut reply = ["Mail to [email A] and [email B], call [phone A].".to_owned(), "No token.".to_owned()];
        let result = mask.reinsert(reply.iter_mut(), &ctx);
        assert_eq!(reply[0], "Mail to ana@example.com and bo@example.org, call +44 20 7946 0958.");
        assert_eq!(result, Reinserted { restored: 3, failed: 0 });
    }

    #[test]
    fn an_unknown_token_or_another_session_keeps_the_token() {
        let mask = settings();
        let mut ctx = context("s-1");
        mask.mask("ana@example.com", &mut ctx);
        let mut moved: Context = serde_json::from_value(serde_json::to_value(&ctx).unwrap()).unwrap();
        moved.global.as_mut().unwrap().extra.insert("session_id".into(), json!("s-2"));
        let mut reply = ["[email A] [email C]".to_owned()];
        assert_eq!(mask.reinsert(reply.iter_mut(), &moved), Reinserted { restored: 0, failed: 2 });
        assert_eq!(reply[0], "[email A] [email C]");
    }

    #[test]
    fn redaction_without_a_key() {
        let detector = settings().detector;
        assert_eq!(redact(&detector, "ip 10.1.2.3 ok").as_deref(), Some("ip [ip] ok"));
        assert_eq!(redact(&detector, "nothing here"), None);
    }
}
