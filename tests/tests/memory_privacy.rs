//! What the translation memory keeps of personal data: a replay of 60 sessions built from Faker's
//! en/es/fr/de locales (`tests/data/faker-personal-replies.jsonl`, see `tests/data/README.md`)
//! through the real functions, against dynalite with the real aws-sdk-dynamodb client and the fake
//! Translate. Every personalised string varies per session; every fixed reply recurs in every
//! session. After the replay the WHOLE table is scanned and every Faker value checked against
//! every stored attribute.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use postmessage::PostMessage;
use serde_json::{Value, json};
use shared::memory::admission::SIGHTING_PREFIX;
use webhook_tests::entry_point::Handler;
use webhook_tests::local_dynamodb::LocalTable;
use webhook_tests::{FakeTranslate, FunctionUrlEvent, config, fixture, status_and_json};

const DEADLINE: Duration = Duration::from_secs(3);
const MEMORY_DEADLINE: Duration = Duration::from_secs(2);
/// `MEMORY_ADMIT_SESSIONS`' default.
const ADMIT: usize = 5;

/// The assistant's fixed replies: the same in every session.
const FIXED: [&str; 4] =
    ["How can I help you today?", "Main menu", "Is there anything else I can help with?", "Talk to an agent"];

type Item = HashMap<String, AttributeValue>;

fn corpus() -> Vec<Value> {
    fixture("faker-personal-replies.jsonl").lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

fn session_id(session: &Value) -> String {
    format!("faker-session-{}", session["session"])
}

/// The session's context as the assistant sends it: its variables in the actions skill, the
/// caller's number in the SMS integration, the session's language where premessage keeps it.
fn context(session: &Value) -> Value {
    let mut user_defined = session["context"]["user_defined"].clone();
    user_defined["language"] = session["language"].clone();
    json!({
        "global": {"session_id": session_id(session), "system": {"turn_count": 2}},
        "skills": {"actions skill": {
            "user_defined": user_defined,
            "skill_variables": session["context"]["skill_variables"],
        }},
        "integrations": {"text_messaging": {"private": {"user_phone_number": session["context"]["phone"]}}},
    })
}

fn reply_request(session: &Value, texts: &[&str]) -> String {
    let mut request: Value = serde_json::from_str(&fixture("capture-post-message-request-dialog.json")).unwrap();
    request["payload"]["context"] = context(session);
    request["payload"]["output"]["generic"] =
        Value::Array(texts.iter().map(|text| json!({"response_type": "text", "text": text})).collect());
    request.to_string()
}

async fn serve(post: &PostMessage<shared::translate::AmazonTranslate>, body: &str) -> Value {
    let (status, reply) = status_and_json(post.handle(FunctionUrlEvent::from_watson(body).request()).await);
    assert_eq!(status, 200, "{reply}");
    reply
}

/// Every per-user string of the corpus: each value, each input, each reply that quotes one.
fn personal_values(corpus: &[Value]) -> Vec<String> {
    let mut values = Vec::new();
    for session in corpus {
        values.extend(session["values"].as_object().unwrap().values().map(|v| v.as_str().unwrap().to_owned()));
        values.extend(session["inputs"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()));
    }
    values.sort();
    values.dedup();
    values
}

/// Sighting items hold hashes only: an id of the prefix and 64 hex digits, a set of 32-hex-digit
/// session hashes, an expiry. Checked for shape, since a hash cannot hold a value.
fn check_sighting(item: &Item) {
    let hex = |text: &str, length: usize| text.len() == length && text.chars().all(|c| c.is_ascii_hexdigit());
    let id = item["id"].as_s().unwrap();
    assert!(hex(&id[SIGHTING_PREFIX.len()..], 64), "{id}");
    let mut names: Vec<&str> = item.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["expires_at", "id", "sessions"]);
    assert!(item["sessions"].as_ss().unwrap().iter().all(|session| hex(session, 32)));
    assert!(item["expires_at"].as_n().is_ok());
}

/// Every string an entry holds (but its id, a SHA-256 in hex, checked for shape).
fn entry_strings(item: &Item) -> Vec<&str> {
    let id = item["id"].as_s().unwrap();
    assert!(id.len() == 64 && id.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
    let mut strings = Vec::new();
    for (name, value) in item {
        match value {
            AttributeValue::S(text) if name != "id" => strings.push(text.as_str()),
            AttributeValue::Ss(set) => strings.extend(set.iter().map(String::as_str)),
            AttributeValue::S(_) | AttributeValue::N(_) | AttributeValue::Bool(_) => {}
            other => panic!("unexpected attribute {name}: {other:?}"),
        }
    }
    strings
}

/// (entries, sighting items) of a full scan; every personal value checked against every entry's
/// strings: the number of (value, string) pairs checked, and the values found.
fn scan_for_values(items: &[Item], values: &[String]) -> (usize, usize, usize, Vec<String>) {
    let (sightings, entries): (Vec<&Item>, Vec<&Item>) =
        items.iter().partition(|item| item["id"].as_s().unwrap().starts_with(SIGHTING_PREFIX));
    sightings.iter().for_each(|item| check_sighting(item));
    let mut checked = 0;
    let mut found = Vec::new();
    for entry in &entries {
        for text in entry_strings(entry) {
            for value in values {
                checked += 1;
                if text.contains(value.as_str()) {
                    found.push(format!("{value:?} in {text:?}"));
                }
            }
        }
    }
    (entries.len(), sightings.len(), checked, found)
}

fn stored(items: &[Item], text: &str, target: &str) -> bool {
    items.iter().any(|item| {
        item.get("text").and_then(|t| t.as_s().ok()).is_some_and(|t| t == text)
            && item.get("target").and_then(|t| t.as_s().ok()).is_some_and(|t| t == target)
    })
}

#[tokio::test]
async fn a_replay_of_personalised_sessions_stores_no_personal_value_and_fixed_replies_only_after_the_threshold() {
    let corpus = corpus();
    let table = LocalTable::create().await;
    let translate = FakeTranslate::start().await;
    // Two instances, the sessions dealt to them in turn: sightings count across instances.
    let instance = || {
        config(&[])
            .with_memory(Arc::new(table.memory(MEMORY_DEADLINE)))
            .with_metrics(shared::metrics::MetricsSink::buffer().0)
            .postmessage(translate.translator(DEADLINE))
    };
    let instances = [instance(), instance()];
    let mut sessions_per_language: HashMap<String, usize> = HashMap::new();
    for (n, session) in corpus.iter().enumerate() {
        let post = &instances[n % 2];
        let replies: Vec<&str> = session["replies"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
        let mut first: Vec<&str> = FIXED.to_vec();
        first.extend(&replies[..2]);
        let mut second: Vec<&str> = replies[2..].to_vec();
        second.extend(&FIXED[1..]);
        let out = serve(post, &reply_request(session, &first)).await;
        // Each value is back in place, in the translated reply.
        let name_reply = out["payload"]["output"]["generic"][4]["text"].as_str().unwrap();
        assert!(name_reply.starts_with("[en->"), "{name_reply}");
        assert!(!name_reply.contains('{'), "no placeholder left: {name_reply}");
        serve(post, &reply_request(session, &second)).await;

        let language = session["language"].as_str().unwrap().to_owned();
        let seen = sessions_per_language.entry(language.clone()).or_default();
        *seen += 1;
        let items = table.scan().await;
        for text in FIXED {
            assert_eq!(
                stored(&items, text, &language),
                *seen >= ADMIT,
                "{text:?} in {language} after {seen} sessions: stored only from the {ADMIT}th session on"
            );
        }
    }

    let items = table.scan().await;
    let values = personal_values(&corpus);
    let (entries, sightings, checked, found) = scan_for_values(&items, &values);
    eprintln!(
        "{} sessions, {} personal values: {} items ({entries} entries, {sightings} sighting items), \
         {checked} (value, stored string) pairs checked, personal values found: {}",
        corpus.len(),
        values.len(),
        items.len(),
        found.len()
    );
    assert!(found.is_empty(), "{found:#?}");
    eprintln!("per kind: distinct values in the corpus, and how many the table holds");
    for kind in corpus[0]["values"].as_object().unwrap().keys() {
        let mut kind_values: Vec<String> =
            corpus.iter().map(|session| session["values"][kind].as_str().unwrap().to_owned()).collect();
        kind_values.sort();
        kind_values.dedup();
        let (_, _, _, kept) = scan_for_values(&items, &kind_values);
        eprintln!("  {kind}: {} values, {} stored", kind_values.len(), kept.len());
    }
    // Templates recur across sessions, so they are admitted too; the quotes of the users never.
    let texts: Vec<&str> =
        items.iter().filter_map(|item| item.get("text")).map(|t| t.as_s().unwrap().as_str()).collect();
    let templates: Vec<&&str> = texts.iter().filter(|text| text.contains("{1}")).collect();
    eprintln!("personalised templates stored: {}, e.g. {:?}", templates.len(), templates.first());
    assert!(texts.contains(&"Hi, {1}!"), "{texts:?}");
    // A reply quoting the user is kept only as the template many sessions share, its values out.
    let quotes = texts.iter().filter(|text| text.starts_with("I didn't understand")).count();
    eprintln!("quoting replies stored (as templates): {quotes}");
    // No value ever reached Amazon Translate either.
    let sent: Vec<String> = translate.calls().into_iter().map(|call| call.text).collect();
    let leaked: Vec<&String> =
        values.iter().filter(|value| sent.iter().any(|text| text.contains(value.as_str()))).collect();
    eprintln!("Translate calls: {}, personal values in them: {}", sent.len(), leaked.len());
    assert!(leaked.is_empty(), "a value reached Translate: {leaked:?}");
}

fn input_request(session: &Value, text: &str) -> String {
    let mut request: Value =
        serde_json::from_str(&fixture("constructed-pre-message-request-actions-spanish.json")).unwrap();
    request["payload"]["input"]["text"] = json!(text);
    request["payload"]["context"] = context(session);
    request.to_string()
}

#[tokio::test]
async fn premessage_stores_nothing_users_write_unless_opted_in_and_then_no_personal_value() {
    let corpus = corpus();
    let values = personal_values(&corpus);
    for (opt_in, expect_entries) in [("off", false), ("on", true)] {
        let table = LocalTable::create().await;
        let translate = FakeTranslate::start().await;
        let pre = config(&[("TRANSLATION_MEMORY_INPUTS", opt_in)])
            .with_memory(Arc::new(table.memory(MEMORY_DEADLINE)))
            .with_metrics(shared::metrics::MetricsSink::buffer().0)
            .premessage(translate.translator(DEADLINE));
        for session in &corpus {
            for input in session["inputs"].as_array().unwrap() {
                let body = input_request(session, input.as_str().unwrap());
                let (status, reply) = status_and_json(pre.handle(FunctionUrlEvent::from_watson(&body).request()).await);
                assert_eq!(status, 200, "{reply}");
            }
        }
        let items = table.scan().await;
        let (entries, sightings, checked, found) = scan_for_values(&items, &values);
        eprintln!(
            "premessage, TRANSLATION_MEMORY_INPUTS={opt_in}: {} inputs, {entries} entries, {sightings} sighting items, \
             {checked} pairs checked, personal values found: {}",
            corpus.len() * 2,
            found.len()
        );
        assert!(found.is_empty(), "{found:#?}");
        if !expect_entries {
            assert!(items.is_empty(), "off: nothing at all, not even a sighting");
        }
    }
}

#[tokio::test]
async fn dialog_translates_what_users_wrote_and_never_writes_it() {
    let corpus = corpus();
    let table = LocalTable::create().await;
    let translate = FakeTranslate::start().await;
    let dialog = config(&[("WEBHOOK_AUTH", "none"), ("MEMORY_ADMIT_SESSIONS", "1")])
        .with_memory(Arc::new(table.memory(MEMORY_DEADLINE)))
        .with_metrics(shared::metrics::MetricsSink::buffer().0)
        .dialog(translate.translator(DEADLINE));
    for session in &corpus {
        // As a dialog node sends `<? input.text ?>`, in Language Translator's shape.
        let language = session["language"].as_str().unwrap();
        let body = json!({"model_id": format!("{language}-en"), "text": session["inputs"]}).to_string();
        let (status, reply) = status_and_json(dialog.handle(FunctionUrlEvent::post(&body).request()).await);
        assert_eq!(status, 200, "{reply}");
        let body = json!({"action": "translate", "text": session["inputs"][0], "target": "es"}).to_string();
        let (status, reply) = status_and_json(dialog.handle(FunctionUrlEvent::post(&body).request()).await);
        assert_eq!(status, 200, "{reply}");
    }
    assert!(table.scan().await.is_empty(), "dialog never writes, even with MEMORY_ADMIT_SESSIONS=1");
    assert!(!translate.calls().is_empty());
}
