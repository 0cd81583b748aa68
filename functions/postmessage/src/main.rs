//! Wiring only: config, translator, tracing, the Lambda runtime.

use std::convert::Infallible;

use postmessage::PostMessage;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = shared::webhook::start("postmessage")?;
    let translator = shared::webhook::translator(&config);
    let webhook = PostMessage::new(config, translator);
    lambda_http::run(lambda_http::service_fn(|request| async { Ok::<_, Infallible>(webhook.handle(request).await) }))
        .await
}
