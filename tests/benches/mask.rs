//! Masking personal data (`MASK_PERSONAL_DATA`): detection and sealing of the values in one user
//! message, then putting them back into a six-item reply; and the whole per-turn share of masking
//! and placeholders together (issue 17's target: within 20 µs for a six-item reply).
//!
//! `cargo bench -p webhook-tests --bench mask` (figures in shared/src/mask/README.md).

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use serde_json::json;
use shared::config::Variables;
use shared::mask::MaskSettings;
use shared::payload::Context;
use shared::protect::Protector;
use shared::translate::template::{TurnValues, fill, template};

const INPUT: &str = "Hi, I'm lucie.martin@example.fr, call me on +33 6 12 34 56 78, card 4111 1111 1111 1111.";

fn settings() -> MaskSettings {
    let table = [
        ("MASK_PERSONAL_DATA", "email,phone,card,iban,ip"),
        ("MASK_SECRET", "bench-mask-secret-0123456789abcdef"),
        ("MASK_PHONE_REGION", "FR"),
    ];
    MaskSettings::read(&Variables::from(&table[..])).unwrap().unwrap()
}

fn context() -> Context {
    serde_json::from_value(json!({"global": {"session_id": "bench-session"}, "skills": {"actions skill": {}}})).unwrap()
}

fn six_item_reply() -> Vec<String> {
    [
        "Thanks! We'll write to [email A] within the hour.",
        "Your order has shipped.",
        "If we need anything, we'll call [phone A].",
        "What would you like to do?",
        "The card ending in [card A] was charged.",
        "Anything else?",
    ]
    .map(String::from)
    .to_vec()
}

/// A session with per-user context variables (what templates replace) besides the masked values.
fn personal_context() -> Context {
    serde_json::from_value(json!({
        "global": {"session_id": "bench-session"},
        "skills": {"actions skill": {"user_defined": {
            "language": "es", "first_name": "Lucie", "order_id": "ORD-48213", "city": "Lyon"
        }}}
    }))
    .unwrap()
}

/// A six-item reply as the assistant sends it on a masked session: three tokens, context values,
/// an id, an amount and a plain text.
fn personal_reply() -> Vec<String> {
    [
        "Thanks, Lucie! We'll write to [email A] within the hour.",
        "Your order ORD-48213 has shipped to Lyon.",
        "If we need anything, we'll call [phone A].",
        "The card ending in [card A] was charged 42.90 EUR.",
        "What would you like to do?",
        "Anything else?",
    ]
    .map(String::from)
    .to_vec()
}

fn benches(c: &mut Criterion) {
    let mask = settings();
    // Once per instance: libphonenumber's metadata is read on the first phone-number check.
    let started = std::time::Instant::now();
    assert_eq!(mask.detector.find("+33 6 12 34 56 78").len(), 1);
    eprintln!("mask: first phone-number check of an instance (metadata load): {:?}", started.elapsed());
    let started = std::time::Instant::now();
    assert_eq!(mask.detector.find("+33 6 12 34 56 79").len(), 1);
    eprintln!("mask: the second one: {:?}", started.elapsed());
    let masked_context = {
        let mut context = context();
        assert_eq!(mask.mask(INPUT, &mut context).count, 3);
        context
    };
    c.bench_function("mask: one message, three values (email, phone, card): detect and seal", |b| {
        b.iter_batched(context, |mut context| mask.mask(INPUT, &mut context), BatchSize::SmallInput)
    });
    c.bench_function("mask: put three values back into a six-item reply", |b| {
        b.iter_batched(
            six_item_reply,
            |mut reply| mask.reinsert(reply.iter_mut(), &masked_context),
            BatchSize::SmallInput,
        )
    });
    c.bench_function("mask: both (a masked turn and its six-item reply)", |b| {
        b.iter_batched(
            || (context(), six_item_reply()),
            |(mut context, mut reply)| {
                mask.mask(INPUT, &mut context);
                mask.reinsert(reply.iter_mut(), &context)
            },
            BatchSize::SmallInput,
        )
    });
    c.bench_function("mask: a six-item reply with no token", |b| {
        let plain: Vec<String> = six_item_reply().iter().map(|t| t.replace('[', "(")).collect();
        b.iter_batched(
            || plain.clone(),
            |mut reply| mask.reinsert(reply.iter_mut(), &masked_context),
            BatchSize::SmallInput,
        )
    });
}

/// Everything masking and placeholders add to one translated turn with a six-item reply, on
/// `MASK_PERSONAL_DATA=email,phone,card,iban,ip`: premessage masks the input (detect, seal three
/// values into the context); postmessage reads the context's values, turns each reply text into
/// its template and fills the (here untranslated) template back, then puts the three values back.
/// Not included: the cache or memory lookup between template and fill, and Translate itself.
fn mask_and_placeholders(c: &mut Criterion) {
    let mask = settings();
    mask.detector.find("+33 6 12 34 56 78"); // the metadata load is a one-off per instance (see above)
    let protector = Protector::new(["Acme Cloud"]);
    let turn = |mut context: Context, reply: Vec<String>| {
        mask.mask(INPUT, &mut context);
        let values = TurnValues::from_context(Some(&context));
        let mut filled: Vec<String> = reply
            .iter()
            .map(|text| {
                let templated = template(text, &protector, &values);
                fill(&templated.key, &templated.values).expect("filled")
            })
            .collect();
        let restored = mask.reinsert(filled.iter_mut(), &context);
        (filled, restored)
    };
    // What the bench measures, checked once: every text templated, every value back.
    let (filled, restored) = turn(personal_context(), personal_reply());
    assert_eq!(restored.restored, 3);
    assert!(filled[0].contains("lucie.martin@example.fr") && filled[2].contains("+33 6 12 34 56 78"));
    let mut context = personal_context();
    mask.mask(INPUT, &mut context);
    let values = TurnValues::from_context(Some(&context));
    let placeholders: usize =
        personal_reply().iter().map(|text| template(text, &protector, &values).values.len()).sum();
    assert!(placeholders >= 4, "the context values, the id and the amount become placeholders");
    eprintln!("mask and placeholders: {placeholders} placeholders in the six-item reply");

    c.bench_function(
        "mask and placeholders: a masked turn and its six-item reply, templated, filled, values put back",
        |b| {
            b.iter_batched(
                || (personal_context(), personal_reply()),
                |(context, reply)| turn(context, reply),
                BatchSize::SmallInput,
            )
        },
    );
    c.bench_function("placeholders alone: the same six-item reply, templated and filled", |b| {
        let reply = personal_reply();
        b.iter(|| {
            for text in &reply {
                let templated = template(text, &protector, &values);
                std::hint::black_box(fill(&templated.key, &templated.values).expect("filled"));
            }
        })
    });
}

criterion_group!(mask_benches, benches, mask_and_placeholders);
criterion_main!(mask_benches);
