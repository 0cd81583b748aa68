//! Templates for personalised replies: before the cache key, the memory id and the engine call,
//! what varies per user is replaced with numbered placeholders, and put back after translation.
//!
//! "Thanks, Lucía Fernández, your order ORD-48213 has shipped." becomes the template
//! "Thanks, {1}, your order {2} has shipped." with the values `["Lucía Fernández", "ORD-48213"]`.
//! The template is what the warm cache and the translation memory key on, and what Amazon
//! Translate receives ([`crate::protect`] sends each `{N}` as one `translate="no"` atom, so the
//! service keeps it whole and in place); the values never leave the instance. One stored
//! template then serves every user.
//!
//! What is replaced (spans that overlap become one placeholder, so nothing of either is kept):
//! 1. every value of the turn's context variables ([`TurnValues`]) that appears in the text as a
//!    whole word (exact, case-sensitive; at least 2 characters; longest first);
//! 2. the per-user spans [`crate::protect`] finds at the start of a word: URLs, e-mail addresses,
//!    and every word holding a digit (ids, numbers, dates, times, amounts), also inside a Markdown
//!    link target or an HTML attribute; never inside a protected term.
//!
//! The same value twice gets the same number. A text that already holds something shaped like a
//! placeholder (`{7}`) is left as it is (its key is the text itself), so a placeholder is never
//! confused with the assistant's own braces.

use serde_json::Value;

use crate::language::{LANGUAGE_KEY, LANGUAGE_LOCKED_KEY, ORIGINAL_INPUT_KEY, ORIGINAL_OUTPUT_KEY};
use crate::payload::Context;
use crate::protect::{Protector, email, id_or_number, is_unspaced_script, placeholder, url};

/// Context values shorter than this (in characters) are never replaced: "a", "1".
pub const MIN_VALUE_CHARS: usize = 2;
/// Longer values are prose the assistant stores, not a per-user value.
pub const MAX_VALUE_CHARS: usize = 200;
/// At most this many distinct context values are looked for in a turn's texts.
pub const MAX_VALUES: usize = 200;
/// At most this many placeholders in one text (`{1}` to `{999}`); past them the text is kept whole.
pub const MAX_PLACEHOLDERS: usize = 999;

/// `user_defined` variables this project writes itself: the session's settings, not the user's,
/// and the sealed values of masking (ciphertext, never shown).
const OWN_KEYS: [&str; 6] = [
    crate::mask::MASKED_VALUES_KEY,
    LANGUAGE_KEY,
    LANGUAGE_LOCKED_KEY,
    ORIGINAL_INPUT_KEY,
    ORIGINAL_OUTPUT_KEY,
    crate::language::voice::SPEECH_LANGUAGE_KEY,
];

/// What varies per user in one turn: the string values of the session's context variables,
/// longest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TurnValues(Vec<String>);

impl TurnValues {
    /// `values`, trimmed, kept when [`MIN_VALUE_CHARS`] to [`MAX_VALUE_CHARS`] long, distinct,
    /// longest first.
    pub fn new(values: impl IntoIterator<Item = String>) -> Self {
        let mut kept: Vec<String> = values
            .into_iter()
            .map(|value| value.trim().to_owned())
            .filter(|value| (MIN_VALUE_CHARS..=MAX_VALUE_CHARS).contains(&value.chars().count()))
            .collect();
        kept.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        kept.dedup();
        kept.truncate(MAX_VALUES);
        TurnValues(kept)
    }

    /// Every string in `context.skills[*].skill_variables`, `context.skills[*].user_defined` (but
    /// the variables this project writes itself) and `context.integrations`, nested ones included.
    pub fn from_context(context: Option<&Context>) -> Self {
        let mut found = Vec::new();
        if let Some(context) = context {
            for skill in context.skills() {
                if let Some(variables) = skill.skill_variables.as_ref() {
                    variables.values().for_each(|value| strings(value, &mut found));
                }
                if let Some(variables) = skill.user_defined.as_ref() {
                    let theirs = variables.iter().filter(|(key, _)| !OWN_KEYS.contains(&key.as_str()));
                    theirs.for_each(|(_, value)| strings(value, &mut found));
                }
            }
            if let Some(integrations) = context.integrations.as_ref()
                && let Ok(value) = serde_json::to_value(integrations)
            {
                strings(&value, &mut found);
            }
        }
        TurnValues::new(found)
    }

    pub fn values(&self) -> &[String] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Every string inside `value`, depth first.
fn strings(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::String(text) => found.push(text.clone()),
        Value::Array(items) => items.iter().for_each(|item| strings(item, found)),
        Value::Object(members) => members.values().for_each(|member| strings(member, found)),
        _ => {}
    }
}

/// A text as the cache, the memory and the engine see it, and the values its placeholders stand for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Templated {
    /// The template: the text with `{1}`, `{2}`, … in place of the values.
    pub key: String,
    /// `values[n - 1]` is what `{n}` stands for.
    pub values: Vec<String>,
}

/// `text` as a template: the turn's context `values`, then the per-user spans, replaced by
/// numbered placeholders (see the module's documentation). `protector`: its protected terms are
/// never cut into.
pub fn template(text: &str, protector: &Protector, values: &TurnValues) -> Templated {
    let whole = || Templated { key: text.to_owned(), values: Vec::new() };
    if holds_placeholder(text) {
        return whole();
    }
    let mut spans = context_spans(text, values);
    spans.extend(value_spans(text, protector));
    if spans.is_empty() {
        return whole();
    }
    let spans = merged(spans);
    let mut key = String::with_capacity(text.len());
    let mut numbered: Vec<String> = Vec::new();
    let mut at = 0;
    for (start, end) in spans {
        let value = &text[start..end];
        let number = match numbered.iter().position(|seen| seen == value) {
            Some(index) => index + 1,
            None => {
                numbered.push(value.to_owned());
                numbered.len()
            }
        };
        if number > MAX_PLACEHOLDERS {
            return whole();
        }
        key.push_str(&text[at..start]);
        key.push_str(&format!("{{{number}}}"));
        at = end;
    }
    key.push_str(&text[at..]);
    Templated { key, values: numbered }
}

/// The translated template with every placeholder replaced by its value; `None` when a
/// placeholder is missing, or one the template did not have appears (a damaged translation).
pub fn fill(translated: &str, values: &[String]) -> Option<String> {
    if values.is_empty() {
        return Some(translated.to_owned());
    }
    let mut out = String::with_capacity(translated.len() + values.iter().map(String::len).sum::<usize>());
    let mut used = vec![false; values.len()];
    let mut rest = translated;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        rest = &rest[open..];
        match placeholder(rest) {
            Some(length) => {
                let number: usize = rest[1..length - 1].parse().ok()?;
                let value = values.get(number.checked_sub(1)?)?;
                used[number - 1] = true;
                out.push_str(value);
                rest = &rest[length..];
            }
            None => {
                out.push('{');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    used.iter().all(|used| *used).then_some(out)
}

fn holds_placeholder(text: &str) -> bool {
    text.match_indices('{').any(|(at, _)| placeholder(&text[at..]).is_some())
}

/// Overlapping spans as one ("12 Main Street" and its "12"; an e-mail address and a value
/// inside it), in order: nothing of either stays in the template.
fn merged(mut spans: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    spans.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
    for span in spans {
        match out.last_mut() {
            Some(last) if overlaps(*last, span) => last.1 = last.1.max(span.1),
            _ => out.push(span),
        }
    }
    out
}

fn overlaps(a: (usize, usize), b: (usize, usize)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// Where the context values appear as whole words, longest value first, never overlapping.
fn context_spans(text: &str, values: &TurnValues) -> Vec<(usize, usize)> {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for value in values.values() {
        for (start, _) in text.match_indices(value.as_str()) {
            let span = (start, start + value.len());
            if whole_word(text, span) && !spans.iter().any(|taken| overlaps(*taken, span)) {
                spans.push(span);
            }
        }
    }
    spans
}

/// Nothing alphanumeric glued to either end (a letter of a script written without spaces may be).
fn whole_word(text: &str, (start, end): (usize, usize)) -> bool {
    let glued = |outside: Option<char>, inside: Option<char>| {
        outside.is_some_and(|c| c.is_alphanumeric() && !is_unspaced_script(c))
            && inside.is_some_and(|c| c.is_alphanumeric() && !is_unspaced_script(c))
    };
    let value = &text[start..end];
    !glued(text[..start].chars().next_back(), value.chars().next())
        && !glued(text[end..].chars().next(), value.chars().next_back())
}

/// The per-user spans the protector's rules find at the start of a word (URLs, e-mail addresses,
/// words holding a digit), skipping the protected terms.
fn value_spans(text: &str, protector: &Protector) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let previous = text[..i].chars().next_back();
        if previous.is_none_or(|c| !c.is_alphanumeric() || is_unspaced_script(c)) {
            let term = protector
                .terms()
                .iter()
                .find(|term| rest.starts_with(term.as_str()) && crate::protect::ends_word(rest, term.len()));
            if let Some(term) = term {
                i += term.len();
                continue;
            }
            if let Some(length) = url(rest).or_else(|| email(rest)).or_else(|| id_or_number(rest)) {
                spans.push((i, i + length));
                i += length;
                continue;
            }
        }
        i += rest.chars().next().map_or(1, char::len_utf8);
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(values: &[&str]) -> TurnValues {
        TurnValues::new(values.iter().map(|value| (*value).to_owned()))
    }

    #[test]
    fn context_values_and_per_user_spans_become_numbered_placeholders() {
        let templated = template(
            "Thanks, Lucía Fernández, your order ORD-48213 has shipped to lucia@example.es. Lucía, see https://shop.example/t/48213.",
            &Protector::default(),
            &values(&["Lucía Fernández", "Lucía", "es"]),
        );
        assert_eq!(templated.key, "Thanks, {1}, your order {2} has shipped to {3}. {4}, see {5}.");
        assert_eq!(
            templated.values,
            ["Lucía Fernández", "ORD-48213", "lucia@example.es", "Lucía", "https://shop.example/t/48213"]
        );
        let translated = "Gracias, {1}, tu pedido {2} se envió a {3}. {4}, mira {5}.";
        assert_eq!(
            fill(translated, &templated.values).unwrap(),
            "Gracias, Lucía Fernández, tu pedido ORD-48213 se envió a lucia@example.es. Lucía, mira https://shop.example/t/48213."
        );
    }

    #[test]
    fn only_whole_words_and_never_a_protected_term_or_the_assistant_s_own_braces() {
        let protector = Protector::new(["Acme 365"]);
        let templated = template("Ana, Anabel and Acme 365 on 12/05", &protector, &values(&["Ana"]));
        assert_eq!(templated.key, "{1}, Anabel and Acme 365 on {2}");
        let street = template("To 12 Main Street, mail@x.es", &protector, &values(&["12 Main Street", "es"]));
        assert_eq!((street.key.as_str(), street.values.len()), ("To {1}, {2}", 2));
        let same = template("Hi Bo, bye Bo", &protector, &values(&["Bo"]));
        assert_eq!((same.key.as_str(), same.values.len()), ("Hi {1}, bye {1}", 1));
        let braces = template("Use {1} for order 42", &protector, &TurnValues::default());
        assert_eq!((braces.key.as_str(), braces.values.len()), ("Use {1} for order 42", 0));
        let fixed = template("Main menu", &protector, &values(&["x", "Paris"]));
        assert_eq!((fixed.key.as_str(), fixed.values.len()), ("Main menu", 0));
        let link = template("[Track it](https://t.example/ORD-1)", &protector, &TurnValues::default());
        assert_eq!(link.key, "[Track it]({1})");
    }

    #[test]
    fn a_translation_that_lost_or_invented_a_placeholder_is_refused() {
        let values = vec!["Ana".to_owned(), "42".to_owned()];
        assert_eq!(fill("{2} para {1}", &values).as_deref(), Some("42 para Ana"));
        assert_eq!(fill("para {1}", &values), None);
        assert_eq!(fill("{1} {2} {3}", &values), None);
        assert_eq!(fill("{x} {1}{2}", &values).as_deref(), Some("{x} Ana42"));
    }

    #[test]
    fn the_project_s_own_variables_are_not_values() {
        let context: Context = serde_json::from_value(serde_json::json!({
            "skills": {"actions skill": {
                "user_defined": {"language": "es", "original_output": "Hello there", "nickname": "Lu",
                                 "masked_values": {"email A": "c2VhbGVkLXZhbHVl"}},
                "skill_variables": {"name": "Lucía Fernández", "age": 33, "address": {"city": "Sevilla"}}
            }},
            "integrations": {"voice_telephony": {"private": {"user_phone_number": ["+34 612 345 678"]}}}
        }))
        .unwrap();
        let found = TurnValues::from_context(Some(&context));
        assert_eq!(found.values(), ["Lucía Fernández", "+34 612 345 678", "Sevilla", "Lu"], "longest (in bytes) first");
    }
}
