//! The record layer (RFC 5246 §6.2, RFC 8446 §5): deframing records from a byte stream
//! (`deframer`), protecting them in either version (`cipher`), and writing payloads out as
//! records of at most 2^14 bytes into a [`Sink`].

mod cipher;
mod deframer;

pub use cipher::{MAX_CIPHERTEXT_TLS13, RecordCipher};
pub use deframer::{Deframer, RecordHeader};

use crate::error::{Error, InternalError};
use crate::wire::{AlertDescription, AlertLevel, ContentType, ProtocolVersion};

/// RFC 5246 §6.2.1: type, version and length.
pub const HEADER_LEN: usize = 5;
/// RFC 5246 §6.2.1: "The length MUST NOT exceed 2^14."
pub const MAX_PLAINTEXT: usize = 1 << 14;
/// RFC 5246 §6.2.3: "The length MUST NOT exceed 2^14 + 2048."
pub const MAX_CIPHERTEXT: usize = MAX_PLAINTEXT + 2048;
/// What the deframer holds at most: one whole maximal record plus the start of the next.
pub const INPUT_BUFFER_LIMIT: usize = 2 * (HEADER_LEN + MAX_CIPHERTEXT);

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

/// A fatal alert in a plaintext record, for refusing a connection before any handshake (a
/// server past its connection bound sends internal_error: RFC 8446 §6.2).
pub fn fatal_alert_record(description: AlertDescription) -> [u8; HEADER_LEN + 2] {
    let [v0, v1] = ProtocolVersion::TLSv1_2.0.to_be_bytes();
    [
        ContentType::Alert.0,
        v0,
        v1,
        0,
        2,
        AlertLevel::Fatal.0,
        description.0,
    ]
}

/// Appends `payload` to `out` as records of at most 2^14 bytes, protected when `cipher` is set.
pub fn write_records(
    cipher: Option<&mut RecordCipher>,
    typ: ContentType,
    payload: &[u8],
    out: &mut impl Sink,
) -> Result<(), Error> {
    write_fragments(cipher, typ, payload, MAX_PLAINTEXT, out)
}

/// Like `write_records`, with at most `fragment` bytes (at least 1, at most 2^14) in each.
pub fn write_fragments(
    cipher: Option<&mut RecordCipher>,
    typ: ContentType,
    payload: &[u8],
    fragment: usize,
    out: &mut impl Sink,
) -> Result<(), Error> {
    let fragment = fragment.clamp(1, MAX_PLAINTEXT);
    match cipher {
        Some(cipher) => {
            for chunk in payload.chunks(fragment) {
                cipher.seal(typ, chunk, out)?;
            }
        }
        None => {
            for chunk in payload.chunks(fragment) {
                out.append(HEADER_LEN + chunk.len(), |record| {
                    let (header, body) = record
                        .split_at_mut_checked(HEADER_LEN)
                        .ok_or(Error::Internal(InternalError::RecordLayout))?;
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
    use crate::crypto::Aead;
    use crate::version::Version;

    fn pair(aead: Aead) -> (RecordCipher, RecordCipher) {
        let key = vec![0x42; aead.key_len()];
        let iv = vec![0x24; aead.fixed_iv_len()];
        (
            RecordCipher::new(Version::Tls12, aead, &key, &iv).unwrap(),
            RecordCipher::new(Version::Tls12, aead, &key, &iv).unwrap(),
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
                RecordCipher::new(Version::Tls13, aead, &key, &[7; 12]).unwrap(),
                RecordCipher::new(Version::Tls13, aead, &key, &[7; 12]).unwrap(),
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
        let mut tx = RecordCipher::new(Version::Tls13, Aead::Aes128Gcm, &key, &[7; 12]).unwrap();
        let mut rx = RecordCipher::new(Version::Tls13, Aead::Aes128Gcm, &key, &[7; 12]).unwrap();
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
