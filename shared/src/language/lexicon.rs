//! Word statistics for Latin-script text, scored as naive Bayes: how often each language writes
//! each word, from wordfreq's word lists (`word_frequencies.txt`), and, for a word on no list,
//! how much it looks like the language's words (letter trigrams, `letter_trigrams.txt`). Both
//! files are made by `tests/scripts/make_word_frequencies.py`; their source and licence are in
//! this folder's README.
//!
//! The tables are sorted text compiled into the binary and searched in place: nothing is parsed
//! or allocated at cold start but the two header lines.

use std::cmp::Ordering;

const WORDS: &str = include_str!("word_frequencies.txt");
const TRIGRAMS: &str = include_str!("letter_trigrams.txt");

/// log10 frequency of a word missing from a list: the lists hold every word of at least one per
/// million (Zipf 3), so a missing one is rarer than that.
const UNLISTED_LOG_FREQUENCY: f64 = -6.0;
/// A missing word's letter trigrams count this much: they are far from independent.
const TRIGRAM_WEIGHT: f64 = 0.5;
/// log10 P(trigram) of a typical trigram of a language's own words: a word that looks like the
/// language scores about `UNLISTED_LOG_FREQUENCY`, one that does not scores far less.
const TYPICAL_TRIGRAM_LOG_P: f64 = -2.2;

/// The word statistics, restricted to the enabled languages they cover.
#[derive(Debug, Clone)]
pub(crate) struct Lexicon {
    /// (code, column in the tables, log10 floor of an unseen trigram), enabled languages only.
    languages: Vec<(&'static str, u8, f64)>,
}

impl Lexicon {
    /// `None` when fewer than two enabled languages have statistics: nothing to tell apart.
    pub(crate) fn new(enabled: impl Fn(&str) -> bool) -> Option<Lexicon> {
        let (word_header, _) = split_header(WORDS);
        let (trigram_header, _) = split_header(TRIGRAMS);
        let codes = word_header.strip_prefix("languages ")?.split(' ');
        let floors = trigram_header.strip_prefix("floors ")?.split(' ');
        let mut languages = Vec::new();
        for (column, (code, floor)) in codes.zip(floors).enumerate() {
            let floor = floor.strip_prefix(code)?.strip_prefix(':')?.parse().ok()?;
            if enabled(code) {
                languages.push((code, b'a' + u8::try_from(column).ok()?, floor));
            }
        }
        (languages.len() >= 2).then_some(Lexicon { languages })
    }

    pub(crate) fn covers(&self, code: &str) -> bool {
        self.languages.iter().any(|(known, ..)| *known == code)
    }

    /// Whether any of `words` is on a covered language's list: when none is, only the letters'
    /// shape speaks, enough to keep a word local but not to name a language.
    pub(crate) fn lists_any(&self, words: &[String]) -> bool {
        words.iter().any(|word| {
            let parts = std::iter::once(word.as_str()).chain(word.split('\'').filter(|part| part.len() > 1));
            parts
                .filter_map(|part| find_line(WORDS, part))
                .any(|line| self.languages.iter().any(|&(_, column, _)| entry(line, column).is_some()))
        })
    }

    /// Each covered language's log10 likelihood of having written `words` (lower-cased), most
    /// likely first.
    pub(crate) fn scores(&self, words: &[String]) -> Vec<(&'static str, f64)> {
        let mut scores: Vec<(&'static str, f64)> = self
            .languages
            .iter()
            .map(|&(code, column, floor)| (code, words.iter().map(|word| word_log_p(word, column, floor)).sum()))
            .collect();
        scores.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(Ordering::Equal));
        scores
    }
}

/// The probability of `code` among `scores` (log10 likelihoods), every language equally likely
/// beforehand.
pub(crate) fn share(scores: &[(&'static str, f64)], code: &str) -> f64 {
    let best = scores.first().map_or(0.0, |(_, score)| *score);
    let total: f64 = scores.iter().map(|(_, score)| 10f64.powf(score - best)).sum();
    scores.iter().find(|(known, _)| *known == code).map_or(0.0, |(_, score)| 10f64.powf(score - best) / total)
}

/// log10 P(word | language): its listed frequency, else an unlisted word's share shaped by its
/// letter trigrams. "l'homme" is looked up whole, else as "l" and "homme".
fn word_log_p(word: &str, column: u8, floor: f64) -> f64 {
    if let Some(zipf) = listed_zipf(word, column) {
        return zipf - 9.0;
    }
    if word.contains('\'') {
        let parts: Vec<&str> = word.split('\'').filter(|part| !part.is_empty()).collect();
        if parts.len() > 1 {
            return parts.iter().map(|part| word_log_p(part, column, floor)).sum();
        }
    }
    let shape: f64 = trigrams(word).map(|gram| trigram_log_p(&gram, column, floor) - TYPICAL_TRIGRAM_LOG_P).sum();
    UNLISTED_LOG_FREQUENCY + TRIGRAM_WEIGHT * shape
}

/// The Zipf frequency (log10 per billion words) of `word` in the language of `column`.
fn listed_zipf(word: &str, column: u8) -> Option<f64> {
    let code = entry(find_line(WORDS, word)?, column)?;
    Some(3.0 + f64::from(code.checked_sub(b'0')?) / 10.0)
}

fn trigram_log_p(gram: &str, column: u8, floor: f64) -> f64 {
    match find_line(TRIGRAMS, gram).and_then(|line| entry(line, column)) {
        Some(code) => -f64::from(code.saturating_sub(b'!') + 10) / 10.0,
        None => floor,
    }
}

/// The letter trigrams of a word with `<` and `>` marking its ends.
fn trigrams(word: &str) -> impl Iterator<Item = String> + '_ {
    let letters: Vec<char> = std::iter::once('<').chain(word.chars()).chain(std::iter::once('>')).collect();
    (0..letters.len().saturating_sub(2)).map(move |at| letters[at..at + 3].iter().collect())
}

/// A line's value for one language: pairs of (column letter, code) after the tab.
fn entry(line: &str, column: u8) -> Option<u8> {
    let (_, values) = line.split_once('\t')?;
    values.as_bytes().chunks_exact(2).find(|pair| pair[0] == column).map(|pair| pair[1])
}

fn split_header(table: &'static str) -> (&'static str, &'static str) {
    table.split_once('\n').unwrap_or((table, ""))
}

/// The line of a table sorted by UTF-8 bytes whose key (the text before the tab) is `key`.
fn find_line(table: &'static str, key: &str) -> Option<&'static str> {
    let (_, body) = split_header(table);
    let bytes = body.as_bytes();
    let (mut low, mut high) = (0, bytes.len());
    while low < high {
        let middle = low + (high - low) / 2;
        let start = bytes[low..middle].iter().rposition(|&b| b == b'\n').map_or(low, |at| low + at + 1);
        let end = bytes[start..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |at| start + at);
        let line = &body[start..end];
        let line_key = line.split_once('\t').map_or(line, |(key, _)| key);
        match line_key.as_bytes().cmp(key.as_bytes()) {
            Ordering::Equal => return Some(line),
            Ordering::Less => low = end + 1,
            Ordering::Greater => high = start,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexicon() -> Lexicon {
        Lexicon::new(|code| ["en", "es", "fr", "de", "it", "pt", "nl"].contains(&code)).expect("lexicon")
    }

    fn best(words: &[&str]) -> (&'static str, f64) {
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        lexicon().scores(&words)[0]
    }

    #[test]
    fn tables_are_sorted_and_every_key_is_found() {
        for table in [WORDS, TRIGRAMS] {
            let (_, body) = split_header(table);
            let keys: Vec<&str> = body.lines().map(|line| line.split_once('\t').expect("tab").0).collect();
            assert!(keys.windows(2).all(|pair| pair[0].as_bytes() < pair[1].as_bytes()));
            for key in keys.iter().step_by(97).chain(keys.last()) {
                assert!(find_line(table, key).is_some(), "{key}");
            }
        }
        assert_eq!(find_line(WORDS, "zzzzzzzz"), None);
        assert_eq!(find_line(WORDS, ""), None);
    }

    #[test]
    fn listed_words_carry_their_frequency() {
        let the = listed_zipf("the", b'a').expect("the");
        assert!(the > 7.0, "{the}");
        assert!(listed_zipf("rechnung", b'd').is_some());
        assert_eq!(listed_zipf("rechnung", b'a'), None);
    }

    #[test]
    fn frequent_words_and_the_shape_of_rare_ones_name_the_language() {
        assert_eq!(best(&["water", "parks"]).0, "en");
        assert_eq!(best(&["rechnung"]).0, "de");
        assert_eq!(best(&["llevan"]).0, "es");
        assert_eq!(best(&["mariage"]).0, "fr");
        // On no list: the letters decide.
        assert_eq!(best(&["effervescently"]).0, "en");
        assert_eq!(best(&["l'homme"]).0, "fr");
        assert!(lexicon().lists_any(&["zxqv".to_owned(), "parks".to_owned()]));
        assert!(!lexicon().lists_any(&["zxqv".to_owned(), "plorp".to_owned()]));
    }

    #[test]
    fn only_enabled_languages_are_scored() {
        assert!(Lexicon::new(|code| code == "en").is_none());
        let two = Lexicon::new(|code| ["en", "sv"].contains(&code)).expect("two");
        assert!(two.covers("sv") && !two.covers("de"));
        let words = vec!["rechnung".to_owned()];
        let scores = two.scores(&words);
        assert_eq!(scores.len(), 2);
        let total = share(&scores, "en") + share(&scores, "sv");
        assert!((total - 1.0).abs() < 1e-9, "{total}");
    }
}
