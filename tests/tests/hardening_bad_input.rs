//! Hostile and odd input through the real lambda_http entry point of every function whose body is
//! JSON, one test per row and function: the rows are data (`COMMON_ROWS` ×
//! `Function::with_json_body()`, then `own_rows`; the audio webhook's multipart refusals are
//! `tests/audio.rs`'), run by
//! `table::run` (`harness = false`). Every answer is JSON with the right status: a 4xx whose `error.message`
//! names the problem, or the normal answer where the input is valid but odd. Never a panic, never
//! a 5xx. In every row the log output is captured from the test's start, and no secret, token or
//! user text may appear in a log line, a metric line or an error body; every log line that names
//! a request carries the Lambda invocation's id.
//!
//! The size limit is `MAX_BODY_BYTES`, default 4 MiB (4,194,304 bytes; Lambda's own cap is 6 MB):
//! rows test a configured limit of 2,048 bytes (one byte over, and exactly at it) and a real
//! 4 MiB + 1 body against the default.
//!
//! Rows: 36 common rows × 4 functions = 144, plus 27 premessage, 24 postmessage, 18 dialog and 12
//! log rows of their own: 225 tests (premessage 63, postmessage 60, dialog 54, log 48).

use serde_json::{Value, json};
use shared::translate::MAX_TEXT_BYTES;
use webhook_tests::LogCapture;
use webhook_tests::entry_point::{INVOCATION_ID, UrlEvent, assert_nothing_leaks, invoke};
use webhook_tests::hardening::{Function, Subject, TestFunction, USER_MARKER, set_pointer};
use webhook_tests::table::{self, trial};

/// The configured limit of the size rows.
const SMALL_LIMIT: usize = 2048;
/// The default `MAX_BODY_BYTES`.
const DEFAULT_LIMIT: usize = 4 * 1024 * 1024;

struct Row {
    event: UrlEvent,
    overrides: Vec<(&'static str, &'static str)>,
    expect: Expect,
}

type Check = Box<dyn Fn(&Subject, &Value)>;

enum Expect {
    /// A refusal: the status, `error.code`, and words `error.message` must contain.
    Refused { status: u16, code: &'static str, names: String },
    /// The normal answer (200; 201 for the log function), then `check` on the body.
    Accepted(Check),
}

impl Row {
    fn new(event: UrlEvent, expect: Expect) -> Row {
        Row { event, overrides: Vec::new(), expect }
    }

    fn with(mut self, name: &'static str, value: &'static str) -> Row {
        self.overrides.push((name, value));
        self
    }
}

fn refused(status: u16, code: &'static str, names: &str) -> Expect {
    Expect::Refused { status, code, names: names.to_owned() }
}

/// Runs one row: the function built as in production (plus the row's environment), the event
/// through the entry point with valid credentials, then every standing check.
async fn run(function: Function, row: Row) {
    let (logs, _guard) = LogCapture::start();
    let subject = Subject::start(function, &row.overrides).await;
    let event = subject.authorize(row.event);
    let credential = event.json()["headers"]["authorization"].as_str().unwrap_or_default().to_owned();
    let response = invoke(&subject.webhook, &event).await;

    assert!(
        response.status < 500,
        "{}: a 5xx for the client's input: {} {}",
        function.name(),
        response.status,
        response.text()
    );
    assert_eq!(response.header("content-type"), Some("application/json"), "{}: every answer is JSON", function.name());
    let body = response.json();
    let refusal = match &row.expect {
        Expect::Refused { status, code, names } => {
            assert_eq!(response.status, *status, "{}: {body}", function.name());
            assert_eq!(body["error"]["code"], *code, "{}: {body}", function.name());
            let message = body["error"]["message"].as_str().unwrap_or_default();
            assert!(message.contains(names.as_str()), "{}: the message names `{names}`: {message}", function.name());
            if *status == 405 {
                assert_eq!(response.header("allow"), Some("POST"));
            }
            true
        }
        Expect::Accepted(check) => {
            assert_eq!(response.status, function.accepted_status(), "{}: {body}", function.name());
            check(&subject, &body);
            false
        }
    };

    // Each line about this request carries the invocation's id, and some line does.
    let lines: Vec<Value> = logs.text().lines().filter_map(|line| serde_json::from_str(line).ok()).collect();
    let ours = |line: &&Value| {
        // The functions' own code, not the AWS SDK (whose `request_id` is AWS's, not ours).
        let ours = Function::ALL.map(Function::package);
        line["target"].as_str().is_some_and(|target| ours.iter().chain(&["shared"]).any(|c| target.starts_with(c)))
    };
    let with_id: Vec<&Value> =
        lines.iter().filter(ours).filter(|line| !line["fields"]["request_id"].is_null()).collect();
    assert!(!with_id.is_empty(), "{}: no log line names the request\n{}", function.name(), logs.text());
    for line in &with_id {
        assert_eq!(line["fields"]["request_id"], INVOCATION_ID, "{}: {line}", function.name());
    }
    // Refused at the door (method, auth, content type, size, JSON shape): one line, no metric line.
    if !logs.lines_with_message("request refused").is_empty() {
        assert!(refusal, "{}: refused but answered {}", function.name(), response.status);
        assert_eq!(with_id.len(), 1, "{}: one log line for a refusal\n{}", function.name(), logs.text());
        assert_eq!(subject.metrics_text(), "", "{}: a metric line for a refusal", function.name());
    }

    // No secret, token or user text in the logs, the metric line, or an error body.
    let token = credential.split_once(' ').map_or(credential.as_str(), |(_, token)| token).to_owned();
    let mut needles = subject.secrets();
    needles.extend([token, USER_MARKER.to_owned()]);
    let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
    let (log_text, metrics) = (logs.text(), subject.metrics_text());
    let error_body = if refusal { response.text() } else { String::new() };
    assert_nothing_leaks(
        &[("the logs", &log_text), ("the metric line", &metrics), ("the error body", &error_body)],
        &needles,
    );

    // Translate never got a request it would refuse (such as a text over its 10,000-byte limit).
    if let Some(translate) = &subject.translate {
        assert!(translate.rejected().is_empty(), "{:?}", translate.rejected());
        assert!(translate.calls().iter().all(|call| call.text.len() <= MAX_TEXT_BYTES));
    }
}

// ---- bodies ---------------------------------------------------------------------------------

fn valid_with(function: Function, pointer: &str, new: Value) -> Value {
    let mut body = function.valid_body();
    set_pointer(&mut body, pointer, new);
    body
}

/// The valid body with a first member `"pad"` sized so that the whole body is `total` bytes.
fn padded(function: Function, total: usize) -> String {
    let valid = function.valid_body().to_string();
    let rest = &valid[1..]; // after `{`
    let frame = "{\"pad\":\"\",".len() + rest.len();
    assert!(total > frame, "the valid body is larger than {total}");
    let body = format!("{{\"pad\":\"{}\",{rest}", "x".repeat(total - frame));
    assert_eq!(body.len(), total);
    body
}

/// The valid body with a first member holding `raw` JSON text.
fn valid_with_raw_member(function: Function, raw: &str) -> String {
    let valid = function.valid_body().to_string();
    format!("{{\"odd\":{raw},{}", &valid[1..])
}

/// Where a function reads the user's text, and how to put `text` there.
fn with_text(function: Function, text: &str) -> Value {
    function.body_with_text(text)
}

fn post(body: &Value) -> UrlEvent {
    UrlEvent::post(&body.to_string())
}

// ---- checks ---------------------------------------------------------------------------------

/// The normal answer to `request`: the payload back unchanged (pre, post), a detection (dialog),
/// the event stored as sent (log).
fn answered_as_usual(function: Function, request: Value) -> Check {
    Box::new(move |subject: &Subject, body: &Value| function.assert_answered_as_usual(subject, body, &request))
}

/// The text went through intact: unchanged, or translated by the fake (`[xx->yy] text`) with the
/// original kept where the function keeps it. Never cut, mangled or lost.
fn text_intact(function: Function, text: &'static str) -> Check {
    Box::new(move |subject: &Subject, body: &Value| {
        let translated =
            |got: &str| got.strip_prefix('[').and_then(|rest| rest.split_once("] ")).is_some_and(|(_, t)| t == text);
        let Some(got) = function.text_after(subject, body) else {
            return assert!(body.get("language").is_some(), "{body}");
        };
        if got != text {
            assert!(translated(&got), "{got:?}");
            if function == Function::PreMessage {
                let original = &body["payload"]["context"]["skills"]["actions skill"]["user_defined"]["original_input"];
                assert_eq!(original, text);
            }
        }
    })
}

/// The text went through untranslated and Translate never saw it.
fn untranslated_never_sent(function: Function, text: String) -> Check {
    Box::new(move |subject: &Subject, body: &Value| {
        match function.text_after(subject, body) {
            Some(got) => assert_eq!(got, text),
            None => assert!(body.get("language").is_some(), "{body}"),
        }
        if let Some(translate) = &subject.translate {
            assert!(translate.calls().is_empty(), "{} call(s) to Translate", translate.calls().len());
        }
    })
}

// ---- rows every function gets -----------------------------------------------------------------

const CONTROL_TEXT: &str = "nul\u{0} bel\u{7} esc\u{1b}[31m del\u{7f} bs\u{8} \r\n\t ls\u{2028} ps\u{2029} bom\u{feff} zwsp\u{200b} qzx-user-words-7731";
const RTL_TEXT: &str = "\u{202e}مرحبا، أين طلبي؟\u{202c} שלום, איפה ההזמנה שלי?\u{200f} qzx-user-words-7731";
const EMOJI_TEXT: &str = "📦🚚 👩🏽‍💻 🇪🇸 ❤️‍🔥 1️⃣ 🏳️‍🌈 \u{1F600}\u{FE0F} qzx-user-words-7731";

mod common {
    use super::*;

    pub fn not_json(_: Function) -> Row {
        Row::new(UrlEvent::post("hello qzx-user-words-7731"), refused(400, "invalid_json", "not valid JSON"))
    }
    pub fn truncated_json(f: Function) -> Row {
        let valid = f.valid_body().to_string();
        Row::new(UrlEvent::post(&valid[..valid.len() / 2]), refused(400, "invalid_json", "unexpected end"))
    }
    pub fn json_array(_: Function) -> Row {
        Row::new(UrlEvent::post("[{\"payload\": {}}]"), refused(422, "not_an_object", "must be a JSON object"))
    }
    pub fn json_string(_: Function) -> Row {
        Row::new(UrlEvent::post("\"qzx-user-words-7731\""), refused(422, "not_an_object", "must be a JSON object"))
    }
    pub fn json_null(_: Function) -> Row {
        Row::new(UrlEvent::post("null"), refused(422, "not_an_object", "must be a JSON object"))
    }
    pub fn json_number(_: Function) -> Row {
        Row::new(UrlEvent::post("7731"), refused(422, "not_an_object", "must be a JSON object"))
    }
    pub fn empty_body(_: Function) -> Row {
        Row::new(UrlEvent::post(""), refused(400, "empty_body", "empty"))
    }
    pub fn whitespace_body(_: Function) -> Row {
        Row::new(UrlEvent::post(" \r\n\t "), refused(400, "empty_body", "empty"))
    }
    pub fn no_body_member(_: Function) -> Row {
        Row::new(UrlEvent::post("").without_body(), refused(400, "empty_body", "empty"))
    }
    pub fn base64_body(f: Function) -> Row {
        let body = f.valid_body();
        Row::new(UrlEvent::post_base64(body.to_string().as_bytes()), Expect::Accepted(answered_as_usual(f, body)))
    }
    pub fn base64_invalid_utf8(_: Function) -> Row {
        let bytes = b"{\"payload\": {\"input\": {\"text\": \"caf\xe9 \xff\xfe qzx-user-words-7731\"}}}";
        Row::new(UrlEvent::post_base64(bytes), refused(400, "invalid_utf8", "UTF-8"))
    }
    pub fn base64_utf16(f: Function) -> Row {
        let mut bytes = vec![0xff, 0xfe];
        bytes.extend(f.valid_body().to_string().encode_utf16().flat_map(u16::to_le_bytes));
        Row::new(UrlEvent::post_base64(&bytes), refused(400, "invalid_utf8", "UTF-8"))
    }
    pub fn utf8_byte_order_mark(f: Function) -> Row {
        Row::new(UrlEvent::post(&format!("\u{feff}{}", f.valid_body())), refused(400, "invalid_json", "not valid JSON"))
    }
    pub fn lone_surrogate_escape(f: Function) -> Row {
        Row::new(
            UrlEvent::post(&valid_with_raw_member(f, r#""\ud800 qzx""#)),
            refused(400, "invalid_json", "not valid JSON"),
        )
    }
    pub fn text_plain(f: Function) -> Row {
        Row::new(
            post(&f.valid_body()).header("content-type", "text/plain"),
            refused(415, "unsupported_media_type", "application/json"),
        )
    }
    pub fn form_urlencoded(f: Function) -> Row {
        let event = post(&f.valid_body()).header("content-type", "application/x-www-form-urlencoded");
        Row::new(event, refused(415, "unsupported_media_type", "application/json"))
    }
    pub fn lookalike_content_type(f: Function) -> Row {
        let event = post(&f.valid_body()).header("content-type", "application/jsonp");
        Row::new(event, refused(415, "unsupported_media_type", "application/json"))
    }
    pub fn missing_content_type(f: Function) -> Row {
        let event = post(&f.valid_body()).without_header("content-type");
        Row::new(event, refused(415, "unsupported_media_type", "application/json"))
    }
    pub fn json_with_charset_and_odd_case(f: Function) -> Row {
        let body = f.valid_body();
        let event =
            post(&body).without_header("content-type").header("Content-Type", "Application/JSON ; charset=UTF-8");
        Row::new(event, Expect::Accepted(answered_as_usual(f, body)))
    }
    pub fn over_configured_limit(f: Function) -> Row {
        Row::new(UrlEvent::post(&padded(f, SMALL_LIMIT + 1)), refused(413, "payload_too_large", "limit of 2048 bytes"))
            .with("MAX_BODY_BYTES", "2048")
    }
    pub fn at_configured_limit(f: Function) -> Row {
        let body = padded(f, SMALL_LIMIT);
        let request: Value = serde_json::from_str(&body).unwrap();
        Row::new(UrlEvent::post(&body), Expect::Accepted(answered_as_usual(f, request))).with("MAX_BODY_BYTES", "2048")
    }
    pub fn over_default_limit_4_mib_plus_1(f: Function) -> Row {
        Row::new(
            UrlEvent::post(&padded(f, DEFAULT_LIMIT + 1)),
            refused(413, "payload_too_large", "limit of 4194304 bytes"),
        )
    }
    pub fn arrays_nested_5000_deep(f: Function) -> Row {
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        Row::new(UrlEvent::post(&valid_with_raw_member(f, &deep)), refused(400, "invalid_json", "nested too deeply"))
    }
    pub fn objects_nested_5000_deep(f: Function) -> Row {
        let deep = format!("{}1{}", "{\"a\":".repeat(5000), "}".repeat(5000));
        Row::new(UrlEvent::post(&valid_with_raw_member(f, &deep)), refused(400, "invalid_json", "nested too deeply"))
    }
    /// 100 levels stay under serde_json's limit of 128: valid, kept as received.
    pub fn nested_100_deep_is_kept(f: Function) -> Row {
        let deep: Value = serde_json::from_str(&format!("{}\"leaf\"{}", "[".repeat(100), "]".repeat(100))).unwrap();
        let pointer = match f {
            Function::Dialog => "/deep",
            _ => "/payload/deep",
        };
        let body = valid_with(f, pointer, deep);
        Row::new(post(&body), Expect::Accepted(answered_as_usual(f, body)))
    }
    /// Duplicate members: the last one wins, as in JavaScript's JSON.parse (what the assistant's
    /// side would read).
    pub fn duplicate_members(f: Function) -> Row {
        let body = f.valid_body();
        let text = format!("{{\"first\":1,\"first\":2,{}", &body.to_string()[1..]);
        Row::new(UrlEvent::post(&text), Expect::Accepted(answered_as_usual(f, serde_json::from_str(&text).unwrap())))
    }
    pub fn get(f: Function) -> Row {
        Row::new(post(&f.valid_body()).method("GET"), refused(405, "method_not_allowed", "POST"))
    }
    pub fn put(f: Function) -> Row {
        Row::new(post(&f.valid_body()).method("PUT"), refused(405, "method_not_allowed", "POST"))
    }
    pub fn delete(f: Function) -> Row {
        Row::new(post(&f.valid_body()).method("DELETE"), refused(405, "method_not_allowed", "POST"))
    }
    pub fn patch(f: Function) -> Row {
        Row::new(post(&f.valid_body()).method("PATCH"), refused(405, "method_not_allowed", "POST"))
    }
    pub fn options(f: Function) -> Row {
        Row::new(post(&f.valid_body()).method("OPTIONS"), refused(405, "method_not_allowed", "POST"))
    }
    pub fn head(_: Function) -> Row {
        Row::new(UrlEvent::post("").without_body().method("HEAD"), refused(405, "method_not_allowed", "POST"))
    }
    pub fn nul_and_control_characters(f: Function) -> Row {
        Row::new(post(&with_text(f, CONTROL_TEXT)), Expect::Accepted(text_intact(f, CONTROL_TEXT)))
    }
    pub fn right_to_left_text(f: Function) -> Row {
        Row::new(post(&with_text(f, RTL_TEXT)), Expect::Accepted(text_intact(f, RTL_TEXT)))
    }
    pub fn emoji_text(f: Function) -> Row {
        Row::new(post(&with_text(f, EMOJI_TEXT)), Expect::Accepted(text_intact(f, EMOJI_TEXT)))
    }
    /// 100 KB of Spanish, more characters than `MAX_TRANSLATE_CHARS` (100,000) lets one request
    /// translate: accepted, passed through untranslated, never sent to Translate. (A long text
    /// within the cap is cut into pieces and translated: tests/tests/limits.rs.)
    pub fn text_beyond_the_character_cap(f: Function) -> Row {
        let text = format!("qzx-user-words-7731 {}", "¿Dónde está mi pedido? ".repeat(4500));
        assert!(text.chars().count() > 100_000 && text.len() >= 100 * 1024);
        Row::new(post(&with_text(f, &text)), Expect::Accepted(untranslated_never_sent(f, text)))
    }
}

/// A row every function gets, built for one.
type CommonRow = fn(Function) -> Row;

/// The rows every JSON function gets: one test per row and function of `Function::with_json_body()`, named
/// `<row>::<function>`.
const COMMON_ROWS: &[(&str, CommonRow)] = &[
    ("not_json", common::not_json),
    ("truncated_json", common::truncated_json),
    ("json_array", common::json_array),
    ("json_string", common::json_string),
    ("json_null", common::json_null),
    ("json_number", common::json_number),
    ("empty_body", common::empty_body),
    ("whitespace_body", common::whitespace_body),
    ("no_body_member", common::no_body_member),
    ("base64_body", common::base64_body),
    ("base64_invalid_utf8", common::base64_invalid_utf8),
    ("base64_utf16", common::base64_utf16),
    ("utf8_byte_order_mark", common::utf8_byte_order_mark),
    ("lone_surrogate_escape", common::lone_surrogate_escape),
    ("text_plain", common::text_plain),
    ("form_urlencoded", common::form_urlencoded),
    ("lookalike_content_type", common::lookalike_content_type),
    ("missing_content_type", common::missing_content_type),
    ("json_with_charset_and_odd_case", common::json_with_charset_and_odd_case),
    ("over_configured_limit", common::over_configured_limit),
    ("at_configured_limit", common::at_configured_limit),
    ("over_default_limit_4_mib_plus_1", common::over_default_limit_4_mib_plus_1),
    ("arrays_nested_5000_deep", common::arrays_nested_5000_deep),
    ("objects_nested_5000_deep", common::objects_nested_5000_deep),
    ("nested_100_deep_is_kept", common::nested_100_deep_is_kept),
    ("duplicate_members", common::duplicate_members),
    ("get", common::get),
    ("put", common::put),
    ("delete", common::delete),
    ("patch", common::patch),
    ("options", common::options),
    ("head", common::head),
    ("nul_and_control_characters", common::nul_and_control_characters),
    ("right_to_left_text", common::right_to_left_text),
    ("emoji_text", common::emoji_text),
    ("text_beyond_the_character_cap", common::text_beyond_the_character_cap),
];

// ---- rows of one function -------------------------------------------------------------------

/// A member of the valid body replaced by a value of the wrong type: 422 naming the path.
fn wrong_type(pointer: &'static str, value: Value, path: &'static str) -> MakeRow {
    Box::new(move |f| Row::new(post(&valid_with(f, pointer, value.clone())), refused(422, "invalid_payload", path)))
}

/// A member of the valid body replaced: valid but odd, so the normal answer.
fn odd_but_valid(pointer: &'static str, value: Value) -> MakeRow {
    Box::new(move |f| {
        let body = valid_with(f, pointer, value.clone());
        Row::new(post(&body), Expect::Accepted(answered_as_usual(f, body)))
    })
}

fn body_refused(body: Value, status: u16, code: &'static str, names: &'static str) -> MakeRow {
    Box::new(move |_| Row::new(post(&body), refused(status, code, names)))
}

const MARK: &str = USER_MARKER;

/// Builds a row for a function.
type MakeRow = Box<dyn Fn(Function) -> Row + Send + Sync>;

/// The rows of one function each: one test per row, named after it.
fn own_rows() -> Vec<(&'static str, Function, MakeRow)> {
    vec![
        // What premessage reads: event, options, payload, input, text, context, skills, user_defined,
        // skill_variables, global.system, the browser language.
        ("pre_payload_a_string", Function::PreMessage, wrong_type("/payload", json!(MARK), "payload")),
        ("pre_payload_an_array", Function::PreMessage, wrong_type("/payload", json!([1]), "payload")),
        ("pre_payload_null", Function::PreMessage, wrong_type("/payload", Value::Null, "payload")),
        (
            "pre_missing_payload",
            Function::PreMessage,
            body_refused(
                json!({"event": {"name": "message_received"}}),
                422,
                "invalid_payload",
                "missing field `payload`",
            ),
        ),
        ("pre_input_a_string", Function::PreMessage, wrong_type("/payload/input", json!(MARK), "payload.input")),
        ("pre_input_an_array", Function::PreMessage, wrong_type("/payload/input", json!([MARK]), "payload.input")),
        ("pre_text_a_number", Function::PreMessage, wrong_type("/payload/input/text", json!(42), "payload.input.text")),
        (
            "pre_text_an_object",
            Function::PreMessage,
            wrong_type("/payload/input/text", json!({"t": MARK}), "payload.input.text"),
        ),
        (
            "pre_text_an_array",
            Function::PreMessage,
            wrong_type("/payload/input/text", json!([MARK]), "payload.input.text"),
        ),
        (
            "pre_text_a_boolean",
            Function::PreMessage,
            wrong_type("/payload/input/text", json!(true), "payload.input.text"),
        ),
        ("pre_context_an_array", Function::PreMessage, wrong_type("/payload/context", json!([]), "payload.context")),
        (
            "pre_skills_a_string",
            Function::PreMessage,
            wrong_type("/payload/context/skills", json!("main skill"), "payload.context.skills"),
        ),
        (
            "pre_actions_skill_a_number",
            Function::PreMessage,
            wrong_type("/payload/context/skills/actions skill", json!(1), "payload.context.skills.actions skill"),
        ),
        (
            "pre_user_defined_a_number",
            Function::PreMessage,
            wrong_type(
                "/payload/context/skills/main skill/user_defined",
                json!(7),
                "payload.context.skills.main skill.user_defined",
            ),
        ),
        (
            "pre_skill_variables_a_string",
            Function::PreMessage,
            wrong_type(
                "/payload/context/skills/actions skill/skill_variables",
                json!(MARK),
                "payload.context.skills.actions skill.skill_variables",
            ),
        ),
        (
            "pre_global_system_a_string",
            Function::PreMessage,
            wrong_type("/payload/context/global/system", json!(MARK), "payload.context.global.system"),
        ),
        (
            "pre_browser_language_a_number",
            Function::PreMessage,
            wrong_type(
                "/payload/context/integrations/chat/browser_info/language",
                json!(5),
                "payload.context.integrations.chat.browser_info.language",
            ),
        ),
        ("pre_event_a_string", Function::PreMessage, wrong_type("/event", json!("message_received"), "event")),
        ("pre_event_name_a_number", Function::PreMessage, wrong_type("/event/name", json!(1), "event.name")),
        ("pre_options_an_array", Function::PreMessage, wrong_type("/options", json!([]), "options")),
        (
            "pre_unexpected_event_name",
            Function::PreMessage,
            Box::new(|f: Function| {
                Row::new(
                    post(&valid_with(f, "/event/name", json!("message_processed"))),
                    refused(422, "unexpected_event", "message_received"),
                )
            }),
        ),
        (
            "pre_log_event_name",
            Function::PreMessage,
            Box::new(|f: Function| {
                Row::new(
                    post(&valid_with(f, "/event/name", json!("message_logged"))),
                    refused(422, "unexpected_event", "message_received"),
                )
            }),
        ),
        ("pre_input_null_is_kept", Function::PreMessage, odd_but_valid("/payload/input", Value::Null)),
        ("pre_text_null_is_kept", Function::PreMessage, odd_but_valid("/payload/input/text", Value::Null)),
        (
            "pre_stored_language_a_number_is_ignored",
            Function::PreMessage,
            odd_but_valid("/payload/context/skills/actions skill/user_defined/language", json!(42)),
        ),
        (
            "pre_no_event_member",
            Function::PreMessage,
            Box::new(|f: Function| {
                let mut body = f.valid_body();
                body.as_object_mut().unwrap().remove("event");
                Row::new(post(&body), Expect::Accepted(answered_as_usual(f, body)))
            }),
        ),
        ("pre_empty_payload", Function::PreMessage, odd_but_valid("/payload", json!({}))),
        // What postmessage reads: output, generic and each typed item, context, the stored language.
        ("post_payload_a_string", Function::PostMessage, wrong_type("/payload", json!(MARK), "payload")),
        (
            "post_missing_payload",
            Function::PostMessage,
            body_refused(
                json!({"event": {"name": "message_processed"}}),
                422,
                "invalid_payload",
                "missing field `payload`",
            ),
        ),
        ("post_output_a_string", Function::PostMessage, wrong_type("/payload/output", json!(MARK), "payload.output")),
        (
            "post_generic_an_object",
            Function::PostMessage,
            wrong_type(
                "/payload/output/generic",
                json!({"response_type": "text", "text": MARK}),
                "payload.output.generic",
            ),
        ),
        (
            "post_generic_item_a_string",
            Function::PostMessage,
            wrong_type("/payload/output/generic/0", json!(MARK), "payload.output.generic[0]"),
        ),
        (
            "post_text_a_number",
            Function::PostMessage,
            wrong_type(
                "/payload/output/generic/0",
                json!({"response_type": "text", "text": 3}),
                "payload.output.generic[0]",
            ),
        ),
        (
            "post_option_options_an_object",
            Function::PostMessage,
            wrong_type(
                "/payload/output/generic/0",
                json!({"response_type": "option", "title": MARK, "options": {"label": "a"}}),
                "payload.output.generic[0]",
            ),
        ),
        (
            "post_option_label_a_number",
            Function::PostMessage,
            wrong_type(
                "/payload/output/generic/0",
                json!({"response_type": "option", "options": [{"label": 1, "value": {}}]}),
                "payload.output.generic[0]",
            ),
        ),
        (
            "post_suggestions_a_string",
            Function::PostMessage,
            wrong_type(
                "/payload/output/generic/0",
                json!({"response_type": "suggestion", "suggestions": MARK}),
                "payload.output.generic[0]",
            ),
        ),
        (
            "post_agent_available_a_string",
            Function::PostMessage,
            wrong_type(
                "/payload/output/generic/0",
                json!({"response_type": "connect_to_agent", "agent_available": MARK}),
                "payload.output.generic[0]",
            ),
        ),
        (
            "post_search_header_a_number",
            Function::PostMessage,
            wrong_type(
                "/payload/output/generic/0",
                json!({"response_type": "search", "header": 9}),
                "payload.output.generic[0]",
            ),
        ),
        (
            "post_image_alt_text_an_array",
            Function::PostMessage,
            wrong_type(
                "/payload/output/generic/0",
                json!({"response_type": "image", "alt_text": [MARK]}),
                "payload.output.generic[0]",
            ),
        ),
        (
            "post_context_an_array",
            Function::PostMessage,
            wrong_type("/payload/context", json!([MARK]), "payload.context"),
        ),
        (
            "post_skills_a_string",
            Function::PostMessage,
            wrong_type("/payload/context/skills", json!(MARK), "payload.context.skills"),
        ),
        (
            "post_user_defined_a_number",
            Function::PostMessage,
            wrong_type(
                "/payload/context/skills/actions skill/user_defined",
                json!(5),
                "payload.context.skills.actions skill.user_defined",
            ),
        ),
        ("post_event_name_an_object", Function::PostMessage, wrong_type("/event/name", json!({}), "event.name")),
        (
            "post_unexpected_event_name",
            Function::PostMessage,
            Box::new(|f: Function| {
                Row::new(
                    post(&valid_with(f, "/event/name", json!("message_received"))),
                    refused(422, "unexpected_event", "message_processed"),
                )
            }),
        ),
        (
            "post_stored_language_a_number_is_ignored",
            Function::PostMessage,
            odd_but_valid("/payload/context/skills/actions skill/user_defined/language", json!(34)),
        ),
        (
            "post_unknown_response_type_is_kept",
            Function::PostMessage,
            odd_but_valid(
                "/payload/output/generic/0",
                json!({"response_type": "carousel_v9", "text": 5, "cards": [{"id": 1}]}),
            ),
        ),
        (
            "post_item_without_response_type_is_kept",
            Function::PostMessage,
            odd_but_valid("/payload/output/generic/0", json!({"text": ["x"], "title": {}})),
        ),
        (
            "post_response_type_a_number_is_kept",
            Function::PostMessage,
            odd_but_valid("/payload/output/generic/0", json!({"response_type": 7, "text": 1})),
        ),
        ("post_event_name_null_is_kept", Function::PostMessage, odd_but_valid("/event/name", Value::Null)),
        ("post_output_null_is_kept", Function::PostMessage, odd_but_valid("/payload/output", Value::Null)),
        ("post_generic_empty_is_kept", Function::PostMessage, odd_but_valid("/payload/output/generic", json!([]))),
        // What dialog reads: action, text (a string, or a list for the Language Translator shape),
        // target, source, model_id.
        (
            "dialog_action_a_number",
            Function::Dialog,
            body_refused(json!({"action": 1, "text": MARK}), 400, "invalid_parameter", "`action`"),
        ),
        (
            "dialog_action_an_array",
            Function::Dialog,
            body_refused(json!({"action": ["detect"], "text": MARK}), 400, "invalid_parameter", "`action`"),
        ),
        (
            "dialog_text_a_number",
            Function::Dialog,
            body_refused(json!({"action": "detect", "text": 5}), 400, "invalid_parameter", "`text`"),
        ),
        (
            "dialog_text_an_object",
            Function::Dialog,
            body_refused(
                json!({"action": "translate", "text": {"t": MARK}, "target": "es"}),
                400,
                "invalid_parameter",
                "`text`",
            ),
        ),
        (
            "dialog_text_null",
            Function::Dialog,
            body_refused(json!({"action": "detect", "text": null}), 400, "invalid_parameter", "`text`"),
        ),
        (
            "dialog_target_a_number",
            Function::Dialog,
            body_refused(
                json!({"action": "translate", "text": MARK, "target": 34}),
                400,
                "invalid_parameter",
                "`target`",
            ),
        ),
        (
            "dialog_target_not_a_language",
            Function::Dialog,
            body_refused(
                json!({"action": "translate", "text": MARK, "target": "es'; drop"}),
                400,
                "invalid_parameter",
                "`target`",
            ),
        ),
        (
            "dialog_source_an_array",
            Function::Dialog,
            body_refused(
                json!({"action": "translate", "text": MARK, "target": "es", "source": ["en"]}),
                400,
                "invalid_parameter",
                "`source`",
            ),
        ),
        (
            "dialog_model_id_a_number",
            Function::Dialog,
            body_refused(json!({"model_id": 12, "text": MARK}), 400, "invalid_parameter", "`model_id`"),
        ),
        (
            "dialog_text_list_with_a_number",
            Function::Dialog,
            body_refused(json!({"model_id": "en-es", "text": [MARK, 2]}), 400, "invalid_parameter", "`text`"),
        ),
        (
            "dialog_empty_text_list",
            Function::Dialog,
            body_refused(json!({"model_id": "en-es", "text": []}), 400, "invalid_parameter", "`text`"),
        ),
        (
            "dialog_unknown_action",
            Function::Dialog,
            body_refused(json!({"action": "summarise", "text": MARK}), 400, "unknown_action", "action"),
        ),
        (
            "dialog_missing_action",
            Function::Dialog,
            body_refused(json!({"text": MARK}), 400, "missing_parameter", "`action`"),
        ),
        (
            "dialog_a_webhook_envelope",
            Function::Dialog,
            Box::new(|_| {
                Row::new(post(&Function::PreMessage.valid_body()), refused(400, "missing_parameter", "`action`"))
            }),
        ),
        // A translation of more characters than `MAX_TRANSLATE_CHARS` is the caller's problem: a
        // 4xx naming `text`, not a 5xx, and never sent.
        (
            "dialog_translate_beyond_the_character_cap",
            Function::Dialog,
            body_refused(
                json!({"action": "translate", "text": format!("qzx-user-words-7731 {}", "How are you? ".repeat(8000)), "target": "es"}),
                400,
                "invalid_parameter",
                "`text`",
            ),
        ),
        // No text to translate, and no source: answered without asking Translate (which refuses an
        // empty text).
        (
            "dialog_translate_empty_text_without_source",
            Function::Dialog,
            Box::new(|_| {
                let check = |subject: &Subject, body: &Value| {
                    assert_eq!(body["translation"], "  ");
                    assert!(subject.translate().calls().is_empty());
                };
                Row::new(
                    post(&json!({"action": "translate", "text": "  ", "target": "es"})),
                    Expect::Accepted(Box::new(check)),
                )
            }),
        ),
        (
            "dialog_language_translator_with_an_empty_text",
            Function::Dialog,
            Box::new(|_| {
                let check = |subject: &Subject, body: &Value| {
                    assert_eq!(body["translations"], json!([{"translation": ""}, {"translation": "[en->de] Fine."}]));
                    assert_eq!(subject.translate().calls().len(), 1);
                };
                Row::new(post(&json!({"target": "de", "text": ["", "Fine."]})), Expect::Accepted(Box::new(check)))
            }),
        ),
        (
            "dialog_language_translator_beyond_the_character_cap",
            Function::Dialog,
            body_refused(
                json!({"model_id": "en-es", "text": ["Fine.", format!("qzx-user-words-7731 {}", "How are you? ".repeat(8000))]}),
                400,
                "invalid_parameter",
                "`text`",
            ),
        ),
        // The log function stores any event name and any shape on purpose: nothing is refused for its
        // content, and nothing a request says can place an object outside the prefix.
        (
            "log_unknown_event_name_is_stored",
            Function::Log,
            Box::new(|f: Function| {
                stored_under(
                    valid_with(f, "/event/name", json!("conversation_summarized")),
                    "event=conversation_summarized/dt=2025-06-01/",
                )
            }),
        ),
        (
            "log_pre_message_event_is_stored",
            Function::Log,
            Box::new(|f: Function| {
                stored_under(valid_with(f, "/event/name", json!("message_received")), "event=message_received/")
            }),
        ),
        (
            "log_event_name_traversal_stays_inside",
            Function::Log,
            Box::new(|f: Function| {
                stored_under(valid_with(f, "/event/name", json!("../../../etc/cron.d/x")), "event=")
            }),
        ),
        (
            "log_id_traversal_stays_inside",
            Function::Log,
            Box::new(|f: Function| {
                stored_under(
                    valid_with(f, "/payload/log_id", json!("../../../../tmp/owned")),
                    "event=message_logged/dt=2025-06-01/",
                )
            }),
        ),
        (
            "log_payload_a_string_is_quarantined",
            Function::Log,
            Box::new(|f: Function| quarantined(valid_with(f, "/payload", json!(MARK)), "wrong_type")),
        ),
        (
            "log_missing_payload_is_stored",
            Function::Log,
            Box::new(|_| stored_under(json!({"event": {"name": "message_logged"}}), "event=message_logged/")),
        ),
        (
            "log_event_a_string_is_stored_unnamed",
            Function::Log,
            Box::new(|f: Function| stored_under(valid_with(f, "/event", json!("message_logged")), "event=unnamed/")),
        ),
        (
            "log_event_name_a_number_is_stored_unnamed",
            Function::Log,
            Box::new(|f: Function| stored_under(valid_with(f, "/event/name", json!(5)), "event=unnamed/")),
        ),
        (
            "log_id_a_number_uses_the_body_hash",
            Function::Log,
            Box::new(|f: Function| {
                stored_under(valid_with(f, "/payload/log_id", json!(12345)), "event=message_logged/dt=2025-06-01/")
            }),
        ),
        (
            "log_timestamp_garbage_is_quarantined",
            Function::Log,
            Box::new(|f: Function| {
                quarantined(valid_with(f, "/payload/request_timestamp", json!({"t": MARK})), "bad_timestamp")
            }),
        ),
        ("log_empty_object_is_stored_unnamed", Function::Log, Box::new(|_| stored_under(json!({}), "event=unnamed/"))),
        (
            "log_input_text_a_number_is_stored",
            Function::Log,
            Box::new(|f: Function| {
                stored_under(valid_with(f, "/payload/request/input/text", json!(42)), "event=message_logged/")
            }),
        ),
    ]
}

fn main() {
    let mut trials = Vec::new();
    for &(row, make) in COMMON_ROWS {
        for function in Function::with_json_body() {
            trials.push(trial(format!("{row}::{function}"), move || run(function, make(function))));
        }
    }
    for (name, function, make) in own_rows() {
        trials.push(trial(name, move || run(function, make(function))));
    }
    table::run(trials)
}

/// A log row for an event the Athena table could not read: 201, one object in the quarantine
/// outside the table (`quarantine/reason=<reason>/event=…/dt=…/<id>.json`), the answer naming the
/// key and the reason, the object equal to the request.
fn quarantined(body: Value, reason: &'static str) -> Row {
    let request = body.clone();
    let check = move |subject: &Subject, reply: &Value| {
        let files = subject.stored_files();
        assert_eq!(files.len(), 1, "{files:?}");
        let key = &files[0];
        let prefix = format!("quarantine/reason={reason}/event=message_logged/dt=");
        assert!(key.starts_with(&prefix), "{key} under {prefix}");
        assert_eq!(key.split('/').count(), 5, "quarantine/reason=/event=/dt=/id.json: {key}");
        assert_eq!(reply["stored"].as_str(), Some(key.as_str()));
        assert_eq!(reply["quarantined"].as_str(), Some(reason));
        assert_eq!(subject.stored_json(key), request);
    };
    Row::new(post(&body), Expect::Accepted(Box::new(check)))
}

/// A log row: 201, one object, under `prefix`, inside the directory, equal to the request, and
/// the answer names its key.
fn stored_under(body: Value, prefix: &'static str) -> Row {
    let request = body.clone();
    let check = move |subject: &Subject, reply: &Value| {
        let files = subject.stored_files();
        assert_eq!(files.len(), 1, "{files:?}");
        let key = &files[0];
        assert!(key.starts_with(prefix), "{key} under {prefix}");
        assert!(key.split('/').all(|part| !part.is_empty() && part != "." && part != ".."), "{key}");
        assert_eq!(key.split('/').count(), 3, "event=/dt=/id.json: {key}");
        assert_eq!(reply["stored"].as_str(), Some(key.as_str()));
        assert_eq!(subject.stored_json(key), request);
    };
    Row::new(post(&body), Expect::Accepted(Box::new(check)))
}
