//! A thin, typed face over aws-lc-rs: the cipher-suite table, key-exchange groups, signing keys
//! and the mapping from TLS signature schemes to rustls-webpki verification algorithms.
//! No primitive is implemented here.

use crate::error::Error;
use crate::wire::{CipherSuite, NamedGroup, SignatureScheme};
use aws_lc_rs::{aead, agreement, digest, hmac, kem, rand, signature};
use rustls_pki_types::PrivateKeyDer;
use std::fmt;
use zeroize::Zeroizing;

/// How the pre-master secret is agreed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyExchange {
    /// RFC 5246 §7.4.7.1: the client encrypts it to the server's RSA key (no forward secrecy).
    Rsa,
    /// RFC 8422: ephemeral elliptic-curve Diffie-Hellman, signed by the server.
    Ecdhe,
}

/// What kind of key the server's certificate must carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Auth {
    Rsa,
    Ecdsa,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hash {
    Sha256,
    Sha384,
}

impl Hash {
    pub fn digest(self) -> &'static digest::Algorithm {
        match self {
            Self::Sha256 => &digest::SHA256,
            Self::Sha384 => &digest::SHA384,
        }
    }

    pub fn hmac(self) -> hmac::Algorithm {
        match self {
            Self::Sha256 => hmac::HMAC_SHA256,
            Self::Sha384 => hmac::HMAC_SHA384,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aead {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
}

impl Aead {
    pub fn algorithm(self) -> &'static aead::Algorithm {
        match self {
            Self::Aes128Gcm => &aead::AES_128_GCM,
            Self::Aes256Gcm => &aead::AES_256_GCM,
            Self::ChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
        }
    }

    pub fn key_len(self) -> usize {
        self.algorithm().key_len()
    }

    /// RFC 5288 §3: GCM's salt is 4 bytes of the key block; RFC 7905 §2: ChaCha20's is 12.
    pub fn fixed_iv_len(self) -> usize {
        match self {
            Self::Aes128Gcm | Self::Aes256Gcm => 4,
            Self::ChaCha20Poly1305 => 12,
        }
    }

    /// RFC 5288 §3: GCM records carry an 8-byte explicit nonce; RFC 7905 records carry none.
    pub fn explicit_nonce_len(self) -> usize {
        match self {
            Self::Aes128Gcm | Self::Aes256Gcm => 8,
            Self::ChaCha20Poly1305 => 0,
        }
    }

    pub const TAG_LEN: usize = 16;
}

/// One row of the suite table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Suite {
    pub suite: CipherSuite,
    pub kx: KeyExchange,
    pub auth: Auth,
    pub aead: Aead,
    pub hash: Hash,
}

macro_rules! suites {
    ($($name:ident: $kx:ident, $auth:ident, $aead:ident, $hash:ident;)*) => {
        /// Every suite glasstls implements, in our default order of preference.
        pub static ALL_SUITES: &[Suite] = &[
            $(Suite {
                suite: CipherSuite::$name,
                kx: KeyExchange::$kx,
                auth: Auth::$auth,
                aead: Aead::$aead,
                hash: Hash::$hash,
            },)*
        ];
    };
}

suites! {
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: Ecdhe, Ecdsa, Aes128Gcm, Sha256;
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: Ecdhe, Ecdsa, Aes256Gcm, Sha384;
    TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: Ecdhe, Ecdsa, ChaCha20Poly1305, Sha256;
    TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: Ecdhe, Rsa, Aes128Gcm, Sha256;
    TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: Ecdhe, Rsa, Aes256Gcm, Sha384;
    TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: Ecdhe, Rsa, ChaCha20Poly1305, Sha256;
    TLS_RSA_WITH_AES_128_GCM_SHA256: Rsa, Rsa, Aes128Gcm, Sha256;
    TLS_RSA_WITH_AES_256_GCM_SHA384: Rsa, Rsa, Aes256Gcm, Sha384;
}

pub fn suite(suite: CipherSuite) -> Option<&'static Suite> {
    ALL_SUITES.iter().find(|s| s.suite == suite)
}

/// A TLS 1.3 suite names only the AEAD and the hash (RFC 8446 §B.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Suite13 {
    pub suite: CipherSuite,
    pub aead: Aead,
    pub hash: Hash,
}

/// RFC 8446 §9.1 and §B.4, in our default order of preference.
pub static TLS13_SUITES: &[Suite13] = &[
    Suite13 {
        suite: CipherSuite::TLS_AES_128_GCM_SHA256,
        aead: Aead::Aes128Gcm,
        hash: Hash::Sha256,
    },
    Suite13 {
        suite: CipherSuite::TLS_AES_256_GCM_SHA384,
        aead: Aead::Aes256Gcm,
        hash: Hash::Sha384,
    },
    Suite13 {
        suite: CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
        aead: Aead::ChaCha20Poly1305,
        hash: Hash::Sha256,
    },
];

pub fn suite13(suite: CipherSuite) -> Option<&'static Suite13> {
    TLS13_SUITES.iter().find(|s| s.suite == suite)
}

/// The groups we implement, in default preference order.
/// X25519MLKEM768 first, as browsers and rustls send it: post-quantum security for TLS 1.3
/// (it is never used with TLS 1.2).
pub static ALL_GROUPS: &[NamedGroup] = &[
    NamedGroup::X25519MLKEM768,
    NamedGroup::X25519,
    NamedGroup::secp256r1,
    NamedGroup::secp384r1,
];

fn agreement_algorithm(group: NamedGroup) -> Option<&'static agreement::Algorithm> {
    match group {
        NamedGroup::X25519 => Some(&agreement::X25519),
        NamedGroup::secp256r1 => Some(&agreement::ECDH_P256),
        NamedGroup::secp384r1 => Some(&agreement::ECDH_P384),
        _ => None,
    }
}

/// Our half of an ephemeral key exchange: ECDH, or the X25519MLKEM768 hybrid (TLS 1.3 only).
pub struct KeyShare {
    pub group: NamedGroup,
    secret: ShareSecret,
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

/// Whether a group may be used with TLS 1.2 (the hybrid is defined for TLS 1.3 only).
pub fn group_usable_in_tls12(group: NamedGroup) -> bool {
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
    let private = fuzzing::ecdh_private_key(alg);
    let private = private.map_err(|_| Error::Internal("key generation failed"))?;
    let public = private
        .compute_public_key()
        .map_err(|_| Error::Internal("key generation failed"))?
        .as_ref()
        .to_vec();
    Ok((private, public))
}

fn ecdh(
    private: agreement::PrivateKey,
    alg: &'static agreement::Algorithm,
    peer: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Error> {
    agreement::agree(
        &private,
        agreement::UnparsedPublicKey::new(alg, peer),
        Error::IllegalParameter("invalid key share"),
        |secret| Ok(Zeroizing::new(secret.to_vec())),
    )
}

impl KeyShare {
    pub fn generate(group: NamedGroup) -> Result<Self, Error> {
        if group == NamedGroup::X25519MLKEM768 {
            let mlkem = kem::DecapsulationKey::generate(&kem::ML_KEM_768)
                .map_err(|_| Error::Internal("ML-KEM key generation failed"))?;
            let ek = mlkem
                .encapsulation_key()
                .and_then(|k| k.key_bytes())
                .map_err(|_| Error::Internal("ML-KEM key"))?;
            let (x25519, x_public) = ecdh_keypair(&agreement::X25519)?;
            let mut public = ek.as_ref().to_vec();
            public.extend_from_slice(&x_public);
            return Ok(Self {
                group,
                secret: ShareSecret::Hybrid { mlkem, x25519 },
                public,
            });
        }
        let alg = agreement_algorithm(group).ok_or(Error::Internal("unsupported group"))?;
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
                let alg =
                    agreement_algorithm(self.group).ok_or(Error::Internal("unsupported group"))?;
                ecdh(private, alg, peer_public)
            }
            ShareSecret::Hybrid { mlkem, x25519 } => {
                // The server share is the ML-KEM ciphertext followed by its X25519 key; the
                // shared secret is the ML-KEM secret followed by the X25519 secret.
                if peer_public.len() != MLKEM768_CIPHERTEXT_LEN + X25519_LEN {
                    return Err(Error::IllegalParameter(
                        "X25519MLKEM768 server share has the wrong length",
                    ));
                }
                let (ct, x_peer) = peer_public.split_at(MLKEM768_CIPHERTEXT_LEN);
                let ss = mlkem
                    .decapsulate(kem::Ciphertext::from(ct))
                    .map_err(|_| Error::IllegalParameter("invalid ML-KEM ciphertext"))?;
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
                return Err(Error::IllegalParameter(
                    "X25519MLKEM768 client share has the wrong length",
                ));
            }
            let (ek, x_peer) = client_share.split_at(MLKEM768_ENCAPSULATION_KEY_LEN);
            let ek = kem::EncapsulationKey::new(&kem::ML_KEM_768, ek)
                .map_err(|_| Error::IllegalParameter("invalid ML-KEM encapsulation key"))?;
            let (ct, ss) = ek
                .encapsulate()
                .map_err(|_| Error::Internal("ML-KEM encapsulation failed"))?;
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

impl fmt::Debug for KeyShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyShare")
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

/// A server's private key: it signs ServerKeyExchange and, for RSA, decrypts the pre-master
/// secret.
pub enum SigningKey {
    Rsa {
        pair: signature::RsaKeyPair,
        decrypt: aws_lc_rs::rsa::Pkcs1PrivateDecryptingKey,
    },
    Ecdsa {
        pair: signature::EcdsaKeyPair,
        scheme: SignatureScheme,
    },
    Ed25519(signature::Ed25519KeyPair),
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rsa { pair, .. } => write!(f, "RSA-{} key", pair.public_modulus_len() * 8),
            Self::Ecdsa { scheme, .. } => write!(f, "ECDSA key ({scheme})"),
            Self::Ed25519(_) => f.write_str("Ed25519 key"),
        }
    }
}

/// Our preference among the RSA schemes: PSS first (RFC 8446 makes it the only one for
/// handshake signatures in TLS 1.3; TLS 1.2 peers all accept it today).
const RSA_SCHEMES: &[SignatureScheme] = &[
    SignatureScheme::rsa_pss_rsae_sha256,
    SignatureScheme::rsa_pss_rsae_sha384,
    SignatureScheme::rsa_pss_rsae_sha512,
    SignatureScheme::rsa_pkcs1_sha256,
    SignatureScheme::rsa_pkcs1_sha384,
    SignatureScheme::rsa_pkcs1_sha512,
];

impl SigningKey {
    pub fn from_der(key: &PrivateKeyDer<'_>) -> Result<Self, Error> {
        let bad = || Error::General("the private key is not a supported RSA or ECDSA key".into());
        match key {
            PrivateKeyDer::Pkcs1(der) => {
                let pair =
                    signature::RsaKeyPair::from_der(der.secret_pkcs1_der()).map_err(|_| bad())?;
                Self::rsa(pair)
            }
            PrivateKeyDer::Pkcs8(der) => {
                let der = der.secret_pkcs8_der();
                if let Ok(pair) = signature::RsaKeyPair::from_pkcs8(der) {
                    return Self::rsa(pair);
                }
                if let Ok(pair) = signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
                    return Ok(Self::Ed25519(pair));
                }
                for (alg, scheme) in ECDSA_SIGNING {
                    if let Ok(pair) = signature::EcdsaKeyPair::from_pkcs8(alg, der) {
                        return Ok(Self::Ecdsa {
                            pair,
                            scheme: *scheme,
                        });
                    }
                }
                Err(bad())
            }
            PrivateKeyDer::Sec1(der) => {
                for (alg, scheme) in ECDSA_SIGNING {
                    if let Ok(pair) =
                        signature::EcdsaKeyPair::from_private_key_der(alg, der.secret_sec1_der())
                    {
                        return Ok(Self::Ecdsa {
                            pair,
                            scheme: *scheme,
                        });
                    }
                }
                Err(bad())
            }
            _ => Err(bad()),
        }
    }

    fn rsa(pair: signature::RsaKeyPair) -> Result<Self, Error> {
        use aws_lc_rs::encoding::AsDer;
        let pkcs8 = pair
            .as_der()
            .map_err(|_| Error::Internal("RSA key re-encoding failed"))?;
        let private = aws_lc_rs::rsa::PrivateDecryptingKey::from_pkcs8(pkcs8.as_ref())
            .map_err(|_| Error::Internal("RSA key re-encoding failed"))?;
        let decrypt = aws_lc_rs::rsa::Pkcs1PrivateDecryptingKey::new(private)
            .map_err(|_| Error::Internal("RSA key re-encoding failed"))?;
        Ok(Self::Rsa { pair, decrypt })
    }

    pub fn auth(&self) -> Auth {
        match self {
            Self::Rsa { .. } => Auth::Rsa,
            // RFC 8422 §5.3: EdDSA certificates serve the ECDHE_ECDSA suites in TLS 1.2.
            Self::Ecdsa { .. } | Self::Ed25519(_) => Auth::Ecdsa,
        }
    }

    /// The curve of an ECDSA key, which in TLS 1.2 must be one the client supports.
    pub fn ecdsa_curve(&self) -> Option<NamedGroup> {
        match self {
            Self::Ecdsa {
                scheme: SignatureScheme::ecdsa_secp256r1_sha256,
                ..
            } => Some(NamedGroup::secp256r1),
            Self::Ecdsa {
                scheme: SignatureScheme::ecdsa_secp384r1_sha384,
                ..
            } => Some(NamedGroup::secp384r1),
            _ => None,
        }
    }

    /// The schemes this key can sign with, best first.
    pub fn schemes(&self) -> &[SignatureScheme] {
        match self {
            Self::Rsa { .. } => RSA_SCHEMES,
            Self::Ecdsa { scheme, .. } => std::slice::from_ref(scheme),
            Self::Ed25519(_) => &[SignatureScheme::ed25519],
        }
    }

    /// The schemes this key can sign a TLS 1.3 CertificateVerify with: RFC 8446 §4.4.3 allows
    /// RSA only with PSS.
    pub fn schemes_tls13(&self) -> &[SignatureScheme] {
        match self {
            Self::Rsa { .. } => RSA_SCHEMES.get(..3).unwrap_or_default(),
            other => other.schemes(),
        }
    }

    pub fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, Error> {
        let rng = rand::SystemRandom::new();
        let failed = |_| Error::Internal("signing failed");
        match self {
            Self::Rsa { pair, .. } => {
                let padding: &'static dyn signature::RsaEncoding = match scheme {
                    SignatureScheme::rsa_pss_rsae_sha256 => &signature::RSA_PSS_SHA256,
                    SignatureScheme::rsa_pss_rsae_sha384 => &signature::RSA_PSS_SHA384,
                    SignatureScheme::rsa_pss_rsae_sha512 => &signature::RSA_PSS_SHA512,
                    SignatureScheme::rsa_pkcs1_sha256 => &signature::RSA_PKCS1_SHA256,
                    SignatureScheme::rsa_pkcs1_sha384 => &signature::RSA_PKCS1_SHA384,
                    SignatureScheme::rsa_pkcs1_sha512 => &signature::RSA_PKCS1_SHA512,
                    _ => return Err(Error::Internal("scheme does not fit an RSA key")),
                };
                let mut sig = vec![0u8; pair.public_modulus_len()];
                pair.sign(padding, &rng, message, &mut sig)
                    .map_err(failed)?;
                Ok(sig)
            }
            Self::Ecdsa { pair, scheme: own } if *own == scheme => {
                Ok(pair.sign(&rng, message).map_err(failed)?.as_ref().to_vec())
            }
            Self::Ecdsa { .. } => Err(Error::Internal("scheme does not fit the ECDSA key")),
            Self::Ed25519(pair) if scheme == SignatureScheme::ed25519 => {
                Ok(pair.sign(message).as_ref().to_vec())
            }
            Self::Ed25519(_) => Err(Error::Internal("scheme does not fit the Ed25519 key")),
        }
    }
}

const ECDSA_SIGNING: &[(&signature::EcdsaSigningAlgorithm, SignatureScheme)] = &[
    (
        &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        SignatureScheme::ecdsa_secp256r1_sha256,
    ),
    (
        &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
        SignatureScheme::ecdsa_secp384r1_sha384,
    ),
];

/// The signature schemes a glasstls client offers and accepts, best first.
pub static VERIFY_SCHEMES: &[SignatureScheme] = &[
    SignatureScheme::ecdsa_secp256r1_sha256,
    SignatureScheme::ecdsa_secp384r1_sha384,
    SignatureScheme::ed25519,
    SignatureScheme::rsa_pss_rsae_sha256,
    SignatureScheme::rsa_pss_rsae_sha384,
    SignatureScheme::rsa_pss_rsae_sha512,
    SignatureScheme::rsa_pkcs1_sha256,
    SignatureScheme::rsa_pkcs1_sha384,
    SignatureScheme::rsa_pkcs1_sha512,
];

/// rustls-webpki algorithms a TLS 1.2 `SignatureAndHashAlgorithm` may stand for. In TLS 1.2 the
/// ECDSA code points name the hash but not the curve, so one scheme maps to several.
pub fn verification_algorithms(scheme: SignatureScheme) -> &'static [VerifyAlg] {
    match scheme {
        SignatureScheme::ecdsa_secp256r1_sha256 => &ECDSA_SHA256,
        SignatureScheme::ecdsa_secp384r1_sha384 => &ECDSA_SHA384,
        SignatureScheme::rsa_pss_rsae_sha256 => &RSA_PSS_SHA256,
        SignatureScheme::rsa_pss_rsae_sha384 => &RSA_PSS_SHA384,
        SignatureScheme::rsa_pss_rsae_sha512 => &RSA_PSS_SHA512,
        SignatureScheme::rsa_pkcs1_sha256 => &RSA_PKCS1_SHA256,
        SignatureScheme::rsa_pkcs1_sha384 => &RSA_PKCS1_SHA384,
        SignatureScheme::rsa_pkcs1_sha512 => &RSA_PKCS1_SHA512,
        SignatureScheme::ed25519 => &ED25519,
        _ => &[],
    }
}

/// RFC 8446 §4.2.3: in TLS 1.3 an ECDSA scheme names its curve, and RSA signatures in
/// CertificateVerify must be PSS.
pub fn verification_algorithms_tls13(scheme: SignatureScheme) -> &'static [VerifyAlg] {
    match scheme {
        SignatureScheme::ecdsa_secp256r1_sha256 => &ECDSA_P256_ONLY,
        SignatureScheme::ecdsa_secp384r1_sha384 => &ECDSA_P384_ONLY,
        SignatureScheme::rsa_pss_rsae_sha256
        | SignatureScheme::rsa_pss_rsae_sha384
        | SignatureScheme::rsa_pss_rsae_sha512
        | SignatureScheme::ed25519 => verification_algorithms(scheme),
        _ => &[],
    }
}

static ECDSA_P256_ONLY: [VerifyAlg; 1] = [webpki::aws_lc_rs::ECDSA_P256_SHA256];
static ECDSA_P384_ONLY: [VerifyAlg; 1] = [webpki::aws_lc_rs::ECDSA_P384_SHA384];
static ED25519: [VerifyAlg; 1] = [webpki::aws_lc_rs::ED25519];

type VerifyAlg = &'static dyn rustls_pki_types::SignatureVerificationAlgorithm;
static ECDSA_SHA256: [VerifyAlg; 2] = [
    webpki::aws_lc_rs::ECDSA_P256_SHA256,
    webpki::aws_lc_rs::ECDSA_P384_SHA256,
];
static ECDSA_SHA384: [VerifyAlg; 2] = [
    webpki::aws_lc_rs::ECDSA_P384_SHA384,
    webpki::aws_lc_rs::ECDSA_P256_SHA384,
];
static RSA_PSS_SHA256: [VerifyAlg; 1] = [webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY];
static RSA_PSS_SHA384: [VerifyAlg; 1] = [webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY];
static RSA_PSS_SHA512: [VerifyAlg; 1] = [webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY];
static RSA_PKCS1_SHA256: [VerifyAlg; 1] = [webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA256];
static RSA_PKCS1_SHA384: [VerifyAlg; 1] = [webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA384];
static RSA_PKCS1_SHA512: [VerifyAlg; 1] = [webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA512];

/// Every algorithm we accept in certificate chains.
pub static CHAIN_ALGORITHMS: &[&dyn rustls_pki_types::SignatureVerificationAlgorithm] = &[
    webpki::aws_lc_rs::ECDSA_P256_SHA256,
    webpki::aws_lc_rs::ECDSA_P256_SHA384,
    webpki::aws_lc_rs::ECDSA_P384_SHA256,
    webpki::aws_lc_rs::ECDSA_P384_SHA384,
    webpki::aws_lc_rs::ED25519,
    webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
    webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA256,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA384,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA512,
    webpki::aws_lc_rs::RSA_PKCS1_3072_8192_SHA384,
];

pub fn random_bytes<const N: usize>() -> Result<[u8; N], Error> {
    let mut out = [0u8; N];
    #[cfg(not(fuzzing))]
    {
        use aws_lc_rs::rand::SecureRandom;
        rand::SystemRandom::new()
            .fill(&mut out)
            .map_err(|_| Error::Internal("random source failed"))?;
    }
    #[cfg(fuzzing)]
    fuzzing::fill(&mut out);
    Ok(out)
}

/// Deterministic randomness for fuzz builds only (`--cfg fuzzing`, which cargo-fuzz sets), so
/// that an input replays to the same run: the same randoms, session IDs, ticket keys and key
/// shares. Never compiled into anything else. ML-KEM keys and encapsulations, RSA padding and
/// ECDSA/RSA-PSS signatures still come from aws-lc's own generator, so handshakes that use them
/// are not reproducible past that point (the fuzz seeds use X25519 and Ed25519 for that reason).
#[cfg(fuzzing)]
pub mod fuzzing {
    use aws_lc_rs::{agreement, digest};
    use std::cell::Cell;

    thread_local! {
        static STATE: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
    }

    /// Restarts this thread's stream of "random" bytes: after `reset(s)` the same calls give
    /// the same bytes.
    pub fn reset(stream: u64) {
        seek((stream, 0));
    }

    /// Where this thread's stream is, so that two connections driven by one thread (the seed
    /// generator's client and server) can each keep their own.
    pub fn position() -> (u64, u64) {
        STATE.with(Cell::get)
    }

    pub fn seek(position: (u64, u64)) {
        STATE.with(|s| s.set(position));
    }

    /// SHA-256 over (stream, counter) in counter mode.
    pub(super) fn fill(out: &mut [u8]) {
        for chunk in out.chunks_mut(32) {
            let (stream, counter) = STATE.with(|s| {
                let (stream, counter) = s.get();
                s.set((stream, counter.wrapping_add(1)));
                (stream, counter)
            });
            let input = [stream.to_be_bytes(), counter.to_be_bytes()].concat();
            let block = digest::digest(&digest::SHA256, &input);
            for (byte, random) in chunk.iter_mut().zip(block.as_ref()) {
                *byte = *random;
            }
        }
    }

    pub(super) fn ecdh_private_key(
        alg: &'static agreement::Algorithm,
    ) -> Result<agreement::PrivateKey, aws_lc_rs::error::Unspecified> {
        let mut bytes = vec![0u8; if alg == &agreement::ECDH_P384 { 48 } else { 32 }];
        fill(&mut bytes);
        agreement::PrivateKey::from_private_key(alg, &bytes)
            .map_err(|_| aws_lc_rs::error::Unspecified)
    }
}

/// RSA-encrypts the pre-master secret to the server certificate's public key (client side of
/// RFC 5246 §7.4.7.1).
pub fn rsa_encrypt_pre_master_secret(
    spki_der: &[u8],
    pre_master_secret: &[u8],
) -> Result<Vec<u8>, Error> {
    use aws_lc_rs::rsa::{Pkcs1PublicEncryptingKey, PublicEncryptingKey};
    let key = PublicEncryptingKey::from_der(spki_der)
        .map_err(|_| Error::IllegalParameter("the server certificate does not hold an RSA key"))?;
    let key = Pkcs1PublicEncryptingKey::new(key).map_err(|_| Error::Internal("RSA key"))?;
    let mut out = vec![0u8; key.ciphertext_size()];
    let written = key
        .encrypt(pre_master_secret, &mut out)
        .map_err(|_| Error::Internal("RSA encryption failed"))?
        .len();
    out.truncate(written);
    Ok(out)
}

impl SigningKey {
    /// RSAES-PKCS1-v1_5 decryption for the RSA key exchange. The caller must treat an error
    /// exactly like a wrong-length or wrong-version result (RFC 5246 §7.4.7.1); see
    /// `server::tls12::decrypt_pre_master_secret`.
    ///
    /// A ciphertext of the wrong length is public knowledge and reveals nothing, but we still
    /// spend the same private-key operation on it (on a copy padded or cut to the modulus
    /// length) and discard the result, so that no kind of bad ClientKeyExchange takes less time.
    pub fn rsa_decrypt<'o>(&self, ciphertext: &[u8], out: &'o mut [u8]) -> Option<&'o [u8]> {
        let Self::Rsa { decrypt, .. } = self else {
            return None;
        };
        let size = decrypt.key_size_bytes();
        if ciphertext.len() == size {
            return decrypt.decrypt(ciphertext, out).ok().map(|p| &*p);
        }
        let mut same_size = vec![0u8; size];
        let n = ciphertext.len().min(size);
        for (dst, src) in same_size.iter_mut().skip(size - n).zip(ciphertext) {
            *dst = *src;
        }
        let _ = decrypt.decrypt(&same_size, out);
        None
    }
}
