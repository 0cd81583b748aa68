//! The steps every webhook takes before its own work, the start-up they share, and the parts the
//! translating webhooks (pre-message, post-message, dialog) have in common.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use lambda_http::http::StatusCode;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::auth::AuthMode;
use crate::aws::Endpoint;
use crate::config::{ConfigError, Variables, WebhookConfig};
use crate::http::{self, RequestError};
use crate::memory::{DynamoMemory, TranslationMemory};
use crate::metrics::{Invocation, MetricsSink};
use crate::payload::{Envelope, PayloadReply, SKIP_ASSISTANT_HEADER, WebhookReply};
use crate::protect::Protector;
use crate::translate::{
    AmazonTranslate, TranslateCounters, TranslationPipeline, Translator, aws_credentials_configured,
};

/// What one webhook function declares: its name, the body it accepts, its configuration and its
/// `process`. [`serve`] does the rest, once for every function: accept (method, auth, content
/// type, size, shape, event name), the outcome's log line, and the metric line.
pub trait Webhook: Sync {
    /// The function's name in log lines and metrics: the binary's name.
    const NAME: &'static str;
    /// The event name its envelope must carry (or carry none); `None` accepts any.
    const EVENT: Option<&'static str>;
    /// The request body as parsed: an envelope, or a dialog node's parameters.
    type Event: Accepted;
    /// What happened to one accepted request.
    type Outcome: TurnOutcome;

    fn config(&self) -> &WebhookConfig;

    /// The answer to an accepted request, and what happened.
    fn process(
        &self,
        event: Self::Event,
        request: &Request,
        request_id: &str,
    ) -> impl Future<Output = (Response<Body>, Self::Outcome)> + Send;

    /// Where the per-invocation metric line goes, and the translation counters it reports;
    /// `None`: this function writes no metric line.
    fn metrics(&self) -> Option<(&MetricsSink, TranslateCounters)>;

    /// The function-URL entry point: [`serve`].
    fn handle(&self, request: Request) -> impl Future<Output = Response<Body>> + Send
    where
        Self: Sized,
    {
        serve(self, request)
    }
}

/// What a translating webhook holds beside its own parts: the one translation pipeline, built from
/// the configuration (the warm cache's size, the protected terms), and where its metric line goes.
pub struct Translating<T> {
    pipeline: TranslationPipeline<T>,
    metrics: MetricsSink,
    /// Whether this webhook's texts may go into the shared translation memory.
    memory_allowed: bool,
}

impl<T: Translator> Translating<T> {
    pub fn new(config: &WebhookConfig, translator: T) -> Self {
        let protector = Protector::new(&config.protected_terms);
        let pipeline = TranslationPipeline::new(translator, config.translate_cache_entries, protector)
            .with_refresh(config.memory_refresh);
        Translating { pipeline, metrics: MetricsSink::stdout(), memory_allowed: true }
    }

    /// Lets the shared translation memory serve and keep this webhook's texts only if `allowed`
    /// (pre-message: users' own words, only with `TRANSLATION_MEMORY_INPUTS=on`).
    pub fn memory_only_if(mut self, allowed: bool) -> Self {
        self.memory_allowed = allowed;
        self
    }

    /// [`Webhook::metrics`] of a translating webhook: its sink and the pipeline's counters.
    pub fn metrics(&self) -> Option<(&MetricsSink, TranslateCounters)> {
        Some((&self.metrics, self.pipeline.counters()))
    }
}

/// The builder steps of every translating webhook, written once: a webhook holds a
/// [`Translating`] field named `translating` and says so with [`translating_webhook!`].
pub trait TranslatingWebhook: Webhook + Sized {
    type Translator: Translator;

    fn translating(&self) -> &Translating<Self::Translator>;

    fn translating_mut(&mut self) -> &mut Translating<Self::Translator>;

    /// Serves and keeps translations in the shared translation memory, if this webhook's texts
    /// may go there ([`Translating::memory_only_if`]).
    fn with_memory(mut self, memory: Arc<dyn TranslationMemory>) -> Self {
        let translating = self.translating_mut();
        if translating.memory_allowed {
            translating.pipeline.set_memory(memory);
        }
        self
    }

    /// [`Self::with_memory`] with the memory the configuration names (`TRANSLATION_TABLE`), if any.
    fn with_configured_memory(self) -> Self {
        match memory(self.config()) {
            Some(memory) => self.with_memory(memory),
            None => self,
        }
    }

    /// Where the per-invocation metric line goes (stdout unless changed, for tests).
    fn with_metrics(mut self, sink: MetricsSink) -> Self {
        self.translating_mut().metrics = sink;
        self
    }

    /// The translation pipeline: cache, memory, protected spans, then the translator.
    fn translator(&self) -> &TranslationPipeline<Self::Translator> {
        &self.translating().pipeline
    }
}

/// `impl TranslatingWebhook for $webhook<T>` through its field `translating`.
#[macro_export]
macro_rules! translating_webhook {
    ($webhook:ident) => {
        impl<T: $crate::translate::Translator> $crate::webhook::TranslatingWebhook for $webhook<T> {
            type Translator = T;

            fn translating(&self) -> &$crate::webhook::Translating<T> {
                &self.translating
            }

            fn translating_mut(&mut self) -> &mut $crate::webhook::Translating<T> {
                &mut self.translating
            }
        }
    };
}
pub use translating_webhook;

/// Serves `webhook` on the Lambda runtime: where every function's `main` ends.
pub async fn run<W: Webhook>(webhook: W) -> Result<(), lambda_http::Error> {
    lambda_http::run(lambda_http::service_fn(|request| async { Ok::<_, Infallible>(serve(&webhook, request).await) }))
        .await
}

/// A parsed request body: its event name, if it has one.
pub trait Accepted: DeserializeOwned + Send {
    fn event_name(&self) -> Option<&str>;
}

impl<P: DeserializeOwned + Send> Accepted for Envelope<P> {
    fn event_name(&self) -> Option<&str> {
        Envelope::event_name(self)
    }
}

/// A body taken as a plain JSON object (a dialog node's parameters, a log event of any name).
impl Accepted for serde_json::Map<String, serde_json::Value> {
    fn event_name(&self) -> Option<&str> {
        None
    }
}

/// What happened to one accepted request: its log line (never the user's text) and whether a
/// downstream fault made it fail or pass through.
pub trait TurnOutcome {
    fn log(&self, request_id: &str);
    fn failed(&self) -> bool;
}

/// A function that logs its own lines as it works.
impl TurnOutcome for () {
    fn log(&self, _: &str) {}

    fn failed(&self) -> bool {
        false
    }
}

/// The function-URL entry point of every webhook: every request gets an answer, never a panic;
/// an accepted one gets one outcome line and one metric line, a refused one a single short log
/// line and no metric line.
pub async fn serve<W: Webhook>(webhook: &W, request: Request) -> Response<Body> {
    let invocation = webhook.metrics().map(|(_, counters)| Invocation::start(counters));
    let event: W::Event = match accept(webhook.config(), &request) {
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
    if let (Some(invocation), Some((sink, counters))) = (invocation, webhook.metrics()) {
        invocation.finish(sink, W::NAME, counters, outcome.failed());
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
pub fn accept<T: DeserializeOwned>(config: &WebhookConfig, request: &Request) -> Result<T, Response<Body>> {
    check(config, request).map_err(|(error, reason)| refuse(request, error, reason))
}

fn check<T: DeserializeOwned>(
    config: &WebhookConfig,
    request: &Request,
) -> Result<T, (RequestError, Option<&'static str>)> {
    http::check_method(request).map_err(|error| (error, None))?;
    if let Err(failure) = config.auth.verify(request.headers()) {
        return Err((RequestError::Unauthorized, Some(failure.reason())));
    }
    http::check_content_type(request.headers()).map_err(|error| (error, None))?;
    http::parse_json_body(request.body(), config.max_body_bytes).map_err(|error| (error, None))
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

/// Either answer of a pre-message webhook: `{"payload": …}`, or a message response sent straight
/// to the channel with the `x-watson-assistant-webhook-return` header (IBM's "Making a pre-message webhook call", https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-webhook-pre-watson-assistant).
pub fn respond<Req: Serialize, Resp: Serialize>(answer: &WebhookReply<Req, Resp>) -> Response<Body> {
    match answer {
        WebhookReply::Continue(payload) => reply(payload),
        WebhookReply::Skip(response) => {
            let mut skip = http::json_response(StatusCode::OK, response);
            skip.headers_mut().insert(SKIP_ASSISTANT_HEADER, lambda_http::http::HeaderValue::from_static("true"));
            skip
        }
    }
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

/// Reads settings of `function` with `read`, from the function's variables
/// ([`Variables::of_function`]: `<FUNCTION>_<VARIABLE>` overrides `<VARIABLE>`); a bad value fails
/// the cold start with one line naming the variable (never its value: it could be a secret).
pub fn settings<T>(
    function: &str,
    read: impl FnOnce(&Variables) -> Result<T, ConfigError>,
) -> Result<T, lambda_http::Error> {
    read(&Variables::of_function(function)).map_err(|error| {
        tracing::error!(%error, "{function}: configuration error");
        error.into()
    })
}

/// Reads the [`WebhookConfig`] (see [`settings`]) and says out loud when auth is off.
pub fn start(function: &str) -> Result<WebhookConfig, lambda_http::Error> {
    let config = settings(function, WebhookConfig::read)?;
    let memory = match &config.memory {
        Some(memory) => format!("on (table {}, {} days)", memory.table, memory.ttl_days),
        None => "off (TRANSLATION_TABLE unset)".to_owned(),
    };
    if *config.auth.mode() == AuthMode::None {
        tracing::warn!("WEBHOOK_AUTH=none: {function} accepts requests from anyone; use it only for local tests");
    }
    tracing::info!(
        function,
        auth = config.auth.mode().name(),
        assistant_language = %config.assistant_language,
        supported_languages = %config.supported_languages.join(","),
        translation_memory = %memory,
        "started"
    );
    Ok(config)
}

/// Amazon Translate with the configured deadline, built without touching the network; off, and
/// said so, when no AWS credentials can be found.
pub fn translator(config: &WebhookConfig) -> AmazonTranslate {
    if aws_credentials_configured() {
        tracing::info!(translate_timeout_ms = config.translate_timeout.as_millis() as u64, "translation is on");
        AmazonTranslate::new(config.translate_timeout, Endpoint::Aws).with_settings(config.translation.clone())
    } else {
        tracing::warn!("no AWS credentials found: translation is off, every message passes through untranslated");
        AmazonTranslate::disabled()
    }
}

/// The translation memory when `TRANSLATION_TABLE` names one: built without touching the network
/// (its client comes on the first lookup).
pub fn memory(config: &WebhookConfig) -> Option<Arc<dyn TranslationMemory>> {
    let settings = config.memory.as_ref()?;
    let memory = DynamoMemory::new(&settings.table, settings.timeout, settings.ttl_days, settings.endpoint.clone());
    Some(Arc::new(memory))
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
        let skip = respond(&WebhookReply::<MessageRequest, _>::Skip(response.clone()));
        assert_eq!(skip.headers()[SKIP_ASSISTANT_HEADER], "true");
        let body: serde_json::Value = serde_json::from_slice(skip.body().as_ref()).unwrap();
        assert_eq!(body, serde_json::to_value(&response).unwrap());

        let go_on = respond(&WebhookReply::<_, MessageResponse>::Continue(MessageRequest::default()));
        assert!(go_on.headers().get(SKIP_ASSISTANT_HEADER).is_none());
        let body: serde_json::Value = serde_json::from_slice(go_on.body().as_ref()).unwrap();
        assert_eq!(body, serde_json::json!({"payload": {}}));
    }
}
