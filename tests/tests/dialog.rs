//! The dialog webhook through real function-URL events, with the real Translate client against
//! the fake endpoint: each action, IBM Language Translator's shape, auth, the deadline, bad
//! parameters.

use std::time::Duration;

use base64::Engine as _;
use dialog::Dialog;
use serde_json::{Value, json};
use webhook_tests::entry_point::Handler;
use webhook_tests::{Behaviour, FakeTranslate, FunctionUrlEvent, config, fixture_json, status_and_json};

const CREDENTIALS: &str = "watson:dialog-secret-of-thirty-two-bytes-0c1d";

fn basic() -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(CREDENTIALS))
}

async fn dialog(translate: &FakeTranslate, deadline: Duration) -> Dialog<shared::translate::AmazonTranslate> {
    let deadline = deadline.as_millis().to_string();
    let config = config(&[
        ("WEBHOOK_AUTH", "basic"),
        ("WEBHOOK_SECRET", CREDENTIALS),
        ("TRANSLATE_TIMEOUT_MS", "3000"),
        ("DIALOG_DEADLINE_MS", &deadline),
    ]);
    config.dialog(translate.translator(Duration::from_secs(3)))
}

async fn call(dialog: &Dialog<shared::translate::AmazonTranslate>, params: Value) -> (u16, Value) {
    let event = FunctionUrlEvent::post(&params.to_string()).header("authorization", &basic());
    status_and_json(dialog.handle(event.request()).await)
}

#[tokio::test]
async fn translate_with_a_given_or_detected_source() {
    let translate = FakeTranslate::start().await;
    translate.phrase("How are you?", "es", "¿Cómo estás?");
    let dialog = dialog(&translate, Duration::from_secs(5)).await;

    let (status, body) =
        call(&dialog, json!({"action": "translate", "text": "How are you?", "target": "es", "source": "en"})).await;
    assert_eq!((status, body), (200, json!({"translation": "¿Cómo estás?", "source": "en", "target": "es"})));

    // No source: the offline check finds Spanish, so Translate is asked es→en, not auto.
    let (status, body) =
        call(&dialog, json!({"action": "translate", "text": "¿Dónde está mi pedido?", "target": "en"})).await;
    assert_eq!(status, 200);
    assert_eq!(body["source"], "es");
    assert_eq!(translate.calls().last().unwrap().source, "es");

    // Words on no list, in no shape of English: Translate detects.
    translate.detects("Kiitos paljon", "fi");
    let (_, body) = call(&dialog, json!({"action": "translate", "text": "Kiitos paljon", "target": "en"})).await;
    assert_eq!(translate.calls().last().unwrap().source, "auto");
    assert_eq!(body["source"], "fi");

    // The same language in and out costs nothing.
    let before = translate.calls().len();
    let (_, body) =
        call(&dialog, json!({"action": "translate", "text": "hello", "target": "en", "source": "en"})).await;
    assert_eq!(body["translation"], "hello");
    assert_eq!(translate.calls().len(), before);
    assert!(translate.rejected().is_empty());
}

#[tokio::test]
async fn detect_uses_the_premessage_check() {
    let translate = FakeTranslate::start().await;
    let dialog = dialog(&translate, Duration::from_secs(5)).await;
    let (status, body) = call(&dialog, json!({"action": "detect", "text": "¿Dónde está mi pedido?"})).await;
    assert_eq!(status, 200);
    assert_eq!(body["language"], "es");
    assert_eq!(body["reliable"], true);
    assert_eq!(body["clear"], true);
    assert!(body["confidence"].as_f64().unwrap() > 0.5);
    let (_, body) = call(&dialog, json!({"action": "detect", "text": "hola"})).await;
    assert_eq!(
        (body["language"].as_str(), body["reliable"].as_bool(), body["clear"].as_bool()),
        (Some("es"), Some(true), Some(false))
    );
    let (_, body) = call(&dialog, json!({"action": "detect", "text": "48213"})).await;
    assert_eq!(body, json!({"language": null, "confidence": 0.0, "reliable": false, "clear": false, "choice": null}));
    assert!(translate.calls().is_empty(), "detect never calls Translate");
}

#[tokio::test]
async fn detect_reports_an_explicit_language_choice() {
    let translate = FakeTranslate::start().await;
    let dialog = dialog(&translate, Duration::from_secs(5)).await;
    for (text, choice) in [
        ("Español", json!("es")),
        ("in English please", json!("en")),
        ("日本語でお願いします", json!("ja")),
        ("I speak English but my order is late", Value::Null),
        ("¿Dónde está mi pedido?", Value::Null),
    ] {
        let (status, body) = call(&dialog, json!({"action": "detect", "text": text})).await;
        assert_eq!(status, 200);
        assert_eq!(body["choice"], choice, "{text}");
    }
    assert!(translate.calls().is_empty());
}

#[tokio::test]
async fn ibm_language_translator_requests_get_its_answer_shape() {
    let translate = FakeTranslate::start().await;
    translate.phrase("How are you?", "es", "¿Cómo estás?");
    let dialog = dialog(&translate, Duration::from_secs(5)).await;
    // The node parameters of IBM's "Making a programmatic call from dialog" example, with the text filled in.
    let definition = fixture_json("constructed-dialog-webhook-definition.json");
    let mut params = definition["dialog_nodes"][0]["actions"][0]["parameters"].clone();
    params["text"] = json!("How are you?");
    let (status, body) = call(&dialog, params).await;
    assert_eq!(status, 200);
    // The shape of IBM's Language Translator answer (IBM's Language Translator v3 API reference), with the counts of this input.
    assert_eq!(body, fixture_json("ibm-docs-dialog-language-translator-response.json"));
    let (_, body) = call(&dialog, json!({"model_id": "en-es", "text": ["How are you?", "Fine"]})).await;
    assert_eq!(body["translations"], json!([{"translation": "¿Cómo estás?"}, {"translation": "[en->es] Fine"}]));
    assert_eq!((body["word_count"].as_u64(), body["character_count"].as_u64()), (Some(4), Some(16)));
}

#[tokio::test]
async fn bad_parameters_get_400_naming_the_problem_and_listing_what_is_accepted() {
    let translate = FakeTranslate::start().await;
    let dialog = dialog(&translate, Duration::from_secs(5)).await;
    for (params, code, names) in [
        (json!({"action": "summarise", "text": "x"}), "unknown_action", "action"),
        (json!({"text": "x"}), "missing_parameter", "`action`"),
        (json!({"action": "translate", "text": "x"}), "missing_parameter", "`target`"),
        (json!({"action": "detect", "text": 3}), "invalid_parameter", "`text`"),
        (json!({"model_id": "english", "text": "x"}), "invalid_parameter", "`model_id`"),
    ] {
        let (status, body) = call(&dialog, params.clone()).await;
        assert_eq!(status, 400, "{params}");
        assert_eq!(body["error"]["code"], code, "{params}");
        assert!(body["error"]["message"].as_str().unwrap().contains(names), "{body}");
        assert_eq!(body["error"]["accepted"]["action"], json!(["translate", "detect"]));
    }
}

#[tokio::test]
async fn basic_auth_is_required_and_jwt_mode_is_refused_at_start() {
    let translate = FakeTranslate::start().await;
    let dialog = dialog(&translate, Duration::from_secs(5)).await;
    let params = json!({"action": "detect", "text": "hola"}).to_string();
    let wrong = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("watson:guess"));
    for event in [FunctionUrlEvent::post(&params), FunctionUrlEvent::post(&params).header("authorization", &wrong)] {
        let (status, body) = status_and_json(dialog.handle(event.request()).await);
        assert_eq!((status, body["error"]["code"].as_str()), (401, Some("unauthorized")));
    }
    assert!(
        dialog::check_auth(config(&[]).edge().auth.mode())
            .unwrap_err()
            .to_string()
            .starts_with("WEBHOOK_AUTH is invalid")
    );
    assert!(
        dialog::deadline(&[("DIALOG_DEADLINE_MS", "9000")][..].into())
            .unwrap_err()
            .to_string()
            .starts_with("DIALOG_DEADLINE_MS is invalid")
    );
}

#[tokio::test]
async fn a_hung_translate_still_gets_an_answer_before_the_deadline() {
    let translate = FakeTranslate::start().await;
    translate.set_behaviour(Behaviour::Hang);
    let config = config(&[
        ("WEBHOOK_AUTH", "api-key"),
        ("WEBHOOK_SECRET", "k-1-an-api-key-of-thirty-two-bytes"),
        ("DIALOG_DEADLINE_MS", "700"),
    ]);
    // The Translate deadline is longer than the dialog's, so the dialog's own deadline answers.
    let dialog = config.dialog(translate.translator(Duration::from_secs(10)));
    let event = FunctionUrlEvent::post(&json!({"model_id": "en-es", "text": "How are you?"}).to_string())
        .header("x-api-key", "k-1-an-api-key-of-thirty-two-bytes");
    // Only the dialog's own deadline answers `deadline_exceeded` (Translate's, 10 s, would say
    // `translation_failed`, long after the assistant gave up).
    let (status, body) = status_and_json(dialog.handle(event.request()).await);
    assert_eq!((status, body["error"]["code"].as_str()), (504, Some("deadline_exceeded")));

    translate.set_behaviour(Behaviour::RefusePair);
    let event =
        FunctionUrlEvent::post(&json!({"action": "translate", "text": "hola amigo", "target": "tlh"}).to_string())
            .header("x-api-key", "k-1-an-api-key-of-thirty-two-bytes");
    let (status, body) = status_and_json(dialog.handle(event.request()).await);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("translation_refused")),
        "the node's input, not our fault"
    );

    translate.set_behaviour(Behaviour::ServerError);
    let event =
        FunctionUrlEvent::post(&json!({"action": "translate", "text": "hola amigo", "target": "en"}).to_string())
            .header("x-api-key", "k-1-an-api-key-of-thirty-two-bytes");
    let (status, body) = status_and_json(dialog.handle(event.request()).await);
    assert_eq!((status, body["error"]["code"].as_str()), (502, Some("translation_failed")));
}
