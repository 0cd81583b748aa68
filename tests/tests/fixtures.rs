//! Every sample payload of the wire contract (IBM's webhook pages and SDK samples, see tests/data/README.md) survives a parse/serialize round trip
//! through the payload types unchanged, unknown fields and unknown response types included.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use shared::payload::{
    Envelope, GenericItem, MessageRequest, MessageResponse, PayloadReply, PostMessageRequest, PreMessageRequest,
};
use webhook_tests::{fixture, fixture_json};

fn round_trip<T: Serialize + DeserializeOwned>(name: &str) -> T {
    let original = fixture_json(name);
    let typed: T = serde_json::from_str(&fixture(name)).unwrap_or_else(|error| panic!("{name}: {error}"));
    let back = serde_json::to_value(&typed).unwrap();
    assert_eq!(back, original, "{name} changed in a round trip");
    typed
}

#[test]
fn pre_message_requests_round_trip() {
    let sms: PreMessageRequest = round_trip("ibm-docs-pre-message-request-sms-attachment.json");
    assert_eq!(sms.payload.text(), Some("Hello"));
    let welcome: PreMessageRequest = round_trip("capture-pre-message-request-welcome-turn.json");
    assert_eq!(welcome.payload.text(), Some(""));
    assert_eq!(welcome.payload.context.as_ref().unwrap().browser_language(), Some("en-US"));
    let spanish: PreMessageRequest = round_trip("constructed-pre-message-request-actions-spanish.json");
    assert_eq!(spanish.event_name(), Some("message_received"));
    let context = spanish.payload.context.as_ref().unwrap();
    assert_eq!(context.user_defined("language"), Some(&Value::from("es")));
}

#[test]
fn pre_message_responses_round_trip() {
    let translated: PayloadReply<MessageRequest> = round_trip("constructed-pre-message-response-translated.json");
    assert_eq!(translated.payload.text(), Some("Where is my order?"));
    let skip: MessageResponse = round_trip("ibm-docs-pre-message-response-skip.json");
    assert!(skip.output.as_ref().unwrap().generic.as_ref().is_some_and(|items| items.len() == 1));
}

#[test]
fn post_message_payloads_round_trip() {
    let actions: PostMessageRequest = round_trip("ibm-docs-post-message-request-actions.json");
    assert_eq!(actions.event_name(), Some("message_processed"));
    let dialog: PostMessageRequest = round_trip("capture-post-message-request-dialog.json");
    assert_eq!(dialog.payload.context.as_ref().unwrap().user_defined("language"), Some(&Value::from("es")));
    let reply: PayloadReply<MessageResponse> = round_trip("constructed-post-message-response-translated.json");
    assert!(reply.payload.output.as_ref().is_some());
    let option: GenericItem = round_trip("constructed-generic-option-item.json");
    assert_eq!(option.response_type(), Some("option"));
}

#[test]
fn log_and_dialog_payloads_round_trip() {
    let message_logged: Envelope<Map<String, Value>> = round_trip("constructed-log-message-logged.json");
    assert_eq!(message_logged.event_name(), Some("message_logged"));
    let cdr: Envelope<Map<String, Value>> = round_trip("ibm-docs-log-cdr-logged.json");
    assert_eq!(cdr.event_name(), Some("cdr_logged"));
    let _: Map<String, Value> = round_trip("constructed-dialog-webhook-definition.json");
    let _: Map<String, Value> = round_trip("ibm-docs-dialog-language-translator-response.json");
}

#[test]
fn unknown_fields_nulls_and_response_types_survive() {
    let payload = serde_json::json!({
        "event": {"name": "message_processed", "future": [1, 2.5, {"x": null}]},
        "options": {},
        "payload": {
            "output": {
                "generic": [
                    {"response_type": "text", "text": null, "channels": [{"channel": "chat"}], "new_field": true},
                    {"response_type": "carousel_v9", "cards": [{"title": "kept as is"}]},
                    {"no_response_type": 1},
                    {"response_type": "option", "title": "Pick", "options": [
                        {"label": "Track", "value": {"input": {"text": "Track order", "intents": []}}, "extra": 1}
                    ]},
                    {"response_type": "image", "source": "https://example.com/a.png", "alt_text": "A", "title": null}
                ],
                "spelling": {"text": "x"}
            },
            "context": {"skills": {"main skill": {"user_defined": null}, "other skill": {"a": 1}}, "global": null},
            "masked_output": {"generic": []},
            "user_id": "u"
        },
        "top_level_extra": "kept"
    });
    let typed: PostMessageRequest = serde_json::from_value(payload.clone()).unwrap();
    assert_eq!(serde_json::to_value(&typed).unwrap(), payload);
    let generic = typed.payload.output.as_ref().unwrap().generic.as_ref().unwrap();
    assert!(matches!(generic[1], GenericItem::Other(_)));
    assert!(matches!(generic[2], GenericItem::Other(_)));
}

/// The types of the "Response types reference" examples not in a file of their own.
const REFERENCE_EXAMPLE_TYPES: &[&str] = &[
    "audio",
    "channel_transfer",
    "connect_to_agent",
    "text",
    "date",
    "dtmf",
    "end_session",
    "iframe",
    "image",
    "option",
    "pause",
    "speech_to_text",
    "start_activities",
    "stop_activities",
    "text_to_speech",
    "user_defined",
    "video",
];

/// Every `response_type` IBM names is declared, so none is read as an unknown item (which is
/// never translated): the v2 API's `RuntimeResponseGeneric*` models (watson-developer-cloud/node-sdk,
/// `assistant/v2.ts`, 2025), IBM Cloud Docs "Response types reference" (web chat, phone) and the
/// Java SDK's spelling. Each declared type reads and writes back as itself.
#[test]
fn every_response_type_ibm_names_is_declared_and_none_is_read_as_unknown() {
    const API_V2: &[&str] = &[
        "audio",
        "channel_transfer",
        "connect_to_agent",
        "conversational_search",
        "date",
        "iframe",
        "image",
        "option",
        "pause",
        "search",
        "suggestion",
        "text",
        "user_defined",
        "video",
    ];
    const DOCS_AND_SDKS: &[&str] = &[
        "button",
        "card",
        "carousel",
        "dtmf",
        "end_session",
        "grid",
        "speech_to_text",
        "start_activities",
        "stop_activities",
        "table",
        "text_to_speech",
        "conversation_search",
    ];
    for &name in API_V2.iter().chain(DOCS_AND_SDKS).chain(GenericItem::RESPONSE_TYPES) {
        let item: GenericItem = serde_json::from_value(json!({"response_type": name, "later": 1})).unwrap();
        assert!(!matches!(item, GenericItem::Other(_)), "{name} is read as an unknown item");
        assert_eq!(item.response_type(), Some(name));
        assert_eq!(serde_json::to_value(&item).unwrap(), json!({"response_type": name, "later": 1}));
    }
    let unknown: GenericItem = serde_json::from_value(json!({"response_type": "hologram", "text": "Hi"})).unwrap();
    assert!(matches!(unknown, GenericItem::Other(_)));
}

/// `shared/README.md`'s table of response types names every declared type.
#[test]
fn the_shared_readme_lists_every_declared_response_type() {
    let readme = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/README.md"))
        .expect("shared/README.md");
    let section = readme.split("\n## Response types\n").nth(1).expect("a Response types section");
    let section = section.split("\n## ").next().unwrap_or(section);
    for name in GenericItem::RESPONSE_TYPES {
        assert!(section.contains(&format!("`{name}`")), "shared/README.md's Response types do not name {name}");
    }
}

/// IBM's samples of the rich response types: each round-trips, is typed (not kept as an unknown
/// item), and exposes the texts IBM's "Response types reference" says the user reads.
#[test]
fn rich_response_type_samples_round_trip_and_expose_their_texts() {
    let cases: [(&str, &[&str], usize); 11] = [
        ("ibm-docs-response-types-reference-examples.json", REFERENCE_EXAMPLE_TYPES, 17),
        ("ibm-carbon-ai-chat-demo-conversational-search.json", &["conversational_search"], 8),
        ("constructed-conversational-search-sentence-ranges.json", &["conversational_search"], 8),
        ("ibm-docs-response-type-button.json", &["button"], 6),
        ("ibm-docs-response-type-card.json", &["card"], 2),
        ("ibm-docs-response-type-carousel.json", &["carousel"], 4),
        ("ibm-docs-response-type-grid.json", &["grid"], 4),
        ("ibm-docs-response-type-table.json", &["table"], 8),
        ("ibm-docs-api-dialog-responses-search.json", &["search"], 5),
        ("ibm-java-sdk-conversational-search.json", &["conversation_search"], 8),
        ("ibm-python-sdk-search.json", &["search"], 13),
    ];
    for (name, types, texts) in cases {
        let mut response: MessageResponse = round_trip(name);
        let items = response.generic_mut().unwrap_or_else(|| panic!("{name}: no generic"));
        for item in items.iter() {
            assert!(!matches!(item, GenericItem::Other(_)), "{name}: {:?} kept as unknown", item.response_type());
            assert!(types.contains(&item.response_type().unwrap_or_default()), "{name}");
        }
        let found: usize = items.iter_mut().map(|item| item.user_visible_texts_mut().len()).sum();
        assert_eq!(found, texts, "{name}: user-visible texts");
    }
}

/// The one list of functions (`shared::functions`) is the workspace's: every folder under
/// `functions/` is in `Function::ALL` under its name, with its package and its one binary, and
/// nothing else is, so a new function cannot miss the test tables, the self-check or the scripts.
#[test]
fn the_list_of_functions_is_the_workspace_s() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../functions");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&root).expect("functions/") {
        let folder = entry.expect("entry").path();
        let manifest: toml::Table =
            std::fs::read_to_string(folder.join("Cargo.toml")).expect("Cargo.toml").parse().expect("TOML");
        let package = manifest["package"]["name"].as_str().expect("package.name").to_owned();
        // The binaries: each [[bin]]'s name, else the package's name.
        let bins = manifest.get("bin").and_then(toml::Value::as_array).cloned().unwrap_or_default();
        let binaries: Vec<String> = if bins.is_empty() {
            vec![package.clone()]
        } else {
            bins.iter().map(|bin| bin["name"].as_str().expect("bin.name").to_owned()).collect()
        };
        let folder = folder.file_name().and_then(|name| name.to_str()).expect("a UTF-8 folder name").to_owned();
        found.push((folder, package, binaries));
    }
    found.sort();
    let mut listed: Vec<(String, String, Vec<String>)> = webhook_tests::hardening::Function::ALL
        .iter()
        .map(|f| (f.name().to_owned(), f.package().to_owned(), vec![f.name().to_owned()]))
        .collect();
    listed.sort();
    assert_eq!(listed, found, "(folder, package, binaries) of shared::functions against functions/*/Cargo.toml");
}

/// Each function's ready local event (its row's `invoke` in `tests/invoke/`, signed for the local
/// secrets of `run-local.sh`, which `smoke-local.sh` and `bench.sh` send) gets its accepted status
/// through the real entry point: for the audio webhook, a base64 multipart recording.
#[tokio::test]
async fn every_ready_local_event_is_accepted() {
    use webhook_tests::entry_point::UrlEvent;
    use webhook_tests::hardening::{Function, Subject};
    const LOCAL_SECRET: &str = "local-dev-secret-not-for-any-deployment";
    const LOCAL_DIALOG_SECRET: &str = "watson:local-dev-secret-not-for-any-deployment";
    for function in Function::ALL {
        let secret = if function == Function::Dialog { LOCAL_DIALOG_SECRET } else { LOCAL_SECRET };
        let subject = Subject::start(function, &[("WEBHOOK_SECRET", secret)]).await;
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(function.facts().invoke);
        let event: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("the ready event")).expect("JSON");
        assert_eq!(event["isBase64Encoded"], !function.json_body(), "{function}: base64 exactly when not JSON");
        let response = subject.send_as_is(&UrlEvent::from_json(event)).await;
        assert_eq!(response.status, function.accepted_status(), "{function}: {}", response.text());
    }
}
