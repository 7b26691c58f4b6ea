//! Sessions sealed at rest: a store wrapper that encrypts each record's data before the store
//! sees it, so whatever a session holds (Keystone tokens today, anything secret tomorrow) is
//! never written in the clear.
//!
//! XChaCha20-Poly1305 (RustCrypto's `chacha20poly1305`): authenticated, so a record altered in
//! the store does not open; its 192-bit nonces can be drawn at random for every write, by every
//! replica sharing the key, without any risk of a repeat (AES-GCM's 96-bit random nonces have a
//! birthday bound a busy deployment could approach); and it is constant-time in software.
//! The record's id is authenticated with it, so a sealed record copied under another session
//! id does not open either. Only the id and the expiry stay readable: the store needs them.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{Aead, Generate, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// The one field of a sealed record: base64 of nonce ‖ ciphertext ‖ tag.
const SEALED: &str = "sealed";
const NONCE_LEN: usize = 24;

/// The key sessions are sealed with: 32 bytes, written as base64.
#[derive(Clone)]
pub struct SessionKey([u8; 32]);

#[derive(Debug, thiserror::Error)]
#[error(
    "session_key must be 32 random bytes written as base64 (generate one with `openssl rand -base64 32`)"
)]
pub struct BadKey;

impl SessionKey {
    pub fn parse(text: &str) -> Result<Self, BadKey> {
        let bytes = BASE64.decode(text.trim()).map_err(|_| BadKey)?;
        Ok(Self(bytes.try_into().map_err(|_| BadKey)?))
    }

    /// A fresh random key (for tests and tools), and its base64 form.
    pub fn generate() -> (Self, String) {
        let bytes: [u8; 32] = rand::random();
        (Self(bytes), BASE64.encode(bytes))
    }
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKey(<redacted>)")
    }
}

/// `S`, with every record sealed on the way in and opened on the way out.
#[derive(Clone)]
pub struct Sealed<S> {
    inner: S,
    cipher: Arc<XChaCha20Poly1305>,
}

impl<S: fmt::Debug> fmt::Debug for Sealed<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealed")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S> Sealed<S> {
    pub fn new(inner: S, key: &SessionKey) -> Self {
        Self {
            inner,
            cipher: Arc::new(XChaCha20Poly1305::new(&key.0.into())),
        }
    }

    fn seal(&self, record: &Record) -> session_store::Result<Record> {
        let plain = serde_json::to_vec(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let nonce = XNonce::generate();
        let id = record.id.to_string();
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: &plain,
                    aad: id.as_bytes(),
                },
            )
            .map_err(|_| session_store::Error::Encode("cannot seal a session".into()))?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        Ok(Record {
            id: record.id,
            data: HashMap::from([(SEALED.to_owned(), BASE64.encode(blob).into())]),
            expiry_date: record.expiry_date,
        })
    }

    /// The record as it was before sealing; `None` when it does not open (sealed under another
    /// key, altered, or never sealed): to its user, a session that has ended.
    fn open(&self, record: Record) -> Option<Record> {
        let blob = BASE64.decode(record.data.get(SEALED)?.as_str()?).ok()?;
        if blob.len() < NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = blob.split_at(NONCE_LEN);
        let id = record.id.to_string();
        let plain = self
            .cipher
            .decrypt(
                &XNonce::try_from(nonce).ok()?,
                Payload {
                    msg: sealed,
                    aad: id.as_bytes(),
                },
            )
            .ok()?;
        Some(Record {
            data: serde_json::from_slice(&plain).ok()?,
            ..record
        })
    }
}

#[async_trait]
impl<S: SessionStore> SessionStore for Sealed<S> {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let mut sealed = self.seal(record)?;
        self.inner.create(&mut sealed).await?;
        if sealed.id != record.id {
            // The store picked another id (a collision): the seal is bound to the id, so redo it.
            record.id = sealed.id;
            self.inner.save(&self.seal(record)?).await?;
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.inner.save(&self.seal(record)?).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some(record) = self.inner.load(id).await? else {
            return Ok(None);
        };
        let opened = self.open(record);
        if opened.is_none() {
            tracing::warn!(
                "a stored session does not open with this session_key (another key, or altered); it is treated as ended"
            );
        }
        Ok(opened)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.inner.delete(id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session_store::memory::MemoryStore;

    fn record() -> Record {
        Record {
            id: Id::default(),
            data: HashMap::from([("glimpse.user".into(), "gAAAAAsecret-token".into())]),
            expiry_date: time::OffsetDateTime::now_utc() + time::Duration::minutes(5),
        }
    }

    #[tokio::test]
    async fn records_are_sealed_in_the_store_and_open_with_the_key_only() {
        let raw = MemoryStore::default();
        let (key, _) = SessionKey::generate();
        let sealed = Sealed::new(raw.clone(), &key);
        let mut r = record();
        sealed.create(&mut r).await.unwrap();

        let stored = raw.load(&r.id).await.unwrap().unwrap();
        let text = serde_json::to_string(&stored.data).unwrap();
        assert!(!text.contains("gAAAAA"), "{text}");
        assert_eq!(stored.expiry_date, r.expiry_date);
        assert_eq!(sealed.load(&r.id).await.unwrap().unwrap().data, r.data);

        let (other, _) = SessionKey::generate();
        assert!(
            Sealed::new(raw.clone(), &other)
                .load(&r.id)
                .await
                .unwrap()
                .is_none()
        );

        // Moved under another id, it does not open.
        let moved = Record {
            id: Id::default(),
            ..stored
        };
        raw.save(&moved).await.unwrap();
        assert!(sealed.load(&moved.id).await.unwrap().is_none());
    }

    #[test]
    fn keys_are_32_bytes_of_base64() {
        let (_, text) = SessionKey::generate();
        assert!(SessionKey::parse(&text).is_ok());
        assert!(SessionKey::parse("c2hvcnQ=").is_err());
        assert!(SessionKey::parse("not base64!").is_err());
        assert!(!format!("{:?}", SessionKey::parse(&text).unwrap()).contains(&text));
    }
}
