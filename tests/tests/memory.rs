//! The translation memory against a real DynamoDB-protocol server (dynalite, started by the tests)
//! through the real aws-sdk-dynamodb client, and the real Translate client against the fake one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use postmessage::PostMessage;
use serde_json::{Value, json};
use shared::aws::Endpoint;
use shared::memory::{DynamoMemory, MemoryEntry, entry_id, item};
use shared::metrics::MetricsSink;
use shared::translate::Translator;
use webhook_tests::entry_point::Handler;
use webhook_tests::local_dynamodb::{Breakage, DynamoSpy, LocalTable, SpyMode, broken_endpoint};
use webhook_tests::{FakeTranslate, FunctionUrlEvent, LogCapture, config, fixture, status_and_json};

const DEADLINE: Duration = Duration::from_secs(3);
/// The memory's deadline against dynalite: generous, since a Node.js server on a loaded 2-core
/// machine can take more than production's 300 ms, and a missed read or write there would make a
/// test about something else fail. The fault test uses production's default.
const MEMORY_DEADLINE: Duration = Duration::from_secs(2);
const FAULT_DEADLINE: Duration = Duration::from_millis(300);

fn reply_with(texts: &[&str]) -> String {
    let mut request: Value = serde_json::from_str(&fixture("capture-post-message-request-dialog.json")).unwrap();
    request["payload"]["output"]["generic"] =
        Value::Array(texts.iter().map(|text| json!({"response_type": "text", "text": text})).collect());
    request.to_string()
}

const REPLY: [&str; 6] =
    ["Hello! How can I help?", "Main menu", "Orders", "Returns", "Talk to an agent", "Anything else?"];

/// These tests are about the memory's mechanics, not admission (`memory_privacy.rs`): each
/// translation is admitted at once, as `MEMORY_ADMIT_SESSIONS=1` does.
const AT_ONCE: (&str, &str) = ("MEMORY_ADMIT_SESSIONS", "1");

fn post(
    overrides: &[(&str, &str)],
    translate: &FakeTranslate,
    memory: DynamoMemory,
) -> (PostMessage<shared::translate::AmazonTranslate>, Arc<Mutex<Vec<u8>>>) {
    let (sink, lines) = MetricsSink::buffer();
    let mut variables = vec![AT_ONCE];
    variables.extend_from_slice(overrides);
    let config = config(&variables);
    // As production builds it: the settings go with every call.
    let engine = config.engine(translate);
    let post = config.with_memory(Arc::new(memory)).with_metrics(sink).postmessage(engine);
    (post, lines)
}

async fn texts_out(post: &PostMessage<shared::translate::AmazonTranslate>, texts: &[&str]) -> Vec<String> {
    let (status, reply) =
        status_and_json(post.handle(FunctionUrlEvent::from_watson(&reply_with(texts)).request()).await);
    assert_eq!(status, 200, "{reply}");
    reply["payload"]["output"]["generic"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn last_metrics(lines: &Arc<Mutex<Vec<u8>>>) -> Value {
    let text = String::from_utf8(lines.lock().unwrap().clone()).unwrap();
    serde_json::from_str(text.lines().last().expect("a metric line")).unwrap()
}

fn stored_texts(items: &[HashMap<String, AttributeValue>]) -> Vec<String> {
    let mut texts: Vec<String> = items.iter().map(|item| item["text"].as_s().cloned().unwrap_or_default()).collect();
    texts.sort();
    texts
}

#[tokio::test]
async fn a_reply_translated_by_one_instance_is_served_to_a_fresh_one_with_no_translate_call() {
    let table = LocalTable::create().await;
    let translate = FakeTranslate::start().await;
    let (first, _) = post(&[], &translate, table.memory(MEMORY_DEADLINE));
    let translated = texts_out(&first, &REPLY).await;
    assert_eq!(translate.calls().len(), 6);
    let items = table.scan().await;
    assert_eq!(items.len(), 6, "every new machine translation written before the answer");
    for item in &items {
        assert!(item["expires_at"].as_n().is_ok(), "machine entries expire");
        assert_eq!(item["reviewed"].as_bool(), Ok(&false));
    }

    // A cold start: a new instance, its own empty cache and a memory client not built yet.
    let memory = table.memory(MEMORY_DEADLINE);
    let (fresh, lines) = post(&[], &translate, memory);
    let started = Instant::now();
    assert_eq!(texts_out(&fresh, &REPLY).await, translated);
    let elapsed = started.elapsed();
    assert_eq!(translate.calls().len(), 6, "0 Translate calls on the fresh instance");
    let metrics = last_metrics(&lines);
    assert_eq!(
        (metrics["MemoryHits"].as_u64(), metrics["MemoryMisses"].as_u64(), metrics["TranslatedCharacters"].as_u64()),
        (Some(6), Some(0), Some(0))
    );
    eprintln!("six-item reply from the memory on a cold instance: {elapsed:?} (client built on this turn)");
    // Warm now: the same reply again comes from the instance's cache, no memory round trip.
    texts_out(&fresh, &REPLY).await;
    let metrics = last_metrics(&lines);
    assert_eq!((metrics["CacheHits"].as_u64(), metrics["MemoryHits"].as_u64()), (Some(6), Some(0)));
}

#[tokio::test]
async fn a_user_s_message_goes_into_the_memory_only_when_the_operator_opted_in() {
    for (opt_in, expected) in [(None, 0), (Some("off"), 0), (Some("on"), 1)] {
        let table = LocalTable::create().await;
        let translate = FakeTranslate::start().await;
        translate.phrase("¿Dónde está mi pedido?", "en", "Where is my order?");
        let mut overrides = vec![AT_ONCE];
        overrides.extend(opt_in.map(|value| ("TRANSLATION_MEMORY_INPUTS", value)));
        let pre = config(&overrides)
            .with_memory(Arc::new(table.memory(MEMORY_DEADLINE)))
            .premessage(translate.translator(DEADLINE));
        let mut request: Value =
            serde_json::from_str(&fixture("constructed-pre-message-request-actions-spanish.json")).unwrap();
        request["payload"]["context"]["skills"]["actions skill"]["user_defined"] = json!({});
        let (status, reply) =
            status_and_json(pre.handle(FunctionUrlEvent::from_watson(&request.to_string()).request()).await);
        assert_eq!(status, 200);
        assert_eq!(reply["payload"]["input"]["text"], "Where is my order?");
        assert_eq!(table.scan().await.len(), expected, "TRANSLATION_MEMORY_INPUTS={opt_in:?}");
    }
}

#[tokio::test]
async fn an_address_a_phone_number_or_an_order_id_is_stored_only_as_a_placeholder() {
    let table = LocalTable::create().await;
    let translate = FakeTranslate::start().await;
    let (post, _) = post(&[], &translate, table.memory(MEMORY_DEADLINE));
    let personal = [
        "We sent the receipt to jane.doe@example.com.",
        "Call us on +1 (555) 010-9999.",
        "Your order A12B9 has shipped.",
        "Your verification code is 482913.",
    ];
    let mut texts = personal.to_vec();
    texts.push("Main menu");
    let out = texts_out(&post, &texts).await;
    assert!(out.iter().all(|text| text.starts_with("[en->es]")), "all translated: {out:?}");
    assert_eq!(out[0], "[en->es] We sent the receipt to jane.doe@example.com.", "the value put back");
    assert_eq!(
        stored_texts(&table.scan().await),
        [
            "Call us on +{1} ({2}) {3}.",
            "Main menu",
            "We sent the receipt to {1}.",
            "Your order {1} has shipped.",
            "Your verification code is {1}."
        ]
    );
    for value in ["jane.doe", "555", "010-9999", "A12B9", "482913"] {
        assert!(!format!("{:?}", table.scan().await).contains(value), "{value} stored");
    }
    // Another user's order: the same template, from the warm cache, no call.
    texts_out(&post, &["Your order ZX-778 has shipped."]).await;
    assert_eq!(translate.calls().len(), 5);
}

#[tokio::test]
async fn a_reviewed_entry_wins_and_never_expires_while_an_expired_machine_entry_is_a_miss() {
    let table = LocalTable::create().await;
    let translate = FakeTranslate::start().await;
    let (first, _) = post(&[], &translate, table.memory(MEMORY_DEADLINE));
    texts_out(&first, &REPLY[..2]).await;
    assert_eq!(translate.calls().len(), 2);

    // An operator's import marks the greeting reviewed; the menu's machine entry is past its expiry
    // but not yet deleted (DynamoDB's TTL deletes lazily).
    let mut items = table.scan().await;
    items.sort_by_key(|item| item["text"].as_s().cloned().unwrap_or_default());
    let (greeting, menu) = (items[0].clone(), items[1].clone());
    assert_eq!(greeting["text"].as_s().unwrap(), REPLY[0]);
    let mut reviewed = greeting.clone();
    reviewed.insert("translation".into(), AttributeValue::S("¡Hola! ¿En qué puedo ayudarle?".into()));
    reviewed.insert("reviewed".into(), AttributeValue::Bool(true));
    reviewed.remove("expires_at");
    table.put(reviewed).await;
    let mut expired = menu.clone();
    expired.insert("expires_at".into(), AttributeValue::N("1".into()));
    table.put(expired).await;

    let (fresh, lines) = post(&[], &translate, table.memory(MEMORY_DEADLINE));
    let out = texts_out(&fresh, &REPLY[..2]).await;
    assert_eq!(out[0], "¡Hola! ¿En qué puedo ayudarle?");
    assert_eq!(translate.calls().len(), 3, "only the expired menu entry is translated again");
    let metrics = last_metrics(&lines);
    assert_eq!(
        (metrics["MemoryHits"].as_u64(), metrics["ReviewedHits"].as_u64(), metrics["MemoryMisses"].as_u64()),
        (Some(1), Some(1), Some(1))
    );
    // The new machine translation of the menu did not touch the reviewed entry.
    let items = table.scan().await;
    let greeting = items.iter().find(|item| item["text"].as_s().unwrap() == REPLY[0]).unwrap();
    assert_eq!(greeting["reviewed"].as_bool(), Ok(&true));
    assert!(!greeting.contains_key("expires_at"));
}

#[tokio::test]
async fn a_change_of_settings_terminology_or_protected_terms_is_a_miss() {
    let table = LocalTable::create().await;
    let translate = FakeTranslate::start().await;
    let (first, _) = post(&[], &translate, table.memory(MEMORY_DEADLINE));
    texts_out(&first, &REPLY[..2]).await;
    let mut expected = 2;
    for overrides in [
        vec![("TRANSLATE_TERMINOLOGY", "brand-terms")],
        vec![("TRANSLATE_FORMALITY", "formal")],
        vec![("TRANSLATE_PROFANITY", "mask")],
        vec![("PROTECTED_TERMS", "Main menu")],
    ] {
        let (fresh, _) = post(&overrides, &translate, table.memory(MEMORY_DEADLINE));
        texts_out(&fresh, &REPLY[..2]).await;
        // "Main menu" protected whole needs no call at all; the greeting does.
        expected += if overrides[0].0 == "PROTECTED_TERMS" { 1 } else { 2 };
        assert_eq!(translate.calls().len(), expected, "{overrides:?} must not reuse the entries");
    }
    // And the unchanged settings still hit.
    let (same, _) = post(&[], &translate, table.memory(MEMORY_DEADLINE));
    texts_out(&same, &REPLY[..2]).await;
    assert_eq!(translate.calls().len(), expected);
}

#[tokio::test]
async fn a_memory_down_throttled_hung_or_answering_garbage_leaves_the_turn_translated_in_time() {
    for breakage in [Breakage::Down, Breakage::Throttled, Breakage::Hung, Breakage::Garbage] {
        let endpoint = broken_endpoint(breakage).await;
        let translate = FakeTranslate::start().await;
        let memory = DynamoMemory::new("translations", FAULT_DEADLINE, 30, Endpoint::Local(endpoint));
        let (post, lines) = post(&[], &translate, memory);
        let (logs, _guard) = LogCapture::start();
        let out = texts_out(&post, &REPLY).await;
        assert!(out.iter().all(|text| text.starts_with("[en->es]")), "{breakage:?}: {out:?}");
        assert_eq!(translate.calls().len(), 6, "{breakage:?}");
        let warnings = logs.lines_with_message("translation memory unavailable: treated as a miss");
        assert_eq!(warnings.len(), 1, "{breakage:?}: said once\n{}", logs.text());
        assert_eq!(warnings[0]["level"], "WARN");
        for text in REPLY {
            assert!(!logs.text().contains(text), "{breakage:?}: no user text in the log");
        }
        assert!(
            logs.lines_with_message("translation memory unavailable: not stored").is_empty(),
            "no write after a failed read"
        );
        let metrics = last_metrics(&lines);
        assert_eq!((metrics["MemoryMisses"].as_u64(), metrics["PassThroughAfterFault"].as_u64()), (Some(6), Some(0)));
    }
}

#[tokio::test]
async fn a_reply_beyond_dynamodb_s_batch_limits_is_split() {
    let table = LocalTable::create().await;
    let translate = FakeTranslate::start().await;
    let texts: Vec<String> = (0..130).map(|n| format!("Topic number {} of the help menu", words(n))).collect();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    // 130 conditional PutItems (BatchWriteItem takes no condition), 25 at a time: a generous
    // deadline, since dynalite on a loaded machine is far slower than DynamoDB.
    // 130 Translate calls at once too: a long Translate deadline, so a loaded machine cannot make
    // one time out (a timed-out text is not stored, and the counts below would be off).
    let slow_machine = [("TRANSLATE_TIMEOUT_MS", "20000")];
    let (first, _) = post(&slow_machine, &translate, table.memory(Duration::from_secs(10)));
    texts_out(&first, &texts).await;
    assert_eq!(translate.calls().len(), 130);
    assert_eq!(table.scan().await.len(), 130, "every new translation written");
    let (fresh, lines) = post(&[], &translate, table.memory(Duration::from_secs(2)));
    texts_out(&fresh, &texts).await;
    assert_eq!(translate.calls().len(), 130, "130 keys read back, in batches of at most 100");
    assert_eq!(last_metrics(&lines)["MemoryHits"].as_u64(), Some(130));
}

/// Numbers spelled out, so that the texts are distinct and hold no digits (which stay out).
fn words(n: usize) -> String {
    const ONES: [&str; 10] = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
    format!("{} {} {}", ONES[n / 100], ONES[(n / 10) % 10], ONES[n % 10])
}

#[tokio::test]
async fn the_memory_works_through_the_pipeline_for_a_single_text_too() {
    // dialog's `translate` action and pre-message go through `translate`, one text at a time.
    let table = LocalTable::create().await;
    let translate = FakeTranslate::start().await;
    let memory = Arc::new(table.memory(MEMORY_DEADLINE));
    let pipeline = shared::translate::TranslationPipeline::new(
        translate.translator(DEADLINE),
        10,
        shared::protect::Protector::default(),
    )
    .with_memory(memory.clone());
    let es = shared::translate::SourceLanguage::Code("es".into());
    let first = pipeline.translate("Buenos días", &es, "en").await.unwrap();
    let id = entry_id("Buenos días", "es", "en", &pipeline.settings_key("en"));
    let items = table.scan().await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"].as_s().unwrap(), &id);
    let fresh = shared::translate::TranslationPipeline::new(
        translate.translator(DEADLINE),
        10,
        shared::protect::Protector::default(),
    )
    .with_memory(memory);
    assert_eq!(fresh.translate("Buenos días", &es, "en").await.unwrap(), first);
    assert_eq!(translate.calls().len(), 1);
    // The stored item is what `item` writes.
    let entry = MemoryEntry {
        id,
        text: "Buenos días".into(),
        source: "es".into(),
        target: "en".into(),
        translation: first.text,
        detected: "es".into(),
        uses: 1,
        reviewed: false,
        authored: false,
    };
    let mut expected = item(&entry, 0);
    expected.remove("expires_at");
    let mut stored = items[0].clone();
    stored.remove("expires_at");
    assert_eq!(stored, expected);
}

/// Counts the round trips to the memory it wraps.
struct Counting {
    inner: DynamoMemory,
    gets: std::sync::atomic::AtomicUsize,
    puts: std::sync::atomic::AtomicUsize,
}

impl shared::memory::TranslationMemory for Counting {
    fn get_many<'a>(
        &'a self,
        ids: &'a [String],
    ) -> futures::future::BoxFuture<'a, Result<Vec<MemoryEntry>, shared::memory::MemoryError>> {
        self.gets.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.get_many(ids)
    }
    fn put_many<'a>(
        &'a self,
        entries: &'a [MemoryEntry],
    ) -> futures::future::BoxFuture<'a, Result<(), shared::memory::MemoryError>> {
        self.puts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.put_many(entries)
    }
}

#[tokio::test]
async fn a_reply_costs_one_memory_read_and_one_write_and_an_english_turn_none() {
    let table = LocalTable::create().await;
    let translate = FakeTranslate::start().await;
    let counting = |memory| {
        Arc::new(Counting {
            inner: memory,
            gets: std::sync::atomic::AtomicUsize::new(0),
            puts: std::sync::atomic::AtomicUsize::new(0),
        })
    };
    let first_memory = counting(table.memory(MEMORY_DEADLINE));
    let first = config(&[AT_ONCE])
        .with_memory(first_memory.clone())
        .with_metrics(MetricsSink::buffer().0)
        .postmessage(translate.translator(DEADLINE));
    texts_out(&first, &REPLY).await;
    let count = |memory: &Counting| {
        (memory.gets.load(std::sync::atomic::Ordering::SeqCst), memory.puts.load(std::sync::atomic::Ordering::SeqCst))
    };
    assert_eq!(count(&first_memory), (1, 1), "one BatchGetItem for six misses, one BatchWriteItem");

    let fresh_memory = counting(table.memory(MEMORY_DEADLINE));
    let fresh = config(&[AT_ONCE])
        .with_memory(fresh_memory.clone())
        .with_metrics(MetricsSink::buffer().0)
        .postmessage(translate.translator(DEADLINE));
    texts_out(&fresh, &REPLY).await;
    assert_eq!(count(&fresh_memory), (1, 0), "all six from one read; nothing new to write");

    // A reply to an English user: no translation, so not a single memory read or write.
    let idle = counting(table.memory(MEMORY_DEADLINE));
    let post = config(&[AT_ONCE])
        .with_memory(idle.clone())
        .with_metrics(MetricsSink::buffer().0)
        .postmessage(translate.translator(DEADLINE));
    let mut request: Value = serde_json::from_str(&reply_with(&REPLY)).unwrap();
    request["payload"]["context"]["skills"]["main skill"]["user_defined"]["language"] = json!("en");
    let (status, _) = status_and_json(post.handle(FunctionUrlEvent::from_watson(&request.to_string()).request()).await);
    assert_eq!(status, 200);
    assert_eq!(count(&idle), (0, 0), "an assistant-language turn never asks the memory");
}

fn text_of(item: &HashMap<String, AttributeValue>) -> &str {
    item["text"].as_s().map(String::as_str).unwrap_or_default()
}

#[tokio::test]
async fn uses_count_every_serving_of_a_stored_translation_and_ride_along_with_the_next_read() {
    let table = LocalTable::create().await;
    let translate = FakeTranslate::start().await;
    let (first, _) = post(&[], &translate, table.memory(MEMORY_DEADLINE));
    texts_out(&first, &REPLY[..3]).await;
    assert!(table.scan().await.iter().all(|item| item["uses"].as_n() == Ok(&"1".to_owned())), "written as 1 use");

    // A fresh instance whose every request to the memory goes through a counting spy.
    let spy = DynamoSpy::start(SpyMode::Forward(table.endpoint.clone())).await;
    let (warm, _) = post(&[], &translate, spy.memory(&table.name, MEMORY_DEADLINE));
    texts_out(&warm, &REPLY[..3]).await; // 3 memory hits
    texts_out(&warm, &REPLY[..1]).await; // the greeting twice more, from the warm cache
    texts_out(&warm, &REPLY[..1]).await;
    assert_eq!(spy.count("BatchGetItem"), 1);
    assert_eq!(spy.count("UpdateItem"), 0, "counting costs the warm turns no round trip");
    assert_eq!(warm.translator().pending_uses(), 3);

    // The menu's entry is purged meanwhile: its count must not create a half item.
    let menu = entry_id(REPLY[2], "en", "es", &warm.translator().settings_key("es"));
    table.delete(&menu).await;
    // The next turn that reads the memory takes the counts along: 3 UpdateItems beside its read.
    texts_out(&warm, &REPLY[3..4]).await;
    assert_eq!((spy.count("BatchGetItem"), spy.count("UpdateItem")), (2, 3), "{:?}", spy.counts());
    assert_eq!(warm.translator().pending_uses(), 0);
    let items = table.scan().await;
    assert!(items.iter().all(|item| item["id"].as_s().unwrap() != &menu), "no half item for a purged entry");
    let uses: HashMap<&str, &str> =
        items.iter().map(|item| (text_of(item), item["uses"].as_n().unwrap().as_str())).collect();
    assert_eq!(
        uses,
        HashMap::from([(REPLY[0], "4"), (REPLY[1], "2"), (REPLY[3], "1")]),
        "written 1 + a memory hit + two warm hits; 1 + a memory hit; just written"
    );

    // The review export lists them most used first.
    let client = webhooks_cli::translations::client(Some(&table.endpoint)).await;
    let csv = webhooks_cli::translations::export(&client, &table.name, 10, Some("es")).await.unwrap();
    let rows = webhooks_cli::csv::read(&csv).unwrap();
    let order: Vec<(&str, &str)> = rows[1..].iter().map(|row| (row[0].as_str(), row[3].as_str())).collect();
    assert_eq!(order, [(REPLY[0], "4"), (REPLY[1], "2"), (REPLY[3], "1")]);
}

#[tokio::test]
async fn use_counts_that_waited_long_enough_go_on_their_own_when_no_read_takes_them() {
    let table = LocalTable::create().await;
    let translate = FakeTranslate::start().await;
    let (first, _) = post(&[], &translate, table.memory(MEMORY_DEADLINE));
    texts_out(&first, &REPLY[..2]).await;
    // Refresh 0: machine entries are re-read on every use, and counts are due at once.
    let spy = DynamoSpy::start(SpyMode::Forward(table.endpoint.clone())).await;
    let overrides = [("TRANSLATION_MEMORY_REFRESH_SECONDS", "0")];
    let (eager, _) = post(&overrides, &translate, spy.memory(&table.name, MEMORY_DEADLINE));
    texts_out(&eager, &REPLY[..2]).await;
    texts_out(&eager, &REPLY[..2]).await;
    assert_eq!((spy.count("BatchGetItem"), spy.count("UpdateItem")), (2, 2), "the counts went with the re-read");

    // Both reviewed now: the next turn picks them up, and after that none is ever re-read...
    for mut item in table.scan().await {
        item.insert("reviewed".into(), AttributeValue::Bool(true));
        item.remove("expires_at");
        table.put(item).await;
    }
    texts_out(&eager, &REPLY[..2]).await;
    assert_eq!((spy.count("BatchGetItem"), spy.count("UpdateItem")), (3, 4));
    // ...so a turn served wholly from the cache sends its due counts by themselves.
    texts_out(&eager, &REPLY[..2]).await;
    assert_eq!((spy.count("BatchGetItem"), spy.count("UpdateItem")), (3, 6));
    assert_eq!(eager.translator().pending_uses(), 0);
    let uses: Vec<String> = table.scan().await.iter().map(|item| item["uses"].as_n().unwrap().clone()).collect();
    assert_eq!(uses, ["5", "5"], "1 when written + one serving in each of the 4 turns");
}

#[tokio::test]
async fn a_reviewed_translation_reaches_a_warm_instance_after_the_refresh_interval() {
    let table = LocalTable::create().await;
    let translate = FakeTranslate::start().await;
    let (first, _) = post(&[], &translate, table.memory(MEMORY_DEADLINE));
    let machine = texts_out(&first, &REPLY[..2]).await;
    // Two warm instances serve the reply from their caches: one re-checks after an hour (the
    // interval has not passed in this test), one after a second.
    let (slow, _) = post(&[("TRANSLATION_MEMORY_REFRESH_SECONDS", "3600")], &translate, table.memory(MEMORY_DEADLINE));
    let spy = DynamoSpy::start(SpyMode::Forward(table.endpoint.clone())).await;
    let (fast, lines) =
        post(&[("TRANSLATION_MEMORY_REFRESH_SECONDS", "1")], &translate, spy.memory(&table.name, MEMORY_DEADLINE));
    assert_eq!(texts_out(&slow, &REPLY[..2]).await, machine);
    assert_eq!(texts_out(&fast, &REPLY[..2]).await, machine);

    // The operator imports a reviewed greeting.
    let greeting = table.scan().await.into_iter().find(|item| text_of(item) == REPLY[0]).unwrap();
    let mut reviewed = greeting.clone();
    reviewed.insert("translation".into(), AttributeValue::S("¡Hola! ¿En qué puedo ayudarle?".into()));
    reviewed.insert("reviewed".into(), AttributeValue::Bool(true));
    reviewed.remove("expires_at");
    table.put(reviewed).await;

    assert_eq!(texts_out(&slow, &REPLY[..2]).await, machine, "within its interval: the cached machine translation");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let out = texts_out(&fast, &REPLY[..2]).await;
    assert_eq!(out[0], "¡Hola! ¿En qué puedo ayudarle?", "past its interval: the reviewed one");
    assert_eq!(out[1], machine[1]);
    assert_eq!(spy.count("BatchGetItem"), 2, "both re-checked in one read");
    let metrics = last_metrics(&lines);
    assert_eq!((metrics["MemoryHits"].as_u64(), metrics["ReviewedHits"].as_u64()), (Some(2), Some(1)));
    assert_eq!(translate.calls().len(), 2, "a re-check never translates again");

    // A reviewed entry is never re-checked; the menu's machine entry is, once the interval passed.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(texts_out(&fast, &REPLY[..1]).await[0], "¡Hola! ¿En qué puedo ayudarle?");
    assert_eq!(spy.count("BatchGetItem"), 2, "the reviewed greeting came from the cache");
    texts_out(&fast, &REPLY[1..2]).await;
    assert_eq!(spy.count("BatchGetItem"), 3);

    // An entry gone from the memory (expired, purged) keeps serving from the cache, untranslated again.
    let menu = entry_id(REPLY[1], "en", "es", &fast.translator().settings_key("es"));
    table.delete(&menu).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(texts_out(&fast, &REPLY[1..2]).await[0], machine[1]);
    assert_eq!(translate.calls().len(), 2);
}

#[tokio::test]
async fn dialog_s_list_form_reads_the_memory_once_for_the_whole_list() {
    let table = LocalTable::create().await;
    let translate = FakeTranslate::start().await;
    let texts: Vec<String> = (0..8).map(|n| format!("Topic {} of the menu", words(n))).collect();
    let call = |spy: &DynamoSpy| {
        let memory = spy.memory(&table.name, MEMORY_DEADLINE);
        let dialog = config(&[("WEBHOOK_AUTH", "none"), ("DIALOG_DEADLINE_MS", "5000")])
            .with_memory(Arc::new(memory))
            .with_metrics(MetricsSink::buffer().0)
            .dialog(translate.translator(DEADLINE));
        let body = json!({"model_id": "en-es", "text": texts}).to_string();
        async move {
            let (status, reply) = status_and_json(dialog.handle(FunctionUrlEvent::post(&body).request()).await);
            assert_eq!(status, 200, "{reply}");
            reply["translations"].as_array().unwrap().len()
        }
    };
    // What a dialog node sends is not the assistant's text: it is translated, never kept.
    let spy = DynamoSpy::start(SpyMode::Forward(table.endpoint.clone())).await;
    assert_eq!(call(&spy).await, 8);
    assert_eq!(spy.counts(), HashMap::from([("BatchGetItem".to_owned(), 1)]), "one read, no write");
    assert_eq!(translate.calls().len(), 8);
    assert!(table.scan().await.is_empty(), "dialog never writes");
    // The assistant's replies, stored by postmessage, serve dialog too: the whole list from one read.
    let (post, _) = post(&[], &translate, table.memory(MEMORY_DEADLINE));
    let replies: Vec<&str> = texts.iter().map(String::as_str).collect();
    texts_out(&post, &replies).await;
    assert_eq!(translate.calls().len(), 16);
    let fresh = DynamoSpy::start(SpyMode::Forward(table.endpoint.clone())).await;
    assert_eq!(call(&fresh).await, 8);
    assert_eq!(fresh.counts(), HashMap::from([("BatchGetItem".to_owned(), 1)]));
    assert_eq!(translate.calls().len(), 16, "0 Translate calls");
}

#[tokio::test]
async fn a_machine_translation_never_overwrites_a_reviewed_or_authored_entry_and_authored_ones_serve_at_once() {
    use shared::memory::TranslationMemory;
    let table = LocalTable::create().await;
    let translate = FakeTranslate::start().await;
    let (post, _) = post(&[], &translate, table.memory(MEMORY_DEADLINE));
    // The CLI's seed writes an authored entry under the key the runtime computes.
    let source = shared::translate::SourceLanguage::Code("en".into());
    let key = post.translator().memory_key("Your order ORD-42 has shipped.", &source, "es");
    assert_eq!(
        (key.template.as_str(), key.values.as_slice()),
        ("Your order {1} has shipped.", &["ORD-42".to_owned()][..])
    );
    let entry = |id: &str, text: &str, translation: &str, reviewed: bool, authored: bool| MemoryEntry {
        id: id.to_owned(),
        text: text.to_owned(),
        source: "en".into(),
        target: "es".into(),
        translation: translation.to_owned(),
        detected: "en".into(),
        uses: 0,
        reviewed,
        authored,
    };
    let memory = table.memory(MEMORY_DEADLINE);
    let menu = post.translator().memory_key(REPLY[1], &source, "es");
    memory
        .put_many(&[
            entry(&key.id, &key.template, "Tu pedido {1} ha salido.", false, true),
            entry(&menu.id, REPLY[1], "Menú principal", true, false),
        ])
        .await
        .unwrap();
    assert!(
        table.scan().await.iter().all(|item| !item.contains_key("expires_at")),
        "authored and reviewed never expire"
    );
    // A fresh instance serves both with 0 Translate calls, the value put back.
    let out = texts_out(&post, &["Your order ZX-9 has shipped.", REPLY[1]]).await;
    assert_eq!(out, ["Tu pedido ZX-9 ha salido.", "Menú principal"]);
    assert!(translate.calls().is_empty());
    // A machine translation written blindly over them (an instance that missed them) is refused.
    memory
        .put_many(&[
            entry(&key.id, &key.template, "[machine]", false, false),
            entry(&menu.id, REPLY[1], "[machine]", false, false),
        ])
        .await
        .unwrap();
    let items = table.scan().await;
    let origins: Vec<(&str, &str)> = items
        .iter()
        .map(|item| (item["origin"].as_s().unwrap().as_str(), item["translation"].as_s().unwrap().as_str()))
        .collect();
    assert_eq!(origins.len(), 2);
    assert!(origins.contains(&("authored", "Tu pedido {1} ha salido.")), "{origins:?}");
    assert!(origins.contains(&("reviewed", "Menú principal")), "{origins:?}");
}
