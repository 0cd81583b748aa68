//! A Spanish customer on an English assistant, through both functions: real function-URL events
//! through lambda_http, the real aws-sdk-translate client, a fake Translate endpoint on loopback.

use std::time::Duration;

use serde_json::{Value, json};
use webhook_tests::entry_point::Handler;
use webhook_tests::{Behaviour, FakeTranslate, FunctionUrlEvent, config, fixture, status_and_json};

const DEADLINE: Duration = Duration::from_secs(3);

fn post_message_request(context: &Value, generic: Value) -> String {
    json!({
        "event": {"name": "message_processed"},
        "options": {},
        "payload": {
            "output": {"generic": generic, "intents": [{"intent": "order_status", "confidence": 0.93}], "entities": []},
            "context": context,
            "user_id": "anonymous_IBMuid-1234"
        }
    })
    .to_string()
}

#[tokio::test]
async fn a_spanish_turn_costs_one_call_in_and_translates_every_visible_reply_out() {
    let translate = FakeTranslate::start().await;
    translate.phrase("¿Dónde está mi pedido?", "en", "Where is my order?");
    let pre = config(&[]).premessage(translate.translator(DEADLINE));
    let post = config(&[]).postmessage(translate.translator(DEADLINE));

    // Turn 1, pre-message: the IBM-shaped request of a Spanish user on an actions skill.
    let mut request: Value =
        serde_json::from_str(&fixture("constructed-pre-message-request-actions-spanish.json")).unwrap();
    // A first turn: nothing stored yet.
    request["payload"]["context"]["skills"]["actions skill"]["user_defined"] = json!({});
    let (status, reply) =
        status_and_json(pre.handle(FunctionUrlEvent::from_watson(&request.to_string()).request()).await);
    assert_eq!(status, 200, "{reply}");
    let calls = translate.calls();
    assert_eq!(calls.len(), 1, "exactly one Translate call");
    assert_eq!((calls[0].source.as_str(), calls[0].target.as_str()), ("es", "en"));
    let payload = &reply["payload"];
    assert_eq!(payload["input"]["text"], "Where is my order?");
    // Everything else in input is kept.
    assert_eq!(payload["input"]["message_type"], "text");
    assert_eq!(payload["input"]["source"], request["payload"]["input"]["source"]);
    assert_eq!(payload["input"]["options"], request["payload"]["input"]["options"]);
    let actions = &payload["context"]["skills"]["actions skill"];
    assert_eq!(actions["user_defined"]["language"], "es");
    assert_eq!(actions["user_defined"]["original_input"], "¿Dónde está mi pedido?");
    assert_eq!(actions["skill_variables"]["language"], "es");
    assert_eq!(actions["skill_variables"]["order_id"], Value::Null, "other session variables kept");
    assert_eq!(actions["system"], request["payload"]["context"]["skills"]["actions skill"]["system"]);
    assert_eq!(payload["user_id"], request["payload"]["user_id"]);

    // Turn 1, post-message: text, option and suggestion items, six visible strings, one repeated.
    // Every distinct text in flight at once: the fake holds the calls until all eight are there.
    translate.set_behaviour(Behaviour::Gather(8));
    let generic = json!([
        {"response_type": "text", "text": "Let me check your order."},
        {"response_type": "option", "title": "What would you like to do?", "description": "Choose one",
         "preference": "button",
         "options": [
            {"label": "Track order", "value": {"input": {"text": "Track order"}}},
            {"label": "Cancel order", "value": {"input": {"text": "Cancel order"}}}
         ]},
        {"response_type": "suggestion", "title": "Did you mean:",
         "suggestions": [{"label": "Track order", "value": {"input": {"text": "Track order", "suggestion_id": "s-1"}}, "output": {"generic": []}}]},
        {"response_type": "pause", "time": 500, "typing": true},
        {"response_type": "image", "source": "https://example.com/map.png", "title": "Your parcel", "alt_text": "A map"}
    ]);
    let context = payload["context"].clone();
    let (status, reply) = status_and_json(
        post.handle(FunctionUrlEvent::from_watson(&post_message_request(&context, generic.clone())).request()).await,
    );
    assert_eq!(status, 200, "{reply}");
    let post_calls = &translate.calls()[1..];
    let mut texts: Vec<&str> = post_calls.iter().map(|call| call.text.as_str()).collect();
    texts.sort_unstable();
    assert_eq!(
        texts,
        [
            "A map",
            "Cancel order",
            "Choose one",
            "Did you mean:",
            "Let me check your order.",
            "Track order",
            "What would you like to do?",
            "Your parcel"
        ],
        "each distinct visible string once"
    );
    assert!(post_calls.iter().all(|call| call.source == "en" && call.target == "es"));
    // Sent one after another, the first call would still be held when the deadline failed the turn.

    let out = &reply["payload"]["output"]["generic"];
    assert_eq!(out[0]["text"], "[en->es] Let me check your order.");
    assert_eq!(out[1]["title"], "[en->es] What would you like to do?");
    assert_eq!(out[1]["description"], "[en->es] Choose one");
    assert_eq!(out[1]["options"][0]["label"], "[en->es] Track order");
    assert_eq!(out[1]["options"][1]["label"], "[en->es] Cancel order");
    assert_eq!(out[2]["suggestions"][0]["label"], "[en->es] Track order");
    assert_eq!(out[4]["title"], "[en->es] Your parcel");
    assert_eq!(out[4]["alt_text"], "[en->es] A map");
    // What the assistant routes on is untouched.
    assert_eq!(out[1]["options"][0]["value"], generic[1]["options"][0]["value"]);
    assert_eq!(out[1]["options"][1]["value"], generic[1]["options"][1]["value"]);
    assert_eq!(out[2]["suggestions"][0]["value"], generic[2]["suggestions"][0]["value"]);
    assert_eq!(out[3], generic[3]);
    assert_eq!(out[4]["source"], generic[4]["source"]);
    assert_eq!(reply["payload"]["output"]["intents"], json!([{"intent": "order_status", "confidence": 0.93}]));
    let original_output =
        reply["payload"]["context"]["skills"]["actions skill"]["user_defined"]["original_output"].as_str().unwrap();
    assert!(original_output.starts_with("Let me check your order.\nWhat would you like to do?"));

    // Turn 2: "sí" in the Spanish session stays Spanish.
    let mut next = request.clone();
    next["payload"]["input"]["text"] = json!("sí");
    next["payload"]["context"] = reply["payload"]["context"].clone();
    translate.set_behaviour(Behaviour::Translate { delay: Duration::ZERO });
    let (_, reply) = status_and_json(pre.handle(FunctionUrlEvent::from_watson(&next.to_string()).request()).await);
    let last = translate.calls().pop().unwrap();
    assert_eq!((last.text.as_str(), last.source.as_str()), ("sí", "es"));
    assert_eq!(reply["payload"]["context"]["skills"]["actions skill"]["user_defined"]["language"], "es");
    assert!(translate.rejected().is_empty(), "{:?}", translate.rejected());
}

#[tokio::test]
async fn an_english_turn_makes_no_call_and_comes_back_unchanged() {
    let translate = FakeTranslate::start().await;
    let pre = config(&[]).premessage(translate.translator(DEADLINE));
    let post = config(&[]).postmessage(translate.translator(DEADLINE));
    for text in [
        "hi",
        "ok",
        "faq",
        "Where is my order?",
        "jane.doe@example.com",
        "48213",
        "I want to cancel my subscription please",
    ] {
        let mut request: Value =
            serde_json::from_str(&fixture("ibm-docs-pre-message-request-sms-attachment.json")).unwrap();
        request["payload"]["input"]["text"] = json!(text);
        let (status, reply) =
            status_and_json(pre.handle(FunctionUrlEvent::from_watson(&request.to_string()).request()).await);
        assert_eq!(status, 200);
        assert_eq!(reply["payload"], request["payload"], "{text}: the payload comes back unchanged");
    }
    // The web chat welcome turn (empty text).
    let welcome = fixture("capture-pre-message-request-welcome-turn.json");
    let (_, reply) = status_and_json(pre.handle(FunctionUrlEvent::from_watson(&welcome).request()).await);
    assert_eq!(reply["payload"], serde_json::from_str::<Value>(&welcome).unwrap()["payload"]);
    // Post-message on the IBM docs' English session.
    let english = fixture("ibm-docs-post-message-request-actions.json");
    let (_, reply) = status_and_json(post.handle(FunctionUrlEvent::from_watson(&english).request()).await);
    assert_eq!(reply["payload"], serde_json::from_str::<Value>(&english).unwrap()["payload"]);
    assert_eq!(translate.calls().len(), 0, "no network call for English");
}

#[tokio::test]
async fn the_captured_dialog_reply_is_translated_as_in_the_reference() {
    let translate = FakeTranslate::start().await;
    translate.phrase("Welcome from Dialog", "es", "Bienvenido desde Dialog");
    let post = config(&[]).postmessage(translate.translator(DEADLINE));
    let request = fixture("capture-post-message-request-dialog.json");
    let (status, reply) = status_and_json(post.handle(FunctionUrlEvent::from_watson(&request).request()).await);
    assert_eq!(status, 200);
    let mut expected = webhook_tests::fixture_json("constructed-post-message-response-translated.json");
    // The constructed response drops `output.debug`; this function keeps what it does not translate.
    expected["payload"]["output"]["debug"] =
        serde_json::from_str::<Value>(&request).unwrap()["payload"]["output"]["debug"].clone();
    assert_eq!(reply, expected);
}

#[tokio::test]
async fn an_untranslated_reply_drops_the_original_of_an_earlier_turn() {
    let translate = FakeTranslate::start().await;
    let post = config(&[]).postmessage(translate.translator(DEADLINE));
    let mut request: Value = serde_json::from_str(&fixture("capture-post-message-request-dialog.json")).unwrap();
    // The user switched back to English; the Spanish turn before left its original behind.
    request["payload"]["context"]["skills"]["main skill"]["user_defined"] =
        json!({"language": "en", "original_output": "Welcome from Dialog (an earlier turn)"});
    let (_, reply) = status_and_json(post.handle(FunctionUrlEvent::from_watson(&request.to_string()).request()).await);
    assert_eq!(reply["payload"]["context"]["skills"]["main skill"]["user_defined"], json!({"language": "en"}));
    assert_eq!(reply["payload"]["output"], request["payload"]["output"]);
    assert!(translate.calls().is_empty());
}
