//! The edge every webhook function shares: it knows who may call and how large a body it takes
//! ([`EdgeConfig`]), and nothing of what a function does with the body.
//!
//! One request, one vocabulary (a function names its own inner steps after what they do:
//! translate, decide, store; never with these words):
//! - **run**: `main` hands the webhook to the Lambda runtime ([`run`]), once per cold start;
//! - **serve**: one function-URL request, end to end ([`serve`]): accept, process, the outcome's
//!   log line, the metric line;
//! - **accept**: the edge's checks ([`accept`]): method, auth, content type, size and shape, then
//!   the event name; a refusal is answered and logged there;
//! - **process**: the function's own work on an accepted event ([`Webhook::process`]): the
//!   response and what happened ([`TurnOutcome`]);
//! - **reply** and **skip**: the two answers of a message webhook ([`reply`], [`skip`]).

use std::convert::Infallible;
use std::future::Future;
use std::time::Instant;

use lambda_http::http::StatusCode;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::auth::AuthMode;
use crate::config::{self, EdgeConfig};
use crate::functions::Function;
use crate::http::{self, RequestError};
use crate::metrics::{HANDLER_DURATION, MetricLine, MetricsSink, PASS_THROUGH_AFTER_FAULT};
use crate::payload::{Envelope, PayloadReply, SKIP_ASSISTANT_HEADER};
use crate::secrets;

/// What one webhook function declares: its name, the body it accepts, its edge settings and its
/// `process`. [`serve`] does the rest, once for every function.
pub trait Webhook: Sync {
    /// Which function this is, in the one list ([`Function`]): its name, event and the rest.
    const FUNCTION: Function;
    /// The function's name in log lines and metrics: the binary's name.
    const NAME: &'static str = Self::FUNCTION.name();
    /// The event name its envelope must carry (or carry none); `None` accepts any.
    const EVENT: Option<&'static str> = Self::FUNCTION.event();
    /// The request body as parsed: an envelope, or a dialog node's parameters.
    type Event: Accepted;
    /// What happened to one accepted request.
    type Outcome: TurnOutcome;

    fn edge(&self) -> &EdgeConfig;

    /// The answer to an accepted request, and what happened.
    fn process(
        &self,
        event: Self::Event,
        request: &Request,
        request_id: &str,
    ) -> impl Future<Output = (Response<Body>, Self::Outcome)> + Send;

    /// Where the per-invocation metric line goes; `None` (the default): this function writes none.
    fn metrics(&self) -> Option<&MetricsSink> {
        None
    }
}

/// Serves `webhook` on the Lambda runtime: where every function's `main` ends.
pub async fn run<W: Webhook>(webhook: W) -> Result<(), lambda_http::Error> {
    lambda_http::run(lambda_http::service_fn(|request| async { Ok::<_, Infallible>(serve(&webhook, request).await) }))
        .await
}

/// A request body as the webhook takes it, read after auth: its content type, size and shape
/// ([`Accepted::read`]), and its event name, if it has one.
pub trait Accepted: Sized + Send {
    /// The body of an authenticated request, or why it is refused (a 4xx). `max_body_bytes` is
    /// the edge's `MAX_BODY_BYTES`. A JSON webhook's body is [`read_json`]; the audio webhook's
    /// is `multipart/form-data`.
    fn read(request: &Request, max_body_bytes: usize) -> impl Future<Output = Result<Self, RequestError>> + Send;

    fn event_name(&self) -> Option<&str>;
}

/// The JSON webhooks' body: `application/json`, at most `max_body_bytes`, a UTF-8 JSON object of
/// the shape `T`.
pub fn read_json<T: DeserializeOwned>(request: &Request, max_body_bytes: usize) -> Result<T, RequestError> {
    http::check_content_type(request.headers())?;
    http::parse_json_body(request.body(), max_body_bytes)
}

impl<P: DeserializeOwned + Send> Accepted for Envelope<P> {
    async fn read(request: &Request, max_body_bytes: usize) -> Result<Self, RequestError> {
        read_json(request, max_body_bytes)
    }

    fn event_name(&self) -> Option<&str> {
        Envelope::event_name(self)
    }
}

/// A body taken as a plain JSON object (a dialog node's parameters, a log event of any name).
impl Accepted for serde_json::Map<String, serde_json::Value> {
    async fn read(request: &Request, max_body_bytes: usize) -> Result<Self, RequestError> {
        read_json(request, max_body_bytes)
    }

    fn event_name(&self) -> Option<&str> {
        None
    }
}

/// What happened to one accepted request: its log line (never the user's text), whether a
/// downstream fault degraded the answer, and the function's own figures for its metric line.
pub trait TurnOutcome {
    fn log(&self, request_id: &str);

    /// A downstream service failed and the answer is the worse for it: a message or reply passed
    /// through untranslated, a callout answered 5xx. The metric `PassThroughAfterFault`.
    fn downstream_fault(&self) -> bool;

    /// Puts this outcome's own metrics on the invocation's line (the edge adds its two after).
    fn measure(&self, _line: &mut MetricLine) {}
}

/// A function that logs its own lines as it works, and whose faults are in its answer.
impl TurnOutcome for () {
    fn log(&self, _: &str) {}

    fn downstream_fault(&self) -> bool {
        false
    }
}

/// The function-URL entry point of every webhook: every request gets an answer, never a panic;
/// an accepted one gets one outcome line and, if the function writes metrics, one metric line; a
/// refused one a single short log line and no metric line.
pub async fn serve<W: Webhook>(webhook: &W, request: Request) -> Response<Body> {
    let started = Instant::now();
    let event: W::Event = match accept(webhook.edge(), &request).await {
        Ok(event) => event,
        Err(response) => return response,
    };
    if let Some(expected) = W::EVENT
        && event.event_name().is_some_and(|name| name != expected)
    {
        return refuse(&request, RequestError::UnexpectedEvent { expected }, None);
    }
    let request_id = request_id(&request);
    let (response, outcome) = webhook.process(event, &request, &request_id).await;
    outcome.log(&request_id);
    if let Some(sink) = webhook.metrics() {
        let mut line = MetricLine::new(W::NAME);
        outcome.measure(&mut line);
        line.count(PASS_THROUGH_AFTER_FAULT, u64::from(outcome.downstream_fault()));
        line.duration(HANDLER_DURATION, started.elapsed());
        sink.write(&line);
    }
    response
}

/// Method, auth, content type, size and shape, in that order: a caller without credentials learns
/// nothing about the body rules, and the body is not read before auth. A refusal comes back as
/// the response to send, already logged in ONE short line (status, code, and for a 401 the
/// reason), never with the body or the credentials. Handlers write no metric line for it, so a
/// flood of junk requests costs one log line each.
// The error is the finished response, built once per refused request: boxing it buys nothing.
#[allow(clippy::result_large_err)]
pub async fn accept<T: Accepted>(edge: &EdgeConfig, request: &Request) -> Result<T, Response<Body>> {
    if let Err(error) = http::check_method(request) {
        return Err(refuse(request, error, None));
    }
    if let Err(failure) = edge.auth.verify(request.headers()).await {
        return Err(refuse(request, RequestError::Unauthorized, Some(failure.reason())));
    }
    T::read(request, edge.max_body_bytes).await.map_err(|error| refuse(request, error, None))
}

fn refuse(request: &Request, error: RequestError, reason: Option<&'static str>) -> Response<Body> {
    let request_id = request_id(request);
    match reason {
        Some(reason) => tracing::warn!(request_id, status = 401, reason, "webhook auth failed"),
        None => tracing::info!(request_id, status = error.status().as_u16(), error = error.code(), "request refused"),
    }
    error.into_response()
}

/// `200 {"payload": …}`: the normal answer of the pre- and post-message webhooks.
pub fn reply<P: Serialize>(payload: &P) -> Response<Body> {
    http::json_response(StatusCode::OK, &PayloadReply { payload })
}

/// A pre-message webhook's other answer: a message response sent straight to the channel,
/// without the `payload` wrapper and with the `x-watson-assistant-webhook-return` header (IBM's
/// "Making a pre-message webhook call", <https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-webhook-pre-watson-assistant>).
pub fn skip<R: Serialize>(response: &R) -> Response<Body> {
    let mut skip = http::json_response(StatusCode::OK, response);
    skip.headers_mut().insert(SKIP_ASSISTANT_HEADER, lambda_http::http::HeaderValue::from_static("true"));
    skip
}

/// The request id for log lines: the Lambda invocation's, else the function URL event's, else `-`.
pub fn request_id(request: &Request) -> String {
    if let Some(context) = request.lambda_context_ref() {
        return context.request_id.clone();
    }
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.request_id.clone().unwrap_or_else(|| "-".to_owned()),
        _ => "-".to_owned(),
    }
}

/// Reads the edge's [`EdgeConfig`] for `function` (see [`config::settings`]), with its secrets from
/// Parameter Store or Secrets Manager when the variables name them ([`secrets`]), fetches an OAuth
/// issuer's keys, and says out loud when auth is off.
pub async fn start(function: &str) -> Result<EdgeConfig, lambda_http::Error> {
    let variables = config::Variables::of_function(function);
    let stored = secrets::read_stored(&variables).await.map_err(|error| config::refuse(function, error))?;
    let edge = EdgeConfig::read(&variables.with(stored)).map_err(|error| config::refuse(function, error))?;
    if *edge.auth.mode() == AuthMode::None {
        tracing::warn!("WEBHOOK_AUTH=none: {function} accepts requests from anyone; use it only for local tests");
    }
    if let Some(oauth) = edge.auth.oauth() {
        oauth.prefetch().await;
    }
    tracing::info!(function, auth = edge.auth.mode().name(), max_body_bytes = edge.max_body_bytes, "started");
    Ok(edge)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::{MessageRequest, MessageResponse};

    #[test]
    fn skip_answers_carry_the_header_and_no_payload_wrapper() {
        let response: MessageResponse = serde_json::from_value(serde_json::json!({
            "output": {"generic": [{"response_type": "text", "text": "Straight from the webhook."}]}
        }))
        .unwrap();
        let skipped = skip(&response);
        assert_eq!(skipped.headers()[SKIP_ASSISTANT_HEADER], "true");
        let body: serde_json::Value = serde_json::from_slice(skipped.body().as_ref()).unwrap();
        assert_eq!(body, serde_json::to_value(&response).unwrap());

        let go_on = reply(&MessageRequest::default());
        assert!(go_on.headers().get(SKIP_ASSISTANT_HEADER).is_none());
        let body: serde_json::Value = serde_json::from_slice(go_on.body().as_ref()).unwrap();
        assert_eq!(body, serde_json::json!({"payload": {}}));
    }
}
