//! The store behind the log webhook: the `LogStore` trait and its two backends, Amazon S3 (with a
//! hard deadline and at most one retry) and a local directory (for `cargo lambda watch`).
//! Errors carry codes only, never the event.

use std::future::Future;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::put_object::PutObjectError;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;

use crate::config::{Backend, LogSettings};

/// Why an event was not stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("no answer within the deadline")]
    Timeout,
    #[error("throttled")]
    Throttled,
    #[error("service error {code}")]
    Service { code: String },
    #[error("the request was refused: {code}")]
    Refused { code: String },
    #[error("unreadable response")]
    InvalidResponse,
    #[error("network error")]
    Network,
    #[error("file system error: {kind}")]
    Io { kind: String },
}

impl StoreError {
    /// A short code for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            StoreError::Timeout => "timeout",
            StoreError::Throttled => "throttled",
            StoreError::Service { .. } => "service_error",
            StoreError::Refused { .. } => "refused",
            StoreError::InvalidResponse => "invalid_response",
            StoreError::Network => "network_error",
            StoreError::Io { .. } => "io_error",
        }
    }
}

/// What the handler needs from a store: put one record at one key, overwriting what is there.
pub trait LogStore: Send + Sync {
    fn put(&self, key: &str, record: &[u8]) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Where the records go, for the start-up log line (`s3://bucket`, a directory).
    fn location(&self) -> String;
}

/// Amazon S3 through the AWS SDK: one `PutObject` per event, `application/json`, encrypted with
/// SSE-S3 (AES256).
#[derive(Debug, Clone)]
pub struct S3LogStore {
    client: aws_sdk_s3::Client,
    bucket: String,
    deadline: Duration,
}

impl S3LogStore {
    /// The bucket in the function's own account and region, with credentials from the environment.
    /// `deadline` bounds one store, retry included.
    pub async fn new(bucket: impl Into<String>, deadline: Duration) -> Self {
        let config = Self::loader(deadline).load().await;
        let client = aws_sdk_s3::Client::new(&config);
        S3LogStore { client, bucket: bucket.into(), deadline }
    }

    /// An S3-compatible endpoint on this machine (the tests' local S3), path-style, with the
    /// dummy credentials `test`/`test` and region `us-east-1`, whatever the environment says.
    pub async fn local(endpoint: &str, bucket: impl Into<String>, deadline: Duration) -> Self {
        let config = Self::loader(deadline)
            .endpoint_url(endpoint)
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_s3::config::Credentials::new("test", "test", None, None, "local"))
            .load()
            .await;
        let client =
            aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build());
        S3LogStore { client, bucket: bucket.into(), deadline }
    }

    fn loader(deadline: Duration) -> aws_config::ConfigLoader {
        // As for Translate: the first attempt gets most of the deadline, one retry (throttling,
        // 5xx, a hung connection) gets the rest, and the outer timeout in `put` is the hard stop.
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(deadline.min(Duration::from_secs(1)))
            .operation_attempt_timeout(deadline.mul_f32(0.6))
            .operation_timeout(deadline)
            .build();
        let retries = RetryConfig::standard()
            .with_max_attempts(2)
            .with_initial_backoff(Duration::from_millis(50))
            .with_max_backoff(Duration::from_millis(200));
        aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts).retry_config(retries)
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    async fn call(&self, key: &str, record: &[u8]) -> Result<(), StoreError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(record.to_vec()))
            .content_type("application/json")
            .server_side_encryption(ServerSideEncryption::Aes256)
            .send()
            .await
            .map(|_| ())
            .map_err(classify)
    }
}

impl LogStore for S3LogStore {
    async fn put(&self, key: &str, record: &[u8]) -> Result<(), StoreError> {
        tokio::time::timeout(self.deadline, self.call(key, record)).await.unwrap_or(Err(StoreError::Timeout))
    }

    fn location(&self) -> String {
        format!("s3://{}", self.bucket)
    }
}

fn classify(error: SdkError<PutObjectError, aws_sdk_s3::config::http::HttpResponse>) -> StoreError {
    match &error {
        SdkError::TimeoutError(_) => StoreError::Timeout,
        SdkError::DispatchFailure(failure) if failure.is_timeout() => StoreError::Timeout,
        SdkError::DispatchFailure(_) => StoreError::Network,
        SdkError::ResponseError(_) => StoreError::InvalidResponse,
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("unknown").to_owned();
            let status = service.raw().status();
            if status.as_u16() == 503
                || matches!(code.as_str(), "SlowDown" | "Throttling" | "ThrottlingException" | "RequestLimitExceeded")
            {
                StoreError::Throttled
            } else if status.is_client_error() {
                StoreError::Refused { code }
            } else {
                StoreError::Service { code }
            }
        }
        _ => StoreError::Network,
    }
}

/// The same layout under a local directory: each record is written to a temporary file and
/// renamed into place, so a reader never sees half a record and a redelivery replaces it whole.
#[derive(Debug)]
pub struct DirLogStore {
    root: PathBuf,
    counter: AtomicU64,
}

impl DirLogStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DirLogStore { root: root.into(), counter: AtomicU64::new(0) }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file for `key`: keys are already sanitised, and this refuses anything but plain
    /// relative segments all the same.
    fn path_of(&self, key: &str) -> Result<PathBuf, StoreError> {
        let relative = Path::new(key);
        let plain = !key.is_empty() && relative.components().all(|component| matches!(component, Component::Normal(_)));
        if !plain {
            return Err(StoreError::Refused { code: "unsafe_key".into() });
        }
        Ok(self.root.join(relative))
    }
}

impl LogStore for DirLogStore {
    async fn put(&self, key: &str, record: &[u8]) -> Result<(), StoreError> {
        let path = self.path_of(key)?;
        let io = |error: std::io::Error| StoreError::Io { kind: error.kind().to_string() };
        let (Some(directory), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(StoreError::Refused { code: "unsafe_key".into() });
        };
        tokio::fs::create_dir_all(directory).await.map_err(io)?;
        let serial = self.counter.fetch_add(1, Ordering::Relaxed);
        let temporary = directory.join(format!(".{}.{}-{serial}.tmp", name.to_string_lossy(), std::process::id()));
        let written = async {
            tokio::fs::write(&temporary, record).await?;
            tokio::fs::rename(&temporary, &path).await
        }
        .await;
        if let Err(error) = written {
            let _ = tokio::fs::remove_file(&temporary).await;
            return Err(io(error));
        }
        Ok(())
    }

    fn location(&self) -> String {
        format!("directory {}", self.root.display())
    }
}

/// The backend the settings select, as one type for `main.rs`.
#[derive(Debug)]
pub enum ConfiguredStore {
    S3(S3LogStore),
    Directory(DirLogStore),
}

impl ConfiguredStore {
    /// Builds the configured backend (for S3 this loads the AWS config; no network call).
    pub async fn open(settings: &LogSettings) -> Self {
        match &settings.backend {
            Backend::S3 { bucket } => ConfiguredStore::S3(S3LogStore::new(bucket, settings.store_timeout).await),
            Backend::Directory { root } => ConfiguredStore::Directory(DirLogStore::new(root)),
        }
    }
}

impl LogStore for ConfiguredStore {
    async fn put(&self, key: &str, record: &[u8]) -> Result<(), StoreError> {
        match self {
            ConfiguredStore::S3(store) => store.put(key, record).await,
            ConfiguredStore::Directory(store) => store.put(key, record).await,
        }
    }

    fn location(&self) -> String {
        match self {
            ConfiguredStore::S3(store) => store.location(),
            ConfiguredStore::Directory(store) => store.location(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_root(name: &str) -> PathBuf {
        let root = std::env::temp_dir().join(format!("logwebhook-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        root
    }

    #[tokio::test]
    async fn the_directory_store_overwrites_in_place_and_leaves_no_temporary_file() {
        let root = temp_root("overwrite");
        let store = DirLogStore::new(&root);
        store.put("event=a/dt=2025-06-01/x.json", b"{\"v\":1}\n").await.unwrap();
        store.put("event=a/dt=2025-06-01/x.json", b"{\"v\":2}\n").await.unwrap();
        let directory = root.join("event=a/dt=2025-06-01");
        let names: Vec<String> = std::fs::read_dir(&directory)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["x.json"]);
        assert_eq!(std::fs::read(directory.join("x.json")).unwrap(), b"{\"v\":2}\n");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[tokio::test]
    async fn the_directory_store_refuses_keys_that_leave_its_root() {
        let root = temp_root("escape");
        let store = DirLogStore::new(&root);
        for key in ["../x.json", "/etc/x.json", "a/../../x.json", "./x.json", ""] {
            assert_eq!(store.put(key, b"{}").await, Err(StoreError::Refused { code: "unsafe_key".into() }), "{key}");
        }
        assert!(!root.exists());
    }

    #[tokio::test]
    async fn an_unwritable_directory_is_an_io_error() {
        let root = temp_root("unwritable");
        std::fs::write(&root, b"a file where the directory should be").unwrap();
        let error = DirLogStore::new(&root).put("event=a/dt=2025-06-01/x.json", b"{}").await.unwrap_err();
        assert_eq!(error.kind(), "io_error");
        std::fs::remove_file(&root).unwrap();
    }
}
