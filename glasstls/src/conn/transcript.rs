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
}

impl Transcript {
    pub fn new() -> Self {
        Self {
            buffer: Vec::new(),
            context: None,
        }
    }

    /// A transcript that hashes with `hash` from the start.
    pub fn with_hash(hash: Hash) -> Self {
        let mut t = Self::new();
        t.start_hash(hash);
        t
    }

    pub fn add(&mut self, bytes: &[u8]) {
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
