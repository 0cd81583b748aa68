//! Wiring only: the edge's settings, the function's own, its store, the Lambda runtime.

use logwebhook::{ConfiguredStore, LogSettings, LogWebhook};
use shared::config;
use shared::webhook::{self, Webhook};

/// This binary's name, from its type's place in the one list of functions (`shared::functions`).
const NAME: &str = <LogWebhook<ConfiguredStore> as Webhook>::NAME;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::logging::init();
    let edge = webhook::start(NAME).await?;
    let settings = config::settings(NAME, LogSettings::read)?;
    let store = ConfiguredStore::open(&settings).await;
    logwebhook::announce(&settings, &store);
    webhook::run(LogWebhook::new(edge, settings, store)).await
}
