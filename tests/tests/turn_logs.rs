//! A turn's log line and its metric line take their figures from one value: `translate_calls`
//! counts the calls that reached Translate, as `TranslateCalls` does, and is 0 when the cache
//! answered. Alone in its test binary: a log capture is per thread, and tracing caches what a
//! log site is interested in across threads, so a concurrent test could hide lines from it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use shared::metrics::MetricsSink;
use webhook_tests::entry_point::Handler;
use webhook_tests::{FakeTranslate, FunctionUrlEvent, LogCapture, config, fixture};

fn metric_lines(buffer: &Arc<Mutex<Vec<u8>>>) -> Vec<Value> {
    let text = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
    text.lines().map(|line| serde_json::from_str(line).expect("an EMF line is JSON")).collect()
}

fn spanish_reply() -> String {
    let mut request: Value = serde_json::from_str(&fixture("capture-post-message-request-dialog.json")).unwrap();
    request["payload"]["output"]["generic"] = json!([
        {"response_type": "text", "text": "Hello! How can I help?"},
        {"response_type": "text", "text": "Main menu"}
    ]);
    request.to_string()
}

#[tokio::test]
async fn the_log_line_counts_the_calls_the_metric_line_counts() {
    let (logs, _guard) = LogCapture::start();
    let translate = FakeTranslate::start().await;
    let (sink, lines) = MetricsSink::buffer();
    let config = config(&[("WEBHOOK_AUTH", "none")]).with_metrics(sink);
    let pre = config.premessage(translate.translator(Duration::from_secs(3)));
    let post = config.postmessage(translate.translator(Duration::from_secs(3)));
    let dialog = config.dialog(translate.translator(Duration::from_secs(3)));
    let spanish = fixture("constructed-pre-message-request-actions-spanish.json");
    let callout = json!({"action": "translate", "text": "How are you?", "target": "fr", "source": "en"}).to_string();
    for _ in 0..2 {
        pre.handle(FunctionUrlEvent::from_watson(&spanish).request()).await;
        post.handle(FunctionUrlEvent::from_watson(&spanish_reply()).request()).await;
        dialog.handle(FunctionUrlEvent::post(&callout).request()).await;
    }
    let logged: Vec<u64> = logs
        .text()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| ["turn", "answered"].contains(&line["fields"]["message"].as_str().unwrap_or_default()))
        .map(|line| line["fields"]["translate_calls"].as_u64().expect("every turn line says translate_calls"))
        .collect();
    let measured: Vec<u64> = metric_lines(&lines).iter().map(|line| line["TranslateCalls"].as_u64().unwrap()).collect();
    assert_eq!(logged, [1, 2, 1, 0, 0, 0], "pre, post, dialog; then the same again from the cache");
    assert_eq!(measured, logged);
    assert_eq!(translate.calls().len(), 4);
}
