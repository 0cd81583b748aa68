//! Texts too long for one engine call, and the plan of a request's batch.
//!
//! Amazon Translate takes at most [`MAX_TEXT_BYTES`] per call, counted on what is sent: the
//! protected HTML ([`crate::protect`]), which for a link-heavy Markdown answer is about 1.6 times
//! the text. A text over it is cut into pieces at blank lines, else line breaks, else sentence
//! ends, else spaces, never strictly inside a protected piece or a markup pair (a link, a code
//! block, an HTML element), so each piece is protected exactly as it was inside the whole text.
//! The pieces are items of the same batch as every other text (the cache, the memory and the
//! engine see them as texts of their own), and [`Plan::join`] puts each text back together from
//! its pieces' translations after the engine's phase. A text that cannot be cut small enough, or
//! one of whose pieces fails, keeps its own error: the request's other texts are not affected.

use std::ops::Range;

use tokio::time::Instant;

use super::limits::Caps;
use super::{MAX_TEXT_BYTES, TranslateError, Translation, TranslationResult};
use crate::protect::{Protected, Protector};

/// How much longer the protected HTML can be than its text: a one-character atom takes 42 bytes
/// as `<span translate="no" data-p="N">x</span>`, and two atoms need a character between them to
/// stay two. A text of at most `MAX_TEXT_BYTES / MAX_GROWTH` bytes always fits one call, so it is
/// not scanned here (a cache hit then costs no scan at all).
const MAX_GROWTH: usize = 22;

/// Where a cut may go, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    BlankLine,
    LineBreak,
    SentenceEnd,
    Space,
}

const LEVELS: [Level; 4] = [Level::BlankLine, Level::LineBreak, Level::SentenceEnd, Level::Space];

/// What became of one text of the request.
#[derive(Debug)]
enum Slot {
    /// One item of the batch.
    Whole(usize),
    /// Consecutive items of the batch: its pieces, in order.
    Pieces(Range<usize>),
    /// Not sent.
    Out(TranslateError),
}

/// A request's texts as the batch's items, and how to read each text's result back from theirs.
#[derive(Debug)]
pub(super) struct Plan<'a> {
    /// The batch's items: whole texts and pieces, with their protected form when it was made.
    pub items: Vec<(&'a str, Option<Protected>)>,
    slots: Vec<Slot>,
    /// Texts cut into pieces.
    pub split: usize,
}

impl<'a> Plan<'a> {
    /// Each text in order: past `deadline` or beyond a cap it is out; too long for one call it
    /// is cut; otherwise it is one item.
    pub fn new(
        texts: impl IntoIterator<Item = (&'a str, Option<Protected>)>,
        protector: &Protector,
        caps: &mut Caps<'a>,
        deadline: Instant,
    ) -> Self {
        let mut plan = Plan { items: Vec::new(), slots: Vec::new(), split: 0 };
        for (text, scanned) in texts {
            let slot = if Instant::now() >= deadline {
                Slot::Out(TranslateError::DeadlinePassed)
            } else if let Err(error) = caps.admit(text) {
                Slot::Out(error)
            } else {
                plan.place(text, scanned, protector)
            };
            plan.slots.push(slot);
        }
        plan
    }

    fn place(&mut self, text: &'a str, scanned: Option<Protected>, protector: &Protector) -> Slot {
        let scanned = match scanned {
            None if text.len() <= MAX_TEXT_BYTES / MAX_GROWTH => None,
            None => Some(protector.protect(text)),
            scanned => scanned,
        };
        let bytes = scanned.as_ref().map_or(0, |scanned| scanned.html().len());
        if bytes <= MAX_TEXT_BYTES {
            self.items.push((text, scanned));
            return Slot::Whole(self.items.len() - 1);
        }
        match cut(protector, text, MAX_TEXT_BYTES) {
            Some(pieces) => {
                let first = self.items.len();
                self.items.extend(pieces.into_iter().map(|piece| (piece, None)));
                self.split += 1;
                Slot::Pieces(first..self.items.len())
            }
            None => Slot::Out(TranslateError::TextTooLong { bytes }),
        }
    }

    /// Every text's result, in order, from the items' results: a cut text is its pieces'
    /// translations joined (the first piece's source language), or the first error among them.
    pub fn join(self, results: Vec<TranslationResult>) -> Vec<TranslationResult> {
        let mut results: Vec<Option<TranslationResult>> = results.into_iter().map(Some).collect();
        let mut take = |index: usize| results.get_mut(index).and_then(Option::take).unwrap_or(Err(missing()));
        self.slots
            .into_iter()
            .map(|slot| match slot {
                Slot::Whole(index) => take(index),
                Slot::Out(error) => Err(error),
                Slot::Pieces(range) => {
                    let mut joined = Translation { text: String::new(), source: String::new() };
                    for index in range {
                        let piece = take(index)?;
                        joined.text.push_str(&piece.text);
                        if joined.source.is_empty() {
                            joined.source = piece.source;
                        }
                    }
                    Ok(joined)
                }
            })
            .collect()
    }
}

fn missing() -> TranslateError {
    crate::aws::AwsError::InvalidResponse.into()
}

/// `text` in consecutive pieces whose protected HTML is at most `max` bytes each, cut at the best
/// places that get there; `None` if some stretch has no such place.
fn cut<'t>(protector: &Protector, text: &'t str, max: usize) -> Option<Vec<&'t str>> {
    let places = places(text, &protector.covered(text));
    let fits = |piece: &str| piece.trim().len() <= max && protector.protect(piece).html().len() <= max;
    let mut pieces = Vec::new();
    let mut start = 0;
    while !fits(&text[start..]) {
        let end = LEVELS.iter().find_map(|level| furthest_fit(text, start, &places, *level, &fits))?;
        pieces.push(&text[start..end]);
        start = end;
    }
    pieces.push(&text[start..]);
    Some(pieces)
}

/// The furthest place of `level` after `start` whose piece fits (the HTML grows with the piece,
/// so a binary search over the places within `MAX_TEXT_BYTES` of `start` finds it).
fn furthest_fit(
    text: &str,
    start: usize,
    places: &[(usize, Level)],
    level: Level,
    fits: &impl Fn(&str) -> bool,
) -> Option<usize> {
    let within: Vec<usize> = places
        .iter()
        .filter(|(at, place)| *place == level && *at > start && *at - start <= MAX_TEXT_BYTES)
        .map(|(at, _)| *at)
        .filter(|at| !text[start..*at].trim().is_empty())
        .collect();
    let fitting = within.partition_point(|at| fits(&text[start..*at]));
    fitting.checked_sub(1).map(|last| within[last])
}

/// Every place a cut may go, in order: where a run of white space starts (its level from the line
/// breaks in it and what ends before it), and after a full-width sentence end; none strictly
/// inside a `covered` range.
fn places(text: &str, covered: &[Range<usize>]) -> Vec<(usize, Level)> {
    let inside = |at: usize| {
        let before = covered.partition_point(|range| range.start < at);
        before > 0 && at < covered[before - 1].end
    };
    let mut places = Vec::new();
    let mut chars = text.char_indices().peekable();
    let mut previous = None;
    while let Some((at, c)) = chars.next() {
        if c.is_whitespace() {
            let mut breaks = usize::from(c == '\n');
            while let Some((_, next)) = chars.next_if(|(_, next)| next.is_whitespace()) {
                breaks += usize::from(next == '\n');
            }
            let level = match breaks {
                0 if matches!(previous, Some('.' | '!' | '?' | ':' | ';' | '…')) => Level::SentenceEnd,
                0 => Level::Space,
                1 => Level::LineBreak,
                _ => Level::BlankLine,
            };
            if at > 0 && !inside(at) {
                places.push((at, level));
            }
            previous = None;
            continue;
        }
        if matches!(c, '。' | '！' | '？' | '；') && !inside(at + c.len_utf8()) {
            places.push((at + c.len_utf8(), Level::SentenceEnd));
        }
        previous = Some(c);
    }
    places
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::translate::limits::TranslateLimits;

    fn pieces(text: &str, max: usize) -> Vec<&str> {
        cut(&Protector::default(), text, max).expect("cut")
    }

    #[test]
    fn paragraphs_first_then_sentences_then_spaces() {
        let text = "One two. Three four.\n\nFive six. Seven eight.";
        assert_eq!(pieces(text, 30), ["One two. Three four.", "\n\nFive six. Seven eight."]);
        assert_eq!(pieces(text, 12), ["One two.", " Three four.", "\n\nFive six.", " Seven eight."]);
        assert_eq!(pieces("alpha beta gamma delta", 10), ["alpha beta", " gamma", " delta"]);
        assert_eq!(pieces("日本語の文です。次の文です。", 25), ["日本語の文です。", "次の文です。"]);
        assert_eq!(pieces(text, 100), [text], "a text that fits stays whole");
    }

    #[test]
    fn never_inside_a_link_a_code_block_or_an_element() {
        let protector = Protector::default();
        let text = "See [the long. label here](https://x.io/a b) now. Then ```code. with\n\nbreaks``` and \
                    <div>block.\n\ninside</div> end. Last words here.";
        for max in [40, 60, 80, 120] {
            let Some(pieces) = cut(&protector, text, max) else { continue };
            assert_eq!(pieces.concat(), text);
            for piece in &pieces {
                assert!(protector.protect(piece).html().len() <= max, "{piece:?}");
                for whole in [
                    "[the long. label here](https://x.io/a b)",
                    "```code. with\n\nbreaks```",
                    "<div>block.\n\ninside</div>",
                ] {
                    assert!(!text.contains(whole) || pieces.iter().any(|p| p.contains(whole)), "{whole} cut at {max}");
                }
            }
        }
        assert_eq!(cut(&protector, "`a very long code span that cannot be cut`", 20), None);
    }

    #[test]
    fn a_plan_keeps_order_cuts_what_is_too_long_and_joins_it_back() {
        let protector = Protector::default();
        let long = "Sentence number one is here. ".repeat(700);
        let texts = ["short", long.as_str(), "short"];
        let mut caps = Caps::new(TranslateLimits::default());
        let deadline = Instant::now() + std::time::Duration::from_secs(5);
        let plan = Plan::new(texts.iter().map(|text| (*text, None)), &protector, &mut caps, deadline);
        assert_eq!(plan.split, 1);
        assert!(plan.items.len() > 3);
        assert!(plan.items.iter().all(|(piece, _)| protector.protect(piece).html().len() <= MAX_TEXT_BYTES));
        let echo: Vec<TranslationResult> = plan
            .items
            .iter()
            .map(|(piece, _)| Ok(Translation { text: piece.to_string(), source: "en".into() }))
            .collect();
        let joined = plan.join(echo);
        let texts: Vec<String> = joined.into_iter().map(|result| result.unwrap().text).collect();
        assert_eq!(texts, ["short", long.as_str(), "short"]);
    }

    #[test]
    fn one_failed_piece_fails_its_text_only() {
        let protector = Protector::default();
        let long = "Words and more words. ".repeat(600);
        let texts = [long.as_str(), "fine"];
        let mut caps = Caps::new(TranslateLimits::default());
        let deadline = Instant::now() + std::time::Duration::from_secs(5);
        let plan = Plan::new(texts.iter().map(|text| (*text, None)), &protector, &mut caps, deadline);
        let count = plan.items.len();
        let results: Vec<TranslationResult> = (0..count)
            .map(|index| match index {
                1 => Err(TranslateError::MarkupLost),
                _ => Ok(Translation { text: "t".into(), source: "en".into() }),
            })
            .collect();
        let joined = plan.join(results);
        assert_eq!(joined[0], Err(TranslateError::MarkupLost));
        assert_eq!(joined[1].as_ref().unwrap().text, "t");
    }
}
