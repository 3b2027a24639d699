//! The file storage interface and its local-disk implementation. Uploads are first written to
//! a staging file; [`FileStorage::put`] then moves the finished file under its key, so a crash
//! never leaves half a file under a real key.

use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use futures_util::future::BoxFuture;
use tokio::io::AsyncRead;

/// A stored file opened for reading, with its length.
pub struct StoredFile {
    pub reader: Pin<Box<dyn AsyncRead + Send>>,
    pub len: u64,
}

/// Where uploaded bytes live. Keys are chosen by livedesk (never by users): letters, digits,
/// `-`, `_` and `/` between parts.
pub trait FileStorage: Send + Sync {
    /// A fresh path to write an upload to before it is `put`; on the same file system as the
    /// stored files, so putting it is a rename.
    fn staging_path(&self) -> PathBuf;

    /// Moves the finished staging file `staged` under `key`.
    fn put<'a>(&'a self, key: &'a str, staged: &'a Path) -> BoxFuture<'a, io::Result<()>>;

    /// Opens the file under `key` (`NotFound` when there is none).
    fn open<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<StoredFile>>;

    /// Removes the file under `key`; a missing file is not an error.
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<()>>;
}

/// Files under one folder: `<root>/<key>`, staging files in `<root>/.staging`.
pub struct LocalDisk {
    root: PathBuf,
}

impl LocalDisk {
    /// Creates the folders and clears staging files a crash may have left behind.
    pub fn open(root: PathBuf) -> io::Result<Self> {
        let staging = root.join(".staging");
        if staging.exists() {
            std::fs::remove_dir_all(&staging)?;
        }
        std::fs::create_dir_all(&staging)?;
        Ok(Self { root })
    }

    fn path_of(&self, key: &str) -> io::Result<PathBuf> {
        let valid = !key.is_empty()
            && key.split('/').all(|part| {
                !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
        if !valid {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "invalid storage key"));
        }
        Ok(self.root.join(key))
    }
}

impl FileStorage for LocalDisk {
    fn staging_path(&self) -> PathBuf {
        self.root.join(".staging").join(uuid::Uuid::new_v4().simple().to_string())
    }

    fn put<'a>(&'a self, key: &'a str, staged: &'a Path) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            let target = self.path_of(key)?;
            if let Some(parent) = target.parent() {
                tokio::fs::create_dir_all(parent).await?;
            }
            // The bytes reach the disk before the name does: after a crash a key holds the
            // whole file or nothing.
            let file = tokio::fs::File::open(staged).await?;
            file.sync_all().await?;
            tokio::fs::rename(staged, &target).await
        })
    }

    fn open<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<StoredFile>> {
        Box::pin(async move {
            let file = tokio::fs::File::open(self.path_of(key)?).await?;
            let len = file.metadata().await?.len();
            Ok(StoredFile { reader: Box::pin(file), len })
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            match tokio::fs::remove_file(self.path_of(key)?).await {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn puts_opens_and_deletes_by_key() {
        let root = std::env::temp_dir().join(format!("livedesk-storage-{}", uuid::Uuid::new_v4().simple()));
        let disk = LocalDisk::open(root.clone()).unwrap();
        let staged = disk.staging_path();
        tokio::fs::write(&staged, b"hello").await.unwrap();
        disk.put("7/abc", &staged).await.unwrap();
        assert!(!staged.exists());
        let mut stored = disk.open("7/abc").await.unwrap();
        let mut text = String::new();
        stored.reader.read_to_string(&mut text).await.unwrap();
        assert_eq!((text.as_str(), stored.len), ("hello", 5));
        disk.delete("7/abc").await.unwrap();
        disk.delete("7/abc").await.unwrap();
        assert!(disk.open("7/abc").await.is_err());
        assert!(disk.open("../etc/passwd").await.is_err());
        std::fs::remove_dir_all(root).unwrap();
    }
}
