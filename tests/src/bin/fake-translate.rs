//! The tests' fake Amazon Translate as a process, so `cargo lambda watch` can show a translated
//! conversation without AWS: `cargo run -p webhook-tests --bin fake-translate -- 127.0.0.1:4599`.
//! It answers `[es->en] <text>` (and detects Spanish for `auto` on a few greetings).

use webhook_tests::FakeTranslate;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:4599".to_owned());
    assert!(address.starts_with("127.") || address.starts_with("[::1]"), "loopback addresses only");
    let translate = FakeTranslate::start_on(&address).await;
    translate.phrase("¿Dónde está mi pedido?", "en", "Where is my order?");
    translate.phrase("Let me check your order.", "es", "Déjame revisar tu pedido.");
    for greeting in ["hola", "hola, buenos días", "buenas tardes"] {
        translate.detects(greeting, "es");
    }
    println!("fake Amazon Translate listening on {}", translate.endpoint());
    tokio::signal::ctrl_c().await.ok();
}
