//! Wiring only: the edge's settings, the function's own, its translation part, the Lambda runtime.

use dialog::{Dialog, DialogSettings};
use shared::config;
use shared::translate::Translating;
use shared::webhook;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::logging::init();
    let edge = webhook::start("dialog").await?;
    dialog::check_auth(edge.auth.mode())?;
    let settings = config::settings("dialog", DialogSettings::read)?;
    webhook::run(Dialog::new(edge, settings, Translating::configured("dialog")?)).await
}
