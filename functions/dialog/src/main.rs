//! Wiring only: config, translator, memory, the Lambda runtime.

use dialog::Dialog;
use shared::webhook::{self, TranslatingWebhook};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = webhook::start("dialog")?;
    dialog::check_auth(config.auth.mode())?;
    let deadline = webhook::settings("dialog", dialog::deadline)?;
    let translator = webhook::translator(&config);
    webhook::run(Dialog::new(config, translator, deadline).with_configured_memory()).await
}
