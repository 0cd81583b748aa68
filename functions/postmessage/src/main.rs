//! Wiring only: config, translator, memory, the Lambda runtime.

use postmessage::PostMessage;
use shared::webhook::{self, TranslatingWebhook};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = webhook::start("postmessage")?;
    let translator = webhook::translator(&config);
    webhook::run(PostMessage::new(config, translator).with_configured_memory()).await
}
