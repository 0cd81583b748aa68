//! Amazon Translate throttled, failing, hung, closing the connection or answering garbage: the
//! conversation goes on untranslated, within the deadline, with one log line that says so and
//! holds no user text.

use std::time::{Duration, Instant};

use postmessage::PostMessage;
use premessage::PreMessage;
use serde_json::{Value, json};
use shared::webhook::Webhook;
use webhook_tests::{Behaviour, FakeTranslate, FunctionUrlEvent, LogCapture, config, fixture, status_and_json};

const DEADLINE: Duration = Duration::from_millis(800);
const USER_TEXT: &str = "¿Dónde está mi pedido número 77?";
const REPLY_TEXT: &str = "Your order ships tomorrow.";

fn faults() -> [Behaviour; 5] {
    [Behaviour::Throttle, Behaviour::ServerError, Behaviour::Hang, Behaviour::CloseConnection, Behaviour::Garbage]
}

#[tokio::test]
async fn premessage_passes_the_text_through_on_every_fault() {
    for fault in faults() {
        let (logs, _guard) = LogCapture::start();
        let translate = FakeTranslate::start().await;
        translate.set_behaviour(fault.clone());
        let pre = PreMessage::new(config(&[("TRANSLATE_TIMEOUT_MS", "800")]), translate.translator(DEADLINE));
        let mut request: Value =
            serde_json::from_str(&fixture("constructed-pre-message-request-actions-spanish.json")).unwrap();
        request["payload"]["input"]["text"] = json!(USER_TEXT);

        let started = Instant::now();
        let (status, reply) =
            status_and_json(pre.handle(FunctionUrlEvent::from_watson(&request.to_string()).request()).await);
        let elapsed = started.elapsed();

        assert_eq!(status, 200, "{fault:?}");
        assert_eq!(reply["payload"]["input"]["text"], USER_TEXT, "{fault:?}: untranslated");
        assert!(elapsed < DEADLINE + Duration::from_millis(400), "{fault:?} took {elapsed:?}");
        assert!(!translate.calls().is_empty(), "{fault:?}: Translate was called");
        assert!(translate.calls().len() <= 2, "{fault:?}: at most one retry, got {}", translate.calls().len());
        let warnings = logs.lines_with_message("translation failed; the message goes on untranslated");
        assert_eq!(warnings.len(), 1, "{fault:?}: one structured line\n{}", logs.text());
        assert_eq!(warnings[0]["fields"]["request_id"], "c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
        assert!(!logs.text().contains("pedido"), "{fault:?}: user text in the logs");
        println!("premessage {fault:?}: answered in {elapsed:?} after {} call(s)", translate.calls().len());
    }
}

#[tokio::test]
async fn postmessage_sends_the_reply_untranslated_on_every_fault() {
    for fault in faults() {
        let (logs, _guard) = LogCapture::start();
        let translate = FakeTranslate::start().await;
        translate.set_behaviour(fault.clone());
        let post = PostMessage::new(config(&[("TRANSLATE_TIMEOUT_MS", "800")]), translate.translator(DEADLINE));
        let mut request: Value = serde_json::from_str(&fixture("capture-post-message-request-dialog.json")).unwrap();
        request["payload"]["output"]["generic"] = json!([
            {"response_type": "text", "text": REPLY_TEXT},
            {"response_type": "option", "title": "Anything else?", "options": [{"label": "No", "value": {"input": {"text": "no"}}}]}
        ]);

        let started = Instant::now();
        let (status, reply) =
            status_and_json(post.handle(FunctionUrlEvent::from_watson(&request.to_string()).request()).await);
        let elapsed = started.elapsed();

        assert_eq!(status, 200, "{fault:?}");
        assert_eq!(reply["payload"], request["payload"], "{fault:?}: the reply goes out as it came");
        assert!(elapsed < DEADLINE + Duration::from_millis(400), "{fault:?} took {elapsed:?}");
        let warnings = logs.lines_with_message("translation failed; the reply goes out untranslated");
        assert!(!warnings.is_empty(), "{fault:?}\n{}", logs.text());
        assert!(!logs.text().contains("ships tomorrow"), "{fault:?}: reply text in the logs");
        println!("postmessage {fault:?}: answered in {elapsed:?}");
    }
}

#[tokio::test]
async fn one_throttle_is_retried_once_and_the_turn_is_translated() {
    // Capture from the start, as every test in this binary does: tracing caches whether a
    // log line has a listener, and a test without one could hide a line from one with one.
    let (_logs, _guard) = LogCapture::start();
    let translate = FakeTranslate::start().await;
    translate.set_behaviour(Behaviour::ThrottleOnce);
    let pre = PreMessage::new(config(&[]), translate.translator(Duration::from_secs(3)));
    let mut request: Value =
        serde_json::from_str(&fixture("constructed-pre-message-request-actions-spanish.json")).unwrap();
    request["payload"]["input"]["text"] = json!(USER_TEXT);
    let (_, reply) = status_and_json(pre.handle(FunctionUrlEvent::from_watson(&request.to_string()).request()).await);
    assert_eq!(translate.calls().len(), 2);
    assert_eq!(reply["payload"]["input"]["text"], format!("[es->en] {USER_TEXT}"));
}

#[tokio::test]
async fn text_over_translates_limit_is_never_sent() {
    // Capture from the start, as every test in this binary does: tracing caches whether a
    // log line has a listener, and a test without one could hide a line from one with one.
    let (_logs, _guard) = LogCapture::start();
    let translate = FakeTranslate::start().await;
    let pre = PreMessage::new(config(&[]), translate.translator(Duration::from_secs(3)));
    let long = "¿Dónde está mi pedido? ".repeat(600);
    assert!(long.len() > shared::translate::MAX_TEXT_BYTES);
    let mut request: Value =
        serde_json::from_str(&fixture("constructed-pre-message-request-actions-spanish.json")).unwrap();
    request["payload"]["input"]["text"] = json!(long);
    let (status, reply) =
        status_and_json(pre.handle(FunctionUrlEvent::from_watson(&request.to_string()).request()).await);
    assert_eq!(status, 200);
    assert_eq!(reply["payload"]["input"]["text"], long.as_str());
    assert!(translate.calls().is_empty() && translate.rejected().is_empty());
}
