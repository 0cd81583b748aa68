//! Where recordings go: Amazon S3 (each object encrypted with KMS, within a hard deadline, at
//! most one retry) or a local directory (for `cargo lambda watch`). Both only ever create an
//! object: S3 with a conditional `PutObject` (`If-None-Match: *`), a directory with a hard link,
//! which fails if the name exists. Since a key holds the audio's digest, a key already taken
//! holds this very recording: it is stored already. Errors carry codes only, never the audio.

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use multer::bytes::Bytes;
use shared::aws::{AwsError, Endpoint, ServiceErrors};
use shared::object_dir::{DirCreated, DirError, ObjectDir};

use crate::config::{AudioSettings, Backend};

/// The user-defined metadata (`x-amz-meta-sha256`) that carries the SHA-256 of the audio.
pub const DIGEST_METADATA: &str = "sha256";

/// Why a recording was not stored. Codes only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The key is taken (S3's 412 to `If-None-Match: *`): read as "stored already", never sent back.
    #[error("the key is taken")]
    Exists,
    #[error("the store refused the key")]
    UnsafeKey,
    #[error("file system error: {kind}")]
    Io { kind: String },
    /// The call to Amazon S3 failed, or did not answer within the deadline.
    #[error(transparent)]
    Aws(#[from] AwsError),
}

impl StoreError {
    /// A short code for the log line.
    pub fn kind(&self) -> &'static str {
        match self {
            StoreError::Exists => "exists",
            StoreError::UnsafeKey => "unsafe_key",
            StoreError::Io { .. } => "io_error",
            StoreError::Aws(error) => error.kind(),
        }
    }
}

/// S3's own answers: 412 is a taken key; 503 is its "slow down".
impl ServiceErrors for StoreError {
    fn special(status: u16, _code: Option<&str>) -> Option<Self> {
        match status {
            412 => Some(StoreError::Exists),
            503 => Some(AwsError::Throttled.into()),
            _ => None,
        }
    }
}

/// One object to create.
#[derive(Debug, Clone, Copy)]
pub struct Object<'a> {
    pub key: &'a str,
    pub body: &'a Bytes,
    pub content_type: &'a str,
    /// The audio's SHA-256 in hex, kept with both objects.
    pub sha256: &'a str,
}

/// Whether an object was written now or was there already (the same recording, sent again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    New,
    AlreadyStored,
}

/// What the handler needs from a store: create one object, never replacing one.
pub trait RecordingStore: Send + Sync {
    fn create(&self, object: Object<'_>) -> impl Future<Output = Result<Created, StoreError>> + Send;

    /// Where the recordings go, for the start-up log line.
    fn location(&self) -> String;
}

/// Amazon S3 through the AWS SDK. Every `PutObject` asks for SSE-KMS (`aws:kms`, with the
/// configured key when there is one, else S3's AWS managed key `aws/s3`) with an S3 Bucket Key,
/// whatever the bucket's default says.
#[derive(Debug, Clone)]
pub struct S3RecordingStore {
    client: aws_sdk_s3::Client,
    bucket: String,
    kms_key: Option<String>,
}

impl S3RecordingStore {
    /// The bucket at `endpoint` (`Endpoint::Aws` in production; a local S3 is addressed
    /// path-style). `deadline` bounds each call, its one retry included.
    pub async fn new(
        bucket: impl Into<String>,
        kms_key: Option<String>,
        deadline: Duration,
        endpoint: &Endpoint,
    ) -> Self {
        let config = shared::aws::sdk_config(deadline, endpoint).await;
        let local = matches!(endpoint, Endpoint::Local(_));
        let client =
            aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(local).build());
        S3RecordingStore { client, bucket: bucket.into(), kms_key }
    }
}

impl RecordingStore for S3RecordingStore {
    async fn create(&self, object: Object<'_>) -> Result<Created, StoreError> {
        let sent = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(object.key)
            .if_none_match("*")
            .metadata(DIGEST_METADATA, object.sha256)
            .body(ByteStream::from(object.body.clone()))
            .content_type(object.content_type)
            .server_side_encryption(ServerSideEncryption::AwsKms)
            .set_ssekms_key_id(self.kms_key.clone())
            .bucket_key_enabled(true)
            .send()
            .await;
        match sent.map_err(shared::aws::classify) {
            Ok(_) => Ok(Created::New),
            Err(StoreError::Exists) => Ok(Created::AlreadyStored),
            Err(error) => Err(error),
        }
    }

    fn location(&self) -> String {
        format!("s3://{}", self.bucket)
    }
}

/// The same layout under a local directory: each object is written to a temporary file and
/// hard-linked into place, so a reader never sees half a recording and no file is replaced.
#[derive(Debug)]
pub struct DirRecordingStore(ObjectDir);

impl DirRecordingStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DirRecordingStore(ObjectDir::new(root))
    }
}

impl RecordingStore for DirRecordingStore {
    async fn create(&self, object: Object<'_>) -> Result<Created, StoreError> {
        match self.0.create(object.key, object.body).await {
            Ok(DirCreated::New) => Ok(Created::New),
            Ok(DirCreated::Taken) => Ok(Created::AlreadyStored),
            Err(DirError::UnsafeKey) => Err(StoreError::UnsafeKey),
            Err(DirError::Io { kind }) => Err(StoreError::Io { kind }),
        }
    }

    fn location(&self) -> String {
        format!("directory {}", self.0.root().display())
    }
}

/// The backend the settings select, as one type for `main.rs`.
#[derive(Debug)]
pub enum ConfiguredStore {
    S3(S3RecordingStore),
    Directory(DirRecordingStore),
}

impl ConfiguredStore {
    /// Builds the configured backend (for S3 this loads the AWS config; no network call).
    pub async fn open(settings: &AudioSettings) -> Self {
        match &settings.backend {
            Backend::S3 { bucket, kms_key } => ConfiguredStore::S3(
                S3RecordingStore::new(bucket, kms_key.clone(), settings.store_timeout, &Endpoint::Aws).await,
            ),
            Backend::Directory { root } => ConfiguredStore::Directory(DirRecordingStore::new(root)),
        }
    }
}

impl RecordingStore for ConfiguredStore {
    async fn create(&self, object: Object<'_>) -> Result<Created, StoreError> {
        match self {
            ConfiguredStore::S3(store) => store.create(object).await,
            ConfiguredStore::Directory(store) => store.create(object).await,
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

    #[tokio::test]
    async fn the_directory_store_creates_once_and_refuses_escapes() {
        let root = std::env::temp_dir().join(format!("audio-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let store = DirRecordingStore::new(&root);
        let body = Bytes::from_static(&[0xff, 0x7f, 0x00]);
        let object = |key| Object { key, body: &body, content_type: "audio/mulaw", sha256: "00" };
        assert_eq!(store.create(object("dt=2025-06-01/s/r.mulaw")).await, Ok(Created::New));
        assert_eq!(store.create(object("dt=2025-06-01/s/r.mulaw")).await, Ok(Created::AlreadyStored));
        assert_eq!(std::fs::read(root.join("dt=2025-06-01/s/r.mulaw")).unwrap(), body.as_ref());
        assert_eq!(std::fs::read_dir(root.join("dt=2025-06-01/s")).unwrap().count(), 1, "no temporary file left");
        for key in ["../x", "/etc/x", "a/../../x", ""] {
            assert_eq!(store.create(object(key)).await, Err(StoreError::UnsafeKey), "{key}");
        }
        std::fs::remove_dir_all(&root).unwrap();
    }
}
