//! The steps every webhook takes before its own work, and the start-up they share.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use serde::de::DeserializeOwned;

use crate::auth::AuthMode;
use crate::config::WebhookConfig;
use crate::http::{self, RequestError};
use crate::translate::{AmazonTranslate, aws_credentials_configured};

/// Method, auth, content type, size and shape, in that order: a caller without credentials learns
/// nothing about the body rules, and the body is not read before auth.
pub fn accept<T: DeserializeOwned>(config: &WebhookConfig, request: &Request) -> Result<T, RequestError> {
    http::check_method(request)?;
    if let Err(failure) = config.auth.verify(request.headers()) {
        tracing::warn!(request_id = %request_id(request), reason = failure.reason(), "webhook auth failed");
        return Err(RequestError::Unauthorized);
    }
    http::check_content_type(request.headers())?;
    http::parse_json_body(request.body(), config.max_body_bytes)
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

/// Reads the config (failing the cold start with a message naming the variable), says out loud
/// what is risky or off, and builds the translator without touching the network.
pub fn start(function: &str) -> Result<(WebhookConfig, AmazonTranslate), lambda_http::Error> {
    let config = WebhookConfig::from_env().map_err(|error| {
        tracing::error!(%error, "{function}: configuration error");
        error
    })?;
    if *config.auth.mode() == AuthMode::None {
        tracing::warn!("WEBHOOK_AUTH=none: {function} accepts requests from anyone; use it only for local tests");
    }
    let translator = if aws_credentials_configured() {
        AmazonTranslate::new(config.translate_timeout)
    } else {
        tracing::warn!("no AWS credentials found: translation is off, every message passes through untranslated");
        AmazonTranslate::disabled()
    };
    tracing::info!(
        function,
        auth = config.auth.mode().name(),
        assistant_language = %config.assistant_language,
        supported_languages = %config.supported_languages.join(","),
        translate_timeout_ms = config.translate_timeout.as_millis() as u64,
        translation = if translator.is_enabled() { "on" } else { "off" },
        "started"
    );
    Ok((config, translator))
}
