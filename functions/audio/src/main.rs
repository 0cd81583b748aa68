//! Wiring only: the edge's settings, the function's own, its store, the Lambda runtime.

use audio::{AudioSettings, AudioWebhook, ConfiguredStore};
use shared::config;
use shared::webhook::{self, Webhook};

/// This binary's name, from its type's place in the one list of functions (`shared::functions`).
const NAME: &str = <AudioWebhook<ConfiguredStore> as Webhook>::NAME;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::logging::init();
    let edge = webhook::start(NAME).await?;
    let settings = config::settings(NAME, AudioSettings::read)?;
    let store = ConfiguredStore::open(&settings).await;
    audio::announce(&settings, &store);
    webhook::run(AudioWebhook::new(edge, settings, store)).await
}
