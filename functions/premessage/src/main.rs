//! Wiring only: the edge's settings, the function's own, its translation part, the Lambda runtime.

use premessage::{PreMessage, PreMessageSettings};
use shared::config;
use shared::translate::Translating;
use shared::webhook;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::logging::init();
    let edge = webhook::start("premessage").await?;
    let settings = config::settings("premessage", PreMessageSettings::read)?;
    webhook::run(PreMessage::new(edge, settings, Translating::configured("premessage")?)).await
}
