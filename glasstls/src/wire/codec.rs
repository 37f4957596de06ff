//! `Reader`, a cursor over peer bytes that cannot panic, and the `Codec` trait every wire type
//! implements. Decoding rejects truncated input and, through `Codec::from_bytes` and
//! `Reader::expect_empty`, trailing bytes.

use std::fmt;

/// Why bytes from the peer did not decode. The alert it leads to is chosen in
/// [`crate::Error::alert`], not here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InvalidMessage {
    /// The input ended inside the named structure.
    Truncated(&'static str),
    /// The named structure was followed by bytes that belong to nothing.
    TrailingBytes(&'static str),
    /// A vector that must hold at least one element was empty, or had a length that is not a
    /// multiple of its element size.
    BadLength(&'static str),
    /// A field held a value the protocol forbids there (RFC: illegal_parameter).
    IllegalValue(&'static str),
    /// The same extension appeared twice in one block.
    DuplicateExtension(u16),
    /// A declared length exceeded what we are willing to buffer.
    TooLarge(&'static str),
}

impl fmt::Display for InvalidMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated(what) => write!(f, "{what} is truncated"),
            Self::TrailingBytes(what) => write!(f, "{what} has trailing bytes"),
            Self::BadLength(what) => write!(f, "{what} has an invalid length"),
            Self::IllegalValue(what) => write!(f, "{what} holds an illegal value"),
            Self::DuplicateExtension(typ) => write!(f, "extension {typ:#06x} appears twice"),
            Self::TooLarge(what) => write!(f, "{what} is larger than allowed"),
        }
    }
}

/// A cursor over a byte slice. Every read checks the remaining length first.
#[derive(Clone, Copy, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    /// The next `n` bytes (`what` names them in the error).
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], InvalidMessage> {
        if self.buf.len() < n {
            return Err(InvalidMessage::Truncated(what));
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    /// The next byte.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, InvalidMessage> {
        let [b] = self.array(what)?;
        Ok(b)
    }

    /// The next big-endian u16.
    pub fn u16(&mut self, what: &'static str) -> Result<u16, InvalidMessage> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    /// The next big-endian 24-bit integer.
    pub fn u24(&mut self, what: &'static str) -> Result<u32, InvalidMessage> {
        let [a, b, c] = self.array(what)?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    /// The next big-endian u32.
    pub fn u32(&mut self, what: &'static str) -> Result<u32, InvalidMessage> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    /// The next `N` bytes.
    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], InvalidMessage> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    /// Reads a length of `prefix` bytes, then a sub-reader over exactly that many bytes.
    pub fn sub(
        &mut self,
        prefix: LengthPrefix,
        what: &'static str,
    ) -> Result<Self, InvalidMessage> {
        let len = match prefix {
            LengthPrefix::U8 => usize::from(self.u8(what)?),
            LengthPrefix::U16 => usize::from(self.u16(what)?),
            LengthPrefix::U24 => self.u24(what)? as usize,
        };
        Ok(Self::new(self.take(len, what)?))
    }

    /// A length-prefixed opaque vector.
    pub fn vec(
        &mut self,
        prefix: LengthPrefix,
        what: &'static str,
    ) -> Result<Vec<u8>, InvalidMessage> {
        Ok(self.sub(prefix, what)?.rest().to_vec())
    }

    /// Everything left.
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.buf)
    }

    /// Whether everything was read.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// An error naming `what` if bytes are left.
    pub fn expect_empty(&self, what: &'static str) -> Result<(), InvalidMessage> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(InvalidMessage::TrailingBytes(what))
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// The width of a vector's length prefix.
pub enum LengthPrefix {
    /// One byte: `<0..2^8-1>`.
    U8,
    /// Two bytes: `<0..2^16-1>`.
    U16,
    /// Three bytes: `<0..2^24-1>`.
    U24,
}

/// Encoding to and decoding from the wire.
pub trait Codec: Sized {
    /// Appends the wire form to `out`.
    fn encode(&self, out: &mut Vec<u8>);
    /// Reads one value from `r`.
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage>;

    /// Decodes `bytes` as exactly one value: trailing bytes are an error.
    fn from_bytes(bytes: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(bytes);
        let value = Self::read(&mut r)?;
        r.expect_empty(std::any::type_name::<Self>())?;
        Ok(value)
    }

    /// The wire form.
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

impl Codec for u8 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        r.u8("u8")
    }
}

impl Codec for u16 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        r.u16("u16")
    }
}

/// Writes a length prefix, lets `body` append, then patches the length in place.
/// The caller guarantees the body fits the prefix (all our vectors are bounded by construction).
pub fn put_prefixed(out: &mut Vec<u8>, prefix: LengthPrefix, body: impl FnOnce(&mut Vec<u8>)) {
    let width = match prefix {
        LengthPrefix::U8 => 1,
        LengthPrefix::U16 => 2,
        LengthPrefix::U24 => 3,
    };
    let at = out.len();
    out.resize(at + width, 0);
    body(out);
    let len = out.len() - at - width;
    let bytes = (len as u32).to_be_bytes();
    if let (Some(dst), Some(src)) = (out.get_mut(at..at + width), bytes.get(4 - width..)) {
        dst.copy_from_slice(src);
    }
}

/// Appends `bytes` with a length prefix.
pub fn put_vec(out: &mut Vec<u8>, prefix: LengthPrefix, bytes: &[u8]) {
    put_prefixed(out, prefix, |out| out.extend_from_slice(bytes));
}

/// Reads a length-prefixed list of `T`, rejecting an empty list when `non_empty`.
pub fn read_list<T: Codec>(
    r: &mut Reader<'_>,
    prefix: LengthPrefix,
    non_empty: bool,
    what: &'static str,
) -> Result<Vec<T>, InvalidMessage> {
    let mut sub = r.sub(prefix, what)?;
    let mut items = Vec::new();
    while !sub.is_empty() {
        items.push(T::read(&mut sub).map_err(|e| match e {
            InvalidMessage::Truncated(_) => InvalidMessage::BadLength(what),
            other => other,
        })?);
    }
    if non_empty && items.is_empty() {
        return Err(InvalidMessage::BadLength(what));
    }
    Ok(items)
}

/// Appends `items` with a length prefix.
pub fn put_list<T: Codec>(out: &mut Vec<u8>, prefix: LengthPrefix, items: &[T]) {
    put_prefixed(out, prefix, |out| items.iter().for_each(|i| i.encode(out)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_reports_truncation_instead_of_panicking() {
        let mut r = Reader::new(&[1, 2]);
        assert_eq!(r.u24("x"), Err(InvalidMessage::Truncated("x")));
        assert_eq!(r.u16("y"), Ok(0x0102));
        assert!(r.is_empty());
    }

    #[test]
    fn sub_reader_length_beyond_input_is_truncation() {
        let mut r = Reader::new(&[0, 5, 1, 2]);
        assert!(matches!(
            r.sub(LengthPrefix::U16, "v"),
            Err(InvalidMessage::Truncated("v"))
        ));
    }

    #[test]
    fn prefixed_lengths_are_patched() {
        let mut out = vec![];
        put_prefixed(&mut out, LengthPrefix::U24, |o| {
            o.extend_from_slice(&[9; 300])
        });
        assert_eq!(&out[..3], &[0, 1, 44]);
        assert_eq!(out.len(), 303);
    }

    #[test]
    fn odd_length_u16_list_is_rejected() {
        let mut r = Reader::new(&[0, 3, 0, 1, 2]);
        assert_eq!(
            read_list::<u16>(&mut r, LengthPrefix::U16, true, "l"),
            Err(InvalidMessage::BadLength("l"))
        );
    }
}
