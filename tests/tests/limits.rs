//! Long and large replies through postmessage's real entry point (function-URL events through
//! lambda_http, the real aws-sdk-translate client, the fake Translate, which refuses a call over
//! 10,000 bytes as the service does): long texts cut into pieces and joined intact, one item
//! failing while the rest translates, the caps, the calls in flight and the reply deadline.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use shared::metrics::MetricsSink;
use shared::translate::MAX_TEXT_BYTES;
use webhook_tests::entry_point::{UrlEvent, assert_nothing_leaks, invoke};
use webhook_tests::{Behaviour, FakeTranslate, LogCapture, config, watson_authorization};

const CALL_DEADLINE: Duration = Duration::from_secs(3);
const MARK: &str = "[en->es] ";

fn post_request(generic: &Value) -> UrlEvent {
    let body = json!({
        "event": {"name": "message_processed"},
        "options": {},
        "payload": {
            "output": {"generic": generic},
            "context": {"skills": {"actions skill": {"user_defined": {"language": "es"}}}},
            "user_id": "anonymous_IBMuid-limits"
        }
    });
    UrlEvent::post(&body.to_string()).header("Authorization", &watson_authorization())
}

fn texts(generic: &[&str]) -> Value {
    Value::Array(generic.iter().map(|text| json!({"response_type": "text", "text": text})).collect())
}

/// The reply's `output.generic` texts, after a 200.
async fn reply_texts(
    post: &postmessage::PostMessage<shared::translate::AmazonTranslate>,
    generic: &Value,
) -> Vec<String> {
    let response = invoke(post, &post_request(generic)).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    body["payload"]["output"]["generic"]
        .as_array()
        .expect("generic")
        .iter()
        .map(|item| item["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A distinct word for `n` in letters only: numbers in a reply become placeholders (templates),
/// so texts that differ only by a number are one text to translate.
fn word(n: usize) -> String {
    let letters = [n / 676 % 26, n / 26 % 26, n % 26];
    letters.iter().map(|&l| char::from(b'a' + l as u8)).collect()
}

fn metric_lines(buffer: &Arc<Mutex<Vec<u8>>>) -> Vec<Value> {
    let text = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
    text.lines().map(|line| serde_json::from_str(line).expect("a metric line is JSON")).collect()
}

/// About `bytes` of generated answer in paragraphs of several sentences, each paragraph numbered
/// and holding a link, an e-mail address, bold words and a code span.
fn long_answer(bytes: usize) -> String {
    let mut text = String::new();
    let mut n = 0;
    while text.len() < bytes {
        text.push_str(&format!(
            "Paragraph {n} explains how the **order service** handles step {n}. Read [the guide for step {n}](https://docs.example.com/guide/{n}?lang=en&part=2) before you call. \
             Write to help{n}@example.com or type `orders show --id {n}` in the console. The answer \
             then lists what changed since your last visit, and what you can do next.\n\n"
        ));
        n += 1;
    }
    text.trim_end().to_owned()
}

/// About `bytes` of Markdown that is mostly links: a conversational-search answer's sources.
fn link_heavy_markdown(bytes: usize) -> String {
    let mut text = String::from("Here are the pages that answer your question:\n\n");
    let mut n = 0;
    while text.len() < bytes {
        text.push_str(&format!(
            "- **Step {n}:** see [Billing guide {n}](https://cloud.example.com/docs/billing/{n}) or \
             https://cloud.example.com/faq/{n} (ticket {n}, 2 min)\n"
        ));
        n += 1;
    }
    text.push_str("\nAsk again if none of these help.");
    text
}

#[tokio::test]
async fn a_50_kb_text_and_a_7_kb_link_heavy_answer_come_back_whole_with_every_piece_in_order() {
    let translate = FakeTranslate::start().await;
    let (sink, metrics) = MetricsSink::buffer();
    let post = config(&[]).with_metrics(sink).postmessage(translate.translator(CALL_DEADLINE));
    let long = long_answer(50_000);
    let links = link_heavy_markdown(7_000);
    let protector = shared::protect::Protector::default();
    assert!(protector.protect(&links).html().len() > MAX_TEXT_BYTES, "the 7 KB answer is over one call as HTML");

    let translated = reply_texts(&post, &texts(&["Here is what I found.", &long, &links])).await;

    assert!(translate.rejected().is_empty(), "{:?}", translate.rejected());
    let calls = translate.calls();
    assert!(calls.iter().all(|call| call.text.len() <= MAX_TEXT_BYTES));
    assert_eq!(translated[0], format!("{MARK}Here is what I found."));
    for (original, translation) in [(&long, &translated[1]), (&links, &translated[2])] {
        let pieces = translation.matches(MARK).count();
        assert!(pieces > 1, "cut into pieces: {pieces}");
        // Each piece came back in its place, and every link, address and code span with it.
        assert_eq!(&translation.replace(MARK, ""), original);
    }
    assert_eq!(calls.len(), 1 + translated[1].matches(MARK).count() + translated[2].matches(MARK).count());
    let line = metric_lines(&metrics).pop().expect("a metric line");
    assert_eq!((line["TextsSplit"].as_u64(), line["TextsBeyondCap"].as_u64()), (Some(2), Some(0)));
    assert_eq!(line["PassThroughAfterFault"], 0);
}

#[tokio::test]
async fn an_item_that_fails_stays_as_it_was_and_the_rest_of_the_reply_is_translated() {
    let translate = FakeTranslate::start().await;
    translate.fail_containing("Nobody can translate this sentence");
    let post = config(&[]).postmessage(translate.translator(CALL_DEADLINE));
    // The failing sentence sits in one piece of a long text: that text stays whole.
    let mut long = long_answer(30_000);
    long.push_str("\n\nNobody can translate this sentence.");
    let generic = texts(&["First answer.", &long, "Also failing: Nobody can translate this sentence.", "Last answer."]);

    let (logs, _guard) = LogCapture::start();
    let translated = reply_texts(&post, &generic).await;

    assert_eq!(translated[0], format!("{MARK}First answer."));
    assert_eq!(translated[1], long, "a text one of whose pieces failed is left whole");
    assert_eq!(translated[2], "Also failing: Nobody can translate this sentence.");
    assert_eq!(translated[3], format!("{MARK}Last answer."));
    let turn =
        logs.lines_with_message("some texts could not be translated and go out as they were; the rest is translated");
    assert_eq!(turn.len(), 1, "one line");
    assert_eq!(turn[0]["fields"]["untranslated_items"], "1,2", "named by position");
    assert_eq!(turn[0]["fields"]["error"], "service_error");
    assert_nothing_leaks(&[("the logs", &logs.text())], &["Nobody can translate", "Paragraph 3", "First answer"]);
}

#[tokio::test]
async fn five_thousand_texts_are_answered_within_the_deadline_with_calls_within_the_cap() {
    let translate = FakeTranslate::start().await;
    translate.set_behaviour(Behaviour::Translate { delay: Duration::from_millis(20) });
    let (sink, metrics) = MetricsSink::buffer();
    let post = config(&[]).with_metrics(sink).postmessage(translate.translator(CALL_DEADLINE));
    let many: Vec<String> = (0..5000).map(|n| format!("Answer {} is ready for you.", word(n))).collect();
    let generic = texts(&many.iter().map(String::as_str).collect::<Vec<_>>());

    let (logs, _guard) = LogCapture::start();
    let started = Instant::now();
    let translated = reply_texts(&post, &generic).await;
    let elapsed = started.elapsed();

    let cap = shared::translate::limits::DEFAULT_MAX_TEXTS_PER_REPLY as usize;
    assert!(translate.calls().len() <= cap, "{} calls", translate.calls().len());
    assert!(translate.most_in_flight() <= shared::translate::limits::DEFAULT_TRANSLATE_CONCURRENCY as usize);
    for (n, (text, original)) in translated.iter().zip(&many).enumerate() {
        if n < cap {
            assert_eq!(*text, format!("{MARK}{original}"), "before the cap: translated");
        } else {
            assert_eq!(text, original, "beyond the cap: as it was");
        }
    }
    let line = metric_lines(&metrics).pop().expect("a metric line");
    assert_eq!(line["TextsBeyondCap"], 5000 - cap as u64);
    let capped = logs.lines_with_message("a translation cap was reached: the texts beyond it go out as they were");
    assert_eq!(capped.len(), 1);
    assert_eq!(capped[0]["fields"]["cap"], "MAX_TEXTS_PER_REPLY");
    // Within the deadline: every text before the cap was done by then (the wall time, printed,
    // also holds the parsing of 5,000 items, which a loaded debug build makes slow).
    assert_eq!(line["TextsPastDeadline"], 0);
    println!("5000 texts: {} calls, answered in {elapsed:?}", translate.calls().len());
}

#[tokio::test]
async fn the_characters_cap_names_its_variable_and_keeps_the_texts_before_it() {
    let translate = FakeTranslate::start().await;
    let post = config(&[("MAX_TRANSLATE_CHARS", "100")]).postmessage(translate.translator(CALL_DEADLINE));
    let forty = ["a".repeat(39) + ".", "b".repeat(39) + ".", "c".repeat(39) + ".", "d".repeat(9) + "."];
    let (logs, _guard) = LogCapture::start();
    let translated = reply_texts(&post, &texts(&forty.iter().map(String::as_str).collect::<Vec<_>>())).await;
    assert_eq!(translated[0], format!("{MARK}{}", forty[0]));
    assert_eq!(translated[1], format!("{MARK}{}", forty[1]));
    assert_eq!(translated[2..], forty[2..], "the third passes the cap; no text after it is sent");
    let capped = logs.lines_with_message("a translation cap was reached: the texts beyond it go out as they were");
    assert_eq!(capped[0]["fields"]["cap"], "MAX_TRANSLATE_CHARS");
    assert_eq!(capped[0]["fields"]["texts_beyond"], 2);
}

#[tokio::test]
async fn calls_in_flight_stay_within_the_limit_and_the_deadline_stops_the_rest() {
    let translate = FakeTranslate::start().await;
    translate.set_behaviour(Behaviour::Translate { delay: Duration::from_millis(100) });
    let (sink, metrics) = MetricsSink::buffer();
    let post = config(&[("TRANSLATE_CONCURRENCY", "3"), ("TRANSLATE_REPLY_DEADLINE_MS", "550")])
        .with_metrics(sink)
        .postmessage(translate.translator(CALL_DEADLINE));
    // 30 calls of 100 ms, 3 at a time, take a second: the deadline comes first.
    let thirty: Vec<String> = (0..30).map(|n| format!("Short reply {}.", word(n))).collect();
    let started = Instant::now();
    let translated = reply_texts(&post, &texts(&thirty.iter().map(String::as_str).collect::<Vec<_>>())).await;
    let elapsed = started.elapsed();
    assert_eq!(translate.most_in_flight(), 3);
    let done = translated.iter().filter(|text| text.starts_with(MARK)).count();
    assert!((3..30).contains(&done), "some rounds done before the deadline, not all: {done}");
    for (text, original) in translated.iter().zip(&thirty) {
        assert!(*text == format!("{MARK}{original}") || text == original, "translated or as it was: {text}");
    }
    // The deadline, not the wall clock, is what the test reads: the texts left are counted past it.
    assert_eq!(metric_lines(&metrics).pop().unwrap()["TextsPastDeadline"], (30 - done) as u64);
    println!("30 calls of 100 ms, 3 at a time, deadline 550 ms: {done} translated, answered in {elapsed:?}");
}
