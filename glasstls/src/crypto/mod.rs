//! A thin, typed face over aws-lc-rs: the cipher-suite tables (this file), key shares
//! (`kx`), signing keys and the signature-scheme table (`sign`), and randomness (`rand`).
//! No primitive is implemented here.

mod kx;
mod rand;
mod secret;
mod sign;

pub use kx::KeyShare;
#[cfg(fuzzing)]
pub use rand::fuzzing;
pub use rand::{fill_random, random_bytes};
pub use secret::{MAX_SECRET, MasterSecret, Secret};
pub use sign::{
    CHAIN_ALGORITHMS, SigningKey, VERIFY_SCHEMES, rsa_encrypt_pre_master_secret, scheme_key,
    verification_algorithms,
};

use crate::wire::{CipherSuite, NamedGroup};
use aws_lc_rs::{aead, digest, hmac};

/// How the pre-master secret is agreed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyExchange {
    /// RFC 5246 §7.4.7.1: the client encrypts it to the server's RSA key (no forward secrecy).
    Rsa,
    /// RFC 8422: ephemeral elliptic-curve Diffie-Hellman, signed by the server.
    Ecdhe,
}

/// What kind of key a TLS 1.2 suite's certificate must carry (RFC 5246 §7.4.2, RFC 8422 §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Auth {
    /// RSA.
    Rsa,
    /// RFC 8422 §2.1: "the server's certificate MUST contain an ECDSA- or EdDSA-capable public
    /// key".
    Ecdsa,
}

impl Auth {
    /// Whether a key of this kind serves a suite with this authentication.
    pub fn fits(self, key: KeyKind) -> bool {
        match self {
            Self::Rsa => key == KeyKind::Rsa,
            Self::Ecdsa => matches!(key, KeyKind::Ecdsa | KeyKind::Ed25519),
        }
    }
}

/// The kind of a certificate's key, and of the signature schemes that use it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyKind {
    /// RSA (PKCS #1 v1.5 or PSS signatures, and RSA key transport in TLS 1.2).
    Rsa,
    /// ECDSA on a NIST curve.
    Ecdsa,
    /// EdDSA on Curve25519.
    Ed25519,
}

impl std::fmt::Display for KeyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Rsa => "RSA",
            Self::Ecdsa => "ECDSA",
            Self::Ed25519 => "Ed25519",
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// The hash of a suite's PRF or key schedule and transcript.
pub enum Hash {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
}

impl Hash {
    /// The aws-lc-rs digest.
    pub fn digest(self) -> &'static digest::Algorithm {
        match self {
            Self::Sha256 => &digest::SHA256,
            Self::Sha384 => &digest::SHA384,
        }
    }

    /// The aws-lc-rs HMAC over this hash.
    pub fn hmac(self) -> hmac::Algorithm {
        match self {
            Self::Sha256 => hmac::HMAC_SHA256,
            Self::Sha384 => hmac::HMAC_SHA384,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// The record protection of a suite.
pub enum Aead {
    /// AES-128-GCM (RFC 5288, RFC 8446).
    Aes128Gcm,
    /// AES-256-GCM.
    Aes256Gcm,
    /// ChaCha20-Poly1305 (RFC 7905, RFC 8446).
    ChaCha20Poly1305,
}

impl Aead {
    /// The aws-lc-rs AEAD.
    pub fn algorithm(self) -> &'static aead::Algorithm {
        match self {
            Self::Aes128Gcm => &aead::AES_128_GCM,
            Self::Aes256Gcm => &aead::AES_256_GCM,
            Self::ChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
        }
    }

    /// The key length in bytes.
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

    /// The authentication tag's length, for every AEAD we use.
    pub const TAG_LEN: usize = 16;
}

/// One row of the suite table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Suite {
    /// The code point.
    pub suite: CipherSuite,
    /// How the pre-master secret is agreed.
    pub kx: KeyExchange,
    /// What the certificate's key must be.
    pub auth: Auth,
    /// The record protection.
    pub aead: Aead,
    /// The PRF's (TLS 1.2) or key schedule's (TLS 1.3) hash.
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

/// The TLS 1.2 suite of this code point, if we implement it.
pub fn suite(suite: CipherSuite) -> Option<&'static Suite> {
    ALL_SUITES.iter().find(|s| s.suite == suite)
}

/// A TLS 1.3 suite names only the AEAD and the hash (RFC 8446 §B.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Suite13 {
    /// The code point.
    pub suite: CipherSuite,
    /// The record protection.
    pub aead: Aead,
    /// The PRF's (TLS 1.2) or key schedule's (TLS 1.3) hash.
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

/// The TLS 1.3 suite of this code point, if we implement it.
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
    NamedGroup::secp521r1,
];

/// Whether a group may be used with TLS 1.2 (the hybrid is defined for TLS 1.3 only).
pub fn group_usable_in_tls12(group: NamedGroup) -> bool {
    kx::is_ecdh(group)
}

/// Whether two byte strings are equal, in time that depends only on their lengths.
pub fn equal_in_constant_time(a: &[u8], b: &[u8]) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}
