//! Wiring only: the edge's settings, the function's own, its translation part, the Lambda runtime.

use postmessage::{PostMessage, PostMessageSettings};
use shared::config;
use shared::translate::Translating;
use shared::webhook;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::logging::init();
    let edge = webhook::start("postmessage").await?;
    let settings = config::settings("postmessage", PostMessageSettings::read)?;
    webhook::run(PostMessage::new(edge, settings, Translating::configured("postmessage")?)).await
}
