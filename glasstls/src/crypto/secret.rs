//! Holders of secret bytes: zeroized when dropped, never printed.

use zeroize::{Zeroize, Zeroizing};

/// The longest output of a key schedule: a SHA-384 secret. Keys (at most 32 bytes) and IVs
/// (12) fit too.
pub const MAX_SECRET: usize = 48;

/// A secret, key or IV of the key schedule: held inline (a handshake derives some thirty of
/// them, none of which needs the heap) and zeroized when dropped.
#[derive(Clone)]
pub struct Secret {
    bytes: [u8; MAX_SECRET],
    len: usize,
}

impl Secret {
    /// `len` zero bytes (at most `MAX_SECRET`), to be filled in place.
    pub fn zeroed(len: usize) -> Self {
        Self {
            bytes: [0; MAX_SECRET],
            len: len.min(MAX_SECRET),
        }
    }

    /// The first `MAX_SECRET` bytes of `bytes` (every caller gives fewer).
    pub fn new(bytes: &[u8]) -> Self {
        let mut secret = Self {
            bytes: [0; MAX_SECRET],
            len: bytes.len().min(MAX_SECRET),
        };
        secret
            .bytes
            .iter_mut()
            .zip(bytes)
            .for_each(|(dst, src)| *dst = *src);
        secret
    }
}

impl std::ops::Deref for Secret {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

impl std::ops::DerefMut for Secret {
    fn deref_mut(&mut self) -> &mut [u8] {
        self.bytes.get_mut(..self.len).unwrap_or_default()
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({} bytes)", self.len)
    }
}

/// The 48-byte master secret. Zeroized when dropped.
#[derive(Clone)]
pub struct MasterSecret(pub(crate) Zeroizing<[u8; 48]>);

impl MasterSecret {
    /// The secret's bytes.
    pub fn as_bytes(&self) -> &[u8; 48] {
        &self.0
    }

    /// A master secret from its bytes (a saved session).
    pub fn from_bytes(bytes: [u8; 48]) -> Self {
        Self(Zeroizing::new(bytes))
    }
}

impl std::fmt::Debug for MasterSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterSecret(..)")
    }
}
