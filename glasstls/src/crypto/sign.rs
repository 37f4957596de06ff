//! Signing keys (RSA, ECDSA, Ed25519) and RSA key transport, through aws-lc-rs; the table of
//! signature schemes (the key each needs, and what rustls-webpki verifies it with).

use super::KeyKind;
use crate::error::{ConfigError, Error, InternalError, PeerMisbehaved};
use crate::version::Version;
use crate::wire::{NamedGroup, SignatureScheme};
use aws_lc_rs::{rand, signature};
use rustls_pki_types::PrivateKeyDer;
use std::fmt;

/// A server's private key: it signs ServerKeyExchange and, for RSA, decrypts the pre-master
/// secret.
pub enum SigningKey {
    /// An RSA key: signs, and decrypts the RSA key exchange's pre-master secret.
    Rsa {
        /// The signing half.
        pair: signature::RsaKeyPair,
        /// The same key, for RSAES-PKCS1-v1_5 decryption.
        decrypt: aws_lc_rs::rsa::Pkcs1PrivateDecryptingKey,
    },
    /// An ECDSA key on P-256 or P-384.
    Ecdsa {
        /// The key.
        pair: signature::EcdsaKeyPair,
        /// The one scheme it signs with.
        scheme: SignatureScheme,
    },
    /// An Ed25519 key.
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
    /// The key in a DER private key (PKCS #1, PKCS #8 or SEC1).
    pub fn from_der(key: &PrivateKeyDer<'_>) -> Result<Self, Error> {
        let bad = || Error::Config(ConfigError::UnsupportedKey);
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
            .map_err(|_| Error::Internal(InternalError::KeyMaterial))?;
        let private = aws_lc_rs::rsa::PrivateDecryptingKey::from_pkcs8(pkcs8.as_ref())
            .map_err(|_| Error::Internal(InternalError::KeyMaterial))?;
        let decrypt = aws_lc_rs::rsa::Pkcs1PrivateDecryptingKey::new(private)
            .map_err(|_| Error::Internal(InternalError::KeyMaterial))?;
        Ok(Self::Rsa { pair, decrypt })
    }

    /// The public key's bytes as a certificate's subjectPublicKey holds them (RSA: the
    /// RSAPublicKey DER; ECDSA: the uncompressed point; Ed25519: its 32 bytes).
    pub fn public_key(&self) -> &[u8] {
        use aws_lc_rs::signature::KeyPair;
        match self {
            Self::Rsa { pair, .. } => pair.public_key().as_ref(),
            Self::Ecdsa { pair, .. } => pair.public_key().as_ref(),
            Self::Ed25519(pair) => pair.public_key().as_ref(),
        }
    }

    /// The kind of key (RFC 8422 §5.3: EdDSA certificates serve the ECDHE_ECDSA suites in
    /// TLS 1.2, see `Auth::fits`).
    pub fn kind(&self) -> KeyKind {
        match self {
            Self::Rsa { .. } => KeyKind::Rsa,
            Self::Ecdsa { .. } => KeyKind::Ecdsa,
            Self::Ed25519(_) => KeyKind::Ed25519,
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
            Self::Ecdsa {
                scheme: SignatureScheme::ecdsa_secp521r1_sha512,
                ..
            } => Some(NamedGroup::secp521r1),
            _ => None,
        }
    }

    /// The schemes this key can sign a handshake of `version` with, best first. RFC 8446
    /// §4.4.3 allows RSA only with PSS in TLS 1.3 (the first three of `RSA_SCHEMES`).
    pub fn schemes(&self, version: Version) -> &[SignatureScheme] {
        match (self, version) {
            (Self::Rsa { .. }, Version::Tls12) => RSA_SCHEMES,
            (Self::Rsa { .. }, Version::Tls13) => RSA_SCHEMES.get(..3).unwrap_or_default(),
            (Self::Ecdsa { scheme, .. }, _) => std::slice::from_ref(scheme),
            (Self::Ed25519(_), _) => &[SignatureScheme::ed25519],
        }
    }

    /// Signs `message` with `scheme`, which must fit the key.
    pub fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, Error> {
        let rng = rand::SystemRandom::new();
        let failed = |_| Error::Internal(InternalError::Signing);
        match self {
            Self::Rsa { pair, .. } => {
                let padding: &'static dyn signature::RsaEncoding = match scheme {
                    SignatureScheme::rsa_pss_rsae_sha256 => &signature::RSA_PSS_SHA256,
                    SignatureScheme::rsa_pss_rsae_sha384 => &signature::RSA_PSS_SHA384,
                    SignatureScheme::rsa_pss_rsae_sha512 => &signature::RSA_PSS_SHA512,
                    SignatureScheme::rsa_pkcs1_sha256 => &signature::RSA_PKCS1_SHA256,
                    SignatureScheme::rsa_pkcs1_sha384 => &signature::RSA_PKCS1_SHA384,
                    SignatureScheme::rsa_pkcs1_sha512 => &signature::RSA_PKCS1_SHA512,
                    _ => return Err(Error::Internal(InternalError::Signing)),
                };
                let mut sig = vec![0u8; pair.public_modulus_len()];
                pair.sign(padding, &rng, message, &mut sig)
                    .map_err(failed)?;
                Ok(sig)
            }
            Self::Ecdsa { pair, scheme: own } if *own == scheme => {
                Ok(pair.sign(&rng, message).map_err(failed)?.as_ref().to_vec())
            }
            Self::Ecdsa { .. } => Err(Error::Internal(InternalError::Signing)),
            Self::Ed25519(pair) if scheme == SignatureScheme::ed25519 => {
                Ok(pair.sign(message).as_ref().to_vec())
            }
            Self::Ed25519(_) => Err(Error::Internal(InternalError::Signing)),
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
    (
        &signature::ECDSA_P521_SHA512_ASN1_SIGNING,
        SignatureScheme::ecdsa_secp521r1_sha512,
    ),
];

/// The signature schemes a glasstls client offers and accepts, best first.
pub static VERIFY_SCHEMES: &[SignatureScheme] = &[
    SignatureScheme::ecdsa_secp256r1_sha256,
    SignatureScheme::ecdsa_secp384r1_sha384,
    SignatureScheme::ecdsa_secp521r1_sha512,
    SignatureScheme::ed25519,
    SignatureScheme::rsa_pss_rsae_sha256,
    SignatureScheme::rsa_pss_rsae_sha384,
    SignatureScheme::rsa_pss_rsae_sha512,
    SignatureScheme::rsa_pkcs1_sha256,
    SignatureScheme::rsa_pkcs1_sha384,
    SignatureScheme::rsa_pkcs1_sha512,
];

type VerifyAlg = &'static dyn rustls_pki_types::SignatureVerificationAlgorithm;

/// One row of the signature-scheme table: the kind of key a scheme needs, and the
/// rustls-webpki algorithms it may stand for in each version.
struct SchemeRow {
    scheme: SignatureScheme,
    key: KeyKind,
    /// TLS 1.2: the ECDSA code points name the hash but not the curve, so one scheme maps to
    /// several algorithms.
    tls12: &'static [VerifyAlg],
    /// RFC 8446 §4.2.3: in TLS 1.3 an ECDSA scheme names its curve, and RSA signatures in
    /// CertificateVerify must be PSS ("RSASSA-PKCS1-v1_5 algorithms ... MUST NOT be used").
    tls13: &'static [VerifyAlg],
}

macro_rules! schemes {
    ($($scheme:ident: $key:ident, [$($tls12:ident),*], [$($tls13:ident),*];)*) => {
        static SCHEMES: &[SchemeRow] = &[
            $(SchemeRow {
                scheme: SignatureScheme::$scheme,
                key: KeyKind::$key,
                tls12: &[$(webpki::aws_lc_rs::$tls12),*],
                tls13: &[$(webpki::aws_lc_rs::$tls13),*],
            },)*
        ];
    };
}

schemes! {
    ecdsa_secp256r1_sha256: Ecdsa, [ECDSA_P256_SHA256, ECDSA_P384_SHA256, ECDSA_P521_SHA256], [ECDSA_P256_SHA256];
    ecdsa_secp384r1_sha384: Ecdsa, [ECDSA_P384_SHA384, ECDSA_P256_SHA384, ECDSA_P521_SHA384], [ECDSA_P384_SHA384];
    ecdsa_secp521r1_sha512: Ecdsa, [ECDSA_P521_SHA512, ECDSA_P256_SHA512, ECDSA_P384_SHA512], [ECDSA_P521_SHA512];
    ecdsa_sha1: Ecdsa, [], [];
    ed25519: Ed25519, [ED25519], [ED25519];
    rsa_pss_rsae_sha256: Rsa, [RSA_PSS_2048_8192_SHA256_LEGACY_KEY], [RSA_PSS_2048_8192_SHA256_LEGACY_KEY];
    rsa_pss_rsae_sha384: Rsa, [RSA_PSS_2048_8192_SHA384_LEGACY_KEY], [RSA_PSS_2048_8192_SHA384_LEGACY_KEY];
    rsa_pss_rsae_sha512: Rsa, [RSA_PSS_2048_8192_SHA512_LEGACY_KEY], [RSA_PSS_2048_8192_SHA512_LEGACY_KEY];
    rsa_pss_pss_sha256: Rsa, [], [];
    rsa_pkcs1_sha256: Rsa, [RSA_PKCS1_2048_8192_SHA256], [];
    rsa_pkcs1_sha384: Rsa, [RSA_PKCS1_2048_8192_SHA384], [];
    rsa_pkcs1_sha512: Rsa, [RSA_PKCS1_2048_8192_SHA512], [];
    rsa_pkcs1_sha1: Rsa, [], [];
}

fn row(scheme: SignatureScheme) -> Option<&'static SchemeRow> {
    SCHEMES.iter().find(|r| r.scheme == scheme)
}

/// The kind of key a signature scheme signs with, for the schemes the table knows.
pub fn scheme_key(scheme: SignatureScheme) -> Option<KeyKind> {
    row(scheme).map(|r| r.key)
}

/// The rustls-webpki algorithms a scheme may stand for in a handshake signature of `version`
/// (empty: we cannot verify it).
pub fn verification_algorithms(scheme: SignatureScheme, version: Version) -> &'static [VerifyAlg] {
    match (row(scheme), version) {
        (Some(r), Version::Tls12) => r.tls12,
        (Some(r), Version::Tls13) => r.tls13,
        (None, _) => &[],
    }
}

/// Every algorithm we accept in certificate chains.
pub static CHAIN_ALGORITHMS: &[&dyn rustls_pki_types::SignatureVerificationAlgorithm] = &[
    webpki::aws_lc_rs::ECDSA_P256_SHA256,
    webpki::aws_lc_rs::ECDSA_P256_SHA384,
    webpki::aws_lc_rs::ECDSA_P384_SHA256,
    webpki::aws_lc_rs::ECDSA_P384_SHA384,
    webpki::aws_lc_rs::ECDSA_P521_SHA256,
    webpki::aws_lc_rs::ECDSA_P521_SHA384,
    webpki::aws_lc_rs::ECDSA_P521_SHA512,
    webpki::aws_lc_rs::ED25519,
    webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
    webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA256,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA384,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA512,
    webpki::aws_lc_rs::RSA_PKCS1_3072_8192_SHA384,
];

/// RSA-encrypts the pre-master secret to the server certificate's public key (client side of
/// RFC 5246 §7.4.7.1).
pub fn rsa_encrypt_pre_master_secret(
    spki_der: &[u8],
    pre_master_secret: &[u8],
) -> Result<Vec<u8>, Error> {
    use aws_lc_rs::rsa::{Pkcs1PublicEncryptingKey, PublicEncryptingKey};
    let key = PublicEncryptingKey::from_der(spki_der)
        .map_err(|_| Error::PeerMisbehaved(PeerMisbehaved::CertificateKeyNotRsa))?;
    let key = Pkcs1PublicEncryptingKey::new(key)
        .map_err(|_| Error::Internal(InternalError::KeyMaterial))?;
    let mut out = vec![0u8; key.ciphertext_size()];
    // A key aws-lc parses but will not encrypt to (an RSA-PSS-only key) is the certificate's
    // fault, not ours.
    let written = key
        .encrypt(pre_master_secret, &mut out)
        .map_err(|_| Error::PeerMisbehaved(PeerMisbehaved::CertificateKeyNotRsa))?
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
