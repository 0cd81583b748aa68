//! What the memory saves: a stated conversation mix replayed over 10 cold starts, with and without
//! the memory, counting the characters Amazon Translate bills (the TranslatedCharacters metric).
//! `shared/README.md`'s cost table comes from this test's output (`cargo test --test memory_cost -- --nocapture`).
//!
//! The mix, per replay of 1,000 turns: 10 cold starts of 100 turns each (an instance recycled
//! every 100 turns), either one after the other or two instances at a time side by side (see
//! [`Layout`]); each turn one of 8 reply shapes built from 14 fixed bot strings (1-4 strings
//! each, 6 items for the menu); the users' languages 50 % es, 30 % fr, 20 % de; sessions of 4 turns, each
//! with its own id (`context.global.session_id`), so the memory admits a text once it was shown in
//! 5 sessions (`MEMORY_ADMIT_SESSIONS`' default); 5 % of turns add a personalised line with the
//! user's name (a context variable, from the Faker corpus) and an order id: its template is what
//! the cache and the memory keep. Beside them: the floor (one instance never recycled, no memory)
//! and the steady state (the next 1,000 turns with the table the first 1,000 left), also with
//! `TRANSLATION_TEMPLATES=off`, to show what the templates buy.

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

/// Turns per session.
const SESSION_TURNS: usize = 4;

/// Users' names, from the Faker corpus (`tests/data/faker-personal-replies.jsonl`).
fn names() -> Vec<String> {
    fixture("faker-personal-replies.jsonl")
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap()["values"]["name"].as_str().unwrap().to_owned())
        .collect()
}

/// One turn's request, in session `number / SESSION_TURNS`.
fn turn(rng: &mut Lcg, number: usize, personal_percent: u64, names: &[String]) -> String {
    let shape = SHAPES[rng.next(SHAPES.len() as u64) as usize];
    let mut texts: Vec<String> = shape.iter().map(|&i| STRINGS[i].to_owned()).collect();
    let session = number / SESSION_TURNS;
    let name = &names[session % names.len()];
    if rng.next(100) < personal_percent {
        texts.push(format!("Thanks, {name}, your order ORD-{number:05} has shipped."));
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
    request["payload"]["context"]["skills"]["main skill"]["user_defined"]["customer_name"] = json!(name);
    request["payload"]["context"]["global"]["session_id"] = json!(format!("session-{session}"));
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

/// One replay of 1,000 turns: its seed, first turn number, share of personalised turns, and the
/// functions' variables.
#[derive(Clone, Copy)]
struct Mix<'a> {
    seed: u64,
    first_turn: usize,
    personal_percent: u64,
    variables: &'a [(&'a str, &'a str)],
}

/// Characters billed over one replay of 1,000 turns.
async fn replay(translate: &FakeTranslate, table: Option<&LocalTable>, layout: Layout, mix: Mix<'_>) -> u64 {
    let mut rng = Lcg(mix.seed);
    let names = names();
    let turns: Vec<String> =
        (0..1000).map(|n| turn(&mut rng, mix.first_turn + n, mix.personal_percent, &names)).collect();
    let instance = || {
        let config = config(mix.variables).with_metrics(shared::metrics::MetricsSink::buffer().0);
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
    /// The same two replays with `TRANSLATION_TEMPLATES=off`: (without the memory, table kept).
    untemplated: (u64, u64),
}

fn cut(with: u64, without: u64) -> f64 {
    100.0 * (1.0 - with as f64 / without as f64)
}

async fn measure(personal_percent: u64) -> Figures {
    let translate = FakeTranslate::start().await;
    let first = Mix { seed: 7, first_turn: 0, personal_percent, variables: &[] };
    let next = Mix { seed: 8, first_turn: 1000, ..first };
    let without = replay(&translate, None, Layout::OneAtATime, first).await;
    let one_instance = replay(&translate, None, Layout::OneInstance, first).await;
    let side_table = LocalTable::create().await;
    let side_by_side = replay(&translate, Some(&side_table), Layout::SideBySide, first).await;
    let table = LocalTable::create().await;
    let one_at_a_time = replay(&translate, Some(&table), Layout::OneAtATime, first).await;
    let without_next = replay(&translate, None, Layout::OneAtATime, next).await;
    let kept = replay(&translate, Some(&table), Layout::OneAtATime, next).await;
    let off: &[(&str, &str)] = &[("TRANSLATION_TEMPLATES", "off")];
    let untemplated_table = LocalTable::create().await;
    replay(&translate, Some(&untemplated_table), Layout::OneAtATime, Mix { variables: off, ..first }).await;
    let untemplated = (
        replay(&translate, None, Layout::OneAtATime, Mix { variables: off, ..next }).await,
        replay(&translate, Some(&untemplated_table), Layout::OneAtATime, Mix { variables: off, ..next }).await,
    );
    let f = Figures { without, one_instance, one_at_a_time, side_by_side, without_next, kept, untemplated };
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
    let (off_without, off_kept) = untemplated;
    eprintln!(
        "  TRANSLATION_TEMPLATES=off: without the memory {off_without}, table kept {off_kept} ({:.1} % fewer)",
        cut(off_kept, off_without)
    );
    f
}

/// How many points of the first day's cut admission may cost against the floor: a text waits for
/// its 5th session before it is stored, and an instance recycled before then pays for it again
/// (measured: 7.1 points for fixed replies, 9.8 with 5 % personalised turns, 2026-12-02).
const ADMISSION_POINTS: f64 = 12.0;

// From an empty table each (text, language) is paid for once instead of once per cold start: the
// memory can at best make 10 cold starts cost what one instance that is never recycled costs,
// which bounds the cut near 90 % (1 - 1/10 when every instance meets every string). A text enters
// the memory only once shown in 5 sessions, so an instance recycled before then pays again (a few
// points above the floor). Instances side by side can miss the same text at once and both pay.
// Once the table holds the replies and the personalised lines' templates, nothing is paid for.
#[tokio::test]
async fn fixed_replies_are_paid_once_from_an_empty_table_and_never_once_stored() {
    let f = measure(0).await;
    assert!(f.one_at_a_time >= f.one_instance, "below the floor: {f:?}");
    assert!(cut(f.one_at_a_time, f.without) >= cut(f.one_instance, f.without) - ADMISSION_POINTS, "{f:?}");
    assert!(f.side_by_side >= f.one_at_a_time, "{f:?}");
    assert!(cut(f.side_by_side, f.without) >= cut(f.one_instance, f.without) - ADMISSION_POINTS - 5.0, "{f:?}");
    assert_eq!(f.kept, 0, "{f:?}");
}

#[tokio::test]
async fn with_five_percent_personalised_turns_the_templates_are_kept_and_the_cut_is_at_least_95_percent() {
    let f = measure(5).await;
    assert!(f.one_at_a_time >= f.one_instance, "below the floor: {f:?}");
    assert!(cut(f.one_at_a_time, f.without) >= cut(f.one_instance, f.without) - ADMISSION_POINTS, "{f:?}");
    assert!(cut(f.kept, f.without_next) >= 95.0, "{f:?}");
    // Without templates each personalised line is a text of its own, never shown in 5 sessions:
    // never stored, paid for every time.
    let (off_without, off_kept) = f.untemplated;
    assert!(off_kept > f.kept && cut(off_kept, off_without) < 95.0, "{f:?}");
}
