//! The language check measured on public data nobody here wrote: a sample of the test data lingua
//! publishes its accuracy on (Leipzig Corpora Collection web text, `tests/data/README.md`), for an
//! English assistant with en, es, fr, de, pt, it, nl, ja, zh, ko, ar, ru and hi enabled.
//!
//! Every line is a first turn with nothing known about the session (no stored language, no
//! browser hint), sent as a function-URL event through the real pre-message handler, its
//! protector included; the fake Translate endpoint counts the calls. English is kept local when
//! it reaches the assistant unchanged with no call; a foreign line is sent when it costs a call.
//!
//! Targets (issue 18): English kept local in ≥ 99 % of sentences, ≥ 95 % of word pairs, ≥ 90 %
//! of single words; foreign sent to Translate in ≥ 99.5 % of sentences, ≥ 97 % of word pairs,
//! ≥ 85 % of Latin-script single words and ≥ 99 % of single words in the other scripts.

use std::collections::BTreeMap;
use std::time::Duration;

use premessage::PreMessage;
use serde_json::{Value, json};
use webhook_tests::entry_point::Handler;
use webhook_tests::{FakeTranslate, FunctionUrlEvent, config, fixture, status_and_json};

const SAMPLE: &str = "lingua-testdata-leipzig-13-languages-sample.tsv";
const ENABLED: &str = "en,es,fr,de,pt,it,nl,ja,zh,ko,ar,ru,hi";
const LATIN: [&str; 7] = ["en", "es", "fr", "de", "pt", "it", "nl"];
const CLASSES: [&str; 3] = ["sentence", "pair", "word"];

#[derive(Default, Clone, Copy)]
struct Tally {
    total: usize,
    /// Reached the assistant unchanged with no Translate call.
    local: usize,
    /// Cost a Translate call.
    sent: usize,
    /// Sent with a source language other than the label (`auto` not counted).
    wrong_source: usize,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.total += other.total;
        self.local += other.local;
        self.sent += other.sent;
        self.wrong_source += other.wrong_source;
    }

    fn share(&self, count: usize) -> f64 {
        count as f64 / self.total.max(1) as f64
    }
}

fn first_turn(text: &str) -> String {
    turn(text, json!({}))
}

/// A later turn of a session whose language is stored.
fn later_turn(text: &str, language: &str) -> String {
    turn(text, json!({"language": language}))
}

fn turn(text: &str, user_defined: Value) -> String {
    json!({
        "event": {"name": "message_received"},
        "options": {},
        "payload": {
            "input": {"message_type": "text", "text": text},
            "context": {
                "global": {"session_id": "evaluation", "system": {"turn_count": 1}},
                "skills": {"actions skill": {"user_defined": user_defined, "skill_variables": {}}}
            },
            "user_id": "evaluation"
        }
    })
    .to_string()
}

/// One line through the handler: (kept local, cost a call, the source it was sent from).
async fn run<T: shared::translate::Translator>(
    handler: &PreMessage<T>,
    translate: &FakeTranslate,
    text: &str,
    body: &str,
) -> (bool, bool, Option<String>) {
    let before = translate.calls().len();
    let event = FunctionUrlEvent::from_watson(body);
    let (status, reply) = status_and_json(handler.handle(event.request()).await);
    assert_eq!(status, 200, "{reply}");
    let calls = translate.calls();
    let new_calls = &calls[before..];
    let unchanged = reply.pointer("/payload/input/text").and_then(Value::as_str) == Some(text);
    let source = new_calls.first().map(|call| call.source.clone());
    (unchanged && new_calls.is_empty(), !new_calls.is_empty(), source)
}

const DEADLINE: Duration = Duration::from_secs(3);

/// Every line as a first turn, or (`stored`) the foreign lines as a later turn of a session
/// already in their language.
async fn measure(stored: bool) -> BTreeMap<(String, String), Tally> {
    let translate = FakeTranslate::start().await;
    let sample = fixture(SAMPLE);
    let lines: Vec<(&str, &str, &str)> = sample
        .lines()
        .skip(1)
        .map(|line| {
            let mut fields = line.splitn(3, '\t');
            match (fields.next(), fields.next(), fields.next()) {
                (Some(lang), Some(class), Some(text)) => (lang, class, text),
                _ => panic!("malformed line {line:?}"),
            }
        })
        .collect();
    // No warm cache: a word repeated in the sample must cost its call again.
    let handler = config(&[("SUPPORTED_LANGUAGES", ENABLED), ("TRANSLATE_CACHE_ENTRIES", "0")])
        .premessage(translate.translator(DEADLINE));
    let mut results = Vec::new();
    for (lang, class, text) in lines.into_iter().filter(|(lang, ..)| !stored || *lang != "en") {
        let body = if stored && lang != "en" { later_turn(text, lang) } else { first_turn(text) };
        results.push((lang, class, text, run(&handler, &translate, text, &body).await));
    }
    let mut tallies: BTreeMap<(String, String), Tally> = BTreeMap::new();
    for (lang, class, text, (local, sent, source)) in results {
        let tally = tallies.entry((lang.to_owned(), class.to_owned())).or_default();
        tally.total += 1;
        tally.local += usize::from(local);
        tally.sent += usize::from(sent);
        let wrong = source.as_deref().is_some_and(|source| source != "auto" && source != lang);
        tally.wrong_source += usize::from(wrong);
        if lang == "en" && !local && !stored {
            println!("  en {class} sent: {text:?}");
        }
        if lang != "en" && !sent {
            println!("  {lang} {class} kept{}: {text:?}", if stored { " in its session" } else { "" });
        }
    }
    assert!(translate.rejected().is_empty(), "{:?}", translate.rejected());
    tallies
}

fn group(tallies: &BTreeMap<(String, String), Tally>, class: &str, languages: impl Fn(&str) -> bool) -> Tally {
    let mut sum = Tally::default();
    for (_, tally) in tallies.iter().filter(|((lang, c), _)| c == class && languages(lang)) {
        sum.add(*tally);
    }
    sum
}

fn report(tallies: &BTreeMap<(String, String), Tally>) {
    println!("| language | sentences | word pairs | single words |");
    println!("|---|---|---|---|");
    let languages: Vec<&str> = ENABLED.split(',').collect();
    for lang in &languages {
        let cells: Vec<String> = CLASSES
            .iter()
            .map(|class| {
                let tally = tallies.get(&(lang.to_string(), class.to_string())).copied().unwrap_or_default();
                let (count, what) = if *lang == "en" { (tally.local, "local") } else { (tally.sent, "sent") };
                let wrong = if tally.wrong_source > 0 {
                    format!(", {} wrong source", tally.wrong_source)
                } else {
                    String::new()
                };
                format!("{:.1} % {what} ({count}/{}{wrong})", tally.share(count) * 100.0, tally.total)
            })
            .collect();
        println!("| {lang} | {} |", cells.join(" | "));
    }
}

#[tokio::test]
async fn public_test_data_meets_the_targets_on_a_first_turn_and_a_stored_session_helps() {
    let tallies = measure(false).await;
    println!("first turn, nothing known:");
    report(&tallies);
    let english = |class| group(&tallies, class, |lang| lang == "en");
    let foreign = |class| group(&tallies, class, |lang| lang != "en");
    let latin_foreign = group(&tallies, "word", |lang| lang != "en" && LATIN.contains(&lang));
    let other_script = group(&tallies, "word", |lang| !LATIN.contains(&lang));
    let figures = [
        ("English sentences kept local", english("sentence").share(english("sentence").local), 0.99),
        ("English word pairs kept local", english("pair").share(english("pair").local), 0.95),
        ("English single words kept local", english("word").share(english("word").local), 0.90),
        ("foreign sentences sent", foreign("sentence").share(foreign("sentence").sent), 0.995),
        ("foreign word pairs sent", foreign("pair").share(foreign("pair").sent), 0.97),
        ("Latin-script foreign single words sent", latin_foreign.share(latin_foreign.sent), 0.85),
        ("other-script single words sent", other_script.share(other_script.sent), 0.99),
    ];
    let mut missed = Vec::new();
    for (name, value, target) in figures {
        println!("{name}: {:.1} % (target {:.1} %)", value * 100.0, target * 100.0);
        if value < target {
            missed.push(name);
        }
    }
    assert!(missed.is_empty(), "targets missed: {missed:?}");

    // The sticky session language: once a session is in a foreign language, a word the check
    // cannot name, that several languages share, or that it names only weakly, follows it
    // (`decision::decide`). The same foreign lines as a later turn of a session in their
    // language are sent at least as often, and from a wrong source less often.
    let later = measure(true).await;
    println!("later turn, the session's language stored:");
    report(&later);
    let (mut wrong_first, mut wrong_later) = (0, 0);
    for class in CLASSES {
        let (first, later) = (foreign(class), group(&later, class, |lang| lang != "en"));
        println!(
            "{class}: sent {} -> {}, wrong source {} -> {}",
            first.sent, later.sent, first.wrong_source, later.wrong_source
        );
        assert!(later.sent >= first.sent, "{class}");
        assert!(later.wrong_source <= first.wrong_source, "{class}");
        (wrong_first, wrong_later) = (wrong_first + first.wrong_source, wrong_later + later.wrong_source);
    }
    assert!(wrong_later < wrong_first, "the session's language corrects weak guesses: {wrong_first} -> {wrong_later}");
}
