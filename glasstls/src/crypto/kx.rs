//! Ephemeral key exchange: ECDH on X25519, P-256, P-384 and P-521 (RFC 8422, RFC 8446 §4.2.8.2), and
//! the X25519MLKEM768 hybrid of draft-ietf-tls-ecdhe-mlkem (TLS 1.3 only), all through aws-lc-rs.

use crate::error::{Error, InternalError, PeerMisbehaved};
use crate::wire::NamedGroup;
use aws_lc_rs::{agreement, kem};
use std::fmt;
use zeroize::Zeroizing;

fn agreement_algorithm(group: NamedGroup) -> Option<&'static agreement::Algorithm> {
    match group {
        NamedGroup::X25519 => Some(&agreement::X25519),
        NamedGroup::secp256r1 => Some(&agreement::ECDH_P256),
        NamedGroup::secp384r1 => Some(&agreement::ECDH_P384),
        NamedGroup::secp521r1 => Some(&agreement::ECDH_P521),
        _ => None,
    }
}

/// Our half of an ephemeral key exchange: ECDH, or the X25519MLKEM768 hybrid (TLS 1.3 only).
pub struct KeyShare {
    /// The group of the share.
    pub group: NamedGroup,
    secret: ShareSecret,
    /// Our public key share, as sent.
    pub public: Vec<u8>,
}

enum ShareSecret {
    Ecdh(agreement::PrivateKey),
    /// draft-ietf-tls-ecdhe-mlkem §3: the client share is the ML-KEM-768 encapsulation key
    /// followed by the X25519 public key.
    Hybrid {
        mlkem: kem::DecapsulationKey<kem::AlgorithmId>,
        x25519: agreement::PrivateKey,
    },
}

/// draft-ietf-tls-ecdhe-mlkem: sizes of the ML-KEM-768 parts of the hybrid shares.
const MLKEM768_ENCAPSULATION_KEY_LEN: usize = 1184;
const MLKEM768_CIPHERTEXT_LEN: usize = 1088;
const X25519_LEN: usize = 32;

/// Whether a group is plain ECDH (everything but the hybrid).
pub(super) fn is_ecdh(group: NamedGroup) -> bool {
    agreement_algorithm(group).is_some()
}

/// A fresh key pair for one exchange. (`PrivateKey` rather than `EphemeralPrivateKey` so that a
/// fuzz build can make it from deterministic bytes; each key is still used once and dropped.)
fn ecdh_keypair(
    alg: &'static agreement::Algorithm,
) -> Result<(agreement::PrivateKey, Vec<u8>), Error> {
    #[cfg(not(fuzzing))]
    let private = agreement::PrivateKey::generate(alg);
    #[cfg(fuzzing)]
    let private = super::rand::fuzzing::ecdh_private_key(alg);
    let private = private.map_err(|_| Error::Internal(InternalError::KeyGeneration))?;
    let public = private
        .compute_public_key()
        .map_err(|_| Error::Internal(InternalError::KeyGeneration))?
        .as_ref()
        .to_vec();
    Ok((private, public))
}

fn ecdh(
    private: agreement::PrivateKey,
    alg: &'static agreement::Algorithm,
    peer: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Error> {
    // RFC 8446 §4.2.8.2: a NIST curve share is "the serialization of the value of the
    // UncompressedPointRepresentation": 0x04, then X and Y; RFC 8422 §5.4.1 says the same for
    // TLS 1.2, where we offer only the uncompressed point format. aws-lc would also take a
    // compressed point, which no peer of ours may send.
    let uncompressed_len = if *alg == agreement::ECDH_P256 {
        Some(65)
    } else if *alg == agreement::ECDH_P384 {
        Some(97)
    } else if *alg == agreement::ECDH_P521 {
        Some(133)
    } else {
        None
    };
    if let Some(len) = uncompressed_len {
        if peer.len() != len || peer.first() != Some(&0x04) {
            return Err(Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare));
        }
    }
    agreement::agree(
        &private,
        agreement::UnparsedPublicKey::new(alg, peer),
        Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare),
        |secret| Ok(Zeroizing::new(secret.to_vec())),
    )
}

impl KeyShare {
    /// A fresh share in `group`.
    pub fn generate(group: NamedGroup) -> Result<Self, Error> {
        if group == NamedGroup::X25519MLKEM768 {
            let mlkem = kem::DecapsulationKey::generate(&kem::ML_KEM_768)
                .map_err(|_| Error::Internal(InternalError::KeyGeneration))?;
            let ek = mlkem
                .encapsulation_key()
                .and_then(|k| k.key_bytes())
                .map_err(|_| Error::Internal(InternalError::KeyGeneration))?;
            let (x25519, x_public) = ecdh_keypair(&agreement::X25519)?;
            let mut public = ek.as_ref().to_vec();
            public.extend_from_slice(&x_public);
            return Ok(Self {
                group,
                secret: ShareSecret::Hybrid { mlkem, x25519 },
                public,
            });
        }
        let alg =
            agreement_algorithm(group).ok_or(Error::Internal(InternalError::StateInvariant))?;
        let (private, public) = ecdh_keypair(alg)?;
        Ok(Self {
            group,
            secret: ShareSecret::Ecdh(private),
            public,
        })
    }

    /// Completes the exchange with the peer's share. A value that is not a valid point (or,
    /// for X25519, gives the all-zero secret), or a hybrid share of the wrong size, is the
    /// peer's fault: illegal_parameter.
    pub fn agree(self, peer_public: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        match self.secret {
            ShareSecret::Ecdh(private) => {
                let alg = agreement_algorithm(self.group)
                    .ok_or(Error::Internal(InternalError::StateInvariant))?;
                ecdh(private, alg, peer_public)
            }
            ShareSecret::Hybrid { mlkem, x25519 } => {
                // The server share is the ML-KEM ciphertext followed by its X25519 key; the
                // shared secret is the ML-KEM secret followed by the X25519 secret.
                if peer_public.len() != MLKEM768_CIPHERTEXT_LEN + X25519_LEN {
                    return Err(Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare));
                }
                let (ct, x_peer) = peer_public.split_at(MLKEM768_CIPHERTEXT_LEN);
                let ss = mlkem
                    .decapsulate(kem::Ciphertext::from(ct))
                    .map_err(|_| Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare))?;
                let mut shared = Zeroizing::new(ss.as_ref().to_vec());
                shared.extend_from_slice(&ecdh(x25519, &agreement::X25519, x_peer)?);
                Ok(shared)
            }
        }
    }

    /// The server side of a TLS 1.3 key exchange: our share in answer to the client's, and the
    /// shared secret. For the hybrid this encapsulates to the client's ML-KEM key.
    pub fn respond(
        group: NamedGroup,
        client_share: &[u8],
    ) -> Result<(Vec<u8>, Zeroizing<Vec<u8>>), Error> {
        if group == NamedGroup::X25519MLKEM768 {
            if client_share.len() != MLKEM768_ENCAPSULATION_KEY_LEN + X25519_LEN {
                return Err(Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare));
            }
            let (ek, x_peer) = client_share.split_at(MLKEM768_ENCAPSULATION_KEY_LEN);
            if !mlkem_encapsulation_key_is_reduced(ek) {
                return Err(Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare));
            }
            let ek = kem::EncapsulationKey::new(&kem::ML_KEM_768, ek)
                .map_err(|_| Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare))?;
            let (ct, ss) = ek
                .encapsulate()
                .map_err(|_| Error::Internal(InternalError::KeyGeneration))?;
            let (x25519, x_public) = ecdh_keypair(&agreement::X25519)?;
            let mut shared = Zeroizing::new(ss.as_ref().to_vec());
            shared.extend_from_slice(&ecdh(x25519, &agreement::X25519, x_peer)?);
            let mut public = ct.as_ref().to_vec();
            public.extend_from_slice(&x_public);
            return Ok((public, shared));
        }
        let share = Self::generate(group)?;
        let public = share.public.clone();
        Ok((public, share.agree(client_share)?))
    }
}

/// FIPS 203 §7.2, ML-KEM.Encaps input checking: "(Modulus check.) Perform the computation
/// test ← ByteEncode12(ByteDecode12(ek[0 : 384k])). If test ≠ ek[0 : 384k], then input checking
/// has failed." That is, every 12-bit coefficient of the encoded vector t̂ (the first 384k
/// bytes, k = 3 for ML-KEM-768) is below q = 3329. draft-ietf-tls-ecdhe-mlkem §6: a share that
/// fails it gets illegal_parameter. This checks the peer's bytes; the KEM itself is aws-lc's.
fn mlkem_encapsulation_key_is_reduced(ek: &[u8]) -> bool {
    const Q: u16 = 3329;
    let t_hat = ek.get(..384 * 3).unwrap_or_default();
    t_hat.len() == 384 * 3
        && t_hat.chunks_exact(3).all(|b| match *b {
            [b0, b1, b2] => {
                let first = u16::from(b0) | (u16::from(b1 & 0x0f) << 8);
                let second = u16::from(b1 >> 4) | (u16::from(b2) << 4);
                first < Q && second < Q
            }
            _ => false,
        })
}

impl fmt::Debug for KeyShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyShare")
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two coefficients in three bytes, little-endian 12-bit halves (FIPS 203 ByteEncode12).
    fn packed(first: u16, second: u16) -> [u8; 3] {
        [
            first as u8,
            ((first >> 8) as u8) | ((second as u8) << 4),
            (second >> 4) as u8,
        ]
    }

    #[test]
    fn the_modulus_check_takes_coefficients_below_q_only() {
        let mut ek = vec![0u8; MLKEM768_ENCAPSULATION_KEY_LEN];
        assert!(mlkem_encapsulation_key_is_reduced(&ek));
        for (first, second, reduced) in [(3328, 3328, true), (3329, 0, false), (0, 3329, false)] {
            for at in [0, 384 * 3 - 3] {
                ek[at..at + 3].copy_from_slice(&packed(first, second));
                assert_eq!(
                    mlkem_encapsulation_key_is_reduced(&ek),
                    reduced,
                    "{first} {second} at {at}"
                );
                ek[at..at + 3].copy_from_slice(&[0; 3]);
            }
        }
        // The 32 bytes of rho after t̂ are not coefficients: any value is fine there.
        ek[384 * 3..].fill(0xff);
        assert!(mlkem_encapsulation_key_is_reduced(&ek));
        // A real key from aws-lc passes.
        let dk = kem::DecapsulationKey::generate(&kem::ML_KEM_768).unwrap();
        let real = dk.encapsulation_key().unwrap().key_bytes().unwrap();
        assert!(mlkem_encapsulation_key_is_reduced(real.as_ref()));
    }
}
