//! Wiring only: config, translator, tracing, the Lambda runtime.

use dialog::Dialog;
use std::convert::Infallible;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = shared::webhook::start("dialog")?;
    dialog::check_auth(config.auth.mode())?;
    let deadline = dialog::deadline(shared::webhook::function_env("dialog", "DIALOG_DEADLINE_MS"))?;
    let translator = shared::webhook::translator(&config);
    let mut webhook = Dialog::new(config.clone(), translator, deadline);
    if let Some(memory) = shared::webhook::memory(&config) {
        webhook = webhook.with_memory(memory);
    }
    lambda_http::run(lambda_http::service_fn(|request| async { Ok::<_, Infallible>(webhook.handle(request).await) }))
        .await
}
