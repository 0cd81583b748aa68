//! Masking personal data (`MASK_PERSONAL_DATA`): detection and sealing of the values in one user
//! message, then putting them back into a six-item reply (issue 17's target: within 20 µs).
//!
//! `cargo bench -p webhook-tests --bench mask` (figures in shared/src/mask/README.md).

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use serde_json::json;
use shared::config::Variables;
use shared::mask::MaskSettings;
use shared::payload::Context;

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

criterion_group!(mask_benches, benches);
criterion_main!(mask_benches);
