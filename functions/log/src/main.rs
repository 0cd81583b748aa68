//! Wiring only: config, store, tracing, the Lambda runtime.

use std::convert::Infallible;

use logwebhook::{ConfiguredStore, LogSettings, LogWebhook};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = shared::webhook::start("log")?;
    let settings = LogSettings::from_lookup(|name| shared::webhook::function_env("log", name))
        .inspect_err(|error| tracing::error!(%error, "log: configuration error"))?;
    let store = ConfiguredStore::open(&settings).await;
    logwebhook::announce(&settings, &store);
    let webhook = LogWebhook::new(config, settings, store);
    lambda_http::run(lambda_http::service_fn(|request| async { Ok::<_, Infallible>(webhook.handle(request).await) }))
        .await
}
