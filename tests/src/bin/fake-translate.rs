//! The tests' fake Amazon Translate as a process, so `cargo lambda watch` can show a translated
//! conversation without AWS, and the benchmark has a Translate with a known round trip:
//! `fake-translate [ADDRESS] [--delay-ms N]` (default 127.0.0.1:4599, no delay).
//! It answers `[es->en] <text>` (and detects Spanish for `auto` on a few greetings).

use std::time::Duration;

use webhook_tests::{Behaviour, FakeTranslate};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut address = "127.0.0.1:4599".to_owned();
    let mut delay = Duration::ZERO;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--delay-ms" => {
                let ms = args.next().and_then(|v| v.parse().ok()).expect("--delay-ms takes a number of milliseconds");
                delay = Duration::from_millis(ms);
            }
            other => address = other.to_owned(),
        }
    }
    assert!(address.starts_with("127.") || address.starts_with("[::1]"), "loopback addresses only");
    let translate = FakeTranslate::start_on(&address).await;
    translate.set_behaviour(Behaviour::Translate { delay });
    translate.phrase("¿Dónde está mi pedido?", "en", "Where is my order?");
    translate.phrase("Let me check your order.", "es", "Déjame revisar tu pedido.");
    for greeting in ["hola", "hola, buenos días", "buenas tardes"] {
        translate.detects(greeting, "es");
    }
    println!("fake Amazon Translate listening on {} (added delay {delay:?})", translate.endpoint());
    tokio::signal::ctrl_c().await.ok();
}
