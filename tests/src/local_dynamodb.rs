//! A real DynamoDB-protocol server for the translation memory tests: dynalite (npm, installed on
//! first use by [`crate::dynalite_install`]), one per test binary on a free loopback port, used
//! through the real aws-sdk-dynamodb client. Also servers that fail the way a memory can.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use shared::aws::Endpoint;
use shared::memory::DynamoMemory;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

struct Server {
    endpoint: String,
    // Kept so that its stdin stays open: dynalite exits when the test process does.
    _child: Mutex<Child>,
}

static SERVER: OnceLock<Server> = OnceLock::new();
static TABLES: AtomicUsize = AtomicUsize::new(0);

/// The endpoint of this test binary's dynalite, started on first use.
pub fn dynalite_endpoint() -> &'static str {
    &SERVER
        .get_or_init(|| {
            let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("dynamodb");
            if let Err(missing) = crate::dynalite_install::ensure_dynalite(&folder, None) {
                panic!("{missing}");
            }
            let mut child = Command::new("node")
                .arg(folder.join("server.js"))
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("start node (dynalite)");
            let stdout = child.stdout.take().expect("dynalite's stdout");
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).expect("dynalite's port");
            let port: u16 = line.trim().parse().unwrap_or_else(|_| panic!("dynalite said {line:?}"));
            Server { endpoint: format!("http://127.0.0.1:{port}"), _child: Mutex::new(child) }
        })
        .endpoint
}

/// A fresh table in this binary's dynalite, laid out as the template's.
pub struct LocalTable {
    pub endpoint: String,
    pub name: String,
    admin: DynamoMemory,
}

impl LocalTable {
    pub async fn create() -> LocalTable {
        let endpoint = dynalite_endpoint().to_owned();
        let name = format!("translations-{}-{}", std::process::id(), TABLES.fetch_add(1, Ordering::SeqCst));
        let admin = DynamoMemory::new(&name, Duration::from_secs(10), 30, Endpoint::Local(endpoint.clone()));
        admin
            .client()
            .await
            .create_table()
            .table_name(&name)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("id")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .expect("attribute"),
            )
            .key_schema(KeySchemaElement::builder().attribute_name("id").key_type(KeyType::Hash).build().expect("key"))
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await
            .expect("create table");
        LocalTable { endpoint, name, admin }
    }

    /// The memory a function would use, on this table.
    pub fn memory(&self, deadline: Duration) -> DynamoMemory {
        DynamoMemory::new(&self.name, deadline, 30, Endpoint::Local(self.endpoint.clone()))
    }

    /// Every item in the table.
    pub async fn scan(&self) -> Vec<HashMap<String, AttributeValue>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .admin
                .client()
                .await
                .scan()
                .table_name(&self.name)
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("scan");
            items.extend(output.items().iter().cloned());
            match output.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => return items,
            }
        }
    }

    /// Deletes the entry `id` (an expiry, or an operator's purge).
    pub async fn delete(&self, id: &str) {
        let client = self.admin.client().await;
        client
            .delete_item()
            .table_name(&self.name)
            .key("id", AttributeValue::S(id.to_owned()))
            .send()
            .await
            .expect("delete");
    }

    /// Writes `item` as is (an operator's import, or a crafted entry).
    pub async fn put(&self, item: HashMap<String, AttributeValue>) {
        self.admin.client().await.put_item().table_name(&self.name).set_item(Some(item)).send().await.expect("put");
    }
}

/// How a [`BrokenMemory`] endpoint fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breakage {
    /// Nothing listens on the port.
    Down,
    /// Accepts and never answers.
    Hung,
    /// Answers every request with DynamoDB's throttling error (HTTP 400,
    /// ProvisionedThroughputExceededException).
    Throttled,
    /// Answers 200 with a body that is not DynamoDB's JSON.
    Garbage,
}

/// The endpoint of a DynamoDB that fails as `breakage` says, on a free loopback port.
pub async fn broken_endpoint(breakage: Breakage) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("address"));
    if breakage == Breakage::Down {
        drop(listener);
        return endpoint;
    }
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 64 * 1024];
                loop {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    let (status, body) = match breakage {
                        Breakage::Hung => {
                            tokio::time::sleep(Duration::from_secs(3600)).await;
                            return;
                        }
                        Breakage::Throttled => (
                            "400 Bad Request",
                            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}"#,
                        ),
                        _ => ("200 OK", "<html>not DynamoDB</html>"),
                    };
                    let response = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if stream.write_all(response.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    endpoint
}

/// A DynamoDB endpoint on loopback that counts the operations it receives (by `X-Amz-Target`)
/// and either passes each request on to another endpoint (dynalite) or answers every
/// BatchGetItem with canned items (the memory's round trip without dynalite's own latency).
pub struct DynamoSpy {
    pub endpoint: String,
    counts: std::sync::Arc<Mutex<HashMap<String, usize>>>,
}

/// What a [`DynamoSpy`] does with a request.
#[derive(Clone)]
pub enum SpyMode {
    /// Passes it on to this endpoint (`http://host:port`).
    Forward(String),
    /// Answers BatchGetItem with these items of `table` (only those asked for), and anything else
    /// with an empty success.
    Canned { table: String, items: Vec<HashMap<String, AttributeValue>> },
}

impl DynamoSpy {
    pub async fn start(mode: SpyMode) -> DynamoSpy {
        use hyper::server::conn::http1;
        use hyper::service::service_fn;
        use hyper_util::rt::TokioIo;

        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let counts = std::sync::Arc::new(Mutex::new(HashMap::new()));
        let canned = match &mode {
            SpyMode::Canned { items, .. } => Some(std::sync::Arc::new(canned_items(items))),
            SpyMode::Forward(_) => None,
        };
        let state = (counts.clone(), mode, canned);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = state.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| spy_answer(state.clone(), request));
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        });
        DynamoSpy { endpoint, counts }
    }

    /// How many requests of `operation` (e.g. `BatchGetItem`) arrived so far.
    pub fn count(&self, operation: &str) -> usize {
        self.counts.lock().unwrap().get(operation).copied().unwrap_or(0)
    }

    /// Every operation so far, with its count.
    pub fn counts(&self) -> HashMap<String, usize> {
        self.counts.lock().unwrap().clone()
    }

    /// A memory (as a function builds it) whose every request goes through this spy.
    pub fn memory(&self, table: &str, deadline: Duration) -> DynamoMemory {
        DynamoMemory::new(table, deadline, 30, Endpoint::Local(self.endpoint.clone()))
    }
}

type SpyState = (
    std::sync::Arc<Mutex<HashMap<String, usize>>>,
    SpyMode,
    Option<std::sync::Arc<HashMap<String, serde_json::Value>>>,
);

/// The canned items by id, in DynamoDB's JSON.
fn canned_items(items: &[HashMap<String, AttributeValue>]) -> HashMap<String, serde_json::Value> {
    items
        .iter()
        .filter_map(|item| {
            let id = item.get("id")?.as_s().ok()?.clone();
            let json: serde_json::Map<String, serde_json::Value> = item
                .iter()
                .filter_map(|(name, value)| {
                    let value = match value {
                        AttributeValue::S(s) => serde_json::json!({ "S": s }),
                        AttributeValue::N(n) => serde_json::json!({ "N": n }),
                        AttributeValue::Bool(b) => serde_json::json!({ "BOOL": b }),
                        _ => return None,
                    };
                    Some((name.clone(), value))
                })
                .collect();
            Some((id, serde_json::Value::Object(json)))
        })
        .collect()
}

async fn spy_answer(
    (counts, mode, canned): SpyState,
    request: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<http_body_util::Full<hyper::body::Bytes>>, std::convert::Infallible> {
    use http_body_util::BodyExt;
    let operation = request
        .headers()
        .get("x-amz-target")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.rsplit('.').next())
        .unwrap_or("unknown")
        .to_owned();
    *counts.lock().unwrap().entry(operation.clone()).or_insert(0) += 1;
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map(|body| body.to_bytes()).unwrap_or_default();
    let failure = |status: u16| {
        let mut response = hyper::Response::new(http_body_util::Full::new(hyper::body::Bytes::new()));
        *response.status_mut() = hyper::StatusCode::from_u16(status).expect("status");
        Ok(response)
    };
    match mode {
        SpyMode::Forward(upstream) => {
            let address = upstream.trim_start_matches("http://").to_owned();
            let Ok(stream) = tokio::net::TcpStream::connect(&address).await else { return failure(502) };
            let Ok((mut sender, connection)) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await
            else {
                return failure(502);
            };
            tokio::spawn(connection);
            let forwarded = hyper::Request::from_parts(parts, http_body_util::Full::new(body));
            let Ok(response) = sender.send_request(forwarded).await else { return failure(502) };
            let (parts, body) = response.into_parts();
            let body = body.collect().await.map(|body| body.to_bytes()).unwrap_or_default();
            Ok(hyper::Response::from_parts(parts, http_body_util::Full::new(body)))
        }
        SpyMode::Canned { table, .. } => {
            let answer = if operation == "BatchGetItem" {
                let asked: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                let items = canned.as_deref().cloned().unwrap_or_default();
                let found: Vec<serde_json::Value> = asked["RequestItems"][&table]["Keys"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|key| key["id"]["S"].as_str().and_then(|id| items.get(id)).cloned())
                    .collect();
                serde_json::json!({ "Responses": { table.as_str(): found }, "UnprocessedKeys": {} })
            } else {
                serde_json::json!({})
            };
            let mut response =
                hyper::Response::new(http_body_util::Full::new(hyper::body::Bytes::from(answer.to_string())));
            response
                .headers_mut()
                .insert("content-type", hyper::header::HeaderValue::from_static("application/x-amz-json-1.0"));
            Ok(response)
        }
    }
}
