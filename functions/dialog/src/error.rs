//! What can go wrong in a dialog callout, each with its status and a JSON body that says what is
//! accepted. A non-2xx answer sends the node down its failure branch with the error in
//! `output.webhook_error` (IBM's "Making a programmatic call from dialog").

use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use serde_json::json;
use shared::http::{error_body, json_response};

use crate::call::ACTIONS;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialogError {
    #[error("unknown action")]
    UnknownAction,
    #[error("missing parameter `{name}` (needed by action {action})")]
    MissingParameter { name: &'static str, action: &'static str },
    #[error("parameter `{name}` must be {expected}")]
    InvalidParameter { name: &'static str, expected: &'static str },
    #[error("no answer within the deadline of {deadline_ms} ms")]
    DeadlineExceeded { deadline_ms: u64 },
    #[error("translation failed ({kind})")]
    TranslationFailed { kind: &'static str },
    #[error("Amazon Translate refused this text or language pair (check `source` and `target`)")]
    TranslationRefused,
}

impl DialogError {
    pub fn status(&self) -> StatusCode {
        match self {
            DialogError::UnknownAction
            | DialogError::MissingParameter { .. }
            | DialogError::InvalidParameter { .. } => StatusCode::BAD_REQUEST,
            DialogError::DeadlineExceeded { .. } => StatusCode::GATEWAY_TIMEOUT,
            DialogError::TranslationFailed { .. } => StatusCode::BAD_GATEWAY,
            DialogError::TranslationRefused => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            DialogError::UnknownAction => "unknown_action",
            DialogError::MissingParameter { .. } => "missing_parameter",
            DialogError::InvalidParameter { .. } => "invalid_parameter",
            DialogError::DeadlineExceeded { .. } => "deadline_exceeded",
            DialogError::TranslationFailed { .. } => "translation_failed",
            DialogError::TranslationRefused => "translation_refused",
        }
    }

    /// The one error body (`shared::http::error_body`); a 400 also says what is accepted.
    pub fn into_response(self) -> Response<Body> {
        let mut body = error_body(self.code(), &self.to_string());
        if self.status() == StatusCode::BAD_REQUEST {
            body["error"]["accepted"] = accepted();
        }
        json_response(self.status(), &body)
    }
}

/// The parameter sets a node can send, for 400 answers.
fn accepted() -> serde_json::Value {
    json!({
        "action": ACTIONS,
        "translate": {"text": "string", "target": "language code", "source": "language code (optional; detected when absent)"},
        "detect": {"text": "string"},
        "language_translator": {"model_id": "e.g. en-es", "text": "string or list of strings"}
    })
}
