//! The handshake transcript (RFC 5246 §7.4.9 handshake_messages, RFC 8446 §4.4.1).

use crate::crypto::Hash;
use crate::error::{Error, InternalError};
use aws_lc_rs::digest;

/// The running hash of handshake messages. Until the suite (and so the hash) is known, messages
/// are buffered; after that each is hashed once, as it passes.
#[derive(Clone)]
pub(crate) struct Transcript {
    buffer: Vec<u8>,
    context: Option<digest::Context>,
    /// Every message, kept when a TLS 1.2 CertificateVerify may have to sign or check them
    /// (RFC 5246 §7.4.8 signs handshake_messages themselves, hashed by the signature scheme,
    /// which need not be the PRF's hash).
    messages: Option<Vec<u8>>,
}

impl Transcript {
    pub fn new() -> Self {
        Self {
            buffer: Vec::new(),
            context: None,
            messages: None,
        }
    }

    /// A transcript that hashes with `hash` from the start.
    pub fn with_hash(hash: Hash) -> Self {
        let mut t = Self::new();
        t.start_hash(hash);
        t
    }

    /// Keeps every message from now on (and those buffered so far), for [`Self::messages`].
    pub fn keep_messages(&mut self) {
        if self.messages.is_none() {
            self.messages = Some(self.buffer.clone());
        }
    }

    /// Stops keeping messages (TLS 1.3 signs the transcript hash, not the messages).
    pub fn forget_messages(&mut self) {
        self.messages = None;
    }

    /// Every message added since [`Self::keep_messages`] was called at the start.
    pub fn messages(&self) -> Option<&[u8]> {
        self.messages.as_deref()
    }

    pub fn add(&mut self, bytes: &[u8]) {
        if let Some(messages) = &mut self.messages {
            messages.extend_from_slice(bytes);
        }
        match &mut self.context {
            Some(ctx) => ctx.update(bytes),
            None => self.buffer.extend_from_slice(bytes),
        }
    }

    pub fn start_hash(&mut self, hash: Hash) {
        let mut ctx = digest::Context::new(hash.digest());
        ctx.update(&self.buffer);
        self.buffer = Vec::new();
        self.context = Some(ctx);
    }

    /// The hash of everything added so far. Before `start_hash` this is an internal error.
    pub fn current_hash(&self) -> Result<digest::Digest, Error> {
        Ok(self
            .context
            .as_ref()
            .ok_or(Error::Internal(InternalError::TranscriptNotStarted))?
            .clone()
            .finish())
    }
}
