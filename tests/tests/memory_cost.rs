//! What the memory saves: a stated conversation mix replayed over 10 cold starts, with and without
//! the memory, counting the characters Amazon Translate bills (the TranslatedCharacters metric).
//! The README's cost table comes from this test's output (`cargo test --test memory_cost -- --nocapture`).
//!
//! The mix, per replay of 1,000 turns: 10 cold starts of 100 turns each (an instance recycled
//! every 100 turns); each turn one of 8 reply shapes built from 14 fixed bot strings (1-4 strings
//! each, 6 items for the menu); the users' languages 50 % es, 30 % fr, 20 % de; 5 % of turns add a
//! personalised line with an order id (never stored, so paid for every time).

use std::sync::Arc;
use std::time::Duration;

use postmessage::PostMessage;
use serde_json::{Value, json};
use shared::webhook::{TranslatingWebhook, Webhook};
use webhook_tests::local_dynamodb::LocalTable;
use webhook_tests::{FakeTranslate, FunctionUrlEvent, config, fixture, status_and_json};

const STRINGS: [&str; 14] = [
    "Hello! I'm the virtual assistant. How can I help you today?",
    "Main menu",
    "Track an order",
    "Returns and refunds",
    "Opening hours",
    "Talk to an agent",
    "Something else",
    "Your order is on its way and should arrive within three working days.",
    "To return an item, open your order and choose Return. Refunds take up to five days.",
    "Our stores are open Monday to Saturday, from nine in the morning to eight in the evening.",
    "I'm connecting you with an agent. Please wait a moment.",
    "Sorry, I didn't understand. Could you rephrase that?",
    "Is there anything else I can help with?",
    "Thank you for contacting us. Goodbye!",
];

const SHAPES: [&[usize]; 8] =
    [&[0, 1, 2, 3, 4, 5], &[7, 12], &[8, 12], &[9, 12], &[10], &[11], &[13], &[1, 2, 3, 4, 5, 6]];

/// A small deterministic generator, so that every run replays the same turns.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

fn turn(rng: &mut Lcg, number: usize, personal_percent: u64) -> String {
    let shape = SHAPES[rng.next(SHAPES.len() as u64) as usize];
    let mut texts: Vec<String> = shape.iter().map(|&i| STRINGS[i].to_owned()).collect();
    if rng.next(100) < personal_percent {
        texts.push(format!("Your order ORD-{number:05} has shipped."));
    }
    let language = match rng.next(10) {
        0..=4 => "es",
        5..=7 => "fr",
        _ => "de",
    };
    let mut request: Value = serde_json::from_str(&fixture("capture-post-message-request-dialog.json")).unwrap();
    request["payload"]["output"]["generic"] =
        Value::Array(texts.iter().map(|text| json!({"response_type": "text", "text": text})).collect());
    request["payload"]["context"]["skills"]["main skill"]["user_defined"]["language"] = json!(language);
    request.to_string()
}

/// Characters billed over one replay of 1,000 turns across 10 cold starts.
async fn replay(
    translate: &FakeTranslate,
    table: Option<&LocalTable>,
    seed: u64,
    first_turn: usize,
    personal_percent: u64,
) -> u64 {
    let mut rng = Lcg(seed);
    let mut characters = 0;
    for instance in 0..10 {
        let mut post = PostMessage::new(config(&[]), translate.translator(Duration::from_secs(3)))
            .with_metrics(shared::metrics::MetricsSink::buffer().0);
        if let Some(table) = table {
            post = post.with_memory(Arc::new(table.memory(Duration::from_millis(500))));
        }
        for n in 0..100 {
            let body = turn(&mut rng, first_turn + instance * 100 + n, personal_percent);
            let (status, _) = status_and_json(post.handle(FunctionUrlEvent::from_watson(&body).request()).await);
            assert_eq!(status, 200);
        }
        characters += post.translator().counters().characters;
    }
    characters
}

/// (without, with from an empty table, without next, with the table kept) for one mix.
async fn measure(personal_percent: u64) -> (u64, u64, u64, u64) {
    let translate = FakeTranslate::start().await;
    let without = replay(&translate, None, 7, 0, personal_percent).await;
    let table = LocalTable::create().await;
    let first_day = replay(&translate, Some(&table), 7, 0, personal_percent).await;
    // The next 1,000 turns, same mix (other turns, other order ids), with the memory kept.
    let next_day = replay(&translate, Some(&table), 8, 1000, personal_percent).await;
    let without_next = replay(&translate, None, 8, 1000, personal_percent).await;
    let cut = |with: u64, without: u64| 100.0 * (1.0 - with as f64 / without as f64);
    eprintln!("characters billed per 1,000 turns, 10 cold starts, {personal_percent} % of turns personalised:");
    eprintln!("  without the memory: {without} (next 1,000 turns: {without_next})");
    eprintln!("  with, from an empty table: {first_day} ({:.1} % fewer)", cut(first_day, without));
    eprintln!(
        "  with, the table kept from the previous 1,000 turns: {next_day} ({:.1} % fewer)",
        cut(next_day, without_next)
    );
    (without, first_day, without_next, next_day)
}

fn cut(with: u64, without: u64) -> f64 {
    100.0 * (1.0 - with as f64 / without as f64)
}

// From an empty table each string is paid for once instead of once per cold start: with 10 cold
// starts that bounds the cut near 90 %. Once the table holds the replies, only what is never
// stored (personalised lines) is paid for.
#[tokio::test]
async fn fixed_replies_only_cost_about_a_tenth_from_an_empty_table_and_nothing_once_stored() {
    let (without, first_day, without_next, next_day) = measure(0).await;
    assert!(cut(first_day, without) >= 85.0, "{first_day} vs {without}");
    assert_eq!(next_day, 0, "{next_day} vs {without_next}");
}

#[tokio::test]
async fn with_five_percent_personalised_turns_the_order_ids_are_what_is_left_to_pay() {
    let (without, first_day, without_next, next_day) = measure(5).await;
    assert!(cut(first_day, without) >= 70.0, "{first_day} vs {without}");
    assert!(cut(next_day, without_next) >= 80.0, "{next_day} vs {without_next}");
}
