//! Wiring only: config, translator, memory, the Lambda runtime.

use premessage::PreMessage;
use shared::webhook::{self, TranslatingWebhook};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = webhook::start("premessage")?;
    let translator = webhook::translator(&config);
    webhook::run(PreMessage::new(config, translator).with_configured_memory()).await
}
