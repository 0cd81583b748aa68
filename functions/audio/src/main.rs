//! Wiring only: the edge's settings, the function's own, its store, the Lambda runtime.

use audio::{AudioSettings, AudioWebhook, ConfiguredStore};
use shared::config;
use shared::webhook;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::logging::init();
    let edge = webhook::start("audio").await?;
    let settings = config::settings("audio", AudioSettings::read)?;
    let store = ConfiguredStore::open(&settings).await;
    audio::announce(&settings, &store);
    webhook::run(AudioWebhook::new(edge, settings, store)).await
}
