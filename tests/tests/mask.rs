//! Masking personal data (`MASK_PERSONAL_DATA`), through the real entry points: premessage masks a
//! value before Amazon Translate (the fake one, which records what it receives) and the assistant
//! see it; postmessage puts it back into the reply that echoes it; the log webhook stores only the
//! masked form. Corpus: `tests/data/faker-personal-inputs.jsonl` (Python Faker, see
//! tests/data/README.md), 240 personal values in en/es/fr/de sentences and 120 look-alikes.

use std::collections::BTreeMap;
use std::time::Duration;

use logwebhook::{ConfiguredStore, LogWebhook};
use serde::Deserialize;
use serde_json::{Value, json};
use webhook_tests::entry_point::{Handler, UrlEvent, invoke};
use webhook_tests::{FakeTranslate, LogCapture, TempDir, config, fixture, log_settings, watson_authorization};

const DEADLINE: Duration = Duration::from_secs(3);
const MASK_SECRET: &str = "mask-secret-for-tests-0123456789abcdef";
const OTHER_SECRET: &str = "another-mask-secret-0123456789abcdefgh";

#[derive(Debug, Deserialize)]
struct Sample {
    locale: String,
    region: String,
    kind: String,
    format: String,
    value: String,
    text: String,
    #[serde(default)]
    valid: Option<bool>,
}

fn corpus() -> Vec<Sample> {
    let text = fixture("faker-personal-inputs.jsonl");
    text.lines().map(|line| serde_json::from_str(line).expect("a corpus line")).collect()
}

fn mask_variables<'a>(secret: &'a str, region: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("MASK_PERSONAL_DATA", "email,phone,card,iban,ip"), ("MASK_SECRET", secret), ("MASK_PHONE_REGION", region)]
}

fn pre_request(text: &str, session: &str) -> String {
    json!({
        "event": {"name": "message_received"},
        "options": {},
        "payload": {
            "input": {"message_type": "text", "text": text},
            "context": {
                "global": {"system": {"turn_count": 2}, "session_id": session},
                "skills": {"actions skill": {"user_defined": {}, "skill_variables": {}}}
            },
            "user_id": "anonymous_IBMuid-mask"
        }
    })
    .to_string()
}

/// The assistant's reply: it echoes what it received, as a slot confirmation does.
fn post_request(context: &Value, echoed: &str) -> String {
    json!({
        "event": {"name": "message_processed"},
        "options": {},
        "payload": {
            "output": {"generic": [
                {"response_type": "text", "text": format!("You wrote: {echoed}")},
                {"response_type": "option", "title": "Is that right?",
                 "options": [{"label": "Yes", "value": {"input": {"text": "yes"}}}]}
            ]},
            "context": context,
            "user_id": "anonymous_IBMuid-mask"
        }
    })
    .to_string()
}

fn log_event(log_id: &str, pre: &Value, post: &Value) -> String {
    json!({
        "event": {"name": "message_logged"},
        "payload": {
            "log_id": log_id,
            "request_timestamp": "2026-12-02T10:00:05.120Z",
            "request": pre["payload"],
            "response": post["payload"]
        }
    })
    .to_string()
}

async fn send<H: Handler>(handler: &H, body: &str) -> Value {
    let event = UrlEvent::post(body).header("authorization", &watson_authorization());
    let response = invoke(handler, &event).await;
    assert!(matches!(response.status, 200 | 201), "status {}: {}", response.status, response.text());
    response.json()
}

/// Per kind: values, detected as their kind, and (phones) those valid in their numbering plan.
#[derive(Debug, Default)]
struct Tally {
    total: usize,
    detected: usize,
    valid: usize,
    valid_detected: usize,
}

/// One turn of `sample` through premessage, postmessage and the log webhook; returns whether the
/// value was masked. A masked value must reach no Translate call, no premessage output, no
/// context and no stored log line, and must come back in the reply.
async fn one_turn(sample: &Sample, index: usize, translate: &FakeTranslate, log_dir: &TempDir) -> bool {
    let mut variables = mask_variables(MASK_SECRET, &sample.region);
    let log_dir_path = log_dir.path().to_str().unwrap().to_owned();
    let calls_before = translate.calls().len();
    let pre = config(&variables).premessage(translate.translator(DEADLINE));
    let post = config(&variables).postmessage(translate.translator(DEADLINE));
    let session = format!("session-{index}");

    let pre_reply = send(&pre, &pre_request(&sample.text, &session)).await;
    let masked_text = pre_reply["payload"]["input"]["text"].as_str().unwrap_or_default().to_owned();
    let masked = !masked_text.contains(&sample.value) && masked_text.contains(&format!("[{} A]", sample.kind));
    if !masked {
        return false;
    }
    let value = sample.value.as_str();
    let context = &pre_reply["payload"]["context"];
    let post_reply = send(&post, &post_request(context, &masked_text)).await;
    let reply_text = post_reply["payload"]["output"]["generic"][0]["text"].as_str().unwrap_or_default();
    assert!(reply_text.contains(value), "{}: `{value}` did not come back: {reply_text}", sample.locale);

    variables.push(("LOG_DIR", &log_dir_path));
    let settings = log_settings(&variables);
    let log = LogWebhook::new(config(&[]).edge(), settings.clone(), ConfiguredStore::open(&settings).await);
    send(&log, &log_event(&format!("log-{index}"), &pre_reply, &post_reply)).await;

    let calls: Vec<String> = translate.calls()[calls_before..].iter().map(|call| call.text.clone()).collect();
    let context_out = post_reply["payload"]["context"].to_string();
    let places = [
        ("a Translate call", calls.join("\n")),
        ("premessage's output", pre_reply.to_string()),
        ("postmessage's context (original_output, masked_values)", context_out),
    ];
    for (place, haystack) in &places {
        assert!(!haystack.contains(value), "{} `{value}` reached {place}: {haystack}", sample.kind);
    }
    true
}

#[tokio::test]
async fn faker_corpus_masked_before_translate_and_the_assistant_and_put_back_after() {
    let translate = FakeTranslate::start().await;
    let log_dir = TempDir::new("mask-log");
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut false_positives: BTreeMap<String, usize> = BTreeMap::new();
    let mut negatives = 0;
    let mut masked_values = Vec::new();
    let corpus = corpus();
    let digits = |value: &str| value.bytes().filter(u8::is_ascii_digit).count();
    let maestro_12 = corpus.iter().filter(|s| s.kind == "card" && digits(&s.value) == 12).count();
    for (index, sample) in corpus.iter().enumerate() {
        if sample.kind == "none" {
            negatives += 1;
            let pre = config(&mask_variables(MASK_SECRET, &sample.region)).premessage(translate.translator(DEADLINE));
            let reply = send(&pre, &pre_request(&sample.text, &format!("negative-{index}"))).await;
            let text = reply["payload"]["input"]["text"].as_str().unwrap_or_default();
            if let Some(kind) =
                ["email", "phone", "card", "iban", "ip"].iter().find(|k| text.contains(&format!("[{k} ")))
            {
                *false_positives.entry((*kind).to_owned()).or_default() += 1;
                eprintln!("false positive ({kind}, {}): {} → {text}", sample.format, sample.text);
            }
            continue;
        }
        let detected = one_turn(sample, index, &translate, &log_dir).await;
        let key = if sample.kind == "phone" { format!("phone {}", sample.format) } else { sample.kind.clone() };
        let tally = tallies.entry(key).or_default();
        tally.total += 1;
        tally.detected += usize::from(detected);
        if sample.valid == Some(true) {
            tally.valid += 1;
            tally.valid_detected += usize::from(detected);
        }
        if detected {
            masked_values.push(sample.value.clone());
        } else {
            eprintln!("missed ({}, {}, {}): {}", sample.kind, sample.format, sample.locale, sample.text);
        }
    }

    // The log store holds only the masked form.
    let stored: String = log_dir
        .files()
        .iter()
        .map(|file| std::fs::read_to_string(log_dir.path().join(file)).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(log_dir.files().len(), masked_values.len(), "one stored event per masked turn");
    for value in &masked_values {
        assert!(!stored.contains(value.as_str()), "`{value}` reached the log store");
    }

    eprintln!("| kind | detected / total | valid in its plan: detected / valid |");
    for (kind, tally) in &tallies {
        eprintln!("| {kind} | {}/{} | {}/{} |", tally.detected, tally.total, tally.valid_detected, tally.valid);
    }
    eprintln!("false positives on {negatives} look-alikes: {false_positives:?}");

    // Floors at the measured figures (see shared/src/mask/README.md): a regression fails.
    let rate = |kind: &str| tallies.get(kind).map_or(0.0, |t| t.detected as f64 / t.total as f64);
    for kind in ["email", "iban", "ip", "phone intl"] {
        assert_eq!(rate(kind), 1.0, "{kind}: {:?}", tallies.get(kind));
    }
    // Faker's Maestro numbers have 12 digits, below the 13 a card number is read from.
    assert_eq!(tallies["card"].total - tallies["card"].detected, maestro_12, "every card of 13-19 digits");
    let national = &tallies["phone national"];
    assert_eq!(national.valid_detected, national.valid, "every national number valid in its plan: {national:?}");
    assert!(false_positives.is_empty(), "{false_positives:?} on {negatives}");
}

fn session_context(pre_reply: &Value) -> Value {
    pre_reply["payload"]["context"].clone()
}

async fn masked_turn(secret: &str) -> (FakeTranslate, Value) {
    let translate = FakeTranslate::start().await;
    let pre = config(&mask_variables(secret, "FR")).premessage(translate.translator(DEADLINE));
    let reply = send(&pre, &pre_request("Mon adresse est lucie.martin@example.fr merci", "session-x")).await;
    let masked = reply["payload"]["input"]["text"].as_str().unwrap();
    assert!(masked.contains("[email A]") && !reply.to_string().contains("lucie.martin"), "{masked}");
    (translate, reply)
}

/// Reinsertion under `secret` of the turn masked with MASK_SECRET, with `context` as the assistant
/// sends it back: returns the reply text and the warning lines.
async fn reinsert_with(secret: &str, translate: &FakeTranslate, context: &Value) -> (String, Vec<Value>, String) {
    let post = config(&mask_variables(secret, "FR")).postmessage(translate.translator(DEADLINE));
    let (logs, _guard) = LogCapture::start();
    let reply = send(&post, &post_request(context, "[email A]")).await;
    let text = reply["payload"]["output"]["generic"][0]["text"].as_str().unwrap_or_default().to_owned();
    let lines = logs.lines_with_message("masked values could not be put back; their tokens stay in the reply");
    (text, lines, format!("{}{reply}", logs.text()))
}

#[tokio::test]
async fn a_wrong_key_or_a_tampered_value_fails_open_with_one_line() {
    let (translate, pre_reply) = masked_turn(MASK_SECRET).await;
    let context = session_context(&pre_reply);
    let (text, lines, _) = reinsert_with(MASK_SECRET, &translate, &context).await;
    assert!(text.contains("lucie.martin@example.fr") && lines.is_empty(), "{text}");

    let (text, lines, everything) = reinsert_with(OTHER_SECRET, &translate, &context).await;
    assert!(text.contains("[email A]") && !everything.contains("lucie.martin"), "{text}");
    assert_eq!(lines.len(), 1, "one line");
    assert_eq!((lines[0]["level"].as_str(), lines[0]["fields"]["failed"].as_u64()), (Some("WARN"), Some(1)));

    let mut tampered = context.clone();
    let sealed = &mut tampered["skills"]["actions skill"]["user_defined"]["masked_values"]["email A"];
    let mut bytes = sealed.as_str().unwrap().to_owned().into_bytes();
    bytes[20] = if bytes[20] == b'A' { b'B' } else { b'A' };
    *sealed = Value::String(String::from_utf8(bytes).unwrap());
    let (text, lines, everything) = reinsert_with(MASK_SECRET, &translate, &tampered).await;
    assert!(text.contains("[email A]") && !everything.contains("lucie.martin") && lines.len() == 1, "{text}");

    let mut moved = context.clone();
    moved["global"]["session_id"] = json!("another-session");
    let (text, lines, _) = reinsert_with(MASK_SECRET, &translate, &moved).await;
    assert!(text.contains("[email A]") && lines.len() == 1, "a value opens only in its own session: {text}");
}

#[tokio::test]
async fn masking_on_without_a_secret_stops_the_start_naming_the_variable() {
    let variables = [("WEBHOOK_SECRET", "s"), ("MASK_PERSONAL_DATA", "email")];
    let read = premessage::PreMessageSettings::read(&variables[..].into());
    assert!(read.unwrap_err().to_string().starts_with("MASK_SECRET is required"));
    let short = [("MASK_PERSONAL_DATA", "email"), ("MASK_SECRET", "only-31-bytes-long-0123456789ab")];
    let read = postmessage::PostMessageSettings::read(&short[..].into());
    assert!(read.unwrap_err().to_string().starts_with("MASK_SECRET is invalid"));
    let off = [("MASK_SECRET", "")];
    assert!(premessage::PreMessageSettings::read(&off[..].into()).unwrap().mask.is_none(), "off by default");
}
