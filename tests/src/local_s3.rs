//! A real S3-protocol server on 127.0.0.1 for the real `aws-sdk-s3` client: s3s (the S3 wire
//! protocol, SigV4 checked against the dummy keys `test`/`test`) over s3s-fs (objects as files in
//! a temp directory). It runs in the test process on its own thread, so `cargo test` needs
//! nothing else, and its own logging never mixes into a test's `LogCapture`.
//!
//! In front of it sits a fault switch: answer normally, fail with a 500 or a 503 `SlowDown`,
//! answer late, or accept the request and never answer. Every request is recorded (method, path,
//! headers) so tests can check what the client sent.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use logwebhook::S3LogStore;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use shared::aws::Endpoint;
use tokio::net::TcpListener;

use crate::temp_dir::TempDir;

/// The bucket every `LocalS3` starts with.
pub const BUCKET: &str = "watson-logs";

/// How the endpoint answers.
#[derive(Debug, Clone, PartialEq)]
pub enum S3Behaviour {
    /// As S3 would.
    Normal,
    /// A 500 `InternalError` on every request.
    ServerError,
    /// A 503 `SlowDown` on every request.
    SlowDown,
    /// Answer normally after `delay`.
    Delay(Duration),
    /// Accept the request and never answer.
    Hang,
}

/// One request the endpoint received.
#[derive(Debug, Clone)]
pub struct S3Call {
    pub method: String,
    pub path: String,
    /// Lower-case names.
    pub headers: BTreeMap<String, String>,
}

struct State {
    behaviour: S3Behaviour,
    calls: Vec<S3Call>,
}

pub struct LocalS3 {
    endpoint: String,
    state: Arc<Mutex<State>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    root: TempDir,
}

impl LocalS3 {
    /// On a free port of 127.0.0.1, with an empty bucket `BUCKET`.
    pub fn start() -> LocalS3 {
        let root = TempDir::new("local-s3");
        std::fs::create_dir(root.path().join(BUCKET)).expect("create the bucket");
        let state = Arc::new(Mutex::new(State { behaviour: S3Behaviour::Normal, calls: Vec::new() }));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (server_state, fs_root) = (state.clone(), root.path().to_owned());
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
                ready_tx.send(listener.local_addr().expect("address")).expect("ready");
                let s3 = {
                    let mut builder = S3ServiceBuilder::new(s3s_fs::FileSystem::new(&fs_root).expect("s3s-fs root"));
                    builder.set_auth(SimpleAuth::from_single("test", "test"));
                    builder.build()
                };
                let mut stop = stop_rx;
                loop {
                    let accepted = tokio::select! {
                        accepted = listener.accept() => accepted,
                        _ = &mut stop => break,
                    };
                    let Ok((stream, _)) = accepted else { continue };
                    let (s3, state) = (s3.clone(), server_state.clone());
                    tokio::spawn(async move {
                        let service = service_fn(move |request| answer(s3.clone(), state.clone(), request));
                        let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                    });
                }
            });
            // Dropping the runtime ends every connection, hung ones included.
        });
        let address = ready_rx.recv().expect("the local S3 started");
        LocalS3 { endpoint: format!("http://{address}"), state, stop: Some(stop_tx), thread: Some(thread), root }
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn set_behaviour(&self, behaviour: S3Behaviour) {
        self.state.lock().unwrap().behaviour = behaviour;
    }

    /// Every request received so far, in order.
    pub fn calls(&self) -> Vec<S3Call> {
        self.state.lock().unwrap().calls.clone()
    }

    /// The `PutObject` requests received so far.
    pub fn puts(&self) -> Vec<S3Call> {
        self.calls().into_iter().filter(|call| call.method == "PUT").collect()
    }

    /// The production store, pointed at this endpoint's bucket.
    pub async fn store(&self, deadline: Duration) -> S3LogStore {
        S3LogStore::new(BUCKET, deadline, &Endpoint::Local(self.endpoint.clone())).await
    }

    /// A plain aws-sdk-s3 client for this endpoint, for tests to read what was stored.
    pub async fn client(&self) -> aws_sdk_s3::Client {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_s3::config::Credentials::new("test", "test", None, None, "local"))
            .load()
            .await;
        aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build())
    }

    /// Every object in the bucket (ListObjectsV2, then GetObject each), by key.
    pub async fn objects(&self) -> BTreeMap<String, StoredObject> {
        let client = self.client().await;
        let listing = client.list_objects_v2().bucket(BUCKET).send().await.expect("ListObjectsV2");
        let mut objects = BTreeMap::new();
        for object in listing.contents() {
            let key = object.key().expect("key").to_owned();
            let got = client.get_object().bucket(BUCKET).key(&key).send().await.expect("GetObject");
            let content_type = got.content_type().map(str::to_owned);
            let body = got.body.collect().await.expect("object body").into_bytes().to_vec();
            objects.insert(key, StoredObject { content_type, body });
        }
        objects
    }

    /// The directory s3s-fs keeps the bucket in.
    pub fn root(&self) -> &std::path::Path {
        self.root.path()
    }
}

impl Drop for LocalS3 {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[derive(Debug, Clone)]
pub struct StoredObject {
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl StoredObject {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a stored object is JSON")
    }
}

/// An endpoint on 127.0.0.1 where nothing listens: connections are refused.
pub fn closed_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    drop(listener);
    format!("http://{address}")
}

async fn answer(
    s3: s3s::service::S3Service,
    state: Arc<Mutex<State>>,
    request: Request<Incoming>,
) -> Result<Response<s3s::Body>, s3s::HttpError> {
    let behaviour = {
        let mut state = state.lock().unwrap();
        let headers = request
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
            .collect();
        state.calls.push(S3Call {
            method: request.method().to_string(),
            path: request.uri().path().to_owned(),
            headers,
        });
        state.behaviour.clone()
    };
    match behaviour {
        S3Behaviour::Normal => {}
        S3Behaviour::ServerError => return Ok(error(StatusCode::INTERNAL_SERVER_ERROR, "InternalError")),
        S3Behaviour::SlowDown => return Ok(error(StatusCode::SERVICE_UNAVAILABLE, "SlowDown")),
        S3Behaviour::Delay(delay) => tokio::time::sleep(delay).await,
        S3Behaviour::Hang => std::future::pending::<()>().await,
    }
    s3.call(request.map(s3s::Body::from)).await
}

fn error(status: StatusCode, code: &str) -> Response<s3s::Body> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>local S3 fault</Message><RequestId>local</RequestId></Error>"
    );
    Response::builder()
        .status(status)
        .header("content-type", "application/xml")
        .body(s3s::Body::from(body))
        .expect("response")
}

/// The log webhook's settings as the environment would give them (`LOG_BUCKET`, `LOG_DIR`, …).
pub fn log_settings(vars: &[(&str, &str)]) -> logwebhook::LogSettings {
    logwebhook::LogSettings::read(&vars.into()).expect("test log settings")
}
