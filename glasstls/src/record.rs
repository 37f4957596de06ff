//! The record layer (RFC 5246 §6.2): deframing records from a byte stream, fragmenting output at
//! 2^14 bytes, and TLS 1.2 AEAD record protection (RFC 5246 §6.2.3.3, RFC 5288 §3, RFC 7905 §2).

use crate::crypto::Aead;
use crate::error::Error;
use crate::wire::{ContentType, ProtocolVersion};
use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey};

pub const HEADER_LEN: usize = 5;
/// RFC 5246 §6.2.1: "The length MUST NOT exceed 2^14."
pub const MAX_PLAINTEXT: usize = 1 << 14;
/// RFC 5246 §6.2.3: "The length MUST NOT exceed 2^14 + 2048."
pub const MAX_CIPHERTEXT: usize = MAX_PLAINTEXT + 2048;
/// What the deframer holds at most: one whole maximal record plus the start of the next.
pub const INPUT_BUFFER_LIMIT: usize = 2 * (HEADER_LEN + MAX_CIPHERTEXT);

/// A record found in the input buffer: its header, and where its payload lies.
#[derive(Clone, Copy, Debug)]
pub struct RecordHeader {
    pub typ: ContentType,
    pub version: ProtocolVersion,
    pub start: usize,
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

    pub fn buffered(&self) -> usize {
        self.buf.len() - self.used
    }

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
            return Err(Error::UnexpectedMessage {
                expected: "a TLS record",
                got: format!("record of content type {}", typ.0),
            });
        }
        if major != 3 {
            return Err(Error::ProtocolVersion(format!("record version {version}")));
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
        Ok(Some(RecordHeader {
            typ,
            version,
            start,
            len,
        }))
    }

    pub fn payload_mut(&mut self, rec: &RecordHeader) -> &mut [u8] {
        self.buf
            .get_mut(rec.start..rec.start + rec.len)
            .unwrap_or_default()
    }
}

/// One direction's AEAD state: TLS 1.2 (RFC 5246 §6.2.3.3) or TLS 1.3 (RFC 8446 §5.2).
pub struct RecordCipher {
    key: LessSafeKey,
    aead: Aead,
    /// TLS 1.2 GCM: the 4-byte salt; TLS 1.2 ChaCha20 and TLS 1.3: the 12-byte IV.
    iv: [u8; 12],
    seq: u64,
    tls13: bool,
}

/// RFC 8446 §5.2: "The length MUST NOT exceed 2^14 + 256 bytes."
pub const MAX_CIPHERTEXT_TLS13: usize = MAX_PLAINTEXT + 256;

impl RecordCipher {
    pub fn new(aead: Aead, key: &[u8], fixed_iv: &[u8]) -> Result<Self, Error> {
        let unbound =
            UnboundKey::new(aead.algorithm(), key).map_err(|_| Error::Internal("bad AEAD key"))?;
        let mut iv = [0u8; 12];
        iv.get_mut(..fixed_iv.len())
            .ok_or(Error::Internal("bad IV length"))?
            .copy_from_slice(fixed_iv);
        Ok(Self {
            key: LessSafeKey::new(unbound),
            aead,
            iv,
            seq: 0,
            tls13: false,
        })
    }

    /// TLS 1.3 keys: the IV is always 12 bytes and XORed with the sequence number.
    pub fn new_tls13(aead: Aead, key: &[u8], iv: &[u8]) -> Result<Self, Error> {
        if iv.len() != 12 {
            return Err(Error::Internal("TLS 1.3 IVs are 12 bytes"));
        }
        let mut cipher = Self::new(aead, key, iv)?;
        cipher.tls13 = true;
        Ok(cipher)
    }

    pub fn is_tls13(&self) -> bool {
        self.tls13
    }

    /// RFC 5288 §3: `struct { opaque salt[4]; opaque nonce_explicit[8]; } GCMNonce;` with the
    /// sequence number as nonce_explicit. RFC 7905 §2: "the 64-bit record sequence number is
    /// serialized as an 8-byte, big-endian value and padded on the left with four 0x00 bytes.
    /// The padded sequence number is XORed with the client_write_IV".
    fn nonce(&self) -> [u8; 12] {
        let seq = self.seq.to_be_bytes();
        let mut nonce = self.iv;
        // RFC 8446 §5.3: "The padded sequence number is XORed with either the static
        // client_write_iv or server_write_iv" — for every TLS 1.3 AEAD.
        match self.aead {
            Aead::Aes128Gcm | Aead::Aes256Gcm if !self.tls13 => nonce[4..].copy_from_slice(&seq),
            _ => nonce[4..].iter_mut().zip(seq).for_each(|(n, s)| *n ^= s),
        }
        nonce
    }

    /// RFC 5246 §6.2.3.3: `additional_data = seq_num + TLSCompressed.type +
    /// TLSCompressed.version + TLSCompressed.length`.
    fn aad(&self, typ: ContentType, plaintext_len: usize) -> [u8; 13] {
        let mut aad = [0u8; 13];
        aad[..8].copy_from_slice(&self.seq.to_be_bytes());
        aad[8] = typ.0;
        aad[9..11].copy_from_slice(&ProtocolVersion::TLSv1_2.0.to_be_bytes());
        aad[11..].copy_from_slice(&(plaintext_len as u16).to_be_bytes());
        aad
    }

    fn next_seq(&mut self) -> Result<(), Error> {
        // RFC 5246 §6.1: "Sequence numbers ... may not exceed 2^64-1" — we close rather than wrap.
        // (Errors on the per-record paths are built only when they happen: `ok_or` would
        // build one, and drop it, on every record.)
        let Some(next) = self.seq.checked_add(1) else {
            return Err(Error::Internal("sequence number exhausted"));
        };
        self.seq = next;
        Ok(())
    }

    /// Appends one protected record holding `plaintext` (at most 2^14 bytes) to `out`,
    /// encrypting from `plaintext` straight into the output.
    pub fn seal(
        &mut self,
        typ: ContentType,
        plaintext: &[u8],
        out: &mut impl Sink,
    ) -> Result<(), Error> {
        self.seal_padded(typ, plaintext, 0, out)
    }

    /// RFC 8446 §5.4: like `seal`, with `padding` zero bytes after the content type (TLS 1.3
    /// only; they hide the true length). Content, type and padding stay within 2^14 + 1 bytes.
    pub fn seal_padded(
        &mut self,
        typ: ContentType,
        plaintext: &[u8],
        padding: usize,
        out: &mut impl Sink,
    ) -> Result<(), Error> {
        if padding > 0 && (!self.tls13 || plaintext.len() + 1 + padding > MAX_PLAINTEXT + 1) {
            return Err(Error::General(
                "padding needs TLS 1.3 and must fit in one record".into(),
            ));
        }
        // TLS 1.2 records carry an explicit nonce for GCM; TLS 1.3 records carry the real
        // content type inside (RFC 8446 §5.2: TLSInnerPlaintext) and say application_data.
        let explicit = if self.tls13 {
            0
        } else {
            self.aead.explicit_nonce_len()
        };
        let mut inner_extra = [0u8; 1];
        inner_extra[0] = typ.0;
        let padded_extra;
        let extra: &[u8] = match (self.tls13, padding) {
            (false, _) => &[],
            (true, 0) => &inner_extra,
            (true, _) => {
                padded_extra = [&[typ.0][..], &vec![0u8; padding]].concat();
                &padded_extra
            }
        };
        let len = explicit + plaintext.len() + extra.len() + Aead::TAG_LEN;
        let outer = if self.tls13 {
            ContentType::ApplicationData
        } else {
            typ
        };
        let mut header = [outer.0, 3, 3, 0, 0];
        header[3..].copy_from_slice(&(len as u16).to_be_bytes());
        // RFC 8446 §5.2: additional_data = TLSCiphertext.opaque_type ||
        // TLSCiphertext.legacy_record_version || TLSCiphertext.length; RFC 5246 §6.2.3.3 for 1.2.
        let aad = if self.tls13 {
            let mut aad = [0u8; 13];
            aad[..HEADER_LEN].copy_from_slice(&header);
            (aad, HEADER_LEN)
        } else {
            (self.aad(typ, plaintext.len()), 13)
        };
        let nonce = self.nonce();
        let key = &self.key;
        out.append(HEADER_LEN + len, |record| {
            let Some((header_dst, rest)) = record.split_at_mut_checked(HEADER_LEN) else {
                return Err(Error::Internal("record header out of range"));
            };
            let Some((explicit_dst, body)) = rest.split_at_mut_checked(explicit) else {
                return Err(Error::Internal("record header out of range"));
            };
            header_dst.copy_from_slice(&header);
            explicit_dst.copy_from_slice(nonce.get(12 - explicit..).unwrap_or_default());
            let Some((ciphertext, extra_and_tag)) = body.split_at_mut_checked(plaintext.len())
            else {
                return Err(Error::Internal("record body out of range"));
            };
            key.seal_out_of_place_scatter(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad.0.get(..aad.1).unwrap_or_default()),
                plaintext,
                ciphertext,
                extra,
                extra_and_tag,
            )
            .map_err(|_| Error::Internal("encryption failed"))
        })?;
        self.next_seq()
    }

    /// Authenticates and decrypts a record payload in place, returning the content type (the
    /// inner one in TLS 1.3) and the plaintext.
    pub fn open<'a>(
        &mut self,
        typ: ContentType,
        payload: &'a mut [u8],
    ) -> Result<(ContentType, &'a mut [u8]), Error> {
        let opening = self.opening(typ, payload)?;
        let sealed = payload
            .get_mut(opening.explicit..)
            .ok_or(Error::BadRecordMac)?;
        let plaintext = self
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(opening.nonce),
                Aad::from(opening.aad()),
                sealed,
            )
            .map_err(|_| Error::BadRecordMac)?;
        let (inner, len) = self.content(typ, plaintext)?;
        self.next_seq()?;
        Ok((inner, plaintext.get_mut(..len).unwrap_or_default()))
    }

    /// Like `open`, but decrypts into `dst` instead of in place, so that application data
    /// lands in the buffer the application reads from with no further copy, and the ciphertext
    /// can be borrowed (even from the caller of `read_tls`). `dst` must hold the ciphertext
    /// (`payload.len()` is always enough). Returns the content type (the inner one in TLS 1.3)
    /// and the plaintext's length at the start of `dst`. On error the sequence number is
    /// unchanged, so the same record fails the same way if opened again.
    pub fn open_into(
        &mut self,
        typ: ContentType,
        payload: &[u8],
        dst: &mut [u8],
    ) -> Result<(ContentType, usize), Error> {
        let opening = self.opening(typ, payload)?;
        let (ciphertext, tag) = payload
            .get(opening.explicit..)
            .and_then(|rest| rest.split_at_checked(rest.len().checked_sub(Aead::TAG_LEN)?))
            .ok_or(Error::BadRecordMac)?;
        let Some(dst) = dst.get_mut(..ciphertext.len()) else {
            return Err(Error::Internal("plaintext buffer too small"));
        };
        self.key
            .open_separate_gather(
                Nonce::assume_unique_for_key(opening.nonce),
                Aad::from(opening.aad()),
                ciphertext,
                tag,
                dst,
            )
            .map_err(|_| Error::BadRecordMac)?;
        let (inner, len) = self.content(typ, dst)?;
        self.next_seq()?;
        Ok((inner, len))
    }

    /// What opening `payload` takes, checked before any decryption: where the ciphertext
    /// starts, the nonce and the additional data.
    fn opening(&self, typ: ContentType, payload: &[u8]) -> Result<Opening, Error> {
        if self.tls13 {
            // RFC 8446 §5.2: encrypted records are application_data on the outside.
            if typ != ContentType::ApplicationData {
                return Err(Error::UnexpectedMessage {
                    expected: "an encrypted record",
                    got: format!("a plaintext {typ} record"),
                });
            }
            if payload.len() > MAX_CIPHERTEXT_TLS13 {
                return Err(Error::RecordOverflow);
            }
        }
        let explicit = if self.tls13 {
            0
        } else {
            self.aead.explicit_nonce_len()
        };
        if payload.len() < explicit + Aead::TAG_LEN + usize::from(self.tls13) {
            return Err(Error::BadRecordMac);
        }
        let mut nonce = self.nonce();
        if let (Some(tail), Some(explicit_nonce)) =
            (nonce.get_mut(12 - explicit..), payload.get(..explicit))
        {
            tail.copy_from_slice(explicit_nonce);
        }
        let (aad, aad_len) = if self.tls13 {
            // RFC 8446 §5.2: additional_data = TLSCiphertext.opaque_type ||
            // legacy_record_version || length.
            let mut aad = [0u8; 13];
            aad[0] = ContentType::ApplicationData.0;
            aad[1..3].copy_from_slice(&ProtocolVersion::TLSv1_2.0.to_be_bytes());
            aad[3..5].copy_from_slice(&(payload.len() as u16).to_be_bytes());
            (aad, HEADER_LEN)
        } else {
            let plaintext_len = payload.len() - explicit - Aead::TAG_LEN;
            (self.aad(typ, plaintext_len), 13)
        };
        Ok(Opening {
            explicit,
            nonce,
            aad,
            aad_len,
        })
    }

    /// The content type and content length of a decrypted record: in TLS 1.3 the inner type
    /// and padding are stripped (RFC 8446 §5.4); in both, the plaintext limit holds.
    fn content(&self, typ: ContentType, plaintext: &[u8]) -> Result<(ContentType, usize), Error> {
        let (inner, len) = if self.tls13 {
            // RFC 8446 §5.4: "If a receiving implementation does not find a non-zero octet in
            // the cleartext, it MUST terminate the connection with an "unexpected_message"
            // alert."
            let Some(type_at) = plaintext.iter().rposition(|b| *b != 0) else {
                return Err(Error::UnexpectedMessage {
                    expected: "a content type",
                    got: "an all-zero record".into(),
                });
            };
            let inner = ContentType(plaintext.get(type_at).copied().unwrap_or_default());
            (inner, type_at)
        } else {
            (typ, plaintext.len())
        };
        // RFC 5246 §6.2.3: at most 2^14 bytes of plaintext; RFC 8446 §5.4: "The length MUST
        // NOT exceed 2^14 + 1" for TLSInnerPlaintext.
        if len > MAX_PLAINTEXT {
            return Err(Error::RecordOverflow);
        }
        Ok((inner, len))
    }
}

/// Nonce and additional data for opening one record (`RecordCipher::opening`).
struct Opening {
    /// Bytes of explicit nonce before the ciphertext (TLS 1.2 GCM).
    explicit: usize,
    nonce: [u8; 12],
    aad: [u8; 13],
    aad_len: usize,
}

impl Opening {
    fn aad(&self) -> &[u8] {
        self.aad.get(..self.aad_len).unwrap_or_default()
    }
}

/// Where records are written: space is claimed, filled, and kept only if filling succeeds.
/// A `Vec<u8>` grows (zero-filling the new space first, as safe Rust must); the connection's
/// own output queue reuses space it has already initialised.
pub trait Sink {
    /// Offers `n` bytes at the end to `fill`; they are appended if it succeeds, and nothing
    /// is if it fails.
    fn append(
        &mut self,
        n: usize,
        fill: impl FnOnce(&mut [u8]) -> Result<(), Error>,
    ) -> Result<(), Error>;
}

impl Sink for Vec<u8> {
    fn append(
        &mut self,
        n: usize,
        fill: impl FnOnce(&mut [u8]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let at = self.len();
        self.resize(at + n, 0);
        let filled = fill(self.get_mut(at..).unwrap_or_default());
        if filled.is_err() {
            self.truncate(at);
        }
        filled
    }
}

/// Appends `payload` to `out` as records of at most 2^14 bytes, protected when `cipher` is set.
pub fn write_records(
    cipher: Option<&mut RecordCipher>,
    typ: ContentType,
    payload: &[u8],
    out: &mut impl Sink,
) -> Result<(), Error> {
    match cipher {
        Some(cipher) => {
            for chunk in payload.chunks(MAX_PLAINTEXT) {
                cipher.seal(typ, chunk, out)?;
            }
        }
        None => {
            for chunk in payload.chunks(MAX_PLAINTEXT) {
                out.append(HEADER_LEN + chunk.len(), |record| {
                    let (header, body) = record
                        .split_at_mut_checked(HEADER_LEN)
                        .ok_or(Error::Internal("record header out of range"))?;
                    let [v0, v1] = ProtocolVersion::TLSv1_2.0.to_be_bytes();
                    let [l0, l1] = (chunk.len() as u16).to_be_bytes();
                    header.copy_from_slice(&[typ.0, v0, v1, l0, l1]);
                    body.copy_from_slice(chunk);
                    Ok(())
                })?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(aead: Aead) -> (RecordCipher, RecordCipher) {
        let key = vec![0x42; aead.key_len()];
        let iv = vec![0x24; aead.fixed_iv_len()];
        (
            RecordCipher::new(aead, &key, &iv).unwrap(),
            RecordCipher::new(aead, &key, &iv).unwrap(),
        )
    }

    fn deframe_one(bytes: &[u8]) -> (RecordHeader, Vec<u8>) {
        let mut d = Deframer::default();
        assert_eq!(d.read(bytes), bytes.len());
        let rec = d.next_record(true).unwrap().unwrap();
        let payload = d.payload_mut(&rec).to_vec();
        (rec, payload)
    }

    #[test]
    fn sealed_records_open_for_every_aead() {
        for aead in [Aead::Aes128Gcm, Aead::Aes256Gcm, Aead::ChaCha20Poly1305] {
            let (mut tx, mut rx) = pair(aead);
            for msg in [&b"hello"[..], &[], &[7u8; MAX_PLAINTEXT]] {
                let mut out = vec![];
                tx.seal(ContentType::ApplicationData, msg, &mut out)
                    .unwrap();
                let (rec, mut payload) = deframe_one(&out);
                assert_eq!(rec.len, msg.len() + aead.explicit_nonce_len() + 16);
                assert_eq!(
                    rx.open(ContentType::ApplicationData, &mut payload)
                        .unwrap()
                        .1,
                    msg
                );
            }
        }
    }

    #[test]
    fn a_flipped_bit_or_wrong_type_is_bad_record_mac() {
        let (mut tx, mut rx) = pair(Aead::Aes128Gcm);
        let mut out = vec![];
        tx.seal(ContentType::ApplicationData, b"secret", &mut out)
            .unwrap();
        let (_, mut payload) = deframe_one(&out);
        let mut flipped = payload.clone();
        flipped[10] ^= 1;
        assert_eq!(
            rx.open(ContentType::ApplicationData, &mut flipped)
                .unwrap_err(),
            Error::BadRecordMac
        );
        assert_eq!(
            rx.open(ContentType::Handshake, &mut payload).unwrap_err(),
            Error::BadRecordMac
        );
    }

    #[test]
    fn replayed_record_fails_because_sequence_numbers_advance() {
        let (mut tx, mut rx) = pair(Aead::ChaCha20Poly1305);
        let mut out = vec![];
        tx.seal(ContentType::ApplicationData, b"once", &mut out)
            .unwrap();
        let (_, payload) = deframe_one(&out);
        rx.open(ContentType::ApplicationData, &mut payload.clone())
            .unwrap();
        assert_eq!(
            rx.open(ContentType::ApplicationData, &mut payload.clone())
                .unwrap_err(),
            Error::BadRecordMac
        );
    }

    #[test]
    fn oversized_plaintext_record_is_record_overflow_before_it_arrives() {
        let mut d = Deframer::default();
        d.read(&[22, 3, 3, 0x40, 0x01]);
        assert_eq!(d.next_record(false).unwrap_err(), Error::RecordOverflow);
    }

    #[test]
    fn deframer_waits_for_a_whole_record_and_bounds_its_buffer() {
        let mut d = Deframer::default();
        d.read(&[23, 3, 3, 0, 3, 1]);
        assert!(d.next_record(true).unwrap().is_none());
        d.read(&[2, 3]);
        assert_eq!(d.next_record(true).unwrap().unwrap().len, 3);
        let flood = vec![0u8; 10 * INPUT_BUFFER_LIMIT];
        assert_eq!(d.read(&flood), INPUT_BUFFER_LIMIT);
    }

    #[test]
    fn tls13_records_hide_their_type_and_accept_padding() {
        for aead in [Aead::Aes128Gcm, Aead::Aes256Gcm, Aead::ChaCha20Poly1305] {
            let key = vec![0x11; aead.key_len()];
            let (mut tx, mut rx) = (
                RecordCipher::new_tls13(aead, &key, &[7; 12]).unwrap(),
                RecordCipher::new_tls13(aead, &key, &[7; 12]).unwrap(),
            );
            let mut out = vec![];
            tx.seal_padded(ContentType::Handshake, b"hello", 200, &mut out)
                .unwrap();
            assert_eq!(
                out[0],
                ContentType::ApplicationData.0,
                "the outer type hides the real one"
            );
            let (rec, mut payload) = deframe_one(&out);
            assert_eq!(rec.len, 5 + 1 + 200 + 16);
            let (typ, plaintext) = rx.open(ContentType::ApplicationData, &mut payload).unwrap();
            assert_eq!((typ, &*plaintext), (ContentType::Handshake, &b"hello"[..]));
        }
    }

    #[test]
    fn tls13_record_of_only_zeros_is_unexpected_message() {
        let key = vec![0x11; 16];
        let mut tx = RecordCipher::new_tls13(Aead::Aes128Gcm, &key, &[7; 12]).unwrap();
        let mut rx = RecordCipher::new_tls13(Aead::Aes128Gcm, &key, &[7; 12]).unwrap();
        let mut out = vec![];
        // Content type 0 and padding: nothing but zeros inside.
        tx.seal_padded(ContentType(0), b"", 10, &mut out).unwrap();
        let (_, mut payload) = deframe_one(&out);
        assert!(matches!(
            rx.open(ContentType::ApplicationData, &mut payload),
            Err(Error::UnexpectedMessage { .. })
        ));
    }

    #[test]
    fn output_is_fragmented_at_two_to_the_fourteen() {
        let mut out = vec![];
        write_records(
            None,
            ContentType::ApplicationData,
            &vec![1u8; MAX_PLAINTEXT + 10],
            &mut out,
        )
        .unwrap();
        assert_eq!(out.len(), 2 * HEADER_LEN + MAX_PLAINTEXT + 10);
        assert_eq!(&out[..5], &[23, 3, 3, 0x40, 0]);
    }
}
