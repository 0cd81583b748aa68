//! The store behind the log webhook: the `LogStore` trait and its two backends, Amazon S3 (with a
//! hard deadline and at most one retry) and a local directory (for `cargo lambda watch`).
//! Errors carry codes only, never the event.
//!
//! A stored event is never replaced. Both backends create an object only where none exists (S3:
//! a conditional `PutObject` with `If-None-Match: *`, see "Add preconditions to S3 operations
//! with conditional requests" in the Amazon S3 User Guide; a directory: a hard link, which fails
//! if the name exists). When the key is taken, the SHA-256 of the stored record decides: the same
//! record is a redelivery and answers as stored; a different one is written beside it, at the
//! first free `<id>.copy-<n>.json` in the same partition, n from 1 to [`MAX_KEPT_BESIDE`]. When
//! all those hold other records, nothing is written and the answer is
//! [`StoreError::TooManyCopies`].

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use shared::aws::{AwsError, Endpoint, ServiceErrors};
use shared::object_dir::{DirCreated, DirError, ObjectDir};
use shared::object_key::sha256_hex;

use crate::config::{Backend, LogSettings};
use crate::key::copy_key;

/// The user-defined metadata (`x-amz-meta-sha256`) that carries the SHA-256 of an object's body,
/// so a redelivery is recognised with one `HeadObject`.
pub const DIGEST_METADATA: &str = "sha256";

/// At most this many different records are kept beside the first one stored under an id (so at
/// most 4 per id). IBM gives every logged message its own `log_id`, so a second record under one
/// is a sender's doing (anyone holding the secret); three leave room for a genuine clash while
/// bounding how far one id can be counted again in Athena, and what one event costs: at most four
/// conditional `PutObject` and four `HeadObject` calls.
pub const MAX_KEPT_BESIDE: usize = 3;

/// Why an event was not stored. Codes only, never the event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The store would not take the key: unsafe as a path.
    #[error("the store refused the key: {code}")]
    Refused { code: String },
    /// The key and its [`MAX_KEPT_BESIDE`] copies all hold records different from this one.
    #[error("too many different records under one id")]
    TooManyCopies,
    #[error("a concurrent write to the same key")]
    Conflict,
    #[error("file system error: {kind}")]
    Io { kind: String },
    /// The call to Amazon S3 failed (see [`shared::aws::classify`]).
    #[error(transparent)]
    Aws(#[from] AwsError),
}

impl StoreError {
    /// A short code for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            StoreError::Refused { .. } => "refused",
            StoreError::TooManyCopies => "too_many_copies",
            StoreError::Conflict => "conflict",
            StoreError::Io { .. } => "io_error",
            StoreError::Aws(error) => error.kind(),
        }
    }
}

/// What Amazon S3 says its own way. A conditional `PutObject` that finds the key taken answers
/// 412 (`PreconditionFailed`), and one that races another write to the key 409
/// `ConditionalRequestConflict`; 503 is S3's "slow down". A HEAD answer has no body, hence no
/// code: its status alone says it, a 4xx being a refusal.
impl ServiceErrors for StoreError {
    fn special(status: u16, code: Option<&str>) -> Option<Self> {
        let refused = |code: &str| Some(AwsError::Refused { code: code.to_owned() }.into());
        match (status, code) {
            (412, _) => refused(PRECONDITION_FAILED),
            (409, Some("ConditionalRequestConflict")) => Some(StoreError::Conflict),
            (503, _) => Some(AwsError::Throttled.into()),
            (400..=499, None) => refused("unknown"),
            _ => None,
        }
    }
}

/// What became of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// Where the record is: its own key, or the key beside it.
    pub key: String,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Written now.
    Created,
    /// The same record was already there (a redelivery): nothing was written.
    Redelivery,
    /// A different record held the key: this one was written beside it, at `Stored::key`.
    KeptBeside,
}

impl Outcome {
    /// A short code for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Redelivery => "redelivery",
            Outcome::KeptBeside => "kept_beside",
        }
    }
}

/// What the handler needs from a store: keep one record at one key, never replacing a stored one.
pub trait LogStore: Send + Sync {
    fn put(&self, key: &str, record: &[u8]) -> impl Future<Output = Result<Stored, StoreError>> + Send;

    /// Where the records go, for the start-up log line (`s3://bucket`, a directory).
    fn location(&self) -> String;
}

/// What one create-only write found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Created {
    New,
    /// The key was taken; `same`: by a record with the same SHA-256.
    Exists {
        same: bool,
    },
}

/// One backend's create-only write: `record` at `key` only if nothing is there. `digest` is the
/// record's SHA-256 in hex.
trait CreateOnly: Sync {
    fn create(
        &self,
        key: &str,
        record: &[u8],
        digest: &str,
    ) -> impl Future<Output = Result<Created, StoreError>> + Send;
}

/// The record at its key; if a different one holds it, at the first free copy beside it; never
/// over anything, and never more than [`MAX_KEPT_BESIDE`] copies.
async fn put_once(store: &impl CreateOnly, key: &str, record: &[u8]) -> Result<Stored, StoreError> {
    let digest = sha256_hex(record);
    for copy in 0..=MAX_KEPT_BESIDE {
        let at = if copy == 0 { key.to_owned() } else { copy_key(key, copy) };
        let outcome = match store.create(&at, record, &digest).await? {
            Created::New if copy == 0 => Outcome::Created,
            Created::New => Outcome::KeptBeside,
            // This record, delivered again (at its key, or at the copy it was kept as).
            Created::Exists { same: true } => Outcome::Redelivery,
            Created::Exists { same: false } => continue,
        };
        return Ok(Stored { key: at, outcome });
    }
    Err(StoreError::TooManyCopies)
}

/// Amazon S3 through the AWS SDK: one conditional `PutObject` per event, `application/json`,
/// encrypted with SSE-S3 (AES256), its SHA-256 in `x-amz-meta-sha256`. When S3 answers 412 (the
/// key exists), one `HeadObject` reads the stored digest (a `GetObject` hashes the body of an
/// object written without it, such as a restored fallback record).
#[derive(Debug, Clone)]
pub struct S3LogStore {
    client: aws_sdk_s3::Client,
    bucket: String,
    deadline: Duration,
}

impl S3LogStore {
    /// The bucket at `endpoint`: in production `Endpoint::Aws`, the function's own account and
    /// region with the credentials of its role; a local S3-compatible server is addressed
    /// path-style. `deadline` bounds one store, retry included.
    pub async fn new(bucket: impl Into<String>, deadline: Duration, endpoint: &Endpoint) -> Self {
        let config = shared::aws::sdk_config(deadline, endpoint).await;
        let local = matches!(endpoint, Endpoint::Local(_));
        let client =
            aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(local).build());
        S3LogStore { client, bucket: bucket.into(), deadline }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// A `PutObject` that only creates; S3's 409 `ConditionalRequestConflict` (another write to
    /// the key in flight) is tried once more, as the S3 API reference for `PutObject` advises.
    async fn put_if_absent(&self, key: &str, record: &[u8], digest: &str) -> Result<Created, StoreError> {
        let mut conflicts = 0;
        loop {
            let sent = self
                .client
                .put_object()
                .bucket(&self.bucket)
                .key(key)
                .if_none_match("*")
                .metadata(DIGEST_METADATA, digest)
                .body(ByteStream::from(record.to_vec()))
                .content_type("application/json")
                .server_side_encryption(ServerSideEncryption::Aes256)
                .send()
                .await;
            let error = match sent {
                Ok(_) => return Ok(Created::New),
                Err(error) => classify(error),
            };
            match error {
                StoreError::Aws(AwsError::Refused { code }) if code == PRECONDITION_FAILED => {
                    return Ok(Created::Exists { same: self.stored_digest(key).await? == digest });
                }
                StoreError::Conflict if conflicts == 0 => conflicts += 1,
                error => return Err(error),
            }
        }
    }

    /// The SHA-256 of the object at `key`: its `x-amz-meta-sha256`, else the hash of its body.
    async fn stored_digest(&self, key: &str) -> Result<String, StoreError> {
        let head = self.client.head_object().bucket(&self.bucket).key(key).send().await.map_err(classify)?;
        if let Some(digest) = head.metadata().and_then(|metadata| metadata.get(DIGEST_METADATA)) {
            return Ok(digest.to_ascii_lowercase());
        }
        let object = self.client.get_object().bucket(&self.bucket).key(key).send().await.map_err(classify)?;
        let body = object.body.collect().await.map_err(|_| AwsError::Network)?.into_bytes();
        Ok(sha256_hex(&body))
    }
}

/// S3's error code for a failed `If-None-Match: *` (HTTP 412): the key exists.
const PRECONDITION_FAILED: &str = "PreconditionFailed";

impl CreateOnly for S3LogStore {
    async fn create(&self, key: &str, record: &[u8], digest: &str) -> Result<Created, StoreError> {
        self.put_if_absent(key, record, digest).await
    }
}

impl LogStore for S3LogStore {
    /// The whole exchange (the put, a `HeadObject` after a 412, a put beside) within the deadline.
    async fn put(&self, key: &str, record: &[u8]) -> Result<Stored, StoreError> {
        tokio::time::timeout(self.deadline, put_once(self, key, record)).await.unwrap_or(Err(AwsError::Timeout.into()))
    }

    fn location(&self) -> String {
        format!("s3://{}", self.bucket)
    }
}

/// An S3 error, read as every AWS error is, with S3's own readings.
fn classify<E: ProvideErrorMetadata>(error: SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> StoreError {
    shared::aws::classify(error)
}

/// The same layout under a local directory: each record is written to a temporary file and
/// hard-linked into place, so a reader never sees half a record and an existing file is never
/// replaced (the link fails if the name exists).
#[derive(Debug)]
pub struct DirLogStore(ObjectDir);

impl DirLogStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DirLogStore(ObjectDir::new(root))
    }

    pub fn root(&self) -> &Path {
        self.0.root()
    }
}

impl CreateOnly for DirLogStore {
    async fn create(&self, key: &str, record: &[u8], digest: &str) -> Result<Created, StoreError> {
        let stored = match self.0.create(key, record).await.map_err(dir_error)? {
            DirCreated::New => return Ok(Created::New),
            DirCreated::Taken => self.0.read(key).await.map_err(dir_error)?,
        };
        Ok(Created::Exists { same: sha256_hex(&stored) == digest })
    }
}

fn dir_error(error: DirError) -> StoreError {
    match error {
        DirError::UnsafeKey => StoreError::Refused { code: "unsafe_key".into() },
        DirError::Io { kind } => StoreError::Io { kind },
    }
}

impl LogStore for DirLogStore {
    async fn put(&self, key: &str, record: &[u8]) -> Result<Stored, StoreError> {
        put_once(self, key, record).await
    }

    fn location(&self) -> String {
        format!("directory {}", self.0.root().display())
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
            Backend::S3 { bucket } => {
                ConfiguredStore::S3(S3LogStore::new(bucket, settings.store_timeout, &Endpoint::Aws).await)
            }
            Backend::Directory { root } => ConfiguredStore::Directory(DirLogStore::new(root)),
        }
    }
}

impl LogStore for ConfiguredStore {
    async fn put(&self, key: &str, record: &[u8]) -> Result<Stored, StoreError> {
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

    fn names_in(directory: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(directory)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[tokio::test]
    async fn the_directory_store_never_replaces_a_record_and_leaves_no_temporary_file() {
        let root = temp_root("no-replace");
        let store = DirLogStore::new(&root);
        let key = "event=a/dt=2025-06-01/x.json";
        let created = store.put(key, b"{\"v\":1}\n").await.unwrap();
        assert_eq!(created, Stored { key: key.into(), outcome: Outcome::Created });
        let again = store.put(key, b"{\"v\":1}\n").await.unwrap();
        assert_eq!(again, Stored { key: key.into(), outcome: Outcome::Redelivery });
        let other = store.put(key, b"{\"v\":2}\n").await.unwrap();
        let beside_key = "event=a/dt=2025-06-01/x.copy-1.json".to_owned();
        assert_eq!(other, Stored { key: beside_key.clone(), outcome: Outcome::KeptBeside });
        let other_again = store.put(key, b"{\"v\":2}\n").await.unwrap();
        assert_eq!(other_again, Stored { key: beside_key.clone(), outcome: Outcome::Redelivery });

        let directory = root.join("event=a/dt=2025-06-01");
        assert_eq!(names_in(&directory), ["x.copy-1.json", "x.json"]);
        assert_eq!(std::fs::read(directory.join("x.json")).unwrap(), b"{\"v\":1}\n", "the first record stays");
        assert_eq!(std::fs::read(root.join(&beside_key)).unwrap(), b"{\"v\":2}\n");

        // Up to MAX_KEPT_BESIDE copies; then nothing more is written under this id.
        for v in 3..=MAX_KEPT_BESIDE + 1 {
            let stored = store.put(key, format!("{{\"v\":{v}}}\n").as_bytes()).await.unwrap();
            assert_eq!(stored.key, format!("event=a/dt=2025-06-01/x.copy-{}.json", v - 1));
        }
        let full = store.put(key, b"{\"v\":99}\n").await;
        assert_eq!(full, Err(StoreError::TooManyCopies));
        assert_eq!(full.unwrap_err().kind(), "too_many_copies");
        assert_eq!(names_in(&directory).len(), 1 + MAX_KEPT_BESIDE);
        let last = format!("{{\"v\":{}}}\n", MAX_KEPT_BESIDE + 1);
        assert_eq!(store.put(key, last.as_bytes()).await.unwrap().outcome, Outcome::Redelivery, "the last copy again");
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

    /// An S3 error answer as the SDK builds it: status, and code (`None`: a HEAD answer's none).
    fn s3_answer(status: u16, code: Option<&str>) -> StoreError {
        let mut meta = aws_smithy_types::error::ErrorMetadata::builder();
        if let Some(code) = code {
            meta = meta.code(code);
        }
        let raw = aws_sdk_s3::config::http::HttpResponse::new(
            status.try_into().expect("a status"),
            aws_smithy_types::body::SdkBody::empty(),
        );
        classify(SdkError::service_error(meta.build(), raw))
    }

    #[test]
    fn s3_s_own_readings() {
        let refused = |code: &str| StoreError::Aws(AwsError::Refused { code: code.into() });
        assert_eq!(s3_answer(412, Some("PreconditionFailed")), refused(PRECONDITION_FAILED));
        assert_eq!(s3_answer(412, None), refused(PRECONDITION_FAILED), "a HEAD answer has no code");
        assert_eq!(s3_answer(409, Some("ConditionalRequestConflict")), StoreError::Conflict);
        assert_eq!(s3_answer(409, Some("OperationAborted")), refused("OperationAborted"));
        assert_eq!(s3_answer(503, Some("SlowDown")).kind(), "throttled");
        assert_eq!(s3_answer(503, None).kind(), "throttled");
        assert_eq!(s3_answer(403, None), refused("unknown"));
        assert_eq!(s3_answer(403, Some("AccessDenied")), refused("AccessDenied"));
        assert_eq!(s3_answer(500, Some("InternalError")).kind(), "service_error");
        assert_eq!(s3_answer(500, None).kind(), "service_error");
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
