//! Where each field of a handshake message lies in its raw bytes, for renderings that point at
//! them (the HTML page highlights a field's bytes in the message's hex). A walk over the wire
//! layout only: the message was already decoded (and any error reported) by the codec, so a
//! layout that does not fit simply ends the walk.

use crate::trace::FieldId;
use crate::wire::{ExtensionType, HandshakeType};

/// One field's bytes: `raw[start..end]` of the message (its 4-byte header included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// The field's identifier, as [`FieldId::id`] names it (`random`, `key_share`, …), or
    /// `header` for the message type and length.
    pub id: String,
    /// The first byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// The spans of `raw`, a whole handshake message of type `typ`: its header, then field by
/// field (RFC 8446 §4.1.2, §4.1.3; RFC 5246 §7.4.1.2, §7.4.1.3), one span per extension, for
/// ClientHello, ServerHello (and HelloRetryRequest) and EncryptedExtensions; for other messages
/// the body as one span.
pub fn field_spans(typ: HandshakeType, raw: &[u8]) -> Vec<Span> {
    let mut walk = Walk {
        raw,
        at: 0,
        spans: Vec::new(),
    };
    if walk.take("header", 4).is_none() {
        return walk.spans;
    }
    let _ = match typ {
        HandshakeType::ClientHello => walk.client_hello(),
        HandshakeType::ServerHello => walk.server_hello(),
        HandshakeType::EncryptedExtensions => walk.extensions(),
        _ => walk.take("body", raw.len().saturating_sub(4)),
    };
    walk.spans
}

struct Walk<'a> {
    raw: &'a [u8],
    at: usize,
    spans: Vec<Span>,
}

impl Walk<'_> {
    /// `len` bytes as the span `id`; `None` when they are not there.
    fn take(&mut self, id: &str, len: usize) -> Option<()> {
        let end = self.at.checked_add(len)?;
        if end > self.raw.len() {
            return None;
        }
        self.spans.push(Span {
            id: id.to_string(),
            start: self.at,
            end,
        });
        self.at = end;
        Some(())
    }

    /// A length-prefixed vector (prefix of `prefix` bytes) as one span, prefix included.
    fn vector(&mut self, id: &str, prefix: usize) -> Option<()> {
        let len = self.number(self.at, prefix)?;
        self.take(id, prefix.checked_add(len)?)
    }

    fn number(&self, at: usize, width: usize) -> Option<usize> {
        let bytes = self.raw.get(at..at.checked_add(width)?)?;
        Some(bytes.iter().fold(0, |n, b| (n << 8) | usize::from(*b)))
    }

    fn client_hello(&mut self) -> Option<()> {
        self.take(&FieldId::ClientVersion.id(), 2)?;
        self.take(&FieldId::Random.id(), 32)?;
        self.vector(&FieldId::SessionId.id(), 1)?;
        self.vector(&FieldId::CipherSuites.id(), 2)?;
        self.vector(&FieldId::CompressionMethods.id(), 1)?;
        self.extensions()
    }

    fn server_hello(&mut self) -> Option<()> {
        self.take(&FieldId::ServerVersion.id(), 2)?;
        self.take(&FieldId::Random.id(), 32)?;
        self.vector(&FieldId::SessionId.id(), 1)?;
        self.take(&FieldId::CipherSuite.id(), 2)?;
        self.take(&FieldId::CompressionMethod.id(), 1)?;
        self.extensions()
    }

    /// The extensions block: its length, then each extension (type, length, body) as one span.
    fn extensions(&mut self) -> Option<()> {
        if self.at == self.raw.len() {
            return Some(());
        }
        let total = self.number(self.at, 2)?;
        self.take("extensions_length", 2)?;
        let end = self.at.checked_add(total)?;
        while self.at < end {
            let typ = ExtensionType(u16::try_from(self.number(self.at, 2)?).ok()?);
            let len = self.number(self.at.checked_add(2)?, 2)?;
            self.take(&FieldId::Extension(typ).id(), len.checked_add(4)?)?;
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_hello_is_cut_field_by_field() {
        // header, version, random, empty session ID, suite, compression, extensions (one:
        // supported_versions = TLS 1.3).
        let mut raw = vec![2, 0, 0, 46, 3, 3];
        raw.extend([7u8; 32]);
        raw.extend([0, 0x13, 0x01, 0, 0, 6, 0, 43, 0, 2, 3, 4]);
        let spans = field_spans(HandshakeType::ServerHello, &raw);
        let ids: Vec<_> = spans
            .iter()
            .map(|s| (s.id.as_str(), s.start, s.end))
            .collect();
        assert_eq!(
            ids,
            [
                ("header", 0, 4),
                ("server_version", 4, 6),
                ("random", 6, 38),
                ("session_id", 38, 39),
                ("cipher_suite", 39, 41),
                ("compression_method", 41, 42),
                ("extensions_length", 42, 44),
                ("supported_versions", 44, 50),
            ]
        );
    }

    #[test]
    fn a_truncated_message_ends_the_walk_without_panicking() {
        let raw = [1, 0, 0, 200, 3, 3, 1, 2];
        let spans = field_spans(HandshakeType::ClientHello, &raw);
        assert_eq!(spans.len(), 2);
        for cut in 0..raw.len() {
            let _ = field_spans(HandshakeType::ClientHello, &raw[..cut]);
        }
    }
}
