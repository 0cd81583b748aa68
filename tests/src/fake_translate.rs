//! A fake Amazon Translate on 127.0.0.1 for the real `aws-sdk-translate` client.
//!
//! moto has no Translate, and the SDK speaks Smithy RPC v2 CBOR, so this is the boundary double:
//! it checks each request it receives (path, protocol header, CBOR body, Translate's limits,
//! well-formed HTML), records it, and answers as Translate would, or fails in the way a test asks
//! for.
//!
//! It treats markup as the service documents ("Using do-not-translate in Amazon Translate"): tags
//! and their attributes come back as sent, and an element marked `translate="no"` comes back
//! whole. Everything else it "translates" the way machine translation is seen to damage plain
//! text: `[label](url)` becomes `[label] (url)`, `**bold**` becomes `** bold **` (and `*`, `_` alike), URLs and e-mail
//! addresses are split (`https: //`, `a @ b`), ids are split at hyphens, 24-hour times become
//! 12-hour ones, line breaks collapse, quotes come back as `&#39;` and `&quot;`, and words in its
//! glossary (brand names, commands) are translated. A test whose protection is missing fails.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use shared::aws::Endpoint;
use shared::translate::AmazonTranslate;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

const OPERATION_PATH: &str = "/service/AWSShineFrontendService_20170701/operation/TranslateText";

/// How the fake answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Behaviour {
    /// Translate after `delay`.
    Translate { delay: Duration },
    /// `TooManyRequestsException` on every call.
    Throttle,
    /// A 500 `InternalServerException`.
    ServerError,
    /// Accept the request and never answer.
    Hang,
    /// Read the request and close the connection without a response.
    CloseConnection,
    /// A 200 whose body is not CBOR.
    Garbage,
    /// Throttle the first call, then translate.
    ThrottleOnce,
    /// Refuse the pair, as Translate does for a language it does not support.
    RefusePair,
    /// Hold every call until this many are in flight at once, then translate them all (and any
    /// later call at once): a client that sends them one after another never gets there, and its
    /// deadline fails the turn. Concurrency shown without reading a clock.
    Gather(usize),
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct TranslateCall {
    pub text: String,
    pub source: String,
    pub target: String,
    /// `Settings.Formality`, `Settings.Profanity` and `TerminologyNames` as sent.
    pub formality: Option<String>,
    pub profanity: Option<String>,
    pub terminology: Vec<String>,
    pub received_at: Instant,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TranslateTextRequest {
    text: String,
    source_language_code: String,
    target_language_code: String,
    #[serde(default)]
    settings: Option<RequestSettings>,
    #[serde(default)]
    terminology_names: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RequestSettings {
    formality: Option<String>,
    profanity: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct TranslateTextResponse {
    translated_text: String,
    source_language_code: String,
    target_language_code: String,
}

struct State {
    behaviour: Behaviour,
    calls: Vec<TranslateCall>,
    /// Requests that broke Translate's contract (wrong path, header, body or size).
    rejected: Vec<String>,
    /// Known translations by (text, target); anything else comes back as `[src->tgt] text`.
    phrasebook: HashMap<(String, String), String>,
    /// What `auto` detects, by text; anything else is detected as English.
    detections: HashMap<String, String>,
    /// Words and phrases translated wherever they stand in unprotected text, by target.
    glossary: Vec<(String, String, String)>,
    throttled_once: bool,
    connections: usize,
    /// Calls whose text holds one of these fail with a 500 `InternalServerException`.
    failing: Vec<String>,
    /// Calls being answered now, and the most there ever were at once.
    in_flight: usize,
    most_in_flight: usize,
    /// Whether a `Gather` has been reached.
    gathered: bool,
    gathering: Arc<tokio::sync::Notify>,
}

/// Counts a call as in flight while it lives, and wakes a `Gather` that this call completes.
struct InFlight(Arc<Mutex<State>>);

impl InFlight {
    fn start(state: &Arc<Mutex<State>>) -> InFlight {
        let mut locked = state.lock().unwrap();
        locked.in_flight += 1;
        locked.most_in_flight = locked.most_in_flight.max(locked.in_flight);
        InFlight(state.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut state) = self.0.lock() {
            state.in_flight -= 1;
        }
    }
}

#[derive(Clone)]
pub struct FakeTranslate {
    endpoint: String,
    state: Arc<Mutex<State>>,
}

impl FakeTranslate {
    /// On a free port of 127.0.0.1.
    pub async fn start() -> FakeTranslate {
        Self::start_on("127.0.0.1:0").await
    }

    /// On a given loopback address, e.g. for `cargo lambda watch` demos.
    pub async fn start_on(address: &str) -> FakeTranslate {
        let listener = TcpListener::bind(address).await.unwrap_or_else(|error| panic!("bind {address}: {error}"));
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let state = Arc::new(Mutex::new(State {
            behaviour: Behaviour::Translate { delay: Duration::ZERO },
            calls: Vec::new(),
            rejected: Vec::new(),
            phrasebook: HashMap::new(),
            detections: HashMap::new(),
            glossary: Vec::new(),
            throttled_once: false,
            connections: 0,
            failing: Vec::new(),
            in_flight: 0,
            most_in_flight: 0,
            gathered: false,
            gathering: Arc::new(tokio::sync::Notify::new()),
        }));
        let accept_state = state.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let state = accept_state.clone();
                state.lock().unwrap().connections += 1;
                if state.lock().unwrap().behaviour == Behaviour::CloseConnection {
                    let mut buffer = vec![0u8; 16 * 1024];
                    let _ = stream.read(&mut buffer).await;
                    state.lock().unwrap().calls.push(TranslateCall {
                        text: String::new(),
                        source: String::new(),
                        target: String::new(),
                        formality: None,
                        profanity: None,
                        terminology: Vec::new(),
                        received_at: Instant::now(),
                    });
                    drop(stream);
                    continue;
                }
                tokio::spawn(async move {
                    let service = service_fn(move |request| answer(state.clone(), request));
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        });
        FakeTranslate { endpoint, state }
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The production translator, pointed at this endpoint.
    pub fn translator(&self, deadline: Duration) -> AmazonTranslate {
        AmazonTranslate::new(deadline, Endpoint::Local(self.endpoint.clone()))
    }

    /// The TCP connections the fake has accepted: none means no client ever reached it.
    pub fn connections(&self) -> usize {
        self.state.lock().unwrap().connections
    }

    pub fn set_behaviour(&self, behaviour: Behaviour) {
        self.state.lock().unwrap().behaviour = behaviour;
    }

    /// `text` translated into `target` is `translation`.
    pub fn phrase(&self, text: &str, target: &str, translation: &str) -> &Self {
        self.state.lock().unwrap().phrasebook.insert((text.into(), target.into()), translation.into());
        self
    }

    /// `word` is translated into `target` as `translation` wherever it stands in text not marked
    /// `translate="no"`: how machine translation treats a brand name or a command.
    pub fn glossary(&self, word: &str, target: &str, translation: &str) -> &Self {
        self.state.lock().unwrap().glossary.push((word.into(), target.into(), translation.into()));
        self
    }

    /// With `auto`, `text` is detected as `language`.
    pub fn detects(&self, text: &str, language: &str) -> &Self {
        self.state.lock().unwrap().detections.insert(text.into(), language.into());
        self
    }

    /// Every call whose text holds `needle` fails with a 500, whatever the behaviour: one item
    /// (or one piece of it) failing while the others translate.
    pub fn fail_containing(&self, needle: &str) -> &Self {
        self.state.lock().unwrap().failing.push(needle.into());
        self
    }

    /// The most calls the fake was answering at once.
    pub fn most_in_flight(&self) -> usize {
        self.state.lock().unwrap().most_in_flight
    }

    pub fn calls(&self) -> Vec<TranslateCall> {
        self.state.lock().unwrap().calls.clone()
    }

    /// Requests that Amazon Translate would have refused as malformed. Tests assert it is empty.
    pub fn rejected(&self) -> Vec<String> {
        self.state.lock().unwrap().rejected.clone()
    }
}

async fn answer(state: Arc<Mutex<State>>, request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path_ok = request.uri().path() == OPERATION_PATH && request.method() == hyper::Method::POST;
    let protocol_ok = request.headers().get("smithy-protocol").is_some_and(|value| value == "rpc-v2-cbor");
    let body = match request.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => return Ok(error(StatusCode::BAD_REQUEST, "SerializationException")),
    };
    let parsed: Result<TranslateTextRequest, _> = ciborium::from_reader(body.as_ref());
    let call = match (path_ok, protocol_ok, parsed) {
        (true, true, Ok(call)) => call,
        (path_ok, protocol_ok, parsed) => {
            let problem = format!("path_ok={path_ok} protocol_ok={protocol_ok} body_ok={}", parsed.is_ok());
            state.lock().unwrap().rejected.push(problem);
            return Ok(error(StatusCode::BAD_REQUEST, "ValidationException"));
        }
    };
    let behaviour = {
        let mut state = state.lock().unwrap();
        if call.text.len() > shared::translate::MAX_TEXT_BYTES || call.text.is_empty() {
            state.rejected.push(format!("text of {} bytes", call.text.len()));
            return Ok(error(StatusCode::BAD_REQUEST, "TextSizeLimitExceededException"));
        }
        if let Err(problem) = markup::check(&call.text) {
            state.rejected.push(problem);
        }
        let settings = call.settings.as_ref();
        state.calls.push(TranslateCall {
            text: call.text.clone(),
            source: call.source_language_code.clone(),
            target: call.target_language_code.clone(),
            formality: settings.and_then(|s| s.formality.clone()),
            profanity: settings.and_then(|s| s.profanity.clone()),
            terminology: call.terminology_names.clone().unwrap_or_default(),
            received_at: Instant::now(),
        });
        let behaviour = state.behaviour.clone();
        if state.failing.iter().any(|needle| call.text.contains(needle.as_str())) {
            Behaviour::ServerError
        } else if behaviour == Behaviour::ThrottleOnce && !state.throttled_once {
            state.throttled_once = true;
            Behaviour::Throttle
        } else {
            behaviour
        }
    };
    let _in_flight = InFlight::start(&state);
    match behaviour {
        Behaviour::Throttle => Ok(error(StatusCode::BAD_REQUEST, "TooManyRequestsException")),
        Behaviour::ServerError => Ok(error(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerException")),
        Behaviour::RefusePair => Ok(error(StatusCode::BAD_REQUEST, "UnsupportedLanguagePairException")),
        Behaviour::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(error(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerException"))
        }
        Behaviour::Garbage => Ok(cbor_response(StatusCode::OK, Bytes::from_static(b"\xff\x00<html>oops</html>"))),
        Behaviour::Translate { delay } => {
            tokio::time::sleep(delay).await;
            Ok(translate(&state, call))
        }
        Behaviour::Gather(count) => {
            gather(&state, count).await;
            Ok(translate(&state, call))
        }
        Behaviour::ThrottleOnce | Behaviour::CloseConnection => Ok(translate(&state, call)),
    }
}

/// Waits until `count` calls are in flight at once (or were, once); this call is counted already.
async fn gather(state: &Mutex<State>, count: usize) {
    let gathering = {
        let mut state = state.lock().unwrap();
        if state.in_flight >= count {
            state.gathered = true;
            state.gathering.notify_waiters();
        }
        state.gathering.clone()
    };
    loop {
        let notified = gathering.notified();
        if state.lock().unwrap().gathered {
            break;
        }
        notified.await;
    }
}

fn translate(state: &Mutex<State>, call: TranslateTextRequest) -> Response<Full<Bytes>> {
    let state = state.lock().unwrap();
    let source = if call.source_language_code == "auto" {
        state.detections.get(&call.text).cloned().unwrap_or_else(|| "en".to_owned())
    } else {
        call.source_language_code.clone()
    };
    let target = call.target_language_code.clone();
    let translated = if source == target {
        call.text.clone()
    } else {
        match state.phrasebook.get(&(call.text.clone(), target.clone())) {
            Some(known) => known.clone(),
            None => {
                let glossary: Vec<(&str, &str)> = state
                    .glossary
                    .iter()
                    .filter(|(_, language, _)| *language == target)
                    .map(|(word, _, translation)| (word.as_str(), translation.as_str()))
                    .collect();
                format!("[{source}->{target}] {}", markup::machine_translate(&call.text, &glossary))
            }
        }
    };
    let mut body = Vec::new();
    let response = TranslateTextResponse {
        translated_text: translated,
        source_language_code: source,
        target_language_code: target,
    };
    ciborium::into_writer(&response, &mut body).expect("encode CBOR");
    cbor_response(StatusCode::OK, Bytes::from(body))
}

fn error(status: StatusCode, code: &str) -> Response<Full<Bytes>> {
    let mut body = Vec::new();
    let envelope: HashMap<&str, &str> = HashMap::from([("__type", code), ("message", "fake translate error")]);
    ciborium::into_writer(&envelope, &mut body).expect("encode CBOR");
    cbor_response(status, Bytes::from(body))
}

fn cbor_response(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/cbor")
        .header("smithy-protocol", "rpc-v2-cbor")
        .body(Full::new(body))
        .expect("response")
}

/// How the fake treats the HTML it is sent.
mod markup {
    /// Tags as the service parses them: a `<` that starts no tag is a malformed request.
    pub fn check(text: &str) -> Result<(), String> {
        let mut rest = text;
        while let Some(at) = rest.find('<') {
            let Some(end) = rest[at..].find('>') else { return Err("an unescaped `<` with no tag".into()) };
            let tag = &rest[at + 1..at + end];
            let name = tag.trim_start_matches('/');
            if !name.starts_with(|c: char| c.is_ascii_alphabetic()) || tag.contains('<') {
                return Err("an unescaped `<` outside a tag".into());
            }
            rest = &rest[at + end + 1..];
        }
        Ok(())
    }

    /// Tags kept, `translate="no"` elements kept whole, every other text damaged as plain-text
    /// machine translation damages it.
    pub fn machine_translate(text: &str, glossary: &[(&str, &str)]) -> String {
        let mut out = String::new();
        let mut rest = text;
        while !rest.is_empty() {
            let Some(at) = rest.find('<') else {
                out.push_str(&damage(rest, glossary));
                break;
            };
            out.push_str(&damage(&rest[..at], glossary));
            let end = rest[at..].find('>').map_or(rest.len(), |end| at + end + 1);
            let tag = &rest[at..end];
            let name: String =
                tag[1..].chars().take_while(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
            let keep_whole =
                tag.contains("translate=\"no\"") || tag.contains("translate=no") || tag.contains("translate='no'");
            if keep_whole && !tag.ends_with("/>") {
                let close = format!("</{name}>");
                let content_end = element_end(&rest[end..], &name).map_or(rest.len(), |length| end + length);
                let whole_end = (content_end + close.len()).min(rest.len());
                out.push_str(&rest[at..whole_end]);
                rest = &rest[whole_end..];
            } else {
                out.push_str(tag);
                rest = &rest[end..];
            }
        }
        out
    }

    /// The length of an element's content, nested elements of the same name included.
    fn element_end(content: &str, name: &str) -> Option<usize> {
        let (open, close) = (format!("<{name}"), format!("</{name}>"));
        let mut depth = 0;
        let mut offset = 0;
        loop {
            let next_close = content[offset..].find(&close)? + offset;
            match content[offset..next_close].find(&open) {
                Some(found) => {
                    depth += 1;
                    offset += found + open.len();
                }
                None if depth == 0 => return Some(next_close),
                None => {
                    depth -= 1;
                    offset = next_close + close.len();
                }
            }
        }
    }

    fn damage(text: &str, glossary: &[(&str, &str)]) -> String {
        let mut text = text.to_owned();
        for (word, translation) in glossary {
            text = text.replace(word, translation);
        }
        let text = text
            .replace("](", "] (")
            .replace("**", "\u{1}")
            .replace('*', " * ")
            .replace('_', " _ ")
            .replace('\u{1}', " ** ")
            .replace('`', " ` ")
            .replace("://", ": //")
            .replace('@', " @ ")
            .replace('\n', " ")
            .replace('\'', "&#39;")
            .replace('"', "&quot;");
        twelve_hour_times(&split_hyphenated(&text))
    }

    /// `ABC-12345` → `ABC - 12345` (a hyphen beside a digit).
    fn split_hyphenated(text: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::with_capacity(text.len());
        for (i, c) in chars.iter().enumerate() {
            let between = i > 0
                && i + 1 < chars.len()
                && chars[i - 1].is_alphanumeric()
                && chars[i + 1].is_alphanumeric()
                && (chars[i - 1].is_ascii_digit() || chars[i + 1].is_ascii_digit());
            if *c == '-' && between {
                out.push_str(" - ");
            } else {
                out.push(*c);
            }
        }
        out
    }

    /// `20:30` → `8:30 PM`.
    fn twelve_hour_times(text: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        while i < chars.len() {
            let time = chars.get(i..i + 5).filter(|t| {
                t[0].is_ascii_digit()
                    && t[1].is_ascii_digit()
                    && t[2] == ':'
                    && t[3].is_ascii_digit()
                    && t[4].is_ascii_digit()
            });
            if let Some(time) = time {
                let hour: u32 = time[..2].iter().collect::<String>().parse().unwrap_or(0);
                if hour > 12 {
                    out.push_str(&format!("{}:{}{} PM", hour - 12, time[3], time[4]));
                    i += 5;
                    continue;
                }
            }
            out.push(chars[i]);
            i += 1;
        }
        out
    }
}
