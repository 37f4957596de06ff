//! Record protection: TLS 1.2 AEAD (RFC 5246 §6.2.3.3, RFC 5288 §3, RFC 7905 §2) and TLS 1.3
//! AEAD with the inner content type and padding (RFC 8446 §5.2-§5.4).

use super::{HEADER_LEN, MAX_PLAINTEXT, Sink};
use crate::crypto::Aead;
use crate::error::{Error, InternalError, Misuse, UnexpectedMessage};
use crate::version::Version;
use crate::wire::{ContentType, ProtocolVersion};
use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey};

/// One direction's AEAD state: TLS 1.2 (RFC 5246 §6.2.3.3) or TLS 1.3 (RFC 8446 §5.2).
pub struct RecordCipher {
    key: LessSafeKey,
    aead: Aead,
    /// TLS 1.2 GCM: the 4-byte salt; TLS 1.2 ChaCha20 and TLS 1.3: the 12-byte IV.
    iv: [u8; 12],
    seq: u64,
    version: Version,
}

/// RFC 8446 §5.2: "The length MUST NOT exceed 2^14 + 256 bytes."
pub const MAX_CIPHERTEXT_TLS13: usize = MAX_PLAINTEXT + 256;

impl RecordCipher {
    /// A cipher for one direction of `version`. TLS 1.2 takes the key block's fixed IV (4
    /// bytes of salt for GCM, 12 for ChaCha20); TLS 1.3 a 12-byte IV (RFC 8446 §5.3).
    pub fn new(version: Version, aead: Aead, key: &[u8], iv: &[u8]) -> Result<Self, Error> {
        let unbound = UnboundKey::new(aead.algorithm(), key)
            .map_err(|_| Error::Internal(InternalError::KeyMaterial))?;
        if version == Version::Tls13 && iv.len() != 12 {
            return Err(Error::Internal(InternalError::KeyMaterial));
        }
        let mut fixed = [0u8; 12];
        fixed
            .get_mut(..iv.len())
            .ok_or(Error::Internal(InternalError::KeyMaterial))?
            .copy_from_slice(iv);
        Ok(Self {
            key: LessSafeKey::new(unbound),
            aead,
            iv: fixed,
            seq: 0,
            version,
        })
    }

    /// The version whose record protection this is.
    pub fn version(&self) -> Version {
        self.version
    }

    fn is_tls13(&self) -> bool {
        self.version == Version::Tls13
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
            Aead::Aes128Gcm | Aead::Aes256Gcm if !self.is_tls13() => {
                nonce[4..].copy_from_slice(&seq)
            }
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
            return Err(Error::Internal(InternalError::SequenceExhausted));
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
        if padding > 0 && (!self.is_tls13() || plaintext.len() + 1 + padding > MAX_PLAINTEXT + 1) {
            return Err(Error::Misuse(Misuse::PaddingNeedsTls13));
        }
        // TLS 1.2 records carry an explicit nonce for GCM; TLS 1.3 records carry the real
        // content type inside (RFC 8446 §5.2: TLSInnerPlaintext) and say application_data.
        let explicit = if self.is_tls13() {
            0
        } else {
            self.aead.explicit_nonce_len()
        };
        let mut inner_extra = [0u8; 1];
        inner_extra[0] = typ.0;
        let padded_extra;
        let extra: &[u8] = match (self.is_tls13(), padding) {
            (false, _) => &[],
            (true, 0) => &inner_extra,
            (true, _) => {
                padded_extra = [&[typ.0][..], &vec![0u8; padding]].concat();
                &padded_extra
            }
        };
        let len = explicit + plaintext.len() + extra.len() + Aead::TAG_LEN;
        let outer = if self.is_tls13() {
            ContentType::ApplicationData
        } else {
            typ
        };
        let mut header = [outer.0, 3, 3, 0, 0];
        header[3..].copy_from_slice(&(len as u16).to_be_bytes());
        // RFC 8446 §5.2: additional_data = TLSCiphertext.opaque_type ||
        // TLSCiphertext.legacy_record_version || TLSCiphertext.length; RFC 5246 §6.2.3.3 for 1.2.
        let aad = if self.is_tls13() {
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
                return Err(Error::Internal(InternalError::RecordLayout));
            };
            let Some((explicit_dst, body)) = rest.split_at_mut_checked(explicit) else {
                return Err(Error::Internal(InternalError::RecordLayout));
            };
            header_dst.copy_from_slice(&header);
            explicit_dst.copy_from_slice(nonce.get(12 - explicit..).unwrap_or_default());
            let Some((ciphertext, extra_and_tag)) = body.split_at_mut_checked(plaintext.len())
            else {
                return Err(Error::Internal(InternalError::RecordLayout));
            };
            key.seal_out_of_place_scatter(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad.0.get(..aad.1).unwrap_or_default()),
                plaintext,
                ciphertext,
                extra,
                extra_and_tag,
            )
            .map_err(|_| Error::Internal(InternalError::Encryption))
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
            return Err(Error::Internal(InternalError::RecordLayout));
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
        if self.is_tls13() {
            // RFC 8446 §5.2: encrypted records are application_data on the outside.
            if typ != ContentType::ApplicationData {
                return Err(UnexpectedMessage::PlaintextRecord(typ).into());
            }
            if payload.len() > MAX_CIPHERTEXT_TLS13 {
                return Err(Error::RecordOverflow);
            }
        }
        let explicit = if self.is_tls13() {
            0
        } else {
            self.aead.explicit_nonce_len()
        };
        if payload.len() < explicit + Aead::TAG_LEN + usize::from(self.is_tls13()) {
            return Err(Error::BadRecordMac);
        }
        let mut nonce = self.nonce();
        if let (Some(tail), Some(explicit_nonce)) =
            (nonce.get_mut(12 - explicit..), payload.get(..explicit))
        {
            tail.copy_from_slice(explicit_nonce);
        }
        let (aad, aad_len) = if self.is_tls13() {
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
        let (inner, len) = if self.is_tls13() {
            // RFC 8446 §5.4: TLSInnerPlaintext (content, type and padding together): "The
            // length MUST NOT exceed 2^14 + 1 octets." Padding counts: a short content with
            // heavy padding past the limit is as much an overflow as a long one.
            if plaintext.len() > MAX_PLAINTEXT + 1 {
                return Err(Error::RecordOverflow);
            }
            // RFC 8446 §5.4: "If a receiving implementation does not find a non-zero octet in
            // the cleartext, it MUST terminate the connection with an "unexpected_message"
            // alert."
            let Some(type_at) = plaintext.iter().rposition(|b| *b != 0) else {
                return Err(UnexpectedMessage::AllZeroRecord.into());
            };
            let inner = ContentType(plaintext.get(type_at).copied().unwrap_or_default());
            (inner, type_at)
        } else {
            (typ, plaintext.len())
        };
        // RFC 5246 §6.2.3 and RFC 8446 §5.1: at most 2^14 bytes of content.
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
