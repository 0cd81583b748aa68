//! Wiring only: config, translator, tracing, the Lambda runtime.

use std::convert::Infallible;

use postmessage::PostMessage;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = shared::webhook::start("postmessage")?;
    let translator = shared::webhook::translator(&config);
    let mut webhook = PostMessage::new(config.clone(), translator);
    if let Some(memory) = shared::webhook::memory(&config) {
        webhook = webhook.with_memory(memory);
    }
    lambda_http::run(lambda_http::service_fn(|request| async { Ok::<_, Infallible>(webhook.handle(request).await) }))
        .await
}
