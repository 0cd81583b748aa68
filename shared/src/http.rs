//! The HTTP edge every webhook shares: method, content type, size and JSON checks, and the one
//! error type that maps each failure to a status and a JSON body.
//!
//! Error bodies name the problem and where it is, never a value from the request: a value could
//! be user text or a token.

use lambda_http::http::{HeaderMap, Method, StatusCode, header};
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why a request was refused. Every variant is the client's fault, so every status is a 4xx.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("only POST is accepted")]
    MethodNotAllowed,
    #[error("missing or invalid credentials")]
    Unauthorized,
    #[error("the body must be JSON (content-type: application/json)")]
    UnsupportedMediaType,
    #[error("the body must be multipart/form-data with a boundary")]
    NotMultipart,
    /// A `multipart/form-data` body that cannot be read, or lacks a part: `problem` is the
    /// webhook's own words (which part, what is wrong), never a value from the body.
    #[error("the multipart body is invalid: {problem}")]
    InvalidMultipart { problem: &'static str },
    /// A part of a type the webhook does not take (the audio webhook's `audio_recording` part
    /// that is not audio).
    #[error("the `{part}` part must be {expected}")]
    UnsupportedPart { part: &'static str, expected: &'static str },
    #[error("the body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("the body is empty")]
    EmptyBody,
    #[error("the body is not valid UTF-8")]
    InvalidUtf8,
    #[error("the body is not valid JSON ({problem} at line {line}, column {column})")]
    InvalidJson { problem: &'static str, line: usize, column: usize },
    #[error("the body must be a JSON object")]
    NotAnObject,
    #[error("{path}: {problem}")]
    InvalidPayload { path: String, problem: String },
    #[error("unexpected event.name; this webhook accepts `{expected}`")]
    UnexpectedEvent { expected: &'static str },
}

impl RequestError {
    pub fn status(&self) -> StatusCode {
        match self {
            RequestError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            RequestError::Unauthorized => StatusCode::UNAUTHORIZED,
            RequestError::UnsupportedMediaType | RequestError::NotMultipart | RequestError::UnsupportedPart { .. } => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            RequestError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            RequestError::EmptyBody
            | RequestError::InvalidUtf8
            | RequestError::InvalidJson { .. }
            | RequestError::InvalidMultipart { .. } => StatusCode::BAD_REQUEST,
            RequestError::NotAnObject | RequestError::InvalidPayload { .. } | RequestError::UnexpectedEvent { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
        }
    }

    /// A stable, machine-readable code for the body and the logs.
    pub fn code(&self) -> &'static str {
        match self {
            RequestError::MethodNotAllowed => "method_not_allowed",
            RequestError::Unauthorized => "unauthorized",
            RequestError::UnsupportedMediaType | RequestError::NotMultipart => "unsupported_media_type",
            RequestError::InvalidMultipart { .. } => "invalid_multipart",
            RequestError::UnsupportedPart { .. } => "unsupported_part_type",
            RequestError::PayloadTooLarge { .. } => "payload_too_large",
            RequestError::EmptyBody => "empty_body",
            RequestError::InvalidUtf8 => "invalid_utf8",
            RequestError::InvalidJson { .. } => "invalid_json",
            RequestError::NotAnObject => "not_an_object",
            RequestError::InvalidPayload { .. } => "invalid_payload",
            RequestError::UnexpectedEvent { .. } => "unexpected_event",
        }
    }

    /// `{"error": {"code": …, "message": …}}` with the right status (see [`error_response`]).
    pub fn into_response(self) -> Response<Body> {
        let mut response = error_response(self.status(), self.code(), &self.to_string());
        if self == RequestError::MethodNotAllowed {
            response.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        }
        response
    }
}

/// The body of every error answer of every webhook: `{"error": {"code": …, "message": …}}`, a
/// stable code for programs and a sentence for people. Both are the webhook's own words: never a
/// value from the request, which could be user text or a token.
pub fn error_body(code: &str, message: &str) -> serde_json::Value {
    serde_json::json!({ "error": { "code": code, "message": message } })
}

/// An error answer: `status` and [`error_body`].
pub fn error_response(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    json_response(status, &error_body(code, message))
}

/// [`error_body`] of the 500 sent if an answer cannot be serialized.
const INTERNAL_ERROR_BODY: &str = r#"{"error":{"code":"internal","message":"the answer could not be encoded"}}"#;

/// A JSON response. Serializing our own types cannot fail; if it ever did, the client gets a 500
/// rather than a panic.
pub fn json_response(status: StatusCode, body: &impl Serialize) -> Response<Body> {
    let (status, body) = match serde_json::to_vec(body) {
        Ok(bytes) => (status, bytes),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, INTERNAL_ERROR_BODY.as_bytes().to_vec()),
    };
    let mut response = Response::new(Body::Binary(body));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
    response
}

/// The checks made before the body is parsed: method and content type. Auth comes between
/// these and the body (see `WebhookAuth`).
pub fn check_method(request: &Request) -> Result<(), RequestError> {
    if request.method() == Method::POST { Ok(()) } else { Err(RequestError::MethodNotAllowed) }
}

/// `application/json`, with or without parameters such as `charset=utf-8`.
pub fn check_content_type(headers: &HeaderMap) -> Result<(), RequestError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media_type| media_type.trim().eq_ignore_ascii_case("application/json"));
    if is_json { Ok(()) } else { Err(RequestError::UnsupportedMediaType) }
}

/// Parses the body as `T`. The body must be a UTF-8 JSON object of at most `limit` bytes; function
/// URLs deliver base64-encoded bodies already decoded by lambda_http.
pub fn parse_json_body<T: DeserializeOwned>(body: &Body, limit: usize) -> Result<T, RequestError> {
    let bytes: &[u8] = body.as_ref();
    if bytes.len() > limit {
        return Err(RequestError::PayloadTooLarge { limit });
    }
    let text = std::str::from_utf8(bytes).map_err(|_| RequestError::InvalidUtf8)?;
    if text.trim().is_empty() {
        return Err(RequestError::EmptyBody);
    }
    // Checking the shape first gives "not an object" for `[]`, `"x"` or `null` instead of a
    // confusing type error. serde_json's recursion limit bounds deeply nested input.
    let value: serde_json::Value = serde_json::from_str(text).map_err(invalid_json)?;
    if !value.is_object() {
        return Err(RequestError::NotAnObject);
    }
    serde_path_to_error::deserialize(value).map_err(|error| RequestError::InvalidPayload {
        path: error.path().to_string(),
        problem: describe_data_error(&error.inner().to_string()),
    })
}

fn invalid_json(error: serde_json::Error) -> RequestError {
    let message = error.to_string();
    let problem = if message.starts_with("recursion limit exceeded") {
        "nested too deeply"
    } else if error.is_eof() {
        "unexpected end"
    } else {
        "syntax error"
    };
    RequestError::InvalidJson { problem, line: error.line(), column: error.column() }
}

/// serde's data errors quote the offending value (`invalid type: string "…", expected …`), which
/// could be user text. Keep the kind of value found and what was expected; drop the value.
fn describe_data_error(message: &str) -> String {
    let message = message.split(" at line ").next().unwrap_or(message);
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, "another type"));
        let found = found.split([' ', '`', '"']).next().unwrap_or("value");
        let found = match found {
            "floating" => "number",
            "integer" => "number",
            other => other,
        };
        return format!("wrong type: found {found}, expected {expected}");
    }
    if let Some(rest) = message.strip_prefix("invalid value: ") {
        let expected = rest.split_once(", expected ").map_or("another value", |(_, e)| e);
        return format!("invalid value, expected {expected}");
    }
    if message.starts_with("missing field ") {
        return message.to_owned();
    }
    "invalid value".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_errors_keep_the_kind_and_drop_the_value() {
        assert_eq!(
            describe_data_error("invalid type: string \"secret user text\", expected a map at line 1 column 9"),
            "wrong type: found string, expected a map"
        );
        assert_eq!(
            describe_data_error("invalid type: integer `5`, expected a string"),
            "wrong type: found number, expected a string"
        );
        assert_eq!(describe_data_error("missing field `payload`"), "missing field `payload`");
        assert_eq!(describe_data_error("something \"quoted\" else"), "invalid value");
    }

    #[test]
    fn every_error_body_has_the_one_shape() {
        let internal: serde_json::Value = serde_json::from_str(INTERNAL_ERROR_BODY).unwrap();
        assert_eq!(internal, error_body("internal", "the answer could not be encoded"));
        let response = RequestError::MethodNotAllowed.into_response();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()[header::ALLOW], "POST");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let body: serde_json::Value = serde_json::from_slice(response.body().as_ref()).unwrap();
        assert_eq!(body, error_body("method_not_allowed", "only POST is accepted"));

        /// Serializing this always fails: the 500 fallback.
        struct Unserializable;
        impl Serialize for Unserializable {
            fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(serde::ser::Error::custom("no"))
            }
        }
        let response = json_response(StatusCode::OK, &Unserializable);
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(response.body().as_ref(), INTERNAL_ERROR_BODY.as_bytes());
    }

    #[test]
    fn content_type_accepts_json_with_parameters_only() {
        let mut headers = HeaderMap::new();
        assert_eq!(check_content_type(&headers), Err(RequestError::UnsupportedMediaType));
        headers.insert(header::CONTENT_TYPE, "Application/JSON; charset=utf-8".parse().unwrap());
        assert_eq!(check_content_type(&headers), Ok(()));
        headers.insert(header::CONTENT_TYPE, "text/plain".parse().unwrap());
        assert_eq!(check_content_type(&headers), Err(RequestError::UnsupportedMediaType));
    }

    #[test]
    fn body_shape_errors_are_4xx_with_a_code() {
        let parse = |text: &str| parse_json_body::<serde_json::Map<String, serde_json::Value>>(&Body::from(text), 64);
        assert_eq!(parse("").unwrap_err(), RequestError::EmptyBody);
        assert_eq!(parse("[1]").unwrap_err(), RequestError::NotAnObject);
        assert_eq!(parse("null").unwrap_err(), RequestError::NotAnObject);
        assert!(matches!(parse("{").unwrap_err(), RequestError::InvalidJson { .. }));
        assert_eq!(parse(&"x".repeat(65)).unwrap_err(), RequestError::PayloadTooLarge { limit: 64 });
        let invalid_utf8 = parse_json_body::<serde_json::Value>(&Body::Binary(vec![b'"', 0xff, b'"']), 64);
        assert_eq!(invalid_utf8.unwrap_err(), RequestError::InvalidUtf8);
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        let error = parse_json_body::<serde_json::Value>(&Body::from(deep.as_str()), 1 << 20).unwrap_err();
        assert!(matches!(error, RequestError::InvalidJson { problem: "nested too deeply", .. }), "{error:?}");
        for error in [RequestError::EmptyBody, RequestError::NotAnObject, RequestError::MethodNotAllowed] {
            assert!(error.status().is_client_error());
        }
    }
}
