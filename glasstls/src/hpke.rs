//! HPKE (RFC 9180) in base mode, as Encrypted Client Hello uses it (RFC 9849 §6.1), composed
//! from aws-lc-rs's X25519, HMAC and AEADs exactly as the RFC defines it: no primitive of our
//! own. KEM: DHKEM(X25519, HKDF-SHA256); KDFs: HKDF-SHA256 and HKDF-SHA384; AEADs: AES-128-GCM,
//! AES-256-GCM, ChaCha20-Poly1305. Checked against the RFC's test vectors (Appendix A).

use crate::error::{Error, InternalError};
use aws_lc_rs::{aead, agreement, hmac};
use zeroize::Zeroizing;

/// RFC 9180 §7.1: DHKEM(X25519, HKDF-SHA256).
pub const KEM_X25519_SHA256: u16 = 0x0020;

/// RFC 9180 §7.2: the key derivation functions we implement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kdf {
    /// HKDF-SHA256.
    HkdfSha256 = 0x0001,
    /// HKDF-SHA384.
    HkdfSha384 = 0x0002,
}

/// RFC 9180 §7.3: the AEADs we implement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aead {
    /// AES-128-GCM.
    Aes128Gcm = 0x0001,
    /// AES-256-GCM.
    Aes256Gcm = 0x0002,
    /// ChaCha20-Poly1305.
    ChaCha20Poly1305 = 0x0003,
}

/// The name RFC 9180 §7.2 gives a kdf_id, for display.
pub fn kdf_name(id: u16) -> Option<&'static str> {
    Some(match id {
        0x0001 => "HKDF-SHA256",
        0x0002 => "HKDF-SHA384",
        0x0003 => "HKDF-SHA512",
        _ => return None,
    })
}

/// The name RFC 9180 §7.3 gives an aead_id, for display.
pub fn aead_name(id: u16) -> Option<&'static str> {
    Some(match id {
        0x0001 => "AES-128-GCM",
        0x0002 => "AES-256-GCM",
        0x0003 => "ChaCha20Poly1305",
        0xffff => "Export-only",
        _ => return None,
    })
}

impl Kdf {
    /// The KDF of an HPKE kdf_id, if we implement it.
    pub fn from_id(id: u16) -> Option<Self> {
        match id {
            0x0001 => Some(Self::HkdfSha256),
            0x0002 => Some(Self::HkdfSha384),
            _ => None,
        }
    }

    fn hmac(self) -> hmac::Algorithm {
        match self {
            Self::HkdfSha256 => hmac::HMAC_SHA256,
            Self::HkdfSha384 => hmac::HMAC_SHA384,
        }
    }

    /// Nh.
    fn len(self) -> usize {
        match self {
            Self::HkdfSha256 => 32,
            Self::HkdfSha384 => 48,
        }
    }
}

impl Aead {
    /// The AEAD of an HPKE aead_id, if we implement it.
    pub fn from_id(id: u16) -> Option<Self> {
        match id {
            0x0001 => Some(Self::Aes128Gcm),
            0x0002 => Some(Self::Aes256Gcm),
            0x0003 => Some(Self::ChaCha20Poly1305),
            _ => None,
        }
    }

    fn algorithm(self) -> &'static aead::Algorithm {
        match self {
            Self::Aes128Gcm => &aead::AES_128_GCM,
            Self::Aes256Gcm => &aead::AES_256_GCM,
            Self::ChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
        }
    }

    /// Nk.
    fn key_len(self) -> usize {
        self.algorithm().key_len()
    }
}

/// RFC 9180 §4: Extract and Expand with the "HPKE-v1" labels of one suite_id.
struct Labeled<'a> {
    kdf: Kdf,
    suite_id: &'a [u8],
}

impl Labeled<'_> {
    /// LabeledExtract(salt, label, ikm) = Extract(salt, "HPKE-v1" || suite_id || label || ikm).
    fn extract(&self, salt: &[u8], label: &[u8], ikm: &[u8]) -> Zeroizing<Vec<u8>> {
        // RFC 5869 §2.2: an empty salt is Nh zeros.
        let zeros = [0u8; 48];
        let salt = match salt.is_empty() {
            true => zeros.get(..self.kdf.len()).unwrap_or(&zeros),
            false => salt,
        };
        let key = hmac::Key::new(self.kdf.hmac(), salt);
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(b"HPKE-v1");
        ctx.update(self.suite_id);
        ctx.update(label);
        ctx.update(ikm);
        Zeroizing::new(ctx.sign().as_ref().to_vec())
    }

    /// LabeledExpand(prk, label, info, L) = Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id
    /// || label || info, L), with RFC 5869 §2.3's T(i) = HMAC(PRK, T(i-1) || info || i).
    fn expand(&self, prk: &[u8], label: &[u8], info: &[u8], len: usize) -> Zeroizing<Vec<u8>> {
        let key = hmac::Key::new(self.kdf.hmac(), prk);
        let length = u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes();
        let mut out = Zeroizing::new(Vec::with_capacity(len));
        let mut previous: Vec<u8> = Vec::new();
        let mut counter = 1u8;
        while out.len() < len {
            let mut ctx = hmac::Context::with_key(&key);
            ctx.update(&previous);
            ctx.update(&length);
            ctx.update(b"HPKE-v1");
            ctx.update(self.suite_id);
            ctx.update(label);
            ctx.update(info);
            ctx.update(&[counter]);
            previous = ctx.sign().as_ref().to_vec();
            let take = (len - out.len()).min(previous.len());
            out.extend_from_slice(previous.get(..take).unwrap_or_default());
            counter = counter.wrapping_add(1);
        }
        out
    }
}

const KEM_SUITE_ID: &[u8] = &[b'K', b'E', b'M', 0x00, 0x20];

fn kem_labels() -> Labeled<'static> {
    Labeled {
        kdf: Kdf::HkdfSha256,
        suite_id: KEM_SUITE_ID,
    }
}

/// An X25519 key pair of the KEM (the server's ECH key).
pub struct KemKeyPair {
    private: agreement::PrivateKey,
    /// pkRm, the serialized public key.
    pub public: Vec<u8>,
}

impl KemKeyPair {
    /// A fresh key pair (in fuzz builds, derived from the deterministic random stream, so
    /// that an ECH offer replays the same way).
    pub fn generate() -> Result<Self, Error> {
        #[cfg(fuzzing)]
        return Self::derive(&crate::crypto::random_bytes::<32>()?);
        #[cfg(not(fuzzing))]
        {
            let private = agreement::PrivateKey::generate(&agreement::X25519)
                .map_err(|_| Error::Internal(InternalError::KeyGeneration))?;
            Self::from_private(private)
        }
    }

    /// The key pair of a 32-byte X25519 private key (as stored).
    pub fn from_private_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let private = agreement::PrivateKey::from_private_key(&agreement::X25519, bytes)
            .map_err(|_| Error::Internal(InternalError::KeyMaterial))?;
        Self::from_private(private)
    }

    /// RFC 9180 §7.1.3 DeriveKeyPair for X25519: sk = LabeledExpand(LabeledExtract("",
    /// "dkp_prk", ikm), "sk", "", 32).
    pub fn derive(ikm: &[u8]) -> Result<Self, Error> {
        let labels = kem_labels();
        let prk = labels.extract(b"", b"dkp_prk", ikm);
        let sk = labels.expand(&prk, b"sk", b"", 32);
        Self::from_private_bytes(&sk)
    }

    fn from_private(private: agreement::PrivateKey) -> Result<Self, Error> {
        let public = private
            .compute_public_key()
            .map_err(|_| Error::Internal(InternalError::KeyGeneration))?
            .as_ref()
            .to_vec();
        Ok(Self { private, public })
    }

    /// The private key's 32 bytes, to store.
    pub fn private_bytes(&self) -> Result<Zeroizing<Vec<u8>>, Error> {
        use aws_lc_rs::encoding::{AsBigEndian, Curve25519SeedBin};
        let seed: Curve25519SeedBin<'_> = self
            .private
            .as_be_bytes()
            .map_err(|_| Error::Internal(InternalError::KeyMaterial))?;
        Ok(Zeroizing::new(seed.as_ref().to_vec()))
    }

    fn dh(&self, peer: &[u8]) -> Result<Zeroizing<Vec<u8>>, HpkeError> {
        agreement::agree(
            &self.private,
            agreement::UnparsedPublicKey::new(&agreement::X25519, peer),
            HpkeError::BadEncapsulation,
            |secret| Ok(Zeroizing::new(secret.to_vec())),
        )
    }
}

/// Why an HPKE operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HpkeError {
    /// The encapsulated key is not an X25519 public key (or gives the all-zero secret).
    BadEncapsulation,
    /// The ciphertext does not open under the context's key.
    OpenFailed,
    /// The sequence number ran out (RFC 9180 §5.2: MessageLimitReachedError).
    MessageLimit,
    /// A suite we do not implement.
    UnsupportedSuite,
}

/// RFC 9180 §4.1 ExtractAndExpand.
fn extract_and_expand(dh: &[u8], kem_context: &[u8]) -> Zeroizing<Vec<u8>> {
    let labels = kem_labels();
    let prk = labels.extract(b"", b"eae_prk", dh);
    labels.expand(&prk, b"shared_secret", kem_context, 32)
}

/// RFC 9180 §4.1 Encap(pkR) with the ephemeral key `ephemeral`: (shared_secret, enc).
fn encap(
    ephemeral: &KemKeyPair,
    recipient: &[u8],
) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>), HpkeError> {
    let dh = ephemeral.dh(recipient)?;
    let enc = ephemeral.public.clone();
    let kem_context = [enc.as_slice(), recipient].concat();
    Ok((extract_and_expand(&dh, &kem_context), enc))
}

/// RFC 9180 §4.1 Decap(enc, skR).
fn decap(enc: &[u8], recipient: &KemKeyPair) -> Result<Zeroizing<Vec<u8>>, HpkeError> {
    let dh = recipient.dh(enc)?;
    let kem_context = [enc, recipient.public.as_slice()].concat();
    Ok(extract_and_expand(&dh, &kem_context))
}

/// An HPKE context (RFC 9180 §5.2): the key, base nonce, sequence number and exporter secret.
pub struct Context {
    kdf: Kdf,
    suite_id: [u8; 10],
    key: aead::LessSafeKey,
    base_nonce: [u8; 12],
    seq: u64,
    exporter_secret: Zeroizing<Vec<u8>>,
}

impl Context {
    /// RFC 9180 §5.1 KeySchedule in mode_base (no PSK).
    fn key_schedule(
        kdf: Kdf,
        aead_id: Aead,
        shared_secret: &[u8],
        info: &[u8],
    ) -> Result<Self, HpkeError> {
        let mut suite_id = [0u8; 10];
        suite_id[..4].copy_from_slice(b"HPKE");
        suite_id[4..6].copy_from_slice(&KEM_X25519_SHA256.to_be_bytes());
        suite_id[6..8].copy_from_slice(&(kdf as u16).to_be_bytes());
        suite_id[8..10].copy_from_slice(&(aead_id as u16).to_be_bytes());
        let labels = Labeled {
            kdf,
            suite_id: &suite_id,
        };
        let psk_id_hash = labels.extract(b"", b"psk_id_hash", b"");
        let info_hash = labels.extract(b"", b"info_hash", info);
        let context = [&[0u8][..], &psk_id_hash, &info_hash].concat();
        let secret = labels.extract(shared_secret, b"secret", b"");
        let key = labels.expand(&secret, b"key", &context, aead_id.key_len());
        let nonce = labels.expand(&secret, b"base_nonce", &context, 12);
        let exporter_secret = labels.expand(&secret, b"exp", &context, kdf.len());
        let key = aead::UnboundKey::new(aead_id.algorithm(), &key)
            .map_err(|_| HpkeError::UnsupportedSuite)?;
        let mut base_nonce = [0u8; 12];
        base_nonce.copy_from_slice(nonce.get(..12).ok_or(HpkeError::UnsupportedSuite)?);
        Ok(Self {
            kdf,
            suite_id,
            key: aead::LessSafeKey::new(key),
            base_nonce,
            seq: 0,
            exporter_secret,
        })
    }

    /// RFC 9180 §5.1.1 SetupBaseS with a given ephemeral key (the RFC's DeriveKeyPair in
    /// tests; a fresh one otherwise): (enc, context).
    pub fn sender_with(
        ephemeral: &KemKeyPair,
        recipient: &[u8],
        info: &[u8],
        kdf: Kdf,
        aead_id: Aead,
    ) -> Result<(Vec<u8>, Self), HpkeError> {
        let (shared_secret, enc) = encap(ephemeral, recipient)?;
        Ok((enc, Self::key_schedule(kdf, aead_id, &shared_secret, info)?))
    }

    /// SetupBaseS with a fresh ephemeral key.
    pub fn sender(
        recipient: &[u8],
        info: &[u8],
        kdf: Kdf,
        aead_id: Aead,
    ) -> Result<(Vec<u8>, Self), HpkeError> {
        let ephemeral = KemKeyPair::generate().map_err(|_| HpkeError::UnsupportedSuite)?;
        Self::sender_with(&ephemeral, recipient, info, kdf, aead_id)
    }

    /// RFC 9180 §5.1.1 SetupBaseR.
    pub fn receiver(
        enc: &[u8],
        recipient: &KemKeyPair,
        info: &[u8],
        kdf: Kdf,
        aead_id: Aead,
    ) -> Result<Self, HpkeError> {
        let shared_secret = decap(enc, recipient)?;
        Self::key_schedule(kdf, aead_id, &shared_secret, info)
    }

    /// RFC 9180 §5.2 ComputeNonce and IncrementSeq.
    fn next_nonce(&mut self) -> Result<aead::Nonce, HpkeError> {
        let seq = self.seq;
        self.seq = seq.checked_add(1).ok_or(HpkeError::MessageLimit)?;
        let mut nonce = self.base_nonce;
        for (n, s) in nonce.iter_mut().skip(4).zip(seq.to_be_bytes()) {
            *n ^= s;
        }
        Ok(aead::Nonce::assume_unique_for_key(nonce))
    }

    /// Seal(aad, pt).
    pub fn seal(&mut self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, HpkeError> {
        let nonce = self.next_nonce()?;
        let mut out = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(nonce, aead::Aad::from(aad), &mut out)
            .map_err(|_| HpkeError::MessageLimit)?;
        Ok(out)
    }

    /// Open(aad, ct).
    pub fn open(&mut self, aad: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, HpkeError> {
        let nonce = self.next_nonce()?;
        let mut buf = ciphertext.to_vec();
        let len = self
            .key
            .open_in_place(nonce, aead::Aad::from(aad), &mut buf)
            .map_err(|_| HpkeError::OpenFailed)?
            .len();
        buf.truncate(len);
        Ok(buf)
    }

    /// RFC 9180 §5.3 Export(exporter_context, L).
    pub fn export(&self, context: &[u8], len: usize) -> Zeroizing<Vec<u8>> {
        let labels = Labeled {
            kdf: self.kdf,
            suite_id: &self.suite_id,
        };
        labels.expand(&self.exporter_secret, b"sec", context, len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::unhex as hex;

    /// RFC 9180 A.1.1 (AES-128-GCM), A.2.1 (ChaCha20-Poly1305) base mode, and the A.1.1
    /// exports.
    #[test]
    fn base_mode_matches_rfc9180_appendix_a() {
        let info = hex("4f6465206f6e2061204772656369616e2055726e");
        let pt = hex("4265617574792069732074727574682c20747275746820626561757479");
        for (aead_id, ikm_e, ikm_r, enc, ct0, ct1) in [
            (
                Aead::Aes128Gcm,
                "7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234",
                "6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037",
                "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431",
                "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a",
                "af2d7e9ac9ae7e270f46ba1f975be53c09f8d875bdc8535458c2494e8a6eab251c03d0c22a56b8ca42c2063b84",
            ),
            (
                Aead::ChaCha20Poly1305,
                "909a9b35d3dc4713a5e72a4da274b55d3d3821a37e5d099e74a647db583a904b",
                "1ac01f181fdf9f352797655161c58b75c656a6cc2716dcb66372da835542e1df",
                "1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a",
                "1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db21993c62ce81883d2dd1b51a28",
                "6b53c051e4199c518de79594e1c4ab18b96f081549d45ce015be002090bb119e85285337cc95ba5f59992dc98c",
            ),
        ] {
            let ephemeral = KemKeyPair::derive(&hex(ikm_e)).unwrap();
            let recipient = KemKeyPair::derive(&hex(ikm_r)).unwrap();
            let (got_enc, mut sender) = Context::sender_with(
                &ephemeral,
                &recipient.public,
                &info,
                Kdf::HkdfSha256,
                aead_id,
            )
            .unwrap();
            assert_eq!(got_enc, hex(enc), "{aead_id:?}");
            let mut receiver =
                Context::receiver(&got_enc, &recipient, &info, Kdf::HkdfSha256, aead_id).unwrap();
            for (n, ct) in [ct0, ct1].into_iter().enumerate() {
                let aad = format!("Count-{n}").into_bytes();
                let sealed = sender.seal(&aad, &pt).unwrap();
                assert_eq!(sealed, hex(ct), "{aead_id:?} #{n}");
                assert_eq!(receiver.open(&aad, &sealed).unwrap(), pt);
            }
            // A ciphertext opened out of sequence fails.
            assert_eq!(
                receiver.open(b"Count-0", &hex(ct0)),
                Err(HpkeError::OpenFailed)
            );
            if aead_id == Aead::Aes128Gcm {
                assert_eq!(
                    *sender.export(b"", 32),
                    hex("3853fe2b4035195a573ffc53856e77058e15d9ea064de3e59f4961d0095250ee")
                );
                assert_eq!(
                    *sender.export(&hex("54657374436f6e74657874"), 32),
                    hex("e9e43065102c3836401bed8c3c3c75ae46be1639869391d62c61f1ec7af54931")
                );
            }
        }
    }

    #[test]
    fn a_stored_private_key_gives_the_same_pair() {
        let pair = KemKeyPair::generate().unwrap();
        let again = KemKeyPair::from_private_bytes(&pair.private_bytes().unwrap()).unwrap();
        assert_eq!(pair.public, again.public);
    }
}
