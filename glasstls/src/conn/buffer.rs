//! A byte queue that keeps its initialised high-water mark, for the two buffers a connection
//! fills at line rate: the TLS bytes waiting for the transport and the plaintext waiting for
//! the application.
//!
//! The queue holds `buf[start..end]`. When it empties, `buf` keeps its length (bytes already
//! initialised), so sealing or opening the next record into it needs neither an allocation nor
//! the zero-fill that safe Rust otherwise does before handing out fresh space. Only growth past
//! the high-water mark initialises new bytes.

use crate::error::Error;
use crate::record::Sink;

#[derive(Default)]
pub(crate) struct Buffer {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl Buffer {
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    pub fn as_slice(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or_default()
    }

    /// Keeps the first `len` bytes queued and drops what was appended after them.
    pub fn truncate(&mut self, len: usize) {
        self.end = self.start + len.min(self.len());
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    pub fn consume(&mut self, n: usize) {
        self.start += n.min(self.len());
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// `n` writable bytes after the data, for `commit` to claim what is used of them. Their
    /// contents are whatever was there before.
    pub fn spare(&mut self, n: usize) -> &mut [u8] {
        if self.buf.len() < self.end + n && self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() < self.end + n {
            self.buf.resize(self.end + n, 0);
        }
        self.buf.get_mut(self.end..self.end + n).unwrap_or_default()
    }

    pub fn commit(&mut self, n: usize) {
        self.end = (self.end + n).min(self.buf.len());
    }

    pub fn extend_from_slice(&mut self, data: &[u8]) {
        self.spare(data.len()).copy_from_slice(data);
        self.commit(data.len());
    }

    /// The queued bytes as an owned vector, leaving the queue empty. Without a copy when the
    /// queue starts at the front of its buffer, which then goes with them.
    pub fn take(&mut self) -> Vec<u8> {
        let taken = if self.start == 0 {
            let mut all = std::mem::take(&mut self.buf);
            all.truncate(self.end);
            all
        } else {
            self.as_slice().to_vec()
        };
        self.consume(self.len());
        taken
    }

    #[cfg(test)]
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Frees the buffer if nothing is queued (a connection going idle, or a one-off
    /// handshake flight that made it large).
    pub fn release_if_empty(&mut self) {
        if self.is_empty() {
            self.buf = Vec::new();
        }
    }
}

impl Sink for Buffer {
    fn append(
        &mut self,
        n: usize,
        fill: impl FnOnce(&mut [u8]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        fill(self.spare(n))?;
        self.commit(n);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_its_bytes_in_order_across_partial_consumes_and_growth() {
        let mut b = Buffer::default();
        b.extend_from_slice(b"hello ");
        b.consume(2);
        b.extend_from_slice(b"world");
        assert_eq!(b.as_slice(), b"llo world");
        // Growth past the end moves the data to the front first.
        b.extend_from_slice(&[b'!'; 40]);
        assert_eq!(b.len(), 49);
        assert!(b.as_slice().starts_with(b"llo world!!"));
        b.consume(100);
        assert!(b.is_empty());
    }

    #[test]
    fn a_failed_append_leaves_nothing_queued() {
        let mut b = Buffer::default();
        b.extend_from_slice(b"kept");
        let err = b.append(8, |space| {
            space.fill(1);
            Err(Error::Internal(crate::error::InternalError::RecordLayout))
        });
        assert!(err.is_err());
        assert_eq!(b.as_slice(), b"kept");
    }

    #[test]
    fn take_hands_over_exactly_the_queued_bytes() {
        let mut b = Buffer::default();
        b.extend_from_slice(b"0123456789");
        assert_eq!(b.take(), b"0123456789");
        assert!(b.is_empty());
        b.extend_from_slice(b"abcdef");
        b.consume(3);
        assert_eq!(b.take(), b"def");
        assert!(b.is_empty());
        b.extend_from_slice(b"x");
        assert_eq!(b.as_slice(), b"x");
    }

    #[test]
    fn released_only_when_empty() {
        let mut b = Buffer::default();
        b.extend_from_slice(b"pending");
        b.release_if_empty();
        assert_eq!(b.as_slice(), b"pending");
        b.consume(7);
        b.release_if_empty();
        assert_eq!(b.capacity(), 0);
    }
}
