//! The steps every webhook takes before its own work, and the start-up they share.

use std::sync::Arc;

use lambda_http::http::StatusCode;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::auth::AuthMode;
use crate::config::WebhookConfig;
use crate::http::{self, RequestError};
use crate::memory::{DynamoMemory, TranslationMemory};
use crate::payload::{Envelope, PayloadReply, SKIP_ASSISTANT_HEADER, WebhookReply};
use crate::translate::{AmazonTranslate, aws_credentials_configured};

/// Method, auth, content type, size and shape, in that order: a caller without credentials learns
/// nothing about the body rules, and the body is not read before auth. A refusal comes back as
/// the response to send, already logged (status and code only).
// The error is the finished response, built once per refused request: boxing it buys nothing.
#[allow(clippy::result_large_err)]
pub fn accept<T: DeserializeOwned>(config: &WebhookConfig, request: &Request) -> Result<T, Response<Body>> {
    check(config, request).map_err(|error| refuse(request, error))
}

/// Like `accept`, for an envelope that must carry `expected_event` (or no event name).
#[allow(clippy::result_large_err)]
pub fn accept_event<P: DeserializeOwned>(
    config: &WebhookConfig,
    request: &Request,
    expected_event: &'static str,
) -> Result<Envelope<P>, Response<Body>> {
    let envelope: Envelope<P> = accept(config, request)?;
    if envelope.event_name().is_some_and(|name| name != expected_event) {
        return Err(refuse(request, RequestError::UnexpectedEvent { expected: expected_event }));
    }
    Ok(envelope)
}

fn check<T: DeserializeOwned>(config: &WebhookConfig, request: &Request) -> Result<T, RequestError> {
    http::check_method(request)?;
    if let Err(failure) = config.auth.verify(request.headers()) {
        tracing::warn!(request_id = %request_id(request), reason = failure.reason(), "webhook auth failed");
        return Err(RequestError::Unauthorized);
    }
    http::check_content_type(request.headers())?;
    http::parse_json_body(request.body(), config.max_body_bytes)
}

fn refuse(request: &Request, error: RequestError) -> Response<Body> {
    tracing::info!(request_id = %request_id(request), status = error.status().as_u16(), error = error.code(), "request refused");
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

/// Reads the config (failing the cold start with a message naming the variable) and says out
/// loud when auth is off. `<FUNCTION>_<VARIABLE>` (e.g. `DIALOG_WEBHOOK_AUTH`) overrides
/// `<VARIABLE>` for this function: under `cargo lambda watch` every function shares one
/// environment, while each may need its own auth.
pub fn start(function: &str) -> Result<WebhookConfig, lambda_http::Error> {
    let config = WebhookConfig::from_lookup(|name| function_env(function, name)).map_err(|error| {
        tracing::error!(%error, "{function}: configuration error");
        error
    })?;
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

/// `<FUNCTION>_<NAME>` if set, else `<NAME>`.
pub fn function_env(function: &str, name: &str) -> Option<String> {
    let specific = format!("{}_{name}", function.to_ascii_uppercase());
    std::env::var(specific).ok().or_else(|| std::env::var(name).ok())
}

/// Amazon Translate with the configured deadline, built without touching the network; off, and
/// said so, when no AWS credentials can be found.
pub fn translator(config: &WebhookConfig) -> AmazonTranslate {
    if aws_credentials_configured() {
        tracing::info!(translate_timeout_ms = config.translate_timeout.as_millis() as u64, "translation is on");
        AmazonTranslate::new(config.translate_timeout).with_settings(config.translation.clone())
    } else {
        tracing::warn!("no AWS credentials found: translation is off, every message passes through untranslated");
        AmazonTranslate::disabled()
    }
}

/// The translation memory when `TRANSLATION_TABLE` names one: built without touching the network
/// (its client comes on the first lookup).
pub fn memory(config: &WebhookConfig) -> Option<Arc<dyn TranslationMemory>> {
    let settings = config.memory.as_ref()?;
    let memory = match &settings.local_endpoint {
        Some(endpoint) => DynamoMemory::local(endpoint, &settings.table, settings.timeout, settings.ttl_days),
        None => DynamoMemory::new(&settings.table, settings.timeout, settings.ttl_days),
    };
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
