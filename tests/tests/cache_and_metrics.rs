//! The translation cache and the per-invocation metric line, through real function-URL events and
//! the real Translate client against the fake endpoint.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use shared::metrics::MetricsSink;
use webhook_tests::entry_point::Handler;
use webhook_tests::{Behaviour, FakeTranslate, FunctionUrlEvent, config, fixture, status_and_json};

fn metric_lines(buffer: &Arc<Mutex<Vec<u8>>>) -> Vec<Value> {
    String::from_utf8(buffer.lock().unwrap().clone())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).expect("an EMF line is JSON"))
        .collect()
}

fn spanish_reply() -> String {
    let mut request: Value = serde_json::from_str(&fixture("capture-post-message-request-dialog.json")).unwrap();
    request["payload"]["output"]["generic"] = json!([
        {"response_type": "text", "text": "Hello! How can I help?"},
        {"response_type": "option", "title": "Main menu", "options": [
            {"label": "Orders", "value": {"input": {"text": "orders"}}},
            {"label": "Returns", "value": {"input": {"text": "returns"}}}
        ]}
    ]);
    request.to_string()
}

#[tokio::test]
async fn a_menu_sent_again_is_served_from_the_cache_and_the_metrics_say_so() {
    let translate = FakeTranslate::start().await;
    let (sink, lines) = MetricsSink::buffer();
    let post = config(&[]).with_metrics(sink).postmessage(translate.translator(Duration::from_secs(3)));

    for _ in 0..3 {
        let (status, reply) =
            status_and_json(post.handle(FunctionUrlEvent::from_watson(&spanish_reply()).request()).await);
        assert_eq!(status, 200);
        assert_eq!(reply["payload"]["output"]["generic"][1]["options"][1]["label"], "[en->es] Returns");
    }
    assert_eq!(translate.calls().len(), 4, "four distinct strings, translated once per warm instance");

    let lines = metric_lines(&lines);
    assert_eq!(lines.len(), 3, "one metric line per invocation");
    assert_eq!(lines[0]["Function"], "postmessage");
    assert_eq!(
        (lines[0]["TranslateCalls"].as_u64(), lines[0]["CacheMisses"].as_u64(), lines[0]["CacheHits"].as_u64()),
        (Some(4), Some(4), Some(0))
    );
    assert_eq!(
        lines[0]["TranslatedCharacters"].as_u64(),
        Some(("Hello! How can I help?".len() + "Main menu".len() + "Orders".len() + "Returns".len()) as u64)
    );
    for line in &lines[1..] {
        assert_eq!(
            (line["TranslateCalls"].as_u64(), line["CacheHits"].as_u64(), line["CacheMisses"].as_u64()),
            (Some(0), Some(4), Some(0))
        );
    }
    assert!(post.translator().counters().cache_hits == 8);
}

#[tokio::test]
async fn an_english_turn_never_reaches_translate() {
    let translate = FakeTranslate::start().await;
    let (sink, lines) = MetricsSink::buffer();
    let pre = config(&[]).with_metrics(sink).premessage(translate.translator(Duration::from_secs(3)));
    let mut request: Value =
        serde_json::from_str(&fixture("ibm-docs-pre-message-request-sms-attachment.json")).unwrap();
    for text in ["hi", "Where is my order?", "48213"] {
        request["payload"]["input"]["text"] = json!(text);
        pre.handle(FunctionUrlEvent::from_watson(&request.to_string()).request()).await;
    }
    assert_eq!(translate.connections(), 0, "no connection to Translate for English turns");
    assert!(metric_lines(&lines).iter().all(|line| line["TranslateCalls"] == 0 && line["CacheMisses"] == 0));

    request["payload"]["input"]["text"] = json!("¿Dónde está mi pedido?");
    pre.handle(FunctionUrlEvent::from_watson(&request.to_string()).request()).await;
    assert_eq!(translate.connections(), 1, "a Spanish turn connects once");
    assert_eq!(metric_lines(&lines).last().unwrap()["TranslateCalls"], 1);
}

#[tokio::test]
async fn a_fault_is_counted_as_a_pass_through() {
    let translate = FakeTranslate::start().await;
    translate.set_behaviour(Behaviour::ServerError);
    let (sink, lines) = MetricsSink::buffer();
    let pre = config(&[]).with_metrics(sink).premessage(translate.translator(Duration::from_millis(500)));
    let request = fixture("constructed-pre-message-request-actions-spanish.json");
    pre.handle(FunctionUrlEvent::from_watson(&request).request()).await;
    let line = metric_lines(&lines).pop().unwrap();
    assert_eq!((line["PassThroughAfterFault"].as_u64(), line["CacheHits"].as_u64()), (Some(1), Some(0)));
    assert!(line["HandlerDuration"].as_f64().unwrap() > 0.0);
}
