//! Measures the offline language check on `chat-utterances-16-languages.tsv` against the targets:
//! every English utterance left unchanged, at most one in ten costing a Translate call, at least
//! 95 % of foreign utterances translated. Each utterance goes through the protector first, as in
//! the handler: the check reads the words, not the ids (`language_first_turn.rs` runs the handler
//! itself; `language_evaluation.rs` measures public test data).
//!
//! Where the plan is `auto`, Amazon Translate decides; this measurement assumes it detects the
//! corpus label (it cannot reach the real service), so the foreign figure for those is an upper
//! bound and the English figure is what the offline check alone guarantees.

use std::collections::BTreeMap;

use premessage::decision::{Plan, decide};
use shared::config::Languages;
use shared::language::{LanguageDetector, Origin, SessionLanguage, word_count};
use shared::protect::Protector;
use shared::translate::SourceLanguage;
use webhook_tests::{config, fixture};

struct Tally {
    total: usize,
    translated: usize,
    calls: usize,
    wrong_source: usize,
    changed: usize,
    /// Calls with `auto`: Amazon Translate decides.
    auto: usize,
}

fn corpus() -> Vec<(String, String)> {
    fixture("chat-utterances-16-languages.tsv")
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once('\t'))
        .map(|(lang, text)| (lang.to_owned(), text.to_owned()))
        .collect()
}

fn measure(detector: &LanguageDetector, session: impl Fn(&str) -> Option<SessionLanguage>) -> BTreeMap<String, Tally> {
    let protector = Protector::default();
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    for (label, text) in corpus() {
        let tally = tallies.entry(label.clone()).or_insert(Tally {
            total: 0,
            translated: 0,
            calls: 0,
            wrong_source: 0,
            changed: 0,
            auto: 0,
        });
        tally.total += 1;
        let session = session(&label);
        // The decision table the handler applies to a message with nothing else known about it.
        let protected = protector.protect(&text);
        let prose = if protected.needs_translation() { protected.prose() } else { "" };
        let detection = detector.detect(prose);
        match decide(&detection, session.as_ref(), detector.assistant_language(), word_count(prose)).plan {
            Plan::PassThrough(reason) => {
                if label != "en" {
                    println!("  {label} passed through ({}): {text:?}", reason.as_str());
                }
            }
            Plan::Translate(source) => {
                tally.calls += 1;
                if source == SourceLanguage::Auto {
                    tally.auto += 1;
                }
                if label == "en" {
                    println!("  en costs a call ({}): {text:?}", source.as_str());
                }
                // With `auto`, Translate detects the label (see the module comment); the text of an
                // English utterance then comes back unchanged.
                let effective = match &source {
                    SourceLanguage::Auto => label.clone(),
                    SourceLanguage::Code(code) => code.clone(),
                };
                if effective != "en" {
                    tally.translated += 1;
                    if label == "en" {
                        tally.changed += 1;
                        println!("  English changed: {text:?} as {effective}");
                    }
                    if effective != label {
                        tally.wrong_source += 1;
                        println!("  {label} sent as {effective}: {text:?}");
                    }
                }
            }
        }
    }
    tallies
}

fn report(title: &str, tallies: &BTreeMap<String, Tally>) -> (f64, f64, usize) {
    println!("{title}");
    println!("  lang  n    translated  calls  auto  wrong-source");
    let (mut foreign, mut foreign_translated) = (0, 0);
    for (lang, t) in tallies {
        println!("  {lang:<4} {:<4} {:<11} {:<6} {:<5} {}", t.total, t.translated, t.calls, t.auto, t.wrong_source);
        if lang != "en" {
            foreign += t.total;
            foreign_translated += t.translated;
        }
    }
    let en = &tallies["en"];
    let foreign_rate = foreign_translated as f64 / foreign as f64;
    let english_call_rate = en.calls as f64 / en.total as f64;
    println!(
        "  foreign translated: {foreign_translated}/{foreign} = {:.1} %; English with a Translate call: {}/{} = {:.1} %; English changed: {}",
        foreign_rate * 100.0,
        en.calls,
        en.total,
        english_call_rate * 100.0,
        en.changed
    );
    (foreign_rate, english_call_rate, en.changed)
}

#[test]
fn a_first_message_meets_the_targets_with_no_session_knowledge() {
    let languages = config(&[]).read(Languages::read);
    let detector = LanguageDetector::new(&languages.assistant, &languages.supported);
    let tallies = measure(&detector, |_| None);
    let (foreign_rate, english_call_rate, english_changed) = report("first message, nothing known", &tallies);
    assert_eq!(english_changed, 0, "every English utterance left unchanged");
    assert!(english_call_rate <= 0.10, "English Translate calls {english_call_rate}");
    assert!(foreign_rate >= 0.95, "foreign translated {foreign_rate}");
}

#[test]
fn a_known_session_language_carries_short_messages() {
    let languages = config(&[]).read(Languages::read);
    let detector = LanguageDetector::new(&languages.assistant, &languages.supported);
    let stored =
        |label: &str| (label != "en").then(|| SessionLanguage { code: label.to_owned(), origin: Origin::Stored });
    let tallies = measure(&detector, stored);
    let (foreign_rate, _, _) = report("later messages, session language stored", &tallies);
    assert!(foreign_rate >= 0.98, "foreign translated {foreign_rate}");
}
