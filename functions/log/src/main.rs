//! Wiring only: config, store, tracing, the Lambda runtime.

use logwebhook::{ConfiguredStore, LogSettings, LogWebhook};
use shared::webhook;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = webhook::start("log")?;
    let settings = webhook::settings("log", LogSettings::read)?;
    let store = ConfiguredStore::open(&settings).await;
    logwebhook::announce(&settings, &store);
    webhook::run(LogWebhook::new(config, settings, store)).await
}
