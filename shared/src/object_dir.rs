//! A local directory laid out like a bucket, for local runs of the webhooks that store objects
//! (log, audio): each object is written to a temporary file and hard-linked into place, so a
//! reader never sees half an object and no file is ever replaced, as with S3's
//! `If-None-Match: *`.

use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Why an object was not written. Codes only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirError {
    /// Not a plain relative path (keys are sanitised already; this refuses anything else).
    #[error("the store refused the key")]
    UnsafeKey,
    #[error("file system error: {kind}")]
    Io { kind: String },
}

impl From<std::io::Error> for DirError {
    fn from(error: std::io::Error) -> Self {
        DirError::Io { kind: error.kind().to_string() }
    }
}

/// Whether `create` wrote the object, or found its key taken (by this object or another).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirCreated {
    New,
    Taken,
}

#[derive(Debug)]
pub struct ObjectDir {
    root: PathBuf,
    counter: AtomicU64,
}

impl ObjectDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        ObjectDir { root: root.into(), counter: AtomicU64::new(0) }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file for `key`: plain relative segments only.
    pub fn path_of(&self, key: &str) -> Result<PathBuf, DirError> {
        let relative = Path::new(key);
        let plain = !key.is_empty() && relative.components().all(|part| matches!(part, Component::Normal(_)));
        if plain { Ok(self.root.join(relative)) } else { Err(DirError::UnsafeKey) }
    }

    /// Writes `body` under `key` unless a file is there already.
    pub async fn create(&self, key: &str, body: &[u8]) -> Result<DirCreated, DirError> {
        let path = self.path_of(key)?;
        let (Some(directory), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(DirError::UnsafeKey);
        };
        tokio::fs::create_dir_all(directory).await?;
        let serial = self.counter.fetch_add(1, Ordering::Relaxed);
        let temporary = directory.join(format!(".{}.{}-{serial}.tmp", name.to_string_lossy(), std::process::id()));
        let linked = match tokio::fs::write(&temporary, body).await {
            Ok(()) => tokio::fs::hard_link(&temporary, &path).await,
            Err(error) => Err(error),
        };
        let _ = tokio::fs::remove_file(&temporary).await;
        match linked {
            Ok(()) => Ok(DirCreated::New),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(DirCreated::Taken),
            Err(error) => Err(error.into()),
        }
    }

    /// The stored object under `key`.
    pub async fn read(&self, key: &str) -> Result<Vec<u8>, DirError> {
        Ok(tokio::fs::read(self.path_of(key)?).await?)
    }
}
