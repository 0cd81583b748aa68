//! What the memory saves: a stated conversation mix replayed over 10 cold starts, with and without
//! the memory, counting the characters Amazon Translate bills (the TranslatedCharacters metric).
//! `shared/README.md`'s cost table comes from this test's output (`cargo test --test memory_cost -- --nocapture`).
//!
//! The mix, per replay of 1,000 turns: 10 cold starts of 100 turns each (an instance recycled
//! every 100 turns), either one after the other or two instances at a time side by side (see
//! [`Layout`]); each turn one of 8 reply shapes built from 14 fixed bot strings (1-4 strings
//! each, 6 items for the menu); the users' languages 50 % es, 30 % fr, 20 % de; 5 % of turns add a
//! personalised line with an order id (never stored, so paid for every time). Beside them: the
//! floor (one instance never recycled, no memory) and the steady state (the next 1,000 turns with
//! the table the first 1,000 left).

use std::sync::Arc;
use std::time::Duration;

use postmessage::PostMessage;
use serde_json::{Value, json};
use webhook_tests::entry_point::Handler;
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

/// One turn's request; with `only_personal`, the same turn with its fixed strings left out.
fn turn(rng: &mut Lcg, number: usize, personal_percent: u64, only_personal: bool) -> String {
    let shape = SHAPES[rng.next(SHAPES.len() as u64) as usize];
    let mut texts: Vec<String> =
        if only_personal { Vec::new() } else { shape.iter().map(|&i| STRINGS[i].to_owned()).collect() };
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

/// How the 1,000 turns of a replay meet function instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// One instance that is never recycled: its warm cache alone pays each (text, language) once,
    /// which is the floor for any cache, the memory included.
    OneInstance,
    /// 10 cold starts one after the other, 100 turns each.
    OneAtATime,
    /// 10 cold starts as Lambda also runs them, side by side: 5 rounds of 2 instances live at once,
    /// the round's 200 turns dealt to them alternately and served concurrently, so both can miss
    /// the same text at the same moment and both pay for it.
    SideBySide,
}

async fn serve(post: &PostMessage<shared::translate::AmazonTranslate>, body: &str) {
    let (status, _) = status_and_json(post.handle(FunctionUrlEvent::from_watson(body).request()).await);
    assert_eq!(status, 200);
}

/// Characters billed over one replay of 1,000 turns.
async fn replay(
    translate: &FakeTranslate,
    table: Option<&LocalTable>,
    layout: Layout,
    seed: u64,
    first_turn: usize,
    personal_percent: u64,
) -> u64 {
    let mut rng = Lcg(seed);
    let turns: Vec<String> = (0..1000).map(|n| turn(&mut rng, first_turn + n, personal_percent, false)).collect();
    let instance = || {
        let config = config(&[]).with_metrics(shared::metrics::MetricsSink::buffer().0);
        // A generous memory deadline: this counts characters, and a slow read would only add some.
        let config = match table {
            Some(table) => config.with_memory(Arc::new(table.memory(Duration::from_secs(2)))),
            None => config,
        };
        config.postmessage(translate.translator(Duration::from_secs(3)))
    };
    let mut characters = 0;
    match layout {
        Layout::OneInstance | Layout::OneAtATime => {
            let per_instance = if layout == Layout::OneInstance { 1000 } else { 100 };
            for chunk in turns.chunks(per_instance) {
                let post = instance();
                for body in chunk {
                    serve(&post, body).await;
                }
                characters += post.translator().counters().characters;
            }
        }
        Layout::SideBySide => {
            for round in turns.chunks(200) {
                let (a, b) = (instance(), instance());
                for pair in round.chunks(2) {
                    futures::future::join(serve(&a, &pair[0]), serve(&b, &pair[1])).await;
                }
                characters += a.translator().counters().characters + b.translator().counters().characters;
            }
        }
    }
    characters
}

/// Characters billed per 1,000 turns for one mix.
#[derive(Debug)]
struct Figures {
    without: u64,
    /// The floor: one instance never recycled, no memory.
    one_instance: u64,
    /// With the memory, from an empty table.
    one_at_a_time: u64,
    side_by_side: u64,
    /// The next 1,000 turns (other turns, other order ids) without the memory, and with the table
    /// the first 1,000 left behind (the steady state).
    without_next: u64,
    kept: u64,
}

fn cut(with: u64, without: u64) -> f64 {
    100.0 * (1.0 - with as f64 / without as f64)
}

async fn measure(personal_percent: u64) -> Figures {
    let translate = FakeTranslate::start().await;
    let without = replay(&translate, None, Layout::OneAtATime, 7, 0, personal_percent).await;
    let one_instance = replay(&translate, None, Layout::OneInstance, 7, 0, personal_percent).await;
    let side_table = LocalTable::create().await;
    let side_by_side = replay(&translate, Some(&side_table), Layout::SideBySide, 7, 0, personal_percent).await;
    let table = LocalTable::create().await;
    let one_at_a_time = replay(&translate, Some(&table), Layout::OneAtATime, 7, 0, personal_percent).await;
    let without_next = replay(&translate, None, Layout::OneAtATime, 8, 1000, personal_percent).await;
    let kept = replay(&translate, Some(&table), Layout::OneAtATime, 8, 1000, personal_percent).await;
    let f = Figures { without, one_instance, one_at_a_time, side_by_side, without_next, kept };
    eprintln!("characters billed per 1,000 turns, 10 cold starts, {personal_percent} % of turns personalised:");
    eprintln!("  without the memory: {without} (next 1,000 turns: {without_next})");
    eprintln!(
        "  the floor, one instance never recycled: {one_instance} (the most any cache can cut: {:.1} %)",
        cut(one_instance, without)
    );
    eprintln!(
        "  with, empty table, cold starts one at a time: {one_at_a_time} ({:.1} % fewer)",
        cut(one_at_a_time, without)
    );
    eprintln!(
        "  with, empty table, 2 instances side by side: {side_by_side} ({:.1} % fewer)",
        cut(side_by_side, without)
    );
    eprintln!("  with, the table kept from the previous 1,000 turns: {kept} ({:.1} % fewer)", cut(kept, without_next));
    f
}

// From an empty table each (text, language) is paid for once instead of once per cold start: the
// memory can at best make 10 cold starts cost what one instance that is never recycled costs,
// which bounds the cut near 90 % (1 - 1/10 when every instance meets every string). Instances side
// by side can miss the same text at once and both pay. Once the table holds the replies, only what
// is never stored (personalised lines) is paid for.
#[tokio::test]
async fn fixed_replies_are_paid_once_from_an_empty_table_and_never_once_stored() {
    let f = measure(0).await;
    assert!(f.one_at_a_time >= f.one_instance, "below the floor: {f:?}");
    assert!(cut(f.one_at_a_time, f.without) >= cut(f.one_instance, f.without) - 1.0, "{f:?}");
    assert!(f.side_by_side >= f.one_at_a_time, "{f:?}");
    assert!(cut(f.side_by_side, f.without) >= cut(f.one_instance, f.without) - 10.0, "{f:?}");
    assert_eq!(f.kept, 0, "{f:?}");
}

#[tokio::test]
async fn with_five_percent_personalised_turns_the_order_ids_are_what_is_left_to_pay() {
    let f = measure(5).await;
    assert!(f.one_at_a_time >= f.one_instance, "below the floor: {f:?}");
    assert!(cut(f.one_at_a_time, f.without) >= cut(f.one_instance, f.without) - 1.0, "{f:?}");
    assert!(cut(f.kept, f.without_next) >= 80.0, "{f:?}");
    // What is left once stored is the personalised lines: paid for with or without the memory.
    let personal_only = replay_personal_lines(8, 1000).await;
    assert!(personal_only > 0);
    assert_eq!(f.kept, personal_only, "{f:?}");
}

/// Characters billed for the personalised lines alone of the replay (`seed`, `first_turn`), on one
/// instance without the memory.
async fn replay_personal_lines(seed: u64, first_turn: usize) -> u64 {
    let translate = FakeTranslate::start().await;
    let post = config(&[])
        .with_metrics(shared::metrics::MetricsSink::buffer().0)
        .postmessage(translate.translator(Duration::from_secs(3)));
    let mut rng = Lcg(seed);
    for n in 0..1000 {
        let body = turn(&mut rng, first_turn + n, 5, true);
        let (status, _) = status_and_json(post.handle(FunctionUrlEvent::from_watson(&body).request()).await);
        assert_eq!(status, 200);
    }
    post.translator().counters().characters
}
