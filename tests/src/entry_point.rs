//! Each function driven exactly as `lambda_http::run` drives it in Lambda: the raw function-URL
//! event JSON is deserialized into `lambda_http::request::LambdaRequest` (as the runtime does with
//! the bytes it gets from the Runtime API), paired with a `Context` carrying a request id into a
//! `LambdaEvent`, and handed to `lambda_http::Adapter::from(lambda_http::service_fn(…))`, the
//! service `run` wraps around the handler. The `LambdaResponse` it returns is serialized as the
//! runtime posts it back, and read as a function URL would: status, headers, body (base64 decoded).
//!
//! So these tests cover lambda_http's own conversion of the event (headers, method, query string,
//! base64 bodies, the request context) and of the response, not only the handler.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, Body, Context, LambdaEvent, Request, Response, Service, service_fn};
use serde_json::Value;

use crate::fixture_json;

/// The request id of the Lambda invocation (the `Context`), as the Runtime API would give it.
/// Log lines must carry it.
pub const INVOCATION_ID: &str = "8f0e4c1a-hardening-invocation-0001";

/// Anything with the functions' entry point shape: one request in, one response out.
pub trait Handler: Sync {
    fn handle(&self, request: Request) -> impl Future<Output = Response<Body>> + Send;
}

/// Every webhook, through its one entry point (`shared::webhook::serve`).
impl<W: shared::webhook::Webhook> Handler for W {
    fn handle(&self, request: Request) -> impl Future<Output = Response<Body>> + Send {
        shared::webhook::serve(self, request)
    }
}

/// A raw Lambda function-URL event (payload format 2.0), built from
/// `tests/data/function-url-post-event.json`. Header names are kept exactly as given, so a test
/// can send `Authorization` as well as `authorization`.
#[derive(Debug, Clone)]
pub struct UrlEvent {
    event: Value,
}

impl UrlEvent {
    /// A POST with `content-type: application/json`, no credentials, and `body` as text.
    /// A whole function URL event as given (a ready event of `tests/invoke/`).
    pub fn from_json(event: Value) -> Self {
        UrlEvent { event }
    }

    pub fn post(body: &str) -> Self {
        let mut event = fixture_json("function-url-post-event.json");
        event["body"] = Value::String(body.to_owned());
        UrlEvent { event }
    }

    /// A POST whose body is `bytes`, base64-encoded with `isBase64Encoded: true`, as function
    /// URLs deliver bodies they do not treat as text.
    pub fn post_base64(bytes: &[u8]) -> Self {
        let mut event = Self::post("");
        event.event["body"] = Value::String(base64::engine::general_purpose::STANDARD.encode(bytes));
        event.event["isBase64Encoded"] = Value::Bool(true);
        event
    }

    /// No `body` member at all (what a function URL sends for a bodiless request).
    pub fn without_body(mut self) -> Self {
        if let Some(event) = self.event.as_object_mut() {
            event.remove("body");
            event.insert("isBase64Encoded".into(), Value::Bool(false));
        }
        self
    }

    pub fn method(mut self, method: &str) -> Self {
        self.event["requestContext"]["http"]["method"] = Value::String(method.to_owned());
        self
    }

    /// Sets a header, under exactly this name.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.event["headers"][name] = Value::String(value.to_owned());
        self
    }

    /// Removes a header, whatever the case of its name.
    pub fn without_header(mut self, name: &str) -> Self {
        if let Some(headers) = self.event["headers"].as_object_mut() {
            headers.retain(|key, _| !key.eq_ignore_ascii_case(name));
        }
        self
    }

    /// Whether a header of this name (any case) is present.
    pub fn has_header(&self, name: &str) -> bool {
        self.event["headers"]
            .as_object()
            .is_some_and(|headers| headers.keys().any(|key| key.eq_ignore_ascii_case(name)))
    }

    /// The raw query string, and `queryStringParameters` as a function URL fills it in.
    pub fn query(mut self, raw: &str) -> Self {
        self.event["rawQueryString"] = Value::String(raw.to_owned());
        let parameters: serde_json::Map<String, Value> = raw
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(key, value)| (key.to_owned(), Value::String(value.to_owned())))
            .collect();
        self.event["queryStringParameters"] = Value::Object(parameters);
        self
    }

    /// The event as the Runtime API hands it to the function.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.event).expect("an event serializes")
    }

    pub fn json(&self) -> &Value {
        &self.event
    }
}

/// What the function URL sends back to the caller, read from the serialized `LambdaResponse`.
#[derive(Debug, Clone)]
pub struct UrlResponse {
    pub status: u16,
    /// Lower-case names.
    pub headers: BTreeMap<String, String>,
    /// The body, base64-decoded when `isBase64Encoded` says so.
    pub body: Vec<u8>,
    /// The serialized `LambdaResponse`, as posted to the Runtime API.
    pub raw: Value,
}

impl UrlResponse {
    fn from_lambda_response(serialized: &[u8]) -> Self {
        let raw: Value = serde_json::from_slice(serialized).expect("a LambdaResponse serializes to JSON");
        let status = raw["statusCode"].as_u64().and_then(|s| u16::try_from(s).ok()).expect("statusCode");
        let headers = raw["headers"]
            .as_object()
            .map(|headers| {
                headers
                    .iter()
                    .map(|(name, value)| (name.to_ascii_lowercase(), value.as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let text = raw["body"].as_str().unwrap_or_default();
        let body = if raw["isBase64Encoded"].as_bool().unwrap_or(false) {
            base64::engine::general_purpose::STANDARD.decode(text).expect("a base64 body decodes")
        } else {
            text.as_bytes().to_vec()
        };
        UrlResponse { status, headers, body, raw }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; panics, naming the status, if it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("status {}: the body is not JSON ({error}): {}", self.status, self.text()))
    }

    /// `error.code` of an error body.
    pub fn error_code(&self) -> Option<String> {
        self.json()["error"]["code"].as_str().map(str::to_owned)
    }
}

/// Sends one event through the real entry point, with the invocation id `INVOCATION_ID`.
pub async fn invoke<H: Handler>(handler: &H, event: &UrlEvent) -> UrlResponse {
    invoke_bytes(handler, &event.to_bytes(), INVOCATION_ID).await
}

/// Sends raw event bytes through the real entry point: `LambdaRequest` from the bytes (what the
/// runtime deserializes), a `Context`, `Adapter::from(service_fn(…))`, the serialized response.
pub async fn invoke_bytes<H: Handler>(handler: &H, event: &[u8], request_id: &str) -> UrlResponse {
    let payload: LambdaRequest = serde_json::from_slice(event).expect("the runtime accepts a function URL event");
    let mut context = Context::default();
    context.request_id = request_id.to_owned();
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    context.deadline = now_ms + 30_000;
    context.invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:hardening".to_owned();

    // What `lambda_http::run(service_fn(…))` builds around the handler in each main.rs.
    let service = service_fn(|request: Request| async move { Ok::<_, Infallible>(handler.handle(request).await) });
    let mut adapter = Adapter::from(service);
    std::future::poll_fn(|cx| adapter.poll_ready(cx)).await.unwrap_or_else(|never: Infallible| match never {});
    let response =
        adapter.call(LambdaEvent::new(payload, context)).await.unwrap_or_else(|never: Infallible| match never {});
    let serialized = serde_json::to_vec(&response).expect("the runtime serializes the response");
    UrlResponse::from_lambda_response(&serialized)
}

/// Fails, naming where and what (but printing only the start of the haystack), if any of
/// `needles` occurs in any of `places`. For secrets, tokens and user text.
pub fn assert_nothing_leaks(places: &[(&str, &str)], needles: &[&str]) {
    for (place, haystack) in places {
        for needle in needles.iter().filter(|needle| !needle.is_empty()) {
            if let Some(at) = haystack.find(needle) {
                let shown: String = needle.chars().take(40).collect();
                let around: String = haystack[at.saturating_sub(200)..].chars().take(400).collect();
                panic!("`{shown}…` leaked into {place}: …{around}…");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Echo;

    impl Handler for Echo {
        async fn handle(&self, request: Request) -> Response<Body> {
            let method = request.method().to_string();
            let body = String::from_utf8_lossy(request.body().as_ref()).into_owned();
            let authorization = request.headers().get("authorization").map(|v| v.to_str().unwrap_or("?").to_owned());
            let query = request.uri().query().map(str::to_owned);
            let reply =
                serde_json::json!({"method": method, "body": body, "authorization": authorization, "query": query});
            shared::http::json_response(lambda_http::http::StatusCode::IM_A_TEAPOT, &reply)
        }
    }

    #[tokio::test]
    async fn the_driver_goes_through_lambda_http_s_conversions() {
        let event =
            UrlEvent::post_base64(b"{\"a\": 1}").method("PATCH").header("Authorization", "Bearer x").query("k=v");
        let response = invoke(&Echo, &event).await;
        assert_eq!(response.status, 418);
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert!(response.raw["isBase64Encoded"].is_boolean(), "{}", response.raw);
        let body = response.json();
        assert_eq!(body["method"], "PATCH");
        assert_eq!(body["body"], "{\"a\": 1}", "lambda_http decoded the base64 body");
        assert_eq!(body["authorization"], "Bearer x", "an upper-case header name is found in lower case");
        assert_eq!(body["query"], "k=v");
        let empty = invoke(&Echo, &UrlEvent::post("x").without_body()).await;
        assert_eq!(empty.json()["body"], "");
    }

    #[test]
    #[should_panic(expected = "leaked into the logs")]
    fn a_leak_is_caught() {
        assert_nothing_leaks(&[("the logs", "a line with s3cret in it")], &["s3cret"]);
    }
}
