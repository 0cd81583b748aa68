//! Property tests (proptest, stable toolchain), through the real lambda_http entry point with the
//! real SDK clients behind it:
//!
//! 1. Arbitrary JSON as the body of each function, whole or grafted anywhere into a valid
//!    request, never panics and never gets a 5xx; every answer is JSON.
//! 2. Parsing and serializing `PreMessageRequest` and `PostMessageRequest` is lossless for
//!    arbitrary extra members added at every level (and typed members nulled or removed), and a
//!    turn that needs no translation comes back from the function exactly as it was sent.
//! 3. postmessage, with a stored foreign language and the fake Translate, changes nothing but the
//!    user-visible texts (each becomes its translation) and `original_output`; never a `value`,
//!    an id, a URL, an agent's message or an unknown item.
//!
//! Case counts are modest (96 to 256 per property, about 1,500 cases in all) so the suite stays
//! fast.

use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Map, Value, json};
use shared::payload::{PostMessageRequest, PreMessageRequest};
use webhook_tests::LogCapture;
use webhook_tests::entry_point::{UrlEvent, assert_nothing_leaks};
use webhook_tests::hardening::{Function, Subject, TestFunction};

// ---- strategies ----------------------------------------------------------------------------

/// Member names the functions read somewhere, so that arbitrary JSON reaches typed code.
const TYPED_NAMES: &[&str] = &[
    "event",
    "name",
    "options",
    "payload",
    "input",
    "text",
    "context",
    "global",
    "system",
    "skills",
    "main skill",
    "actions skill",
    "user_defined",
    "skill_variables",
    "integrations",
    "chat",
    "browser_info",
    "language",
    "output",
    "generic",
    "response_type",
    "title",
    "description",
    "label",
    "suggestions",
    "message_to_human_agent",
    "agent_available",
    "agent_unavailable",
    "message",
    "message_to_user",
    "alt_text",
    "header",
    "action",
    "target",
    "source",
    "model_id",
    "log_id",
    "request_timestamp",
    "value",
];

fn any_key() -> impl Strategy<Value = String> {
    prop_oneof![select(TYPED_NAMES).prop_map(str::to_owned), any::<String>(), "[a-z_]{1,10}"]
}

fn any_string() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[ -~]{0,24}", Just(String::new()), Just("\u{0}\u{1b}[0m\u{2028}".to_owned())]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("JSON numbers are finite", |f| f.is_finite()).prop_map(Value::from),
        any_string().prop_map(Value::String),
        select(TYPED_NAMES).prop_map(Value::from),
    ]
}

/// Arbitrary JSON, `depth` levels at most.
fn arb_json(depth: u32) -> impl Strategy<Value = Value> {
    leaf().prop_recursive(depth, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((any_key(), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// Every JSON pointer in `value` (the root is "").
fn pointers(value: &Value) -> Vec<String> {
    fn walk(value: &Value, at: String, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, member) in map {
                    walk(member, format!("{at}/{}", key.replace('~', "~0").replace('/', "~1")), out);
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    walk(item, format!("{at}/{index}"), out);
                }
            }
            _ => {}
        }
        out.push(at);
    }
    let mut out = Vec::new();
    walk(value, String::new(), &mut out);
    out
}

/// A valid body with arbitrary JSON put in place of one of its values, or added under a name the
/// functions read, at any level.
fn grafted(valid: Value) -> impl Strategy<Value = Value> {
    let places = pointers(&valid);
    (select(places), select(TYPED_NAMES), any::<bool>(), arb_json(4)).prop_map(move |(at, name, replace, graft)| {
        let mut body = valid.clone();
        let target = body.pointer_mut(&at).expect("a pointer of this body");
        match target {
            Value::Object(map) if !replace => {
                map.insert(name.to_owned(), graft);
            }
            _ if at.is_empty() => body = graft,
            other => *other = graft,
        }
        body
    })
}

/// Dialog parameters, arbitrary but close to what a node sends.
fn dialog_params() -> impl Strategy<Value = Value> {
    let action =
        prop_oneof![Just(json!("translate")), Just(json!("detect")), any_string().prop_map(Value::from), arb_json(2)];
    let text = prop_oneof![
        any_string().prop_map(Value::from),
        prop::collection::vec(any_string(), 0..4).prop_map(|t| json!(t)),
        arb_json(2)
    ];
    let code = prop_oneof![
        Just(json!("es")),
        Just(json!("pt-br")),
        Just(json!("auto")),
        "[a-zA-Z-]{0,8}".prop_map(Value::from),
        arb_json(1)
    ];
    let model = prop_oneof![
        Just(json!("en-es")),
        Just(json!("en-zh-TW")),
        "[a-zA-Z-]{0,12}".prop_map(Value::from),
        arb_json(1)
    ];
    (
        prop::option::of(action),
        prop::option::of(text),
        prop::option::of(code.clone()),
        prop::option::of(code),
        prop::option::of(model),
    )
        .prop_map(|(action, text, target, source, model)| {
            let mut params = Map::new();
            for (name, value) in
                [("action", action), ("text", text), ("target", target), ("source", source), ("model_id", model)]
            {
                if let Some(value) = value {
                    params.insert(name.to_owned(), value);
                }
            }
            Value::Object(params)
        })
}

/// Every key and string value in `value`.
fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(text) => vec![text.as_str()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        Value::Object(map) => {
            map.iter().flat_map(|(key, member)| std::iter::once(key.as_str()).chain(strings(member))).collect()
        }
        _ => vec![],
    }
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime")
}

// ---- 1. arbitrary JSON never panics, never 5xx ------------------------------------------------

fn never_5xx(function: Function, bodies: impl Strategy<Value = Value>, cases: u32) {
    let (logs, _guard) = LogCapture::start();
    let runtime = runtime();
    let subject = runtime.block_on(Subject::start(function, &[]));
    runner(cases)
        .run(&bodies, |body| {
            let response = runtime.block_on(subject.send(UrlEvent::post(&body.to_string())));
            prop_assert!(
                response.status < 500,
                "{} answered {} to {body}: {}",
                function.name(),
                response.status,
                response.text()
            );
            prop_assert_eq!(response.header("content-type"), Some("application/json"));
            let reply: Value =
                serde_json::from_slice(&response.body).map_err(|e| TestCaseError::fail(format!("not JSON: {e}")))?;
            if response.status >= 400 {
                prop_assert!(reply["error"]["code"].is_string() && reply["error"]["message"].is_string(), "{reply}");
                // An error names paths and kinds, never a key or value from the request.
                let text = response.text();
                for echoed in strings(&body).into_iter().filter(|s| s.chars().count() >= 10 && !TYPED_NAMES.contains(s))
                {
                    prop_assert!(!text.contains(echoed), "{echoed:?} echoed in {text}");
                }
            }
            Ok(())
        })
        .unwrap_or_else(|failure| panic!("{}: {failure}", function.name()));
    if let Some(translate) = &subject.translate {
        assert!(
            translate.rejected().is_empty(),
            "{}: Translate got requests it refuses: {:?}",
            function.name(),
            translate.rejected()
        );
    }
    let needles = subject.secrets();
    let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
    assert_nothing_leaks(&[("the logs", &logs.text())], &needles);
}

#[test]
fn arbitrary_json_premessage() {
    never_5xx(Function::PreMessage, arb_json(6), 128);
    never_5xx(Function::PreMessage, grafted(Function::PreMessage.valid_body()), 256);
}

#[test]
fn arbitrary_json_postmessage() {
    never_5xx(Function::PostMessage, arb_json(6), 128);
    let mut spanish = rich_post_request();
    spanish["payload"]["context"]["skills"]["actions skill"]["user_defined"]["language"] = json!("es");
    never_5xx(Function::PostMessage, grafted(spanish), 256);
}

#[test]
fn arbitrary_json_dialog() {
    never_5xx(Function::Dialog, arb_json(6), 128);
    never_5xx(Function::Dialog, dialog_params(), 256);
}

#[test]
fn arbitrary_json_log() {
    never_5xx(Function::Log, arb_json(6), 128);
    never_5xx(Function::Log, grafted(Function::Log.valid_body()), 128);
}

// ---- 2. lossless with extra members at every level -------------------------------------------

/// A post-message request with every item type the function knows, and an unknown one.
fn rich_post_request() -> Value {
    json!({
        "event": {"name": "message_processed"},
        "options": {},
        "payload": {
            "output": {
                "generic": [
                    {"response_type": "text", "text": "Hello."},
                    {"response_type": "option", "title": "Pick one", "description": "Or type", "preference": "button",
                     "options": [{"label": "Yes", "value": {"input": {"text": "yes", "intents": []}}}]},
                    {"response_type": "suggestion", "title": "Did you mean", "suggestions": [{"label": "Billing", "value": {"input": {"text": "billing"}}, "output": {}}]},
                    {"response_type": "connect_to_agent", "message_to_human_agent": "Customer asks about billing",
                     "agent_available": {"message": "Connecting you"}, "agent_unavailable": {"message": "Nobody is free"}, "transfer_info": {"target": {}}},
                    {"response_type": "channel_transfer", "message_to_user": "Continue on the web", "transfer_info": {"target": {"chat": {"url": "https://example.com"}}}},
                    {"response_type": "image", "title": "Map", "description": "Our shop", "alt_text": "A map", "source": "https://example.com/map.png"},
                    {"response_type": "video", "title": "How to", "source": "https://example.com/v.mp4", "channel_options": {}},
                    {"response_type": "search", "header": "I found this", "primary_results": [{"title": "Doc", "body": "text", "url": "https://example.com/d"}]},
                    {"response_type": "pause", "time": 500, "typing": true},
                    {"response_type": "user_defined", "user_defined": {"title": "custom"}}
                ],
                "intents": [{"intent": "greeting", "confidence": 0.9}],
                "entities": []
            },
            "context": {
                "global": {"system": {"turn_count": 2, "user_id": "u-1"}, "session_id": "s-1"},
                "skills": {
                    "main skill": {"user_defined": {"var": 1}, "system": {"state": "x"}},
                    "actions skill": {"user_defined": {}, "skill_variables": {"order": null}, "system": {"state": "y"}}
                },
                "integrations": {"chat": {"browser_info": {"language": "en-US", "page_url": "https://example.com"}}}
            },
            "user_id": "u-1"
        }
    })
}

fn rich_pre_request() -> Value {
    json!({
        "event": {"name": "message_received"},
        "options": {},
        "payload": {
            "input": {"message_type": "text", "text": "Hello", "options": {"return_context": true}, "source": {"type": "user", "id": "u-1"},
                      "attachments": [{"media_type": "image/png", "url": "https://example.com/a.png"}]},
            "context": {
                "global": {"system": {"turn_count": 2, "user_id": "u-1", "locale": "en-US"}, "session_id": "s-1"},
                "skills": {
                    "main skill": {"user_defined": {"var": 1}, "system": {"state": "x"}},
                    "actions skill": {"user_defined": {}, "skill_variables": {"order": null}, "system": {"state": "y"}}
                },
                "integrations": {"chat": {"browser_info": {"language": "en-US"}}}
            },
            "user_id": "u-1"
        }
    })
}

/// Names no typed member has at any level: added, they are extra members by definition.
fn extra_key() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>().prop_map(|key| format!("x{key}")),
        select(&["id", "url", "intents", "entities", "state", "attachments", "channel", "x"][..])
            .prop_map(str::to_owned)
    ]
}

#[derive(Debug, Clone)]
enum Edit {
    /// Add a member to the object at the pointer.
    Add(Index, String, Value),
    /// Make the member at the pointer `null` (typed members keep the difference from absent).
    Null(Index),
    /// Remove the member at the pointer.
    Remove(Index),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        6 => (any::<Index>(), extra_key(), arb_json(3)).prop_map(|(at, key, value)| Edit::Add(at, key, value)),
        1 => any::<Index>().prop_map(Edit::Null),
        1 => any::<Index>().prop_map(Edit::Remove),
    ];
    prop::collection::vec(edit, 1..24)
}

/// Applies the edits; never to `payload` itself or the event name (which select the shape).
fn apply(mut body: Value, edits: &[Edit]) -> Value {
    for edit in edits {
        let all = pointers(&body);
        let objects: Vec<&String> = all.iter().filter(|p| body.pointer(p).is_some_and(Value::is_object)).collect();
        let members: Vec<&String> =
            all.iter().filter(|p| !p.is_empty() && *p != "/payload" && *p != "/event/name" && *p != "/event").collect();
        match edit {
            Edit::Add(at, key, value) => {
                let at = at.get(&objects).to_string();
                if let Some(Value::Object(map)) = body.pointer_mut(&at) {
                    map.insert(key.clone(), value.clone());
                }
            }
            Edit::Null(at) | Edit::Remove(at) if !members.is_empty() => {
                let at = at.get(&members).to_string();
                let (parent, last) = at.rsplit_once('/').expect("a member pointer");
                let last = last.replace("~1", "/").replace("~0", "~");
                match (body.pointer_mut(parent), edit) {
                    (Some(Value::Object(map)), Edit::Null(_)) => {
                        map.insert(last, Value::Null);
                    }
                    (Some(Value::Object(map)), _) => {
                        map.remove(&last);
                    }
                    (Some(Value::Array(items)), Edit::Null(_)) => items[last.parse::<usize>().unwrap()] = Value::Null,
                    (Some(Value::Array(items)), _) => {
                        items.remove(last.parse::<usize>().unwrap());
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    body
}

#[test]
fn parse_and_serialize_are_lossless_for_extra_members_at_every_level() {
    let (_logs, _guard) = LogCapture::start();
    let pre = rich_pre_request();
    runner(128)
        .run(&edits(), |edits| {
            let request = apply(pre.clone(), &edits);
            match serde_json::from_value::<PreMessageRequest>(request.clone()) {
                Ok(parsed) => prop_assert_eq!(serde_json::to_value(&parsed).unwrap(), request),
                // Nulling a member inside a typed object that must be an object (such as
                // `generic[0]`) makes a wrong shape; that is the 422 of the bad-input table.
                Err(_) => prop_assert!(edits.iter().any(|e| !matches!(e, Edit::Add(..)))),
            }
            Ok(())
        })
        .unwrap();
    let post = rich_post_request();
    runner(128)
        .run(&edits(), |edits| {
            let request = apply(post.clone(), &edits);
            match serde_json::from_value::<PostMessageRequest>(request.clone()) {
                Ok(parsed) => prop_assert_eq!(serde_json::to_value(&parsed).unwrap(), request),
                Err(_) => prop_assert!(edits.iter().any(|e| !matches!(e, Edit::Add(..)))),
            }
            Ok(())
        })
        .unwrap();
}

/// The same through the functions: a turn that needs no translation (English text; no stored
/// language) comes back member for member as it was sent.
#[test]
fn an_untranslated_turn_comes_back_exactly_as_sent() {
    let (_logs, _guard) = LogCapture::start();
    let runtime = runtime();
    for (function, skeleton) in
        [(Function::PreMessage, rich_pre_request()), (Function::PostMessage, rich_post_request())]
    {
        let subject = runtime.block_on(Subject::start(function, &[]));
        runner(96)
            .run(&edits(), |edits| {
                let request = apply(skeleton.clone(), &edits);
                let response = runtime.block_on(subject.send(UrlEvent::post(&request.to_string())));
                if response.status == 422 {
                    // A typed member nulled into a wrong shape (see above).
                    prop_assert!(edits.iter().any(|e| !matches!(e, Edit::Add(..))));
                    return Ok(());
                }
                prop_assert_eq!(response.status, 200, "{}", response.text());
                prop_assert_eq!(&response.json()["payload"], &request["payload"]);
                Ok(())
            })
            .unwrap_or_else(|failure| panic!("{}: {failure}", function.name()));
        assert!(subject.translate().calls().is_empty(), "{}: nothing to translate", function.name());
    }
}

// ---- 3. postmessage changes only what the user reads -------------------------------------------

fn text_field() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        1 => Just(None),
        1 => Just(Some(Value::Null)),
        6 => prop_oneof!["[A-Za-z ,.!?'0-9]{0,30}", "\\PC{0,16}", " {0,3}"].prop_map(|text| Some(Value::String(text))),
    ]
}

fn extras() -> impl Strategy<Value = Vec<(String, Value)>> {
    prop::collection::vec((extra_key(), arb_json(2)), 0..3)
}

fn object(members: Vec<(&str, Option<Value>)>, extras: Vec<(String, Value)>) -> Value {
    let mut map: Map<String, Value> = extras.into_iter().collect();
    for (name, value) in members {
        if let Some(value) = value {
            map.insert(name.to_owned(), value);
        }
    }
    Value::Object(map)
}

fn choice() -> impl Strategy<Value = Value> {
    (text_field(), arb_json(3), extras())
        .prop_map(|(label, value, extras)| object(vec![("label", label), ("value", Some(value))], extras))
}

fn choices() -> impl Strategy<Value = Option<Value>> {
    prop::option::of(prop::collection::vec(choice(), 0..4).prop_map(Value::Array))
}

/// The `response_type`s postmessage reads (IBM's "Response types reference").
const KNOWN_TYPES: &[&str] = &[
    "text",
    "option",
    "suggestion",
    "connect_to_agent",
    "channel_transfer",
    "image",
    "video",
    "audio",
    "iframe",
    "search",
    "button",
    "card",
    "carousel",
    "grid",
    "table",
    "conversational_search",
    "conversation_search",
];

/// A search result: title and body are read; the URL, id and metadata are not.
fn search_result() -> impl Strategy<Value = Value> {
    (text_field(), text_field(), extras()).prop_map(|(title, body, extras)| {
        let extras = extras.into_iter().filter(|(key, _)| !["highlight", "answers"].contains(&key.as_str())).collect();
        object(
            vec![
                ("title", title),
                ("body", body),
                ("url", Some(json!("https://example.com/doc"))),
                ("id", Some(json!("d-1"))),
            ],
            extras,
        )
    })
}

fn item() -> impl Strategy<Value = Value> {
    let kind = |kind: &'static str| Some(Value::from(kind));
    prop_oneof![
        (text_field(), extras())
            .prop_map(move |(text, extras)| object(vec![("response_type", kind("text")), ("text", text)], extras)),
        (text_field(), text_field(), choices(), extras()).prop_map(move |(title, description, options, extras)| {
            object(
                vec![
                    ("response_type", kind("option")),
                    ("title", title),
                    ("description", description),
                    ("options", options),
                ],
                extras,
            )
        }),
        (text_field(), choices(), extras()).prop_map(move |(title, suggestions, extras)| {
            object(vec![("response_type", kind("suggestion")), ("title", title), ("suggestions", suggestions)], extras)
        }),
        (text_field(), text_field(), text_field(), extras()).prop_map(
            move |(to_agent, available, unavailable, extras)| {
                let message = |text: Option<Value>| Some(object(vec![("message", text)], vec![]));
                object(
                    vec![
                        ("response_type", kind("connect_to_agent")),
                        ("message_to_human_agent", to_agent),
                        ("agent_available", message(available)),
                        ("agent_unavailable", message(unavailable)),
                    ],
                    extras,
                )
            }
        ),
        (text_field(), extras()).prop_map(move |(text, extras)| object(
            vec![("response_type", kind("channel_transfer")), ("message_to_user", text)],
            extras
        )),
        (select(&["image", "video", "audio", "iframe"][..]), text_field(), text_field(), text_field(), extras())
            .prop_map(|(media, title, description, alt_text, extras)| {
                object(
                    vec![
                        ("response_type", Some(Value::from(media))),
                        ("title", title),
                        ("description", description),
                        ("alt_text", alt_text),
                        ("source", Some(json!("https://example.com/media"))),
                    ],
                    extras,
                )
            }),
        (text_field(), prop::collection::vec(search_result(), 0..3), extras()).prop_map(
            move |(header, results, extras)| {
                object(
                    vec![
                        ("response_type", kind("search")),
                        ("header", header),
                        ("primary_results", Some(Value::Array(results))),
                    ],
                    extras,
                )
            }
        ),
        // Types the function does not know, and an item without a type: never touched.
        ("[a-z_]{1,12}", text_field(), text_field(), extras())
            .prop_filter("a type the function knows", |(kind, ..)| !KNOWN_TYPES.contains(&kind.as_str()))
            .prop_map(|(kind, text, title, extras)| {
                object(vec![("response_type", Some(Value::from(kind))), ("text", text), ("title", title)], extras)
            }),
        (text_field(), extras()).prop_map(|(text, extras)| object(vec![("text", text)], extras)),
    ]
}

/// Which members of an item the user reads, by `response_type` (`functions/postmessage/README.md`'s list), and the
/// members holding choices whose `label` the user reads.
fn visible(item: &Value) -> (Vec<&'static str>, Option<&'static str>) {
    match item["response_type"].as_str() {
        Some("text") => (vec!["/text"], None),
        Some("option") => (vec!["/title", "/description"], Some("options")),
        Some("suggestion") => (vec!["/title"], Some("suggestions")),
        Some("connect_to_agent") => (vec!["/agent_available/message", "/agent_unavailable/message"], None),
        Some("channel_transfer") => (vec!["/message_to_user"], None),
        Some("image" | "video" | "audio" | "iframe") => (vec!["/title", "/description", "/alt_text"], None),
        Some("search") => (vec!["/header"], None),
        _ => (vec![], None),
    }
}

/// The request as the fake Translate would have it translated into Spanish, and the originals in
/// the order the function lists them. Written independently of the function's own walk.
/// The request as postmessage should answer it, the originals of the texts it translates, and
/// the texts whose translation the fake's markup handling decides (anything but plain words):
/// for those, the test checks the answer's own form.
fn expected_translation(request: &Value) -> (Value, Vec<String>, Vec<(String, String)>) {
    let mut expected = request.clone();
    let mut originals = Vec::new();
    let mut marked_up = Vec::new();
    let Some(items) = expected.pointer_mut("/payload/output/generic").and_then(Value::as_array_mut) else {
        return (expected, originals, marked_up);
    };
    for (index, item) in items.iter_mut().enumerate() {
        let (fields, choices) = visible(item);
        let mut pointers: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
        if let Some(member) = choices {
            // In order: the item's own texts first, the labels after (title, description, labels).
            let count = item[member].as_array().map_or(0, Vec::len);
            pointers.extend((0..count).map(|i| format!("/{member}/{i}/label")));
        }
        if item["response_type"] == "search" {
            let count = item["primary_results"].as_array().map_or(0, Vec::len);
            pointers.extend(
                (0..count).flat_map(|i| [format!("/primary_results/{i}/title"), format!("/primary_results/{i}/body")]),
            );
        }
        for pointer in pointers {
            if let Some(Value::String(text)) = item.pointer_mut(&pointer)
                && !text.trim().is_empty()
            {
                originals.push(text.clone());
                let plain = text.chars().all(|c| c.is_ascii_alphabetic() || " ,.!?".contains(c));
                if plain && text.chars().any(|c| c.is_ascii_alphabetic()) {
                    // White space around a text stays where it was, outside the translation.
                    let core = text.trim();
                    let start = text.len() - text.trim_start().len();
                    *text = format!("{}[en->es] {core}{}", &text[..start], &text[start + core.len()..]);
                } else {
                    marked_up.push((format!("/payload/output/generic/{index}{pointer}"), text.clone()));
                }
            }
        }
    }
    (expected, originals, marked_up)
}

#[test]
fn postmessage_changes_only_the_user_visible_texts() {
    let (logs, _guard) = LogCapture::start();
    let runtime = runtime();
    let subject = runtime.block_on(Subject::start(Function::PostMessage, &[]));
    let requests = (prop::collection::vec(item(), 0..6), any::<bool>(), extras()).prop_map(
        |(generic, with_main, context_extras)| {
            let mut request = rich_post_request();
            request["payload"]["output"]["generic"] = Value::Array(generic);
            let skills = &mut request["payload"]["context"]["skills"];
            skills["actions skill"]["user_defined"] = object(vec![("language", Some(json!("es")))], context_extras);
            if !with_main {
                skills.as_object_mut().unwrap().remove("main skill");
            }
            request
        },
    );
    runner(128)
        .run(&requests, |request| {
            let response = runtime.block_on(subject.send(UrlEvent::post(&request.to_string())));
            prop_assert_eq!(response.status, 200, "{}", response.text());
            let mut payload = response.json()["payload"].clone();
            let (mut expected, originals, marked_up) = expected_translation(&request);
            // A text with markup, digits or symbols: translated (the fake's prefix) or, when it holds
            // nothing to translate, unchanged; never damaged, never left with protection markup.
            for (pointer, original) in marked_up {
                let answer = response.json().pointer(&pointer).cloned().unwrap_or_default();
                let answer = answer.as_str().unwrap_or_default().to_owned();
                prop_assert!(
                    answer == original || answer.trim_start().starts_with("[en->es] "),
                    "{pointer}: {answer:?} from {original:?}"
                );
                prop_assert!(!answer.contains("data-p=") && !answer.contains("translate=\"no\""), "{answer:?}");
                *expected.pointer_mut(&pointer).unwrap() = Value::String(answer);
            }
            // `original_output`: the originals, one per line, at most 2,000 characters, in every
            // skill present; absent when there was nothing to translate.
            let mut found = Vec::new();
            for skill in ["actions skill", "main skill"] {
                if let Some(Value::Object(vars)) = payload.pointer_mut(&format!("/context/skills/{skill}/user_defined"))
                {
                    found.extend(vars.remove("original_output"));
                }
            }
            if originals.is_empty() {
                prop_assert!(found.is_empty(), "original_output with nothing translated: {found:?}");
            } else {
                let joined: String = originals.join("\n").chars().take(2000).collect();
                let skills = request["payload"]["context"]["skills"].as_object().unwrap().len();
                prop_assert_eq!(found.len(), skills);
                prop_assert!(found.iter().all(|value| value == &json!(joined)), "{found:?} vs {joined:?}");
            }
            // Everything else exactly as expected: values, ids, URLs, agent notes, unknown items.
            prop_assert_eq!(&payload, &expected["payload"]);
            Ok(())
        })
        .unwrap();
    assert!(subject.translate().rejected().is_empty(), "{:?}", subject.translate().rejected());
    // Translated texts never reach the log either.
    let sent: Vec<String> =
        subject.translate().calls().into_iter().map(|call| call.text).filter(|text| text.trim().len() >= 12).collect();
    let needles: Vec<&str> = sent.iter().map(String::as_str).collect();
    assert_nothing_leaks(&[("the logs", &logs.text())], &needles);
}
