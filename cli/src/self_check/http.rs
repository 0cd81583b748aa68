//! The self-check's HTTP client: one POST with a deadline, over rustls with the system's roots.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// The answer to one request, or why there was none.
#[derive(Debug)]
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) body: Value,
    pub(super) took: Duration,
}

#[derive(Debug)]
pub(super) enum Failure {
    Timeout,
    Unreachable(String),
}

impl Failure {
    pub(super) fn explain(&self, url: &str, timeout: Duration) -> String {
        match self {
            Failure::Timeout => format!(
                "no answer within {} s: the function's Timeout (10 s in the template) or TranslateTimeoutMs is too \
                 long for the assistant, or the function is stuck; read its CloudWatch log",
                timeout.as_secs()
            ),
            Failure::Unreachable(why) => format!(
                "function missing: nothing answers at {url} ({why}); check the URL (the stack outputs) and that the \
                 function exists"
            ),
        }
    }
}

pub(super) struct Http {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

impl Http {
    pub(super) fn new(timeout: Duration) -> Result<Http, String> {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|error| format!("could not read this machine's CA certificates: {error}"))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Http { client: Client::builder(TokioExecutor::new()).build(connector), timeout })
    }

    pub(super) async fn post(&self, url: &str, headers: &[(String, String)], body: &Value) -> Result<Answer, Failure> {
        self.post_as(url, headers, "application/json", body.to_string()).await
    }

    /// A POST of `body` with `headers` and this `Content-Type`.
    pub(super) async fn post_as(
        &self,
        url: &str,
        headers: &[(String, String)],
        content_type: &str,
        body: impl Into<Bytes>,
    ) -> Result<Answer, Failure> {
        let mut headers = headers.to_vec();
        headers.push(("content-type".to_owned(), content_type.to_owned()));
        self.send(url, &headers, body).await
    }

    /// A POST of `body` with exactly `headers`.
    pub(super) async fn send(
        &self,
        url: &str,
        headers: &[(String, String)],
        body: impl Into<Bytes>,
    ) -> Result<Answer, Failure> {
        let mut request = hyper::Request::post(url);
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let request =
            request.body(Full::new(body.into())).map_err(|error| Failure::Unreachable(format!("bad URL: {error}")))?;
        let started = Instant::now();
        let call = async {
            let response =
                self.client.request(request).await.map_err(|error| Failure::Unreachable(error_chain(&error)))?;
            let status = response.status().as_u16();
            let bytes = response
                .into_body()
                .collect()
                .await
                .map_err(|error| Failure::Unreachable(error.to_string()))?
                .to_bytes();
            Ok::<_, Failure>((status, bytes))
        };
        let (status, bytes) = tokio::time::timeout(self.timeout, call).await.map_err(|_| Failure::Timeout)??;
        let took = started.elapsed();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(Answer { status, body, took })
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let _ = write!(text, ": {inner}");
        source = inner.source();
    }
    text
}
