//! The HTTP edge of both functions, through real function-URL events: auth, method, content type,
//! size and shape. Every refusal is a 4xx with a JSON body that names the problem, never the
//! token or the text.

use postmessage::PostMessage;
use premessage::PreMessage;
use serde_json::json;
use shared::translate::AmazonTranslate;
use shared::webhook::Webhook;
use webhook_tests::{
    FunctionUrlEvent, LogCapture, SECRET, config, fixture, sign_jwt, status_and_json, watson_authorization,
};

fn pre() -> PreMessage<AmazonTranslate> {
    PreMessage::new(config(&[("MAX_BODY_BYTES", "65536")]), AmazonTranslate::disabled())
}
fn post() -> PostMessage<AmazonTranslate> {
    PostMessage::new(config(&[("MAX_BODY_BYTES", "65536")]), AmazonTranslate::disabled())
}

async fn both(event: &FunctionUrlEvent) -> [(u16, serde_json::Value); 2] {
    [status_and_json(pre().handle(event.request()).await), status_and_json(post().handle(event.request()).await)]
}

#[tokio::test]
async fn refusals_have_the_right_status_and_a_named_problem() {
    // Capture from the start, as every test in this binary does: tracing caches whether a
    // log line has a listener, and a test without one could hide a line from one with one.
    let (_logs, _guard) = LogCapture::start();
    let valid = fixture("ibm-docs-pre-message-request-sms-attachment.json");
    let token = sign_jwt(SECRET, json!({}));
    let rows: Vec<(&str, FunctionUrlEvent, u16, &str)> = vec![
        ("no credentials", FunctionUrlEvent::post(&valid), 401, "unauthorized"),
        (
            "wrong secret",
            FunctionUrlEvent::post(&valid).header("authorization", &sign_jwt("other", json!({}))),
            401,
            "unauthorized",
        ),
        (
            "token in the query string",
            FunctionUrlEvent::post(&valid).query(&format!("token={token}")),
            401,
            "unauthorized",
        ),
        ("GET", FunctionUrlEvent::from_watson(&valid).method("GET"), 405, "method_not_allowed"),
        ("PUT", FunctionUrlEvent::from_watson(&valid).method("PUT"), 405, "method_not_allowed"),
        (
            "text/plain",
            FunctionUrlEvent::from_watson(&valid).header("content-type", "text/plain"),
            415,
            "unsupported_media_type",
        ),
        (
            "no content type",
            FunctionUrlEvent::from_watson(&valid).without_header("content-type"),
            415,
            "unsupported_media_type",
        ),
        ("not JSON", FunctionUrlEvent::from_watson("hello"), 400, "invalid_json"),
        ("empty body", FunctionUrlEvent::from_watson(""), 400, "empty_body"),
        (
            "invalid UTF-8",
            FunctionUrlEvent::from_watson("").base64_body(b"{\"payload\": \"\xff\"}"),
            400,
            "invalid_utf8",
        ),
        ("an array", FunctionUrlEvent::from_watson("[]"), 422, "not_an_object"),
        ("null", FunctionUrlEvent::from_watson("null"), 422, "not_an_object"),
        ("missing payload", FunctionUrlEvent::from_watson("{\"event\": {}}"), 422, "invalid_payload"),
        (
            "too large",
            FunctionUrlEvent::from_watson(&format!("{{\"pad\": \"{}\"}}", "x".repeat(70_000))),
            413,
            "payload_too_large",
        ),
        (
            "nested deeply",
            FunctionUrlEvent::from_watson(&format!("{}{}", "[".repeat(3000), "]".repeat(3000))),
            400,
            "invalid_json",
        ),
    ];
    for (name, event, status, code) in rows {
        for (got, body) in both(&event).await {
            assert_eq!(got, status, "{name}: {body}");
            assert_eq!(body["error"]["code"], code, "{name}");
            assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{name}");
        }
    }
}

#[tokio::test]
async fn wrong_types_are_named_by_path_without_echoing_values() {
    // Capture from the start, as every test in this binary does: tracing caches whether a
    // log line has a listener, and a test without one could hide a line from one with one.
    let (_logs, _guard) = LogCapture::start();
    let secret_text = "my card number is 4111";
    let cases = [
        (json!({"payload": {"input": secret_text}}), "payload.input", "pre"),
        (json!({"payload": {"input": {"text": 42}}}), "payload.input.text", "pre"),
        (
            json!({"payload": {"output": {"generic": {"response_type": "text", "text": secret_text}}}}),
            "payload.output.generic",
            "post",
        ),
        (
            json!({"payload": {"output": {"generic": [{"response_type": "text", "text": 7}]}}}),
            "payload.output.generic[0]",
            "post",
        ),
    ];
    for (body, path, function) in cases {
        let event = FunctionUrlEvent::from_watson(&body.to_string());
        let response =
            if function == "pre" { pre().handle(event.request()).await } else { post().handle(event.request()).await };
        let (status, reply) = status_and_json(response);
        assert_eq!(status, 422, "{body}");
        let message = reply["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(path), "{message}");
        assert!(!message.contains("4111"), "{message}");
    }
}

#[tokio::test]
async fn an_unexpected_event_name_is_refused() {
    // Capture from the start, as every test in this binary does: tracing caches whether a
    // log line has a listener, and a test without one could hide a line from one with one.
    let (_logs, _guard) = LogCapture::start();
    let pre_request = fixture("ibm-docs-pre-message-request-sms-attachment.json");
    let (status, body) = status_and_json(post().handle(FunctionUrlEvent::from_watson(&pre_request).request()).await);
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("unexpected_event")));
    let post_request = fixture("ibm-docs-post-message-request-actions.json");
    let (status, _) = status_and_json(pre().handle(FunctionUrlEvent::from_watson(&post_request).request()).await);
    assert_eq!(status, 422);
}

#[tokio::test]
async fn a_refused_token_is_neither_echoed_nor_logged() {
    let (logs, _guard) = LogCapture::start();
    let forged = sign_jwt("guessed-secret", json!({"sub": "attacker"}));
    let event = FunctionUrlEvent::post(&fixture("ibm-docs-pre-message-request-sms-attachment.json"))
        .header("authorization", &forged);
    for (status, body) in both(&event).await {
        assert_eq!(status, 401);
        assert_eq!(body, json!({"error": {"code": "unauthorized", "message": "missing or invalid credentials"}}));
    }
    let text = logs.text();
    assert!(text.contains("invalid_credentials"), "the reason is logged: {text}");
    assert!(!text.contains(&forged) && !text.contains(SECRET));
    // And the genuine token is accepted.
    let ok = FunctionUrlEvent::post(&fixture("ibm-docs-pre-message-request-sms-attachment.json"))
        .header("authorization", &watson_authorization());
    assert_eq!(status_and_json(pre().handle(ok.request()).await).0, 200);
}

#[tokio::test]
async fn the_other_auth_modes_work_end_to_end() {
    // Capture from the start, as every test in this binary does: tracing caches whether a
    // log line has a listener, and a test without one could hide a line from one with one.
    let (_logs, _guard) = LogCapture::start();
    use base64::Engine as _;
    let body = fixture("ibm-docs-pre-message-request-sms-attachment.json");
    let basic = PreMessage::new(
        config(&[("WEBHOOK_AUTH", "basic"), ("WEBHOOK_SECRET", "watson:pa ss")]),
        AmazonTranslate::disabled(),
    );
    let credentials = base64::engine::general_purpose::STANDARD.encode("watson:pa ss");
    let event = FunctionUrlEvent::post(&body).header("authorization", &format!("Basic {credentials}"));
    assert_eq!(status_and_json(basic.handle(event.request()).await).0, 200);
    let api_key =
        PreMessage::new(config(&[("WEBHOOK_AUTH", "api-key"), ("WEBHOOK_SECRET", "k-1")]), AmazonTranslate::disabled());
    assert_eq!(
        status_and_json(api_key.handle(FunctionUrlEvent::post(&body).header("x-api-key", "k-1").request()).await).0,
        200
    );
    assert_eq!(
        status_and_json(api_key.handle(FunctionUrlEvent::post(&body).header("x-api-key", "k-2").request()).await).0,
        401
    );
    let none = PreMessage::new(config(&[("WEBHOOK_AUTH", "none")]), AmazonTranslate::disabled());
    assert_eq!(status_and_json(none.handle(FunctionUrlEvent::post(&body).request()).await).0, 200);
}
