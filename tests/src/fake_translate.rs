//! A fake Amazon Translate on 127.0.0.1 for the real `aws-sdk-translate` client.
//!
//! moto has no Translate, and the SDK speaks Smithy RPC v2 CBOR, so this is the boundary double:
//! it checks each request it receives (path, protocol header, CBOR body, Translate's limits),
//! records it, and answers as Translate would, or fails in the way a test asks for.

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
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct TranslateCall {
    pub text: String,
    pub source: String,
    pub target: String,
    pub received_at: Instant,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TranslateTextRequest {
    text: String,
    source_language_code: String,
    target_language_code: String,
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
    throttled_once: bool,
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
            throttled_once: false,
        }));
        let accept_state = state.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let state = accept_state.clone();
                if state.lock().unwrap().behaviour == Behaviour::CloseConnection {
                    let mut buffer = vec![0u8; 16 * 1024];
                    let _ = stream.read(&mut buffer).await;
                    state.lock().unwrap().calls.push(TranslateCall {
                        text: String::new(),
                        source: String::new(),
                        target: String::new(),
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
        AmazonTranslate::local(self.endpoint.clone(), deadline)
    }

    pub fn set_behaviour(&self, behaviour: Behaviour) {
        self.state.lock().unwrap().behaviour = behaviour;
    }

    /// `text` translated into `target` is `translation`.
    pub fn phrase(&self, text: &str, target: &str, translation: &str) -> &Self {
        self.state.lock().unwrap().phrasebook.insert((text.into(), target.into()), translation.into());
        self
    }

    /// With `auto`, `text` is detected as `language`.
    pub fn detects(&self, text: &str, language: &str) -> &Self {
        self.state.lock().unwrap().detections.insert(text.into(), language.into());
        self
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
        state.calls.push(TranslateCall {
            text: call.text.clone(),
            source: call.source_language_code.clone(),
            target: call.target_language_code.clone(),
            received_at: Instant::now(),
        });
        let behaviour = state.behaviour.clone();
        if behaviour == Behaviour::ThrottleOnce && !state.throttled_once {
            state.throttled_once = true;
            Behaviour::Throttle
        } else {
            behaviour
        }
    };
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
        Behaviour::ThrottleOnce | Behaviour::CloseConnection => Ok(translate(&state, call)),
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
        state
            .phrasebook
            .get(&(call.text.clone(), target.clone()))
            .cloned()
            .unwrap_or_else(|| format!("[{source}->{target}] {}", call.text))
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
