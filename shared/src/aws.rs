//! The one AWS-client module: where a client connects ([`Endpoint`]), the SDK config with the
//! deadline and retry settings of a call that must answer in time ([`sdk_config`]), and the one
//! reading of an SDK error ([`classify`] into [`AwsError`]). Amazon Translate, the translation
//! memory (DynamoDB) and the log store (S3) build their clients and read their errors here; each
//! service adds only what it says its own way ([`ServiceErrors::special`]).

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// Where a client sends its requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Endpoint {
    /// The service in the function's region, with the credentials of its environment (the
    /// function's role in Lambda).
    #[default]
    Aws,
    /// A compatible server at this URL (a local DynamoDB for `run-local.sh`, the tests' local
    /// services), with the static credentials `test`/`test` and region `us-east-1`, whatever the
    /// environment says.
    Local(String),
}

impl From<Option<String>> for Endpoint {
    /// `None`: AWS itself.
    fn from(url: Option<String>) -> Self {
        url.map_or(Endpoint::Aws, Endpoint::Local)
    }
}

/// The SDK config for a service whose every operation must finish within `deadline`, retry
/// included: the first attempt gets most of it, at most one retry (throttling, 5xx, a hung
/// connection) gets the rest. Callers still wrap each call in `tokio::time::timeout(deadline)` as
/// the hard stop.
pub async fn sdk_config(deadline: Duration, endpoint: &Endpoint) -> aws_config::SdkConfig {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(deadline.min(Duration::from_secs(1)))
        .operation_attempt_timeout(deadline.mul_f32(0.6))
        .operation_timeout(deadline)
        .build();
    let retries = RetryConfig::standard()
        .with_max_attempts(2)
        .with_initial_backoff(Duration::from_millis(deadline.as_millis().clamp(1, 50) as u64))
        .with_max_backoff(Duration::from_millis(200));
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts).retry_config(retries);
    if let Endpoint::Local(url) = endpoint {
        loader = loader
            .endpoint_url(url)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_translate::config::Credentials::new("test", "test", None, None, "local"));
    }
    loader.load().await
}

/// Why an AWS call did not succeed, read the same way for every service. Codes only: never the
/// request, which may hold user text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AwsError {
    #[error("no answer within the deadline")]
    Timeout,
    #[error("throttled")]
    Throttled,
    /// The service failed (5xx), or answered an error that is not about the request.
    #[error("service error {code}")]
    Service { code: String },
    /// The service refused this request (4xx): its content, or what it names.
    #[error("the request was refused: {code}")]
    Refused { code: String },
    #[error("unreadable response")]
    InvalidResponse,
    #[error("network error")]
    Network,
}

impl AwsError {
    /// A short code for logs and metrics (the `error` field of the log lines, which the queries in
    /// `shared/README.md` and the template's alarms name).
    pub fn kind(&self) -> &'static str {
        match self {
            AwsError::Timeout => "timeout",
            AwsError::Throttled => "throttled",
            AwsError::Service { .. } => "service_error",
            AwsError::Refused { .. } => "refused",
            AwsError::InvalidResponse => "invalid_response",
            AwsError::Network => "network_error",
        }
    }
}

/// A service's error type: every [`AwsError`], and whatever the service says its own way.
pub trait ServiceErrors: From<AwsError> {
    /// This service's reading of an error answer, from its HTTP status and its error code (`None`
    /// when the answer carried none, as with a HEAD request), tried after throttling and before
    /// the common rules; `None` leaves it to them.
    fn special(_status: u16, _code: Option<&str>) -> Option<Self> {
        None
    }
}

impl ServiceErrors for AwsError {}

/// Error codes that mean "slow down", across services: Translate's `TooManyRequestsException`,
/// DynamoDB's `ProvisionedThroughputExceededException` and `ThrottlingException`, S3's `SlowDown`,
/// and the common `Throttling` and `RequestLimitExceeded`.
const THROTTLE_CODES: [&str; 6] = [
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "Throttling",
    "SlowDown",
    "RequestLimitExceeded",
];

/// The one reading of an SDK error, for any service's operation:
/// - no answer in time (the SDK's timeout, or a connect timeout): `Timeout`; no connection or a
///   broken one: `Network`; an answer the SDK could not read: `InvalidResponse`;
/// - an error answer: a throttling code (or HTTP 429) is `Throttled`; then the service's own
///   reading ([`ServiceErrors::special`]); then, with a code, `Refused` for a 4xx and `Service`
///   otherwise; without one, `Service` for a 5xx and `InvalidResponse` for anything else (not the
///   service speaking).
pub fn classify<T: ServiceErrors, E: ProvideErrorMetadata>(error: SdkError<E, HttpResponse>) -> T {
    let answer = match &error {
        SdkError::TimeoutError(_) => return AwsError::Timeout.into(),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => return AwsError::Timeout.into(),
        SdkError::ResponseError(_) => return AwsError::InvalidResponse.into(),
        SdkError::ServiceError(answer) => answer,
        _ => return AwsError::Network.into(),
    };
    let status = answer.raw().status().as_u16();
    let code = answer.err().code().filter(|code| !code.is_empty());
    if status == 429 || code.is_some_and(|code| THROTTLE_CODES.contains(&code) || code.contains("Throttl")) {
        return AwsError::Throttled.into();
    }
    if let Some(special) = T::special(status, code) {
        return special;
    }
    let client_error = (400..500).contains(&status);
    match code {
        Some(code) if client_error => AwsError::Refused { code: code.to_owned() },
        Some(code) => AwsError::Service { code: code.to_owned() },
        None if status >= 500 => AwsError::Service { code: "unknown".to_owned() },
        None => AwsError::InvalidResponse,
    }
    .into()
}

#[cfg(test)]
pub(crate) mod test_errors {
    //! SDK errors as the smithy runtime builds them, for the classification tests here and in
    //! the services' modules.

    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::client::result::{ConnectorError, SdkError};
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    pub type Error = SdkError<ErrorMetadata, HttpResponse>;

    fn raw(status: u16) -> HttpResponse {
        HttpResponse::new(StatusCode::try_from(status).expect("a status"), SdkBody::empty())
    }

    /// An error answer with this status and code (`None`: no code, as a HEAD answer).
    pub fn answer(status: u16, code: Option<&str>) -> Error {
        let mut meta = ErrorMetadata::builder().message("a message that is never read");
        if let Some(code) = code {
            meta = meta.code(code);
        }
        SdkError::service_error(meta.build(), raw(status))
    }

    pub fn timeout() -> Error {
        SdkError::timeout_error("operation timeout")
    }

    pub fn connect_timeout() -> Error {
        SdkError::dispatch_failure(ConnectorError::timeout("connect timeout".into()))
    }

    pub fn connection_refused() -> Error {
        SdkError::dispatch_failure(ConnectorError::io("connection refused".into()))
    }

    pub fn unreadable(status: u16) -> Error {
        SdkError::response_error("not the service's format", raw(status))
    }

    pub fn not_built() -> Error {
        SdkError::construction_failure("a request the SDK could not build")
    }
}

#[cfg(test)]
mod tests {
    use super::test_errors::*;
    use super::*;

    fn refused(code: &str) -> AwsError {
        AwsError::Refused { code: code.to_owned() }
    }

    fn service(code: &str) -> AwsError {
        AwsError::Service { code: code.to_owned() }
    }

    #[test]
    fn the_classification_table() {
        let table: Vec<(&str, Error, AwsError)> = vec![
            ("operation timeout", timeout(), AwsError::Timeout),
            ("connect timeout", connect_timeout(), AwsError::Timeout),
            ("connection refused", connection_refused(), AwsError::Network),
            ("request not built", not_built(), AwsError::Network),
            ("unreadable 200", unreadable(200), AwsError::InvalidResponse),
            ("Translate throttled", answer(400, Some("TooManyRequestsException")), AwsError::Throttled),
            ("DynamoDB capacity", answer(400, Some("ProvisionedThroughputExceededException")), AwsError::Throttled),
            ("DynamoDB throttled", answer(400, Some("ThrottlingException")), AwsError::Throttled),
            ("S3 SlowDown", answer(503, Some("SlowDown")), AwsError::Throttled),
            ("Throttling", answer(400, Some("Throttling")), AwsError::Throttled),
            ("RequestLimitExceeded", answer(400, Some("RequestLimitExceeded")), AwsError::Throttled),
            ("another throttling code", answer(400, Some("RequestThrottledException")), AwsError::Throttled),
            ("429 without a code", answer(429, None), AwsError::Throttled),
            ("4xx with a code", answer(400, Some("ValidationException")), refused("ValidationException")),
            ("403 with a code", answer(403, Some("AccessDenied")), refused("AccessDenied")),
            ("500 with a code", answer(500, Some("InternalServerError")), service("InternalServerError")),
            ("503 with a code", answer(503, Some("ServiceUnavailable")), service("ServiceUnavailable")),
            ("500 without a code", answer(500, None), service("unknown")),
            ("4xx without a code", answer(404, None), AwsError::InvalidResponse),
            ("empty code", answer(400, Some("")), AwsError::InvalidResponse),
            ("3xx without a code", answer(301, None), AwsError::InvalidResponse),
        ];
        for (case, error, expected) in table {
            assert_eq!(classify::<AwsError, _>(error), expected, "{case}");
        }
    }

    #[test]
    fn kinds_are_the_log_codes() {
        let kinds: Vec<&str> = [
            AwsError::Timeout,
            AwsError::Throttled,
            service("x"),
            refused("x"),
            AwsError::InvalidResponse,
            AwsError::Network,
        ]
        .iter()
        .map(AwsError::kind)
        .collect();
        assert_eq!(kinds, ["timeout", "throttled", "service_error", "refused", "invalid_response", "network_error"]);
    }

    /// A service that reads 409 its own way and leaves everything else to the common rules.
    #[derive(Debug, PartialEq)]
    enum Special {
        Conflict,
        Aws(AwsError),
    }

    impl From<AwsError> for Special {
        fn from(error: AwsError) -> Self {
            Special::Aws(error)
        }
    }

    impl ServiceErrors for Special {
        fn special(status: u16, _code: Option<&str>) -> Option<Self> {
            (status == 409).then_some(Special::Conflict)
        }
    }

    #[test]
    fn the_service_hook_comes_after_throttling_and_before_the_common_rules() {
        assert_eq!(classify::<Special, _>(answer(409, Some("Conflict"))), Special::Conflict);
        assert_eq!(classify::<Special, _>(answer(409, Some("SlowDown"))), Special::Aws(AwsError::Throttled));
        assert_eq!(classify::<Special, _>(answer(400, Some("X"))), Special::Aws(refused("X")));
        assert_eq!(classify::<Special, _>(timeout()), Special::Aws(AwsError::Timeout));
    }

    #[test]
    fn an_endpoint_is_aws_unless_a_url_is_given() {
        assert_eq!(Endpoint::from(None), Endpoint::Aws);
        assert_eq!(
            Endpoint::from(Some("http://127.0.0.1:8000".to_owned())),
            Endpoint::Local("http://127.0.0.1:8000".into())
        );
    }
}
