//! Failing AWS services against the real SDK clients, through the real lambda_http entry point:
//! Amazon Translate (the fake endpoint) throttling, failing with a 500, hanging, closing the
//! connection or answering garbage, behind premessage, postmessage and dialog; Amazon S3 (the
//! local server) failing, throttling, hanging, slower than the deadline, refusing connections or
//! merely slow, behind the log function. One test per function and fault, and one for a single
//! throttle, which is retried and translated.
//!
//! The conversation goes on: premessage and postmessage answer 200 with the text untranslated,
//! within the Translate deadline, and say so in one WARN line (reason code and invocation id, no
//! user text); dialog answers a JSON error (502/504) before its deadline; the log function answers
//! 503 with `retry-after` and writes one fallback record from which the event can be recovered,
//! and stores the retried delivery once S3 is back.
//!
//! The rows are data: `TRANSLATE_FAULTS` × the functions of `Function::ALL` that translate
//! (`<fault>::<function>`), and `STORE_FAULTS` for the log function (`log::<fault>`), run by
//! `table::run` (`harness = false`). No assertion reads a clock: that a deadline cut a hung or
//! slow call is shown by the reason code it leaves (`timeout`, the dialog's `deadline_exceeded`),
//! which only the deadline produces, since a hung fake never answers. The fake Translate closes
//! only connections it accepts after the switch, and a warm client reuses its pooled one, so the
//! closed-connection fault runs on a second, fresh function.
//!
//! Latency: each test still prints the healthy median and the worst faulty answer, for reading
//! with `--nocapture --test-threads=1`; no assertion depends on them.

use std::time::{Duration, Instant};

use logwebhook::FALLBACK_MESSAGE;
use serde_json::{Value, json};
use webhook_tests::entry_point::{INVOCATION_ID, UrlEvent, UrlResponse, assert_nothing_leaks};
use webhook_tests::hardening::{Function, Subject, TestFunction, USER_MARKER};
use webhook_tests::local_s3::closed_endpoint;
use webhook_tests::table::{self, trial};
use webhook_tests::{Behaviour, LocalS3, LogCapture, S3Behaviour, watson_authorization};

/// `TRANSLATE_TIMEOUT_MS` for premessage and postmessage.
const TRANSLATE_DEADLINE_MS: u64 = 800;
/// dialog: `DIALOG_DEADLINE_MS`, with Translate's deadline below it as in the template (3 s < 5 s).
const DIALOG_DEADLINE_MS: u64 = 1000;
const DIALOG_TRANSLATE_MS: u64 = 600;
/// `LOG_STORE_TIMEOUT_MS`.
const STORE_DEADLINE_MS: u64 = 600;
const RUNS: usize = 3;

const USER_TEXT: &str = "¿Dónde está mi pedido? Lo necesito para mañana, gracias qzx-user-words-7731";
const REPLY_TEXT: &str = "Your order ships tomorrow qzx-user-words-7731";

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

struct Timing {
    baseline: Duration,
    worst: Duration,
}

impl Timing {
    fn report(&self, function: &str, fault: &str, deadline_ms: u64) {
        println!(
            "| {function} | {fault} | baseline {:.1} ms | worst under fault {:.1} ms | added {:.1} ms | deadline {deadline_ms} ms |",
            ms(self.baseline),
            ms(self.worst),
            ms(self.worst.saturating_sub(self.baseline)),
        );
    }
}

async fn timed(subject: &Subject, event: &UrlEvent) -> (UrlResponse, Duration) {
    let started = Instant::now();
    let response = subject.send(event.clone()).await;
    (response, started.elapsed())
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// A fault of Amazon Translate, and the reason code a function gives for it.
struct TranslateFault {
    name: &'static str,
    behaviour: Behaviour,
    /// `shared::aws::AwsError`'s code: `timeout` only when the deadline cut the call.
    code: &'static str,
}

const TRANSLATE_FAULTS: &[TranslateFault] = &[
    TranslateFault { name: "throttled", behaviour: Behaviour::Throttle, code: "throttled" },
    TranslateFault { name: "server_error", behaviour: Behaviour::ServerError, code: "service_error" },
    TranslateFault { name: "hang", behaviour: Behaviour::Hang, code: "timeout" },
    TranslateFault { name: "close_connection", behaviour: Behaviour::CloseConnection, code: "network_error" },
    TranslateFault { name: "garbage", behaviour: Behaviour::Garbage, code: "invalid_response" },
];

/// One translating function under one fault.
async fn translate_fault(function: Function, fault: &'static TranslateFault) {
    match function {
        Function::PreMessage => premessage(fault).await,
        Function::PostMessage => postmessage(fault).await,
        Function::Dialog => dialog(fault).await,
        other => panic!("{other} translates: give it a translate-fault test here"),
    }
}

/// The lines at WARN or above from the functions' own code.
fn warnings(logs: &LogCapture) -> Vec<Value> {
    logs.text()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| matches!(line["level"].as_str(), Some("WARN" | "ERROR")))
        .filter(|line| !line["target"].as_str().unwrap_or_default().starts_with("aws_"))
        .collect()
}

fn no_leaks(subject: &Subject, logs: &LogCapture, extra: &[&str]) {
    let token = watson_authorization();
    let mut needles: Vec<String> = subject.secrets();
    needles.push(token.trim_start_matches("Bearer ").to_owned());
    needles.extend(extra.iter().map(|s| s.to_string()));
    let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
    assert_nothing_leaks(&[("the logs", &logs.text()), ("the metric lines", &subject.metrics_text())], &needles);
}

// ---- premessage ----------------------------------------------------------------------------

async fn premessage(fault: &TranslateFault) {
    let TranslateFault { name, code, .. } = fault;
    let (logs, _guard) = LogCapture::start();
    let deadline = TRANSLATE_DEADLINE_MS.to_string();
    let overrides = [("TRANSLATE_TIMEOUT_MS", deadline.as_str()), ("TRANSLATE_CACHE_ENTRIES", "0")];
    let subject = Subject::start(Function::PreMessage, &overrides).await;
    let mut request = Function::PreMessage.valid_body();
    request["payload"]["input"]["text"] = json!(USER_TEXT);
    let event = UrlEvent::post(&request.to_string());

    // Warm, then the healthy baseline: translated.
    let mut healthy = Vec::new();
    for _ in 0..=RUNS {
        let (response, elapsed) = timed(&subject, &event).await;
        assert_eq!(
            response.json()["payload"]["input"]["text"],
            format!("[es->en] {USER_TEXT}"),
            "the healthy turn is translated"
        );
        healthy.push(elapsed);
    }
    let baseline = median(healthy.split_off(1));

    let cold;
    let subject = match fault.behaviour {
        // See the module doc: a fresh client, so that every connection it opens is closed.
        Behaviour::CloseConnection => {
            cold = Subject::start(subject.function, &overrides).await;
            &cold
        }
        _ => &subject,
    };
    subject.translate().set_behaviour(fault.behaviour.clone());
    let warned_before = warnings(&logs).len();
    let mut worst = Duration::ZERO;
    for run in 0..RUNS {
        let calls_before = subject.translate().calls().len();
        let (response, elapsed) = timed(subject, &event).await;
        worst = worst.max(elapsed);
        assert_eq!(response.status, 200, "{name}: {}", response.text());
        assert_eq!(response.json()["payload"]["input"]["text"], USER_TEXT, "{name}: passed through untranslated");
        let calls = subject.translate().calls().len() - calls_before;
        assert!((1..=2).contains(&calls), "{name}: {calls} calls (at most one retry)");
        // One WARN line per faulty turn, with the reason code and the invocation id.
        let new: Vec<Value> = warnings(&logs).split_off(warned_before + run);
        assert_eq!(new.len(), 1, "{name}: one line says so\n{}", logs.text());
        assert_eq!(new[0]["fields"]["message"], "translation failed; the message goes on untranslated");
        assert_eq!(new[0]["fields"]["request_id"], INVOCATION_ID);
        assert_eq!(new[0]["fields"]["error"], *code, "{name}: {}", new[0]);
    }
    // The warning is the turn's only line: no separate "turn" line repeats it.
    let last = warnings(&logs).pop().unwrap();
    assert_eq!(last["fields"]["outcome"], "passed_through_after_fault");
    assert!(
        logs.lines_with_message("turn").iter().all(|line| line["fields"]["outcome"] != "passed_through_after_fault")
    );
    assert!(subject.metrics_text().lines().last().unwrap().contains("\"PassThroughAfterFault\":1"));
    no_leaks(subject, &logs, &[USER_MARKER, "pedido"]);
    Timing { baseline, worst }.report("premessage", name, TRANSLATE_DEADLINE_MS);
}

// ---- postmessage ---------------------------------------------------------------------------

async fn postmessage(fault: &TranslateFault) {
    let TranslateFault { name, code, .. } = fault;
    let (logs, _guard) = LogCapture::start();
    let deadline = TRANSLATE_DEADLINE_MS.to_string();
    let overrides = [("TRANSLATE_TIMEOUT_MS", deadline.as_str()), ("TRANSLATE_CACHE_ENTRIES", "0")];
    let subject = Subject::start(Function::PostMessage, &overrides).await;
    let mut request = Function::PostMessage.valid_body();
    request["payload"]["output"]["generic"] = json!([
        {"response_type": "text", "text": REPLY_TEXT},
        {"response_type": "option", "title": "Anything else?", "options": [
            {"label": "No, thanks", "value": {"input": {"text": "no"}}},
            {"label": "Track another order", "value": {"input": {"text": "track"}}}
        ]}
    ]);
    request["payload"]["context"]["skills"]["actions skill"]["user_defined"]["language"] = json!("es");
    let event = UrlEvent::post(&request.to_string());

    let mut healthy = Vec::new();
    for _ in 0..=RUNS {
        let (response, elapsed) = timed(&subject, &event).await;
        assert_eq!(response.json()["payload"]["output"]["generic"][0]["text"], format!("[en->es] {REPLY_TEXT}"));
        healthy.push(elapsed);
    }
    let baseline = median(healthy.split_off(1));

    let cold;
    let subject = match fault.behaviour {
        // See the module doc: a fresh client, so that every connection it opens is closed.
        Behaviour::CloseConnection => {
            cold = Subject::start(subject.function, &overrides).await;
            &cold
        }
        _ => &subject,
    };
    subject.translate().set_behaviour(fault.behaviour.clone());
    let warned_before = warnings(&logs).len();
    let mut worst = Duration::ZERO;
    for run in 0..RUNS {
        let calls_before = subject.translate().calls().len();
        let (response, elapsed) = timed(subject, &event).await;
        worst = worst.max(elapsed);
        assert_eq!(response.status, 200, "{name}: {}", response.text());
        assert_eq!(
            response.json()["payload"],
            request["payload"],
            "{name}: the reply goes out as it came, never half translated"
        );
        let calls = subject.translate().calls().len() - calls_before;
        assert!((1..=8).contains(&calls), "{name}: {calls} calls for 4 texts (at most one retry each)");
        let new: Vec<Value> = warnings(&logs).split_off(warned_before + run);
        assert_eq!(new.len(), 1, "{name}: one line says so\n{}", logs.text());
        assert_eq!(new[0]["fields"]["message"], "translation failed; the reply goes out untranslated");
        assert_eq!(new[0]["fields"]["request_id"], INVOCATION_ID);
        assert_eq!(new[0]["fields"]["error"], *code, "{name}: {}", new[0]);
    }
    let last = warnings(&logs).pop().unwrap();
    assert_eq!(last["fields"]["outcome"], "passed_through_after_fault");
    assert!(
        logs.lines_with_message("turn").iter().all(|line| line["fields"]["outcome"] != "passed_through_after_fault")
    );
    no_leaks(subject, &logs, &[USER_MARKER, "ships tomorrow", "Track another order"]);
    Timing { baseline, worst }.report("postmessage", name, TRANSLATE_DEADLINE_MS);
}

// ---- dialog --------------------------------------------------------------------------------

async fn dialog(fault: &TranslateFault) {
    let TranslateFault { name, code, .. } = fault;
    let (logs, _guard) = LogCapture::start();
    let (deadline, translate) = (DIALOG_DEADLINE_MS.to_string(), DIALOG_TRANSLATE_MS.to_string());
    let overrides = [
        ("DIALOG_DEADLINE_MS", deadline.as_str()),
        ("TRANSLATE_TIMEOUT_MS", translate.as_str()),
        ("TRANSLATE_CACHE_ENTRIES", "0"),
    ];
    let subject = Subject::start(Function::Dialog, &overrides).await;
    let params = json!({"action": "translate", "text": REPLY_TEXT, "target": "es", "source": "en"});
    let event = UrlEvent::post(&params.to_string());

    let mut healthy = Vec::new();
    for _ in 0..=RUNS {
        let (response, elapsed) = timed(&subject, &event).await;
        assert_eq!(response.json()["translation"], format!("[en->es] {REPLY_TEXT}"));
        healthy.push(elapsed);
    }
    let baseline = median(healthy.split_off(1));

    let cold;
    let subject = match fault.behaviour {
        // See the module doc: a fresh client, so that every connection it opens is closed.
        Behaviour::CloseConnection => {
            cold = Subject::start(subject.function, &overrides).await;
            &cold
        }
        _ => &subject,
    };
    subject.translate().set_behaviour(fault.behaviour.clone());
    let mut worst = Duration::ZERO;
    for _ in 0..RUNS {
        let (response, elapsed) = timed(subject, &event).await;
        worst = worst.max(elapsed);
        let body = response.json();
        // Translate's deadline (600 ms) is below the dialog's (1000 ms): Translate's fault is what
        // the caller reads, its reason code in the message.
        assert_eq!(response.status, 502, "{name}: {body}");
        assert_eq!(body["error"]["code"], "translation_failed", "{body}");
        assert_eq!(body["error"]["message"], format!("translation failed ({code})"), "{body}");
        assert_nothing_leaks(&[("the error body", &response.text())], &[USER_MARKER, "ships tomorrow"]);
    }
    let failed = logs.lines_with_message("callout failed");
    assert_eq!(failed.len(), RUNS, "one line per failed callout\n{}", logs.text());
    assert!(failed.iter().all(|line| line["fields"]["request_id"] == INVOCATION_ID));
    no_leaks(subject, &logs, &[USER_MARKER, "ships tomorrow"]);
    Timing { baseline, worst }.report("dialog", name, DIALOG_DEADLINE_MS);
}

// ---- log -----------------------------------------------------------------------------------

/// The log event, with user text in it.
fn log_event() -> Value {
    let mut event = Function::Log.valid_body();
    event["payload"]["request"]["input"]["text"] = json!(format!("Where is my order? {USER_MARKER}"));
    event
}

const LOG_KEY: &str = "event=message_logged/dt=2025-06-01/58bebfd1-0118-419b-a555-b152a1efbbe8.json";

/// The log function on S3 that fails as `fault` says: 503, `retry-after`, one fallback record
/// holding the whole event, within the store deadline; nothing lost once S3 is back.
/// A fault of Amazon S3 behind the log function, and the reason code of its fallback record.
struct StoreFault {
    name: &'static str,
    /// `None`: the store is pointed at a port where nothing listens.
    behaviour: Option<S3Behaviour>,
    code: &'static str,
}

const STORE_FAULTS: &[StoreFault] = &[
    StoreFault { name: "server_error", behaviour: Some(S3Behaviour::ServerError), code: "service_error" },
    StoreFault { name: "slow_down", behaviour: Some(S3Behaviour::SlowDown), code: "throttled" },
    StoreFault { name: "hang", behaviour: Some(S3Behaviour::Hang), code: "timeout" },
    StoreFault {
        name: "slower_than_the_deadline",
        behaviour: Some(S3Behaviour::Delay(Duration::from_millis(STORE_DEADLINE_MS * 2))),
        code: "timeout",
    },
    StoreFault { name: "connection_refused", behaviour: None, code: "network_error" },
];

async fn log_store_down(fault: &StoreFault) {
    let StoreFault { name, code, .. } = fault;
    let (logs, _guard) = LogCapture::start();
    let deadline = STORE_DEADLINE_MS.to_string();
    let s3 = LocalS3::start();
    let closed = fault.behaviour.is_none();
    let subject = if closed {
        // The same function, its store pointed at a port where nothing listens.
        Subject::log_on_s3_endpoint(&closed_endpoint(), &[("LOG_STORE_TIMEOUT_MS", &deadline)]).await
    } else {
        Subject::log_on_s3(&s3, &[("LOG_STORE_TIMEOUT_MS", &deadline)]).await
    };
    let request = log_event();
    let event = UrlEvent::post(&request.to_string());

    // Warm and baseline on the healthy store (for the closed port: the same build of client
    // against the live local S3).
    let baseline_subject = Subject::log_on_s3(&s3, &[("LOG_STORE_TIMEOUT_MS", &deadline)]).await;
    let mut healthy = Vec::new();
    for _ in 0..=RUNS {
        let (response, elapsed) = timed(&baseline_subject, &event).await;
        assert_eq!(response.status, 201, "{}", response.text());
        healthy.push(elapsed);
    }
    let baseline = median(healthy.split_off(1));
    if !closed {
        // Warm this subject's client too.
        assert_eq!(subject.send(event.clone()).await.status, 201);
    }

    s3.set_behaviour(fault.behaviour.clone().unwrap_or(S3Behaviour::Normal));
    let before = logs.lines_with_message(FALLBACK_MESSAGE).len();
    let mut worst = Duration::ZERO;
    for _ in 0..RUNS {
        let (response, elapsed) = timed(&subject, &event).await;
        worst = worst.max(elapsed);
        assert_eq!(response.status, 503, "{name}: {}", response.text());
        assert_eq!(response.header("retry-after"), Some("1"));
        assert_eq!(response.error_code().as_deref(), Some("store_unavailable"));
        assert_nothing_leaks(&[("the error body", &response.text())], &[USER_MARKER]);
    }
    let fallback: Vec<Value> = logs.lines_with_message(FALLBACK_MESSAGE).split_off(before);
    assert_eq!(fallback.len(), RUNS, "{name}: one fallback record per refused delivery\n{}", logs.text());
    for record in &fallback {
        let fields = &record["fields"];
        assert_eq!(fields["request_id"], INVOCATION_ID);
        assert_eq!(fields["key"], LOG_KEY);
        let recovered: Value = serde_json::from_str(fields["event"].as_str().unwrap()).unwrap();
        assert_eq!(recovered, request, "{name}: the event can be recovered whole");
        assert_eq!(fields["error"], *code, "{name}: {fields}");
    }
    // The fallback record is the one place user text may be logged, on purpose (`functions/log/README.md`); never a
    // secret or the token.
    let mut needles = subject.secrets();
    needles.push(watson_authorization().trim_start_matches("Bearer ").to_owned());
    let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
    assert_nothing_leaks(&[("the logs", &logs.text())], &needles);

    if !closed {
        // S3 is back: the retried delivery is stored, whole.
        s3.set_behaviour(S3Behaviour::Normal);
        let response = subject.send(event.clone()).await;
        assert_eq!((response.status, response.json()), (201, json!({"stored": LOG_KEY})));
        assert_eq!(s3.objects().await[LOG_KEY].json(), request);
    }
    Timing { baseline, worst }.report("log", name, STORE_DEADLINE_MS);
}

/// Slow but within the deadline: stored (201), no fallback record.
async fn log_slow_within_the_deadline() {
    let (logs, _guard) = LogCapture::start();
    let s3 = LocalS3::start();
    let deadline = STORE_DEADLINE_MS.to_string();
    let subject = Subject::log_on_s3(&s3, &[("LOG_STORE_TIMEOUT_MS", &deadline)]).await;
    let event = UrlEvent::post(&log_event().to_string());
    let mut healthy = Vec::new();
    for _ in 0..=RUNS {
        healthy.push(timed(&subject, &event).await.1);
    }
    let baseline = median(healthy.split_off(1));
    let delay = Duration::from_millis(STORE_DEADLINE_MS / 3);
    s3.set_behaviour(S3Behaviour::Delay(delay));
    let mut worst = Duration::ZERO;
    for _ in 0..RUNS {
        let (response, elapsed) = timed(&subject, &event).await;
        worst = worst.max(elapsed);
        assert_eq!(response.status, 201, "{}", response.text());
    }
    assert!(logs.lines_with_message(FALLBACK_MESSAGE).is_empty());
    assert_eq!(s3.objects().await[LOG_KEY].json(), log_event());
    no_leaks(&subject, &logs, &[USER_MARKER]);
    Timing { baseline, worst }.report("log", "slow_within_the_deadline (200 ms)", STORE_DEADLINE_MS);
}

/// A Translate deadline longer than the dialog's (a misconfiguration): the dialog's own deadline
/// still answers, 504 with a JSON error, before the assistant gives up on the callout: only the
/// dialog's deadline gives `deadline_exceeded` (Translate's own would say `timeout`, after 5 s).
async fn dialog_hang_past_its_own_deadline() {
    let (logs, _guard) = LogCapture::start();
    let deadline = DIALOG_DEADLINE_MS.to_string();
    let subject =
        Subject::start(Function::Dialog, &[("DIALOG_DEADLINE_MS", &deadline), ("TRANSLATE_TIMEOUT_MS", "5000")]).await;
    subject.translate().set_behaviour(Behaviour::Hang);
    let event = UrlEvent::post(&json!({"model_id": "en-es", "text": [REPLY_TEXT, "Fine."]}).to_string());
    let (response, elapsed) = timed(&subject, &event).await;
    assert_eq!(
        (response.status, response.error_code().as_deref()),
        (504, Some("deadline_exceeded")),
        "{}",
        response.text()
    );
    assert_eq!(logs.lines_with_message("callout failed").len(), 1);
    no_leaks(&subject, &logs, &[USER_MARKER, "ships tomorrow"]);
    println!(
        "| dialog | hang, Translate deadline 5000 ms > dialog deadline | answered 504 after {:.1} ms | deadline {DIALOG_DEADLINE_MS} ms |",
        ms(elapsed)
    );
}

/// One throttle is retried once (the SDK's one retry) and the turn is translated after all.
async fn one_throttle_is_retried_once_and_the_turn_is_translated() {
    let (_logs, _guard) = LogCapture::start();
    let deadline = TRANSLATE_DEADLINE_MS.to_string();
    for function in Function::ALL.into_iter().filter(|function| function.facts().translates) {
        let subject = Subject::start(function, &[("TRANSLATE_TIMEOUT_MS", &deadline)]).await;
        subject.translate().set_behaviour(Behaviour::ThrottleOnce);
        let (request, translated) = match function {
            Function::Dialog => (
                json!({"action": "translate", "text": REPLY_TEXT, "target": "es", "source": "en"}),
                format!("[en->es] {REPLY_TEXT}"),
            ),
            Function::PostMessage => (function.body_with_text(REPLY_TEXT), format!("[en->es] {REPLY_TEXT}")),
            _ => (function.body_with_text(USER_TEXT), format!("[es->en] {USER_TEXT}")),
        };
        let response = subject.send(UrlEvent::post(&request.to_string())).await;
        assert_eq!(response.status, 200, "{}: {}", function.name(), response.text());
        assert_eq!(subject.translate().calls().len(), 2, "{}: the throttled call and its retry", function.name());
        let answer = response.json();
        let text = function.text_after(&subject, &answer).or_else(|| answer["translation"].as_str().map(str::to_owned));
        assert_eq!(text, Some(translated), "{}", function.name());
    }
}

fn main() {
    let mut trials = Vec::new();
    for fault in TRANSLATE_FAULTS {
        for function in Function::ALL.into_iter().filter(|function| function.facts().translates) {
            trials.push(trial(format!("{}::{function}", fault.name), move || translate_fault(function, fault)));
        }
    }
    for fault in STORE_FAULTS {
        trials.push(trial(format!("log::{}", fault.name), move || log_store_down(fault)));
    }
    trials.push(trial("log::slow_within_the_deadline", log_slow_within_the_deadline));
    trials.push(trial("dialog_hang_past_its_own_deadline", dialog_hang_past_its_own_deadline));
    trials.push(trial(
        "one_throttle_is_retried_once_and_the_turn_is_translated",
        one_throttle_is_retried_once_and_the_turn_is_translated,
    ));
    table::run(trials)
}
