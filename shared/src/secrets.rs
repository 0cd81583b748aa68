//! Webhook secrets read at cold start from AWS Systems Manager Parameter Store, so they need not
//! sit in the function's environment variables (which `lambda:GetFunctionConfiguration`, part of
//! AWS's ReadOnlyAccess policy, shows).
//!
//! `WEBHOOK_SECRET_PARAMETER` (and `WEBHOOK_SECRET_PREVIOUS_PARAMETER` during a rotation) name a
//! parameter, by name or ARN: a `SecureString`, read with decryption, or an AWS Secrets Manager
//! secret through Parameter Store's reference name `/aws/reference/secretsmanager/<secret-id>`
//! (AWS's "Referencing AWS Secrets Manager secrets from Parameter Store parameters"). One SDK crate,
//! aws-sdk-ssm, so reads both stores. The value read is used as if it had been set in
//! `WEBHOOK_SECRET` (`WEBHOOK_SECRET_PREVIOUS`), and checked the same way.
//!
//! A parameter that cannot be read fails the cold start with one line naming the variable and the
//! error code (never a value); Lambda then retries the start.

use std::time::Duration;

use crate::aws::{self, Endpoint};
use crate::config::{ConfigError, Variables};

/// The variable a secret is used as, and the variable naming its parameter.
pub const STORED_SECRETS: [(&str, &str); 2] =
    [("WEBHOOK_SECRET", "WEBHOOK_SECRET_PARAMETER"), ("WEBHOOK_SECRET_PREVIOUS", "WEBHOOK_SECRET_PREVIOUS_PARAMETER")];
/// The deadline of each read, retry included.
pub const READ_TIMEOUT: Duration = Duration::from_secs(3);

/// The secrets the variables name a parameter for, as `(WEBHOOK_SECRET…, value)`; empty (and no
/// AWS client built) when none does. `PARAMETER_STORE_ENDPOINT`: a local Parameter Store (tests).
pub async fn read_stored(variables: &Variables<'_>) -> Result<Vec<(&'static str, String)>, ConfigError> {
    let wanted: Vec<(&'static str, &'static str, String)> = STORED_SECRETS
        .iter()
        .filter_map(|(secret, parameter)| variables.get(parameter).map(|name| (*secret, *parameter, name)))
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let client = client(Endpoint::from(variables.get("PARAMETER_STORE_ENDPOINT"))).await;
    let mut stored = Vec::new();
    for (secret, parameter, name) in wanted {
        if variables.secret(secret).is_some() {
            return Err(ConfigError::Invalid {
                variable: parameter,
                why: format!("set {parameter} or {secret}, not both"),
            });
        }
        stored.push((secret, read(&client, parameter, &name).await?));
    }
    Ok(stored)
}

pub async fn client(endpoint: Endpoint) -> aws_sdk_ssm::Client {
    aws_sdk_ssm::Client::new(&aws::sdk_config(READ_TIMEOUT, &endpoint).await)
}

/// One `GetParameter` with decryption, within [`READ_TIMEOUT`].
pub async fn read(client: &aws_sdk_ssm::Client, variable: &'static str, name: &str) -> Result<String, ConfigError> {
    let call = client.get_parameter().name(name).with_decryption(true).send();
    let answer = tokio::time::timeout(READ_TIMEOUT, call).await;
    let failed =
        |why: String| ConfigError::Invalid { variable, why: format!("the parameter could not be read: {why}") };
    let output = match answer {
        Err(_) => return Err(failed("no answer within 3 s".into())),
        Ok(Err(error)) => return Err(failed(aws::classify::<aws::AwsError, _>(error).to_string())),
        Ok(Ok(output)) => output,
    };
    output
        .parameter
        .and_then(|parameter| parameter.value)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| ConfigError::Invalid { variable, why: "the parameter has no value".into() })
}
