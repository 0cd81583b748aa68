//! In-process figures: the handler time of one turn, from the function URL event to the answer,
//! with auth, parsing, the language check and serialization; the Translate endpoint is the fake
//! on loopback, with a fixed added delay where a round trip matters.
//!
//! `cargo bench -p webhook-tests` (`tests/README.md`'s performance section has the figures).

use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use logwebhook::{ConfiguredStore, LogWebhook};
use serde_json::{Value, json};
use shared::metrics::MetricsSink;
use webhook_tests::entry_point::Handler;
use webhook_tests::local_dynamodb::{DynamoSpy, LocalTable, SpyMode};
use webhook_tests::local_s3::{BUCKET, LocalS3, log_settings};
use webhook_tests::temp_dir::TempDir;
use webhook_tests::{Behaviour, FakeTranslate, FunctionUrlEvent, config, fixture, fixture_json};

/// The fake Translate's added delay, standing in for a network round trip.
const ROUND_TRIP: Duration = Duration::from_millis(20);

fn pre_message(text: &str, context: Option<Value>) -> String {
    let mut request: Value =
        serde_json::from_str(&fixture("ibm-docs-pre-message-request-sms-attachment.json")).unwrap();
    request["payload"]["input"]["text"] = json!(text);
    if let Some(context) = context {
        request["payload"]["context"] = context;
    }
    request.to_string()
}

fn post_message_six_items() -> String {
    let mut request: Value = serde_json::from_str(&fixture("capture-post-message-request-dialog.json")).unwrap();
    request["payload"]["output"]["generic"] = json!([
        {"response_type": "text", "text": "Let me check your order."},
        {"response_type": "text", "text": "It left our warehouse yesterday."},
        {"response_type": "option", "title": "What would you like to do?", "options": [
            {"label": "Track order", "value": {"input": {"text": "Track order"}}},
            {"label": "Cancel order", "value": {"input": {"text": "Cancel order"}}}
        ]},
        {"response_type": "text", "text": "Anything else?"}
    ]);
    request.to_string()
}

fn benches(c: &mut Criterion) {
    // What loading the language check eagerly adds to a cold start: the word lists of the 16
    // default languages and whatlang's allowlist. Every non-empty turn needs it, so it is built
    // at start; the Translate client, which only foreign turns need, is built on first use.
    let enabled: Vec<String> = shared::config::DEFAULT_SUPPORTED_LANGUAGES.split(',').map(String::from).collect();
    c.bench_function("language check: build for 16 languages (cold-start cost)", |b| {
        b.iter(|| shared::language::LanguageDetector::new("en", &enabled))
    });
    let detector = shared::language::LanguageDetector::new("en", &enabled);
    c.bench_function("language check: one short message", |b| b.iter(|| detector.detect("¿Dónde está mi pedido?")));
    // Short Latin text is decided by the word statistics: listed words, and the letter shape of
    // words on no list (the slowest case: every trigram looked up).
    c.bench_function("language check: a two-word English message", |b| b.iter(|| detector.detect("water parks")));
    c.bench_function("language check: a word on no list (letter trigrams)", |b| {
        b.iter(|| detector.detect("Kundenkontonummer"))
    });

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let translate = runtime.block_on(FakeTranslate::start());
    let quiet = || MetricsSink::buffer().0;

    let english = pre_message("Where is my order?", None);
    let pre = config(&[]).with_metrics(quiet()).premessage(translate.translator(Duration::from_secs(3)));
    c.bench_function("premessage: English turn (no Translate call)", |b| {
        b.to_async(&runtime).iter_batched(
            || FunctionUrlEvent::from_watson(&english).request(),
            |request| pre.handle(request),
            BatchSize::SmallInput,
        )
    });

    // Short English, 1 to 4 words, each a first turn: decided offline, no call.
    let short_english: Vec<String> =
        ["water parks", "troubleshooting", "information technology", "refund for my order"]
            .iter()
            .map(|text| pre_message(text, None))
            .collect();
    let mut next = 0usize;
    c.bench_function("premessage: short English turns, 1 to 4 words (no Translate call)", |b| {
        b.to_async(&runtime).iter_batched(
            || {
                next += 1;
                FunctionUrlEvent::from_watson(&short_english[next % short_english.len()]).request()
            },
            |request| pre.handle(request),
            BatchSize::SmallInput,
        )
    });
    // The same turns with MASK_PERSONAL_DATA on: nothing to mask, and an e-mail and a phone number
    // masked (sealed into the context) before the language check. Still no Translate call.
    let masking = [
        ("MASK_PERSONAL_DATA", "email,phone,card,iban,ip"),
        ("MASK_SECRET", "bench-mask-secret-0123456789abcdef"),
        ("MASK_PHONE_REGION", "FR"),
    ];
    let pre_masked = config(&masking).with_metrics(quiet()).premessage(translate.translator(Duration::from_secs(3)));
    c.bench_function("premessage: English turn, masking on, nothing to mask (no Translate call)", |b| {
        b.to_async(&runtime).iter_batched(
            || FunctionUrlEvent::from_watson(&english).request(),
            |request| pre_masked.handle(request),
            BatchSize::SmallInput,
        )
    });
    let english_personal =
        pre_message("Where is my order? Write to lucie.martin@example.fr or call +33 6 12 34 56 78.", None);
    c.bench_function("premessage: English turn, masking on, an e-mail and a phone masked (no Translate call)", |b| {
        b.to_async(&runtime).iter_batched(
            || FunctionUrlEvent::from_watson(&english_personal).request(),
            |request| pre_masked.handle(request),
            BatchSize::SmallInput,
        )
    });
    assert!(translate.calls().is_empty(), "an English turn cost a Translate call");

    // Every iteration a new text, so the cache never answers: one real round trip each.
    translate.set_behaviour(Behaviour::Translate { delay: ROUND_TRIP });
    let spanish_session = json!({"skills": {"actions skill": {"user_defined": {"language": "es"}}}});
    let mut n = 0u64;
    c.bench_function("premessage: Spanish turn (one Translate call, 20 ms round trip)", |b| {
        b.to_async(&runtime).iter_batched(
            || {
                n += 1;
                FunctionUrlEvent::from_watson(&pre_message(
                    &format!("¿Dónde está mi pedido {n}?"),
                    Some(spanish_session.clone()),
                ))
                .request()
            },
            |request| pre.handle(request),
            BatchSize::SmallInput,
        )
    });

    let six = post_message_six_items();
    let post_uncached = config(&[("TRANSLATE_CACHE_ENTRIES", "0")])
        .with_metrics(quiet())
        .postmessage(translate.translator(Duration::from_secs(3)));
    c.bench_function("postmessage: six items, no cache (20 ms round trip)", |b| {
        b.to_async(&runtime).iter_batched(
            || FunctionUrlEvent::from_watson(&six).request(),
            |request| post_uncached.handle(request),
            BatchSize::SmallInput,
        )
    });

    let post_cached = config(&[]).with_metrics(quiet()).postmessage(translate.translator(Duration::from_secs(3)));
    c.bench_function("postmessage: six items, warm cache", |b| {
        b.to_async(&runtime).iter_batched(
            || FunctionUrlEvent::from_watson(&six).request(),
            |request| post_cached.handle(request),
            BatchSize::SmallInput,
        )
    });

    // The same reply on a masked session (three sealed values in the context, three tokens in the
    // reply), warm cache, MASK_PERSONAL_DATA on: templates, cache, then the values put back.
    let masked_six = {
        let mut request: Value = serde_json::from_str(&six).unwrap();
        let mask = config(&masking).read(shared::mask::MaskSettings::read).unwrap();
        let mut context: shared::payload::Context =
            serde_json::from_value(request["payload"]["context"].clone()).unwrap();
        let input = "I'm lucie.martin@example.fr, call me on +33 6 12 34 56 78, card 4111 1111 1111 1111.";
        assert_eq!(mask.mask(input, &mut context).count, 3);
        request["payload"]["context"] = serde_json::to_value(&context).unwrap();
        request["payload"]["output"]["generic"][0]["text"] = json!("Let me check your order, [email A].");
        request["payload"]["output"]["generic"][1]["text"] = json!("We'll call [phone A] when it leaves.");
        request["payload"]["output"]["generic"][3]["text"] = json!("The card ending in [card A] was charged.");
        request.to_string()
    };
    let post_masked = config(&masking).with_metrics(quiet()).postmessage(translate.translator(Duration::from_secs(3)));
    let response = runtime.block_on(post_masked.handle(FunctionUrlEvent::from_watson(&masked_six).request()));
    let body = String::from_utf8_lossy(response.body().as_ref()).into_owned();
    assert!(body.contains("lucie.martin@example.fr") && body.contains("4111 1111 1111 1111"), "values put back");
    c.bench_function("postmessage: six items, warm cache, masking on, three values put back", |b| {
        b.to_async(&runtime).iter_batched(
            || FunctionUrlEvent::from_watson(&masked_six).request(),
            |request| post_masked.handle(request),
            BatchSize::SmallInput,
        )
    });
}

/// One store of a `message_logged` event: the whole handler (auth, parse, key, PutObject through
/// the real SDK to an S3 on loopback, or a file written and hard-linked). Real S3 adds its round trip.
fn log_benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut event = fixture_json("constructed-log-message-logged.json");
    let mut n = 0u64;
    let mut next_event = move || {
        n += 1;
        event["payload"]["log_id"] = json!(format!("bench-{n}"));
        FunctionUrlEvent::from_watson(&event.to_string()).request()
    };

    let s3 = LocalS3::start();
    let settings = log_settings(&[("LOG_BUCKET", BUCKET)]);
    let to_s3 = LogWebhook::new(config(&[]).edge(), settings, runtime.block_on(s3.store(Duration::from_secs(2))));
    c.bench_function("log: one store to S3 on loopback", |b| {
        b.to_async(&runtime).iter_batched(&mut next_event, |request| to_s3.handle(request), BatchSize::SmallInput)
    });

    let directory = TempDir::new("bench-log-dir");
    let settings = log_settings(&[("LOG_DIR", directory.path().to_str().unwrap())]);
    let to_directory =
        LogWebhook::new(config(&[]).edge(), settings.clone(), runtime.block_on(ConfiguredStore::open(&settings)));
    c.bench_function("log: one store to a local directory", |b| {
        b.to_async(&runtime).iter_batched(
            &mut next_event,
            |request| to_directory.handle(request),
            BatchSize::SmallInput,
        )
    });
}

/// What protecting markup adds to a six-item reply: protect each text and map a translation back.
/// The same reply through the whole handler is the "postmessage: six items" bench above.
fn protection_benches(c: &mut Criterion) {
    let protector = shared::protect::Protector::new(["Acme Cloud", "FAQ"]);
    let reply = [
        "Let me check **your order** ABC-12345.",
        "See our [FAQ](https://example.com/faq?lang=en) or write to help@example.com.",
        "<p>It left our <strong>warehouse</strong> at 20:30.</p>",
        "Options:\n- Track order\n- Cancel order",
        "Type `reset password` to start over with Acme Cloud.",
        "Anything else?",
    ];
    c.bench_function("protection: six-item reply, protect and restore", |b| {
        b.iter(|| {
            for text in reply {
                let protected = protector.protect(text);
                let translated = format!("[es] {}", protected.html());
                std::hint::black_box(protected.restore(&translated).expect("restored"));
            }
        })
    });
    // Placeholders: the six items with a name and a number among the session's context values,
    // templated and the values put back (what every translated turn adds before the cache).
    use shared::translate::template::{TurnValues, fill, template};
    let values = TurnValues::new(
        ["Lucía Fernández", "+34 612 345 678", "Calle Mayor 12", "lucia@example.es", "es-ES", "Sevilla"]
            .map(str::to_owned),
    );
    let personal = reply.map(|text| format!("Lucía Fernández, {text}"));
    c.bench_function("templates: six-item reply, template and fill", |b| {
        b.iter(|| {
            for text in &personal {
                let templated = template(text, &protector, &values);
                std::hint::black_box(fill(&templated.key, &templated.values).expect("filled"));
            }
        })
    });
}

/// A six-item reply fully in the memory, on a cold instance: every iteration a new PostMessage with
/// a new memory whose SDK client is not built yet (as after a cold start), its cache empty. The
/// turn builds the DynamoDB client, reads all six texts in one BatchGetItem through the real
/// aws-sdk-dynamodb client, and calls Translate 0 times; both are asserted on every iteration.
/// Against dynalite (a Node.js server, so its own latency is in the figure) and against an
/// in-process endpoint that answers the same items at once (the function's own share).
fn memory_benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let translate = runtime.block_on(FakeTranslate::start());
    let six = post_message_six_items();
    let table = runtime.block_on(LocalTable::create());
    // Fill the memory: one instance translates the reply once, each translation admitted at once.
    let filler = config(&[("MEMORY_ADMIT_SESSIONS", "1")])
        .with_memory(std::sync::Arc::new(table.memory(Duration::from_secs(2))))
        .with_metrics(MetricsSink::buffer().0)
        .postmessage(translate.translator(Duration::from_secs(3)));
    runtime.block_on(filler.handle(FunctionUrlEvent::from_watson(&six).request()));
    let items = runtime.block_on(table.scan());
    assert_eq!(items.len(), 6, "six texts in the memory");
    let translate_calls = translate.calls().len();

    let dynalite = runtime.block_on(DynamoSpy::start(SpyMode::Forward(table.endpoint.clone())));
    let canned = runtime.block_on(DynamoSpy::start(SpyMode::Canned { table: table.name.clone(), items }));
    let translate = &translate;
    for (name, spy) in [
        ("postmessage: six items from the memory, cold instance (dynalite on loopback)", &dynalite),
        ("postmessage: six items from the memory, cold instance (in-process DynamoDB endpoint)", &canned),
    ] {
        c.bench_function(name, |b| {
            b.to_async(&runtime).iter_batched(
                || {
                    let post = config(&[])
                        .with_memory(std::sync::Arc::new(spy.memory(&table.name, Duration::from_secs(1))))
                        .with_metrics(MetricsSink::buffer().0)
                        .postmessage(translate.translator(Duration::from_secs(3)));
                    (post, FunctionUrlEvent::from_watson(&six).request())
                },
                // Criterion runs a batch of setups before their routines: count in the routine.
                |(post, request)| async move {
                    let reads = spy.count("BatchGetItem");
                    let response = post.handle(request).await;
                    assert_eq!(response.status(), 200);
                    assert_eq!(spy.count("BatchGetItem"), reads + 1, "exactly one memory round trip");
                    assert_eq!(translate.calls().len(), translate_calls, "0 Translate calls");
                    assert_eq!(post.translator().counters().memory_hits, 6);
                    response
                },
                BatchSize::SmallInput,
            )
        });
        assert_eq!(spy.count("BatchWriteItem"), 0, "nothing to write");
        eprintln!("{name}: {} BatchGetItem, {:?}", spy.count("BatchGetItem"), spy.counts());
    }
}

criterion_group! {
    name = handlers;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    targets = benches, log_benches, protection_benches, memory_benches
}
criterion_main!(handlers);
