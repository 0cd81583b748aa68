//! Wiring only: the edge's settings, the function's own, its translation part, the Lambda runtime.

use dialog::{Dialog, DialogSettings};
use shared::config;
use shared::translate::{Engine, Translating};
use shared::webhook::{self, Webhook};

/// This binary's name, from its type's place in the one list of functions (`shared::functions`).
const NAME: &str = <Dialog<Engine> as Webhook>::NAME;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::logging::init();
    let edge = webhook::start(NAME).await?;
    dialog::check_auth(edge.auth.mode())?;
    let settings = config::settings(NAME, DialogSettings::read)?;
    webhook::run(Dialog::new(edge, settings, Translating::configured(NAME)?)).await
}
