//! The offline language check: cheap, local, and honest about what it cannot tell.
//!
//! Every signal is restricted to the languages the operator enables, and asked in this order:
//! 1. the script, when only one enabled language writes it (Cyrillic when Russian is the only
//!    enabled Cyrillic language; Hangul, kana, Devanagari, Greek, Hebrew, Thai…), at any length;
//! 2. a list of the commonest words of short chat messages per language (`chat_words.txt`): a
//!    message made only of the assistant's own chat words ("ok", "faq", "thx") stays with it;
//! 3. for Latin script, word statistics scored as naive Bayes (`lexicon`): how often each
//!    language writes each word, and the letter shape of words on no list;
//! 4. otherwise (Han shared by Chinese and Japanese, Arabic script shared by Arabic and Persian,
//!    Latin languages without statistics), the chat words and whatlang's trigrams.
//!
//! Anything the signals cannot settle comes back `Unknown` or `Foreign`, and the caller decides
//! with what the session already knows.

use std::collections::{HashMap, HashSet};

use whatlang::Script;

use super::codes;
use super::lexicon::{self, Lexicon};

/// The word lists, `[xx]` sections of space-separated lower-case words.
const CHAT_WORDS: &str = include_str!("chat_words.txt");

/// How sure the check is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strength {
    /// Enough text and agreement to change a session's language.
    Clear,
    /// Probably this language, but too little text to overrule what the session knows.
    Weak,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detection {
    /// Nothing to translate: no words, only numbers, e-mail addresses, URLs, order ids, emoji.
    NotLanguage,
    Language {
        code: String,
        strength: Strength,
    },
    /// Common words of other languages only, shared by several of them ("hallo", "non"): not the
    /// assistant's language, but which one is for Amazon Translate to tell.
    Foreign,
    /// Words, but neither signal can tell which language.
    Unknown,
}

/// Built once per cold start for the enabled languages.
#[derive(Debug)]
pub struct LanguageDetector {
    assistant: String,
    enabled: Vec<String>,
    whatlang: whatlang::Detector,
    words: HashMap<String, HashSet<&'static str>>,
    /// Word statistics of the enabled Latin-script languages, if two or more have them.
    lexicon: Option<Lexicon>,
}

/// whatlang's confidence (0..1) from which a trigram verdict counts on its own.
const TRIGRAM_CONFIDENCE_FLOOR: f64 = 0.9;
/// Words from which a verdict may be `Clear`.
const CLEAR_MIN_WORDS: usize = 3;
/// Latin text stays in the assistant's language unless another language explains its words
/// this much better (log10 likelihood ratio; 0.3 is twice as well): a word English shares with
/// other languages ("extra", "radar", "formation") needs no translation.
const KEEP_MARGIN: f64 = 0.3;
/// The probability (among the languages with word statistics) from which the likeliest foreign
/// language is named; below it, or when no word is on any list ("Zxqv plorp"), Amazon Translate
/// detects the language (`Foreign`).
const NAME_FOREIGN_PROBABILITY: f64 = 0.6;
/// The likelihood ratio (log10) from which a word-statistics verdict of several words is `Clear`.
const CLEAR_MARGIN: f64 = 1.0;

impl LanguageDetector {
    /// `enabled` should include the assistant's language; codes the detector does not know are
    /// ignored here (config rejects them earlier).
    pub fn new(assistant: &str, enabled: &[String]) -> Self {
        let mut enabled: Vec<String> = enabled.to_vec();
        if !enabled.iter().any(|code| code == assistant) {
            enabled.push(assistant.to_owned());
        }
        let allow: Vec<whatlang::Lang> =
            enabled.iter().filter_map(|code| codes::to_whatlang(codes::base(code))).collect();
        let words = parse_chat_words(CHAT_WORDS)
            .into_iter()
            .filter(|(code, _)| enabled.iter().any(|enabled| codes::base(enabled) == code))
            .collect();
        let lexicon = Lexicon::new(|code| enabled.iter().any(|enabled| codes::base(enabled) == code));
        LanguageDetector {
            assistant: assistant.to_owned(),
            enabled,
            whatlang: whatlang::Detector::with_allowlist(allow),
            words,
            lexicon,
        }
    }

    pub fn assistant_language(&self) -> &str {
        &self.assistant
    }

    pub fn is_enabled(&self, code: &str) -> bool {
        self.enabled.iter().any(|enabled| enabled == code || codes::base(enabled) == code)
    }

    pub fn detect(&self, text: &str) -> Detection {
        self.assess(text).0
    }

    /// The verdict and its support from 0 to 1: the share of the words that the deciding word
    /// list holds, or the trigram model's confidence; 0 without a language verdict.
    pub fn assess(&self, text: &str) -> (Detection, f64) {
        let words = words(text);
        if words.is_empty() {
            return (Detection::NotLanguage, 0.0);
        }
        let script = whatlang::detect_script(text);
        if let Some(code) = script.and_then(|script| self.only_writer(script)) {
            return (Detection::Language { code, strength: Strength::Clear }, 1.0);
        }
        let (detection, confidence) = match script {
            Some(Script::Latin) | None => match &self.lexicon {
                Some(lexicon) => self.detect_by_statistics(lexicon, text, &words),
                None => self.detect_by_words(text, &words),
            },
            Some(Script::Cyrillic) => self.detect_by_words(text, &words),
            // Other scripts all but name their language; the allowlist settles the rest.
            Some(_) => match self.trigram_language(text) {
                Some((code, confidence)) => (Detection::Language { code, strength: Strength::Clear }, confidence),
                None => (Detection::Unknown, 0.0),
            },
        };
        // A script the assistant's language does not write is foreign, even where it does not
        // name a language (Cyrillic with Russian and Ukrainian both enabled).
        let assistant_script = script.is_none_or(|script| self.writes(&self.assistant, script));
        let detection =
            if detection == Detection::Unknown && !assistant_script { Detection::Foreign } else { detection };
        let confidence = if matches!(detection, Detection::Language { .. }) { confidence } else { 0.0 };
        (detection, confidence)
    }

    /// The one enabled language that writes `script`, if only one does (Japanese writes Han
    /// too, so Han names Chinese only when Japanese is off).
    fn only_writer(&self, script: Script) -> Option<String> {
        let mut writers = self.enabled.iter().filter(|code| self.writes(code, script));
        let only = writers.next()?;
        writers.next().is_none().then(|| only.clone())
    }

    fn writes(&self, code: &str, script: Script) -> bool {
        codes::to_whatlang(codes::base(code)).is_some_and(|lang| {
            script.langs().contains(&lang) || (script == Script::Mandarin && lang == whatlang::Lang::Jpn)
        })
    }

    /// Latin text: the assistant's own chat words first ("ok", "thx"), then word statistics.
    fn detect_by_statistics(&self, lexicon: &Lexicon, text: &str, words: &[String]) -> (Detection, f64) {
        let assistant_chat = self.words.get(&self.assistant);
        if assistant_chat.is_some_and(|list| words.iter().all(|word| list.contains(word.as_str()))) {
            let strength = if words.len() >= CLEAR_MIN_WORDS { Strength::Clear } else { Strength::Weak };
            return (Detection::Language { code: self.assistant.clone(), strength }, 1.0);
        }
        if !lexicon.covers(&self.assistant) {
            return self.detect_by_words(text, words);
        }
        let scores = lexicon.scores(words);
        let score = |code: &str| scores.iter().find(|(known, _)| *known == code).map_or(f64::NEG_INFINITY, |s| s.1);
        let Some(&(foreign, foreign_score)) = scores.iter().find(|(code, _)| *code != self.assistant) else {
            return self.detect_by_words(text, words);
        };
        let margin = score(&self.assistant) - foreign_score;
        let strength = |lead: f64| {
            if words.len() >= CLEAR_MIN_WORDS && lead >= CLEAR_MARGIN { Strength::Clear } else { Strength::Weak }
        };
        if margin + KEEP_MARGIN >= 0.0 {
            let detection = Detection::Language { code: self.assistant.clone(), strength: strength(margin) };
            return (detection, lexicon::share(&scores, &self.assistant));
        }
        let probability = lexicon::share(&scores, foreign);
        if probability < NAME_FOREIGN_PROBABILITY || !lexicon.lists_any(words) {
            return (Detection::Foreign, 0.0);
        }
        // The enabled variant (`pt-PT` when that is what the operator enabled).
        let named = self.enabled.iter().find(|enabled| codes::base(enabled) == foreign);
        let code = named.cloned().unwrap_or_else(|| foreign.to_owned());
        (Detection::Language { code, strength: strength(-margin) }, probability)
    }

    fn detect_by_words(&self, text: &str, words: &[String]) -> (Detection, f64) {
        let n = words.len();
        let strength = |clear: bool| if clear && n >= CLEAR_MIN_WORDS { Strength::Clear } else { Strength::Weak };
        let hits = |code: &str| {
            self.words.get(code).map_or(0, |list| words.iter().filter(|w| list.contains(w.as_str())).count())
        };
        let mut by_hits: Vec<(&str, usize)> = self.words.keys().map(|code| (code.as_str(), hits(code))).collect();
        // Most hits first; the assistant's language wins a tie, then the code, so the order is stable.
        by_hits.sort_by(|a, b| {
            b.1.cmp(&a.1).then((b.0 == self.assistant).cmp(&(a.0 == self.assistant))).then(a.0.cmp(b.0))
        });
        let trigram = self.trigram_language(text);

        // Every word a common word of the assistant's language: "hi", "ok", "faq", "where is my order".
        if hits(&self.assistant) == n {
            return (Detection::Language { code: self.assistant.clone(), strength: strength(true) }, 1.0);
        }
        let best = by_hits.first().copied().filter(|(_, count)| *count > 0);
        let runner_up = by_hits.get(1).map_or(0, |(_, count)| *count);
        // Every word a common word of one other language: "hola", "merci beaucoup", "danke schön".
        if let Some((code, count)) = best {
            if count == n && count > runner_up {
                return (Detection::Language { code: code.to_owned(), strength: strength(true) }, 1.0);
            }
            // Several other languages share every word, and the assistant's shares none.
            if count == n && hits(&self.assistant) == 0 {
                return (Detection::Foreign, 0.0);
            }
        }
        // The trigram model is sure, and the word lists do not point elsewhere.
        if let Some((code, confidence)) = &trigram {
            let words_disagree = best.is_some_and(|(best, count)| best != code && count * 2 > n);
            if *confidence >= TRIGRAM_CONFIDENCE_FLOOR && n >= 2 && !words_disagree {
                return (Detection::Language { code: code.clone(), strength: strength(true) }, *confidence);
            }
        }
        // Most words common words of one language, clearly ahead of the others.
        if let Some((code, count)) = best
            && count >= 2
            && count * 2 >= n
            && count > runner_up
        {
            let support = count as f64 / n as f64;
            return (Detection::Language { code: code.to_owned(), strength: strength(count * 3 >= n * 2) }, support);
        }
        (Detection::Unknown, 0.0)
    }

    /// whatlang's verdict among the enabled languages, with its confidence.
    fn trigram_language(&self, text: &str) -> Option<(String, f64)> {
        let info = self.whatlang.detect(text)?;
        let code = codes::from_whatlang(info.lang())?;
        // Map back to the enabled variant (e.g. `zh-TW` when that is what the operator enabled).
        let code = self.enabled.iter().find(|enabled| codes::base(enabled) == code).cloned()?;
        Some((code, info.confidence()))
    }
}

/// How many words the offline check sees in `text` (ids, numbers and addresses do not count).
pub fn word_count(text: &str) -> usize {
    words(text).len()
}

/// The words of a message, lower-cased; numbers, order ids, e-mail addresses and URLs removed.
pub(crate) fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    for chunk in text.split_whitespace() {
        let lower = chunk.to_lowercase();
        if lower.contains('@') || lower.contains("://") || lower.starts_with("www.") {
            continue;
        }
        for token in lower.split(|c: char| !(c.is_alphanumeric() || matches!(c, '\'' | '’' | '-'))) {
            let token = token.trim_matches(|c: char| matches!(c, '\'' | '’' | '-')).replace('’', "'");
            if !token.chars().any(char::is_alphabetic) {
                continue;
            }
            if token.chars().any(char::is_numeric) {
                // "A12B" or "48213x" is an id; "注文48213をキャンセル" is words around a number,
                // since scripts without spaces run words and numbers together.
                if token.chars().filter(|c| c.is_alphabetic()).all(|c| c.is_ascii()) {
                    continue;
                }
                words.extend(token.split(char::is_numeric).filter(|part| !part.is_empty()).map(str::to_owned));
                continue;
            }
            words.push(token);
        }
    }
    words
}

fn parse_chat_words(source: &'static str) -> HashMap<String, HashSet<&'static str>> {
    let mut lists: HashMap<String, HashSet<&'static str>> = HashMap::new();
    let mut current: Option<String> = None;
    for line in source.lines().map(str::trim) {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if let Some(code) = line.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')) {
            current = Some(code.to_owned());
            continue;
        }
        if let Some(code) = &current {
            lists.entry(code.clone()).or_default().extend(line.split_whitespace());
        }
    }
    lists
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detector() -> LanguageDetector {
        let enabled: Vec<String> =
            "en,es,fr,de,it,pt,nl,sv,pl,ru,tr,ar,hi,ja,zh,ko".split(',').map(String::from).collect();
        LanguageDetector::new("en", &enabled)
    }

    fn language(detection: Detection) -> Option<String> {
        match detection {
            Detection::Language { code, .. } => Some(code),
            _ => None,
        }
    }

    #[test]
    fn word_lists_parse_for_every_latin_and_cyrillic_language() {
        let lists = parse_chat_words(CHAT_WORDS);
        for code in ["en", "es", "fr", "de", "it", "pt", "nl", "sv", "pl", "ru", "tr"] {
            assert!(lists.get(code).is_some_and(|list| list.len() > 100), "{code}");
        }
        assert!(lists["en"].contains("faq"));
    }

    #[test]
    fn short_english_is_english() {
        let detector = detector();
        for text in ["hi", "ok", "faq", "Thanks!", "help", "where is my order?", "Order #48213"] {
            assert_eq!(language(detector.detect(text)).as_deref(), Some("en"), "{text}");
        }
    }

    #[test]
    fn identifiers_are_not_language() {
        let detector = detector();
        for text in ["48213", "jane.doe@example.com", "https://example.com/x", "  ", "!!!", "👍"] {
            assert_eq!(detector.detect(text), Detection::NotLanguage, "{text}");
        }
    }

    #[test]
    fn short_foreign_greetings_are_recognised() {
        let detector = detector();
        for (text, code) in [
            ("hola", "es"),
            ("merci beaucoup", "fr"),
            ("danke", "de"),
            ("obrigado", "pt"),
            ("ありがとう", "ja"),
            ("감사합니다", "ko"),
            ("спасибо", "ru"),
        ] {
            assert_eq!(language(detector.detect(text)).as_deref(), Some(code), "{text}");
        }
    }

    #[test]
    fn a_word_other_languages_share_is_foreign() {
        // German and Dutch both write "hallo": either, or `Foreign` for Translate to tell.
        match detector().detect("hallo") {
            Detection::Foreign => {}
            Detection::Language { code, .. } => assert!(code == "de" || code == "nl", "{code}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(language(detector().detect("注文48213をキャンセルしたい")).as_deref(), Some("ja"));
    }

    #[test]
    fn a_sentence_is_clear_a_word_is_weak() {
        let detector = detector();
        assert_eq!(
            detector.detect("¿Dónde está mi pedido?"),
            Detection::Language { code: "es".into(), strength: Strength::Clear }
        );
        assert_eq!(detector.detect("hola"), Detection::Language { code: "es".into(), strength: Strength::Weak });
    }

    #[test]
    fn a_script_only_one_enabled_language_writes_names_it_at_any_length() {
        let clear = |code: &str| Detection::Language { code: code.into(), strength: Strength::Clear };
        let enabled: Vec<String> = "en,ru,el,he,th,hy,ka,hi,ko,ja".split(',').map(String::from).collect();
        let detector = LanguageDetector::new("en", &enabled);
        for (text, code) in [
            ("почти", "ru"),
            ("Ελλάδα", "el"),
            ("שלום", "he"),
            ("สวัสดี", "th"),
            ("Բարեւ", "hy"),
            ("გამარჯობა", "ka"),
            ("नमस्ते", "hi"),
            ("안녕", "ko"),
            ("み", "ja"),
            ("注文", "ja"),
        ] {
            assert_eq!(detector.detect(text), clear(code), "{text}");
        }
        // Two enabled writers: the script alone does not tell, but it is not the assistant's.
        let enabled: Vec<String> = "en,ru,uk,zh,ja".split(',').map(String::from).collect();
        let detector = LanguageDetector::new("en", &enabled);
        assert_ne!(detector.detect("почти"), clear("ru"));
        assert!(!matches!(detector.detect("почти"), Detection::Unknown | Detection::NotLanguage));
        assert_eq!(language(detector.detect("我的订单在哪里")).as_deref(), Some("zh"));
    }

    #[test]
    fn latin_words_english_shares_stay_english_and_foreign_ones_are_named() {
        let detector = detector();
        for text in ["water parks", "information technology", "Identifying birds can be problematic.", "extra"] {
            assert_eq!(language(detector.detect(text)).as_deref(), Some("en"), "{text}");
        }
        for (text, code) in [("Rechnung", "de"), ("llevan", "es"), ("mariage", "fr"), ("obrigada pela ajuda", "pt")] {
            assert_eq!(language(detector.detect(text)).as_deref(), Some(code), "{text}");
        }
        // Words on no list: their shape keeps English-looking ones, never names another language.
        assert_eq!(detector.detect("Kiitos paljon"), Detection::Foreign);
    }

    #[test]
    fn words_drop_ids_and_keep_apostrophes() {
        assert_eq!(words("What's the status of #48213? jane@x.io"), vec!["what's", "the", "status", "of"]);
        assert_eq!(words("aujourd’hui"), vec!["aujourd'hui"]);
        assert_eq!(words("A12B 注文48213をキャンセル"), vec!["注文", "をキャンセル"]);
    }
}
