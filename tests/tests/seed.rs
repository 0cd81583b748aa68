//! `webhooks translations seed` on IBM's sample actions skill export (from
//! watson-developer-cloud/assistant-toolkit, Apache-2.0; see data/README.md), against dynalite
//! with the real aws-sdk-dynamodb client and the fake Translate, and then a fresh postmessage
//! instance answering the assistant's replies from the seeded entries with no Translate call.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use shared::aws::Endpoint;
use shared::memory::{MemoryEntry, item};
use webhook_tests::entry_point::Handler;
use webhook_tests::local_dynamodb::LocalTable;
use webhook_tests::{FakeTranslate, FunctionUrlEvent, config, fixture, status_and_json};
use webhooks_cli::seed::{self, AUTHORED, SeedReport, Target, runtime_key};
use webhooks_cli::skill_export::{self, AuthoredTexts};
use webhooks_cli::translations;

const SAMPLE: &str = "ibm-assistant-toolkit-atlas-airlines-actions.json";
const MEMORY_DEADLINE: Duration = Duration::from_secs(2);

fn sample() -> AuthoredTexts {
    skill_export::read(SAMPLE, &fixture(SAMPLE)).unwrap()
}

/// The sample's first step as the assistant sends it at run time, plus its clarifying question.
fn runtime_reply() -> Vec<Value> {
    let export: Value = serde_json::from_str(&fixture(SAMPLE)).unwrap();
    let step = &export["workspace"]["actions"][0]["steps"][0]["output"]["generic"];
    let text = step[0]["values"][0]["text_expression"]["concat"][0]["scalar"].as_str().unwrap();
    vec![
        json!({"response_type": "text", "text": text}),
        json!({"response_type": "option", "title": "", "options": step[1]["options"].clone()}),
        json!({"response_type": "suggestion", "title": "Did you mean:", "suggestions": [
            {"label": "Flights available", "value": {"input": {"text": "Flights available"}}},
            {"label": "Rebooking Fees", "value": {"input": {"text": "Rebooking Fees"}}},
            {"label": "None of the above", "value": {"input": {"text": "None of the above"}}}
        ]}),
    ]
}

async fn run_seed(table: &LocalTable, translate: &FakeTranslate, targets: &[&str]) -> SeedReport {
    let config = config(&[]);
    let translating = config.translating(config.engine(translate));
    let client = translations::client(Some(&table.endpoint)).await;
    let to = Target {
        client: &client,
        table: &table.name,
        endpoint: Endpoint::Local(table.endpoint.clone()),
        ttl_days: 365,
    };
    let targets: Vec<String> = targets.iter().map(|t| (*t).to_owned()).collect();
    seed::seed(&to, &sample(), translating.pipeline(), "en", &targets).await.unwrap()
}

#[test]
fn the_sample_export_yields_every_text_a_user_reads_and_leaves_per_user_ones_out() {
    let texts = sample();
    assert_eq!((texts.format, texts.language.as_deref()), ("actions", Some("en")));
    for expected in [
        "Is there a certain day and time you need to arrive by?",
        "Yes",
        "No",
        "I'm sorry, I did not catch that, please restate your response.",
        "Did you mean:",
        "None of the above",
        "Flights available",
        "Rebooking Fees",
    ] {
        assert!(texts.texts.iter().any(|text| text == expected), "{expected} missing from {:#?}", texts.texts);
    }
    // The card is one text, its HTML joined from the export's pieces.
    assert!(
        texts
            .texts
            .iter()
            .any(|text| text.starts_with("<div class=\"ibm-web-chat--card\">") && text.contains("margin-top:4px"))
    );
    assert!(texts.texts.iter().all(|text| !text.contains("previous topic")), "holds a system variable");
    assert_eq!(texts.per_user, 1);
    assert!(texts.texts.iter().all(|text| text != "No action matches"), "a built-in action's title is never listed");
}

#[tokio::test]
async fn seeded_replies_are_served_to_a_fresh_postmessage_with_no_translate_call() {
    let table = LocalTable::create().await;
    let translate = FakeTranslate::start().await;
    let report = run_seed(&table, &translate, &["es", "fr"]).await;
    let texts = sample();
    let kept = texts.texts.len() - report.not_kept;
    assert_eq!(report.translate_calls as usize, translate.calls().len());
    assert_eq!(report.translate_calls as usize, 2 * kept, "each text once per language");
    let items = table.scan().await;
    assert_eq!(items.len(), 2 * kept);
    assert!(items.iter().all(|item| item["origin"].as_s().unwrap() == AUTHORED && item.contains_key("expires_at")));
    assert_eq!(report.languages.iter().map(|l| l.written).sum::<usize>(), items.len());

    // A fresh instance, as production builds it, with the table as its memory.
    let calls_before = translate.calls().len();
    let config = config(&[]);
    let engine = config.engine(&translate);
    let post = config.with_memory(Arc::new(table.memory(MEMORY_DEADLINE))).postmessage(engine);
    let mut request: Value = serde_json::from_str(&fixture("capture-post-message-request-dialog.json")).unwrap();
    request["payload"]["output"]["generic"] = Value::Array(runtime_reply());
    let (status, reply) =
        status_and_json(post.handle(FunctionUrlEvent::from_watson(&request.to_string()).request()).await);
    assert_eq!(status, 200, "{reply}");
    assert_eq!(translate.calls().len(), calls_before, "0 Translate calls on the first turn");
    let generic = &reply["payload"]["output"]["generic"];
    assert!(generic[0]["text"].as_str().unwrap().starts_with("[en->es]"), "{generic}");
    assert_eq!(generic[1]["options"][0]["label"], "[en->es] Yes");
    assert_eq!(generic[1]["options"][0]["value"]["input"]["text"], "Yes", "routing untouched");
    assert_eq!(generic[2]["title"], "[en->es] Did you mean:");
    assert_eq!(generic[2]["suggestions"][1]["label"], "[en->es] Rebooking Fees");
}

#[tokio::test]
async fn a_reviewed_entry_is_never_overwritten_and_a_second_run_costs_no_call() {
    let table = LocalTable::create().await;
    let translate = FakeTranslate::start().await;
    let config = config(&[]);
    let translating = config.translating(config.engine(&translate));
    let id = runtime_key(translating.pipeline(), "Yes", "en", "es").unwrap().id;
    let reviewed = MemoryEntry {
        id: id.clone(),
        text: "Yes".into(),
        source: "en".into(),
        target: "es".into(),
        translation: "Sí, claro".into(),
        detected: "en".into(),
        uses: 4,
        reviewed: true,
        authored: false,
    };
    table.put(item(&reviewed, 0)).await;

    let first = run_seed(&table, &translate, &["es"]).await;
    assert_eq!(first.languages[0].reviewed_kept, 1);
    let stored = table.scan().await.into_iter().find(|item| item["id"].as_s().unwrap() == &id).unwrap();
    assert_eq!(stored["translation"].as_s().unwrap(), "Sí, claro");
    assert_eq!(stored["reviewed"].as_bool().unwrap(), &true);
    assert!(
        !stored.contains_key("expires_at") && stored["origin"].as_s().unwrap() == "reviewed",
        "left exactly as it was"
    );
    assert!(translate.calls().iter().all(|call| call.text != "Yes"), "no call for a reviewed text");

    let calls = translate.calls().len();
    let second = run_seed(&table, &translate, &["es"]).await;
    assert_eq!(second.translate_calls, 0);
    assert_eq!(translate.calls().len(), calls);
    assert_eq!(second.languages[0].already_there, first.languages[0].written);
    assert_eq!(second.languages[0].written, first.languages[0].written, "rewritten as authored, expiry renewed");
}
