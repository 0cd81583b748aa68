//! A conversational-search answer keeps its citations' `ranges` through translation.
//!
//! Each citation's `ranges` are `{start, end}` offsets of the cited words in the answer's `text`
//! (IBM's v2 API, `ResponseGenericCitation`, where `ranges` is required), in UTF-16 code units:
//! IBM's web chat cuts the answer with JavaScript's `substring` to highlight them. After
//! translation those offsets would mark the wrong words, so:
//!
//! 1. before translation, the answer is cut where a range begins or ends, if that place is a
//!    sentence or line boundary (so no sentence is translated in halves), and each piece is
//!    translated on its own;
//! 2. after translation, every range whose two ends were cut gets the offsets of the same pieces
//!    in the translated answer; a range that was not (an end inside a sentence, out of bounds,
//!    reversed, or not a pair of numbers) is left out, so a citation may end up with `[]`.
//!
//! The array itself is always kept, as IBM's schema requires it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::ConversationalSearchItem;
use super::walk::Walk;

/// Conversational search's answer: one text, or, while it is being translated, the pieces it
/// was cut into at its citations' boundaries. Always serialized as the whole text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnswerText {
    pieces: Vec<String>,
    /// While cut: where each piece ended in the answer as received, in UTF-16 code units.
    received_ends: Option<Vec<usize>>,
}

impl AnswerText {
    pub fn new(text: impl Into<String>) -> Self {
        AnswerText { pieces: vec![text.into()], received_ends: None }
    }

    /// Cuts the answer at these UTF-16 offsets, keeping only the ones at a sentence or line
    /// boundary (the answer's two ends always count).
    fn cut(&mut self, offsets: &[usize]) {
        let text = self.to_string();
        let length = utf16_len(&text);
        let mut cuts: Vec<(usize, usize)> = byte_indices(&text, offsets)
            .into_iter()
            .filter(|&(offset, at)| offset < length && at > 0 && is_clean_cut(&text, at))
            .collect();
        cuts.dedup();
        let mut pieces = Vec::with_capacity(cuts.len() + 1);
        let mut from = 0;
        for &(_, at) in &cuts {
            pieces.push(text[from..at].to_owned());
            from = at;
        }
        pieces.push(text[from..].to_owned());
        let mut ends: Vec<usize> = cuts.iter().map(|&(offset, _)| offset).collect();
        ends.push(length);
        *self = AnswerText { pieces, received_ends: Some(ends) };
    }

    /// Where a UTF-16 offset of the answer as received is now, if the answer was cut there.
    fn placed(&self, received: usize) -> Option<usize> {
        if received == 0 {
            return Some(0);
        }
        let ends = self.received_ends.as_ref()?;
        let piece = ends.iter().position(|&end| end == received)?;
        Some(self.pieces[..=piece].iter().map(|piece| utf16_len(piece)).sum())
    }

    /// Back to one text, the cuts forgotten.
    fn join(&mut self) {
        *self = AnswerText::new(self.to_string());
    }
}

impl fmt::Display for AnswerText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.pieces.iter().try_for_each(|piece| f.write_str(piece))
    }
}

impl From<&str> for AnswerText {
    fn from(text: &str) -> Self {
        AnswerText::new(text)
    }
}

impl Serialize for AnswerText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.pieces.as_slice() {
            [whole] => serializer.serialize_str(whole),
            _ => serializer.serialize_str(&self.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for AnswerText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(AnswerText::new)
    }
}

/// Each piece is translated on its own.
impl Walk for AnswerText {
    fn texts_mut<'a>(&'a mut self, out: &mut Vec<&'a mut String>) {
        out.extend(self.pieces.iter_mut());
    }
}

impl ConversationalSearchItem {
    /// Before translation: cuts the answer where its citations' ranges begin and end.
    pub fn cut_answer_at_citations(&mut self) {
        let Some(answer) = self.text.as_mut() else { return };
        let all_ranges: Vec<&Value> = self
            .citations
            .as_ref()
            .into_iter()
            .flatten()
            .flat_map(|c| ranges(&c.extra).into_iter().flatten())
            .collect();
        if all_ranges.is_empty() {
            return;
        }
        let mut offsets: Vec<usize> =
            all_ranges.into_iter().filter_map(range_ends).flat_map(|(start, end)| [start, end]).collect();
        offsets.sort_unstable();
        offsets.dedup();
        answer.cut(&offsets);
    }

    /// After translation: every range moved onto the translated answer, or left out when its
    /// ends were not cut; then the answer is one text again.
    pub fn realign_citation_ranges(&mut self) {
        let Some(answer) = self.text.as_mut() else { return };
        if answer.received_ends.is_none() {
            return;
        }
        for citation in self.citations.as_mut().into_iter().flatten() {
            if let Some(Value::Array(ranges)) = citation.extra.get_mut("ranges") {
                ranges.retain_mut(|range| move_range(range, answer));
            }
        }
        answer.join();
    }
}

fn ranges(citation: &serde_json::Map<String, Value>) -> Option<&Vec<Value>> {
    citation.get("ranges")?.as_array()
}

/// A range's `start` and `end` when both are offsets and `start` does not pass `end`.
fn range_ends(range: &Value) -> Option<(usize, usize)> {
    let start = usize::try_from(range.get("start")?.as_u64()?).ok()?;
    let end = usize::try_from(range.get("end")?.as_u64()?).ok()?;
    (start <= end).then_some((start, end))
}

/// Rewrites a range's offsets for the translated answer; false when it cannot be placed.
fn move_range(range: &mut Value, answer: &AnswerText) -> bool {
    let Some((start, end)) = range_ends(range) else { return false };
    let (Some(start), Some(end)) = (answer.placed(start), answer.placed(end)) else { return false };
    range["start"] = Value::from(start);
    range["end"] = Value::from(end);
    true
}

fn utf16_len(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// The byte index of each sorted UTF-16 offset that falls between two characters of `text`.
fn byte_indices(text: &str, sorted_offsets: &[usize]) -> Vec<(usize, usize)> {
    let mut found = Vec::with_capacity(sorted_offsets.len());
    let mut wanted = sorted_offsets.iter().copied().peekable();
    let mut offset = 0;
    for (at, c) in text.char_indices().chain([(text.len(), '\0')]) {
        while let Some(next) = wanted.next_if(|&next| next <= offset) {
            if next == offset {
                found.push((next, at));
            }
        }
        offset += c.len_utf16();
    }
    found
}

/// Characters that may close a sentence after its final punctuation.
const CLOSERS: &[char] = &['"', '\'', ')', ']', '»', '”', '’', '*', '_'];
const SENTENCE_ENDS: &[char] = &['.', '!', '?', '…', ':', ';', '。', '！', '？', '；', '：'];

/// A cut at byte `at` splits no sentence: it sits in the white space after a sentence's final
/// punctuation, or in white space that holds a line break, or before or after nothing but space.
fn is_clean_cut(text: &str, at: usize) -> bool {
    let (before, after) = text.split_at(at);
    let (words_before, words_after) = (before.trim_end(), after.trim_start());
    if words_before.is_empty() || words_after.is_empty() {
        return true;
    }
    let gap = [&before[words_before.len()..], &after[..after.len() - words_after.len()]];
    if gap.iter().all(|side| side.is_empty()) {
        return false;
    }
    if gap.iter().any(|side| side.contains('\n')) {
        return true;
    }
    words_before.trim_end_matches(CLOSERS).ends_with(SENTENCE_ENDS)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn item(text: &str, ranges: Value) -> ConversationalSearchItem {
        serde_json::from_value(json!({"text": text, "citations": [{"title": "t", "ranges": ranges}]})).unwrap()
    }

    /// Stands in for a translation: each piece's words upper-cased and lengthened, its white
    /// space kept outside, as the pipeline keeps it.
    fn translate(item: &mut ConversationalSearchItem) {
        for text in item.text.as_mut().unwrap().pieces.iter_mut() {
            let core = text.trim();
            if !core.is_empty() {
                *text = text.replacen(core, &format!("<{}>", core.to_uppercase()), 1);
            }
        }
    }

    fn ranges_after(item: &ConversationalSearchItem) -> Value {
        item.citations.as_ref().unwrap()[0].extra["ranges"].clone()
    }

    fn slice(text: &str, range: &Value) -> String {
        let units: Vec<u16> = text.encode_utf16().collect();
        let (start, end) = range_ends(range).unwrap();
        String::from_utf16(&units[start..end]).unwrap()
    }

    #[test]
    fn sentence_ranges_follow_their_sentences() {
        let text = "Returns are free. Shipping takes 5 days.\nAsk us anything.";
        let mut item = item(text, json!([{"start": 0, "end": 17}, {"start": 18, "end": 40, "extra": 1}]));
        item.cut_answer_at_citations();
        assert_eq!(item.text.as_ref().unwrap().pieces.len(), 4, "two sentences, the space between, the rest");
        translate(&mut item);
        item.realign_citation_ranges();
        let translated = item.text.as_ref().unwrap().to_string();
        assert_eq!(translated, "<RETURNS ARE FREE.> <SHIPPING TAKES 5 DAYS.>\n<ASK US ANYTHING.>");
        let ranges = ranges_after(&item);
        assert_eq!(slice(&translated, &ranges[0]), "<RETURNS ARE FREE.>");
        assert_eq!(slice(&translated, &ranges[1]), "<SHIPPING TAKES 5 DAYS.>");
        assert_eq!(ranges[1]["extra"], 1, "a range's other members are kept");
        assert_eq!(item.text.as_ref().unwrap().pieces.len(), 1, "one text again");
    }

    #[test]
    fn a_range_inside_a_sentence_invalid_or_reversed_is_left_out() {
        let text = "Returns are free. Shipping takes 5 days.";
        let ranges = json!([
            {"start": 0, "end": 17}, {"start": 12, "end": 16}, {"start": 5, "end": 3},
            {"start": 0, "end": 99}, {"start": -1, "end": 4}, {"end": 17}, "0-17"
        ]);
        let mut item = item(text, ranges);
        item.cut_answer_at_citations();
        translate(&mut item);
        item.realign_citation_ranges();
        assert_eq!(ranges_after(&item), json!([{"start": 0, "end": 19}]));
        let mut reversed_only = self::item(text, json!([{"start": 5, "end": 3}]));
        reversed_only.cut_answer_at_citations();
        translate(&mut reversed_only);
        reversed_only.realign_citation_ranges();
        assert_eq!(ranges_after(&reversed_only), json!([]), "no range to place is still no range");
        let mut nothing_placed = self::item(text, json!([{"start": 12, "end": 16}]));
        nothing_placed.cut_answer_at_citations();
        translate(&mut nothing_placed);
        nothing_placed.realign_citation_ranges();
        assert_eq!(ranges_after(&nothing_placed), json!([]), "the array stays, empty");
    }

    #[test]
    fn offsets_count_utf16_units_and_never_split_a_character() {
        // "😀" is two UTF-16 units: offset 1 falls inside it.
        let text = "😀 ok. Ça va? Oui.";
        let mut item = item(text, json!([{"start": 0, "end": 6}, {"start": 7, "end": 13}, {"start": 1, "end": 6}]));
        item.cut_answer_at_citations();
        translate(&mut item);
        item.realign_citation_ranges();
        let translated = item.text.as_ref().unwrap().to_string();
        let ranges = ranges_after(&item);
        assert_eq!(ranges.as_array().unwrap().len(), 2);
        assert_eq!(slice(&translated, &ranges[0]), "<😀 OK.>");
        assert_eq!(slice(&translated, &ranges[1]), "<ÇA VA?>");
    }

    #[test]
    fn an_untranslated_answer_is_unchanged_and_overlapping_ranges_are_placed() {
        let text = "One. Two. Three.";
        let ranges = json!([{"start": 0, "end": 9}, {"start": 5, "end": 16}]);
        let mut item = item(text, ranges.clone());
        item.cut_answer_at_citations();
        assert_eq!(serde_json::to_value(&item).unwrap()["text"], text, "serialized whole while cut");
        item.realign_citation_ranges();
        assert_eq!(ranges_after(&item), ranges);
        assert_eq!(item.text.as_ref().unwrap().to_string(), text);
    }

    #[test]
    fn clean_cuts_are_sentence_or_line_boundaries() {
        let text = "Costs 1.5 dollars. See \"Terms.\" Next\nline e.g. here";
        let clean = |at: usize| is_clean_cut(text, at);
        assert!(clean(18) && clean(19), "after a sentence's full stop, either side of the space");
        assert!(!clean(7) && !clean(8), "inside 1.5");
        assert!(!clean(6), "inside a sentence");
        assert!(clean(32), "after a quoted sentence");
        assert!(clean(37), "at a line break");
        assert!(!clean(2), "inside a word");
    }
}
