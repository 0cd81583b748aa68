//! Wiring only: the edge's settings, the function's own, its store, the Lambda runtime.

use logwebhook::{ConfiguredStore, LogSettings, LogWebhook};
use shared::config;
use shared::webhook;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::logging::init();
    let edge = webhook::start("log").await?;
    let settings = config::settings("log", LogSettings::read)?;
    let store = ConfiguredStore::open(&settings).await;
    logwebhook::announce(&settings, &store);
    webhook::run(LogWebhook::new(edge, settings, store)).await
}
