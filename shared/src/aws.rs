//! The one place the AWS SDK config is loaded: timeouts and retries for a call with a hard
//! deadline, and a local endpoint with static test credentials for the tests and local runs.
//! Amazon Translate, the translation memory and the log store (S3) build their clients from it.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;

/// The SDK config for a service whose every operation must finish within `deadline`, retry
/// included: the first attempt gets most of it, at most one retry (throttling, 5xx, a hung
/// connection) gets the rest. Callers still wrap each call in `tokio::time::timeout(deadline)` as
/// the hard stop. With `local_endpoint`, the environment's credentials and region are ignored.
pub async fn sdk_config(deadline: Duration, local_endpoint: Option<&str>) -> aws_config::SdkConfig {
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
    if let Some(endpoint) = local_endpoint {
        loader = loader
            .endpoint_url(endpoint)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_translate::config::Credentials::new("test", "test", None, None, "local"));
    }
    loader.load().await
}
