//! Deframing (RFC 5246 §6.2.1): whole records out of a byte stream, in a bounded buffer.

use super::{HEADER_LEN, INPUT_BUFFER_LIMIT, MAX_CIPHERTEXT, MAX_PLAINTEXT};
use crate::error::{Error, PeerIncompatible, UnexpectedMessage};
use crate::wire::{ContentType, ProtocolVersion};

/// A record found in the input buffer: its header, and where its payload lies.
#[derive(Clone, Copy, Debug)]
pub struct RecordHeader {
    /// The record's content type.
    pub typ: ContentType,
    /// Where its payload starts in the deframer's buffer.
    pub start: usize,
    /// The payload's length.
    pub len: usize,
}

/// Accumulates bytes from the transport and yields whole records. Holds at most
/// [`INPUT_BUFFER_LIMIT`] bytes, so a peer cannot make it grow.
#[derive(Default)]
pub struct Deframer {
    buf: Vec<u8>,
    /// Bytes before `used` belong to records already processed.
    used: usize,
}

impl Deframer {
    /// Takes as many bytes as fit; returns how many were taken.
    pub fn read(&mut self, data: &[u8]) -> usize {
        if self.used > 0 {
            self.buf.drain(..self.used);
            self.used = 0;
        }
        let room = INPUT_BUFFER_LIMIT.saturating_sub(self.buf.len());
        let take = room.min(data.len());
        self.buf
            .extend_from_slice(data.get(..take).unwrap_or_default());
        take
    }

    /// Bytes waiting in the buffer.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.used
    }

    /// The buffer's capacity (for tests of the space given back).
    #[cfg(test)]
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Frees the buffer if no bytes are waiting in it.
    pub fn release_if_empty(&mut self) {
        if self.buffered() == 0 {
            self.buf = Vec::new();
            self.used = 0;
        }
    }

    /// The next whole record, if one has arrived. `encrypted` raises the allowed length.
    pub fn next_record(&mut self, encrypted: bool) -> Result<Option<RecordHeader>, Error> {
        let avail = self.buf.get(self.used..).unwrap_or_default();
        let Some(&[typ, major, minor, len_hi, len_lo]) = avail.first_chunk::<HEADER_LEN>() else {
            return Ok(None);
        };
        let typ = ContentType(typ);
        let version = ProtocolVersion(u16::from_be_bytes([major, minor]));
        let len = usize::from(u16::from_be_bytes([len_hi, len_lo]));
        // Check what we can before the whole record arrives, so that garbage is refused at once
        // rather than after waiting for up to 64 KiB.
        if !matches!(
            typ,
            ContentType::ChangeCipherSpec
                | ContentType::Alert
                | ContentType::Handshake
                | ContentType::ApplicationData
        ) {
            return Err(UnexpectedMessage::UnknownRecordType(typ).into());
        }
        if major != 3 {
            return Err(PeerIncompatible::RecordVersion(version).into());
        }
        let limit = if encrypted {
            MAX_CIPHERTEXT
        } else {
            MAX_PLAINTEXT
        };
        if len > limit {
            return Err(Error::RecordOverflow);
        }
        if avail.len() < HEADER_LEN + len {
            return Ok(None);
        }
        let start = self.used + HEADER_LEN;
        self.used += HEADER_LEN + len;
        Ok(Some(RecordHeader { typ, start, len }))
    }

    /// The payload of a record `next_record` returned.
    pub fn payload_mut(&mut self, rec: &RecordHeader) -> &mut [u8] {
        self.buf
            .get_mut(rec.start..rec.start + rec.len)
            .unwrap_or_default()
    }
}
