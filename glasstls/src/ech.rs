//! Encrypted Client Hello configurations (RFC 9849 §4): the ECHConfig a server publishes (in a
//! DNS HTTPS record's `ech=` parameter, as an ECHConfigList in base64) and the private key
//! that goes with it.
//!
//! ```text
//! struct { HpkeKdfId kdf_id; HpkeAeadId aead_id; } HpkeSymmetricCipherSuite;
//! struct { uint8 config_id; HpkeKemId kem_id; HpkePublicKey public_key<1..2^16-1>;
//!          HpkeSymmetricCipherSuite cipher_suites<4..2^16-4>; } HpkeKeyConfig;
//! struct { HpkeKeyConfig key_config; uint8 maximum_name_length;
//!          opaque public_name<1..255>; ECHConfigExtension extensions<0..2^16-1>; }
//!        ECHConfigContents;
//! struct { uint16 version; uint16 length; ECHConfigContents contents; } ECHConfig;
//! ECHConfig ECHConfigList<4..2^16-1>;
//! ```

use crate::error::Error;
use crate::hpke::{self, KemKeyPair};
use crate::wire::codec::{LengthPrefix, Reader, put_prefixed, put_vec};
use crate::wire::{ExtensionType, InvalidMessage};
use zeroize::Zeroizing;

/// RFC 9849 §4: the version of ECHConfig this specification defines (the extension's code
/// point).
pub const ECH_VERSION: u16 = 0xfe0d;

/// RFC 9849 §5: the encrypted_client_hello extension.
pub(crate) const ENCRYPTED_CLIENT_HELLO: ExtensionType = ExtensionType::EncryptedClientHello;
/// RFC 9849 §5.1: ech_outer_extensions, which names the outer hello's extensions an inner one
/// reuses.
pub(crate) const ECH_OUTER_EXTENSIONS: ExtensionType = ExtensionType::EchOuterExtensions;

/// Where the body of the encrypted_client_hello extension lies in a hello message (`raw`:
/// its 4-byte header included), from the trace's field layout (`trace::field_spans`, which
/// walks a message by its length prefixes whatever its bytes); `None` without one.
pub(crate) fn extension_body(
    typ: crate::wire::HandshakeType,
    raw: &[u8],
) -> Option<std::ops::Range<usize>> {
    let id = crate::trace::FieldId::Extension(ENCRYPTED_CLIENT_HELLO).id();
    let span = crate::trace::field_spans(typ, raw)
        .into_iter()
        .find(|s| s.id == id)?;
    // The span holds the extension's type and length (4 bytes), then its body.
    Some(span.start.checked_add(4)?..span.end)
}

/// One ECHConfig (version 0xfe0d).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EchConfig {
    /// Which key the client used: the server looks it up by this.
    pub config_id: u8,
    /// The HPKE KEM (0x0020: DHKEM(X25519, HKDF-SHA256)).
    pub kem_id: u16,
    /// The server's HPKE public key.
    pub public_key: Vec<u8>,
    /// (kdf_id, aead_id) pairs the server accepts.
    pub cipher_suites: Vec<(u16, u16)>,
    /// The longest name the server expects, for the client's padding (RFC 9849 §6.1.3).
    pub maximum_name_length: u8,
    /// The name in the outer ClientHello: what an eavesdropper sees.
    pub public_name: String,
    /// ECHConfigExtensions, kept as they are.
    pub extensions: Vec<(u16, Vec<u8>)>,
}

impl EchConfig {
    /// The ECHConfig's bytes (version, length, contents): what the HPKE info of RFC 9849 §6.1
    /// is computed over.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&ECH_VERSION.to_be_bytes());
        put_prefixed(&mut out, LengthPrefix::U16, |out| {
            out.push(self.config_id);
            out.extend_from_slice(&self.kem_id.to_be_bytes());
            put_vec(out, LengthPrefix::U16, &self.public_key);
            put_prefixed(out, LengthPrefix::U16, |out| {
                for (kdf, aead) in &self.cipher_suites {
                    out.extend_from_slice(&kdf.to_be_bytes());
                    out.extend_from_slice(&aead.to_be_bytes());
                }
            });
            out.push(self.maximum_name_length);
            put_vec(out, LengthPrefix::U8, self.public_name.as_bytes());
            put_prefixed(out, LengthPrefix::U16, |out| {
                for (typ, data) in &self.extensions {
                    out.extend_from_slice(&typ.to_be_bytes());
                    put_vec(out, LengthPrefix::U16, data);
                }
            });
        });
        out
    }

    /// The contents of one ECHConfig of version 0xfe0d.
    fn read_contents(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let config_id = r.u8("config_id")?;
        let kem_id = r.u16("kem_id")?;
        let public_key = r.vec(LengthPrefix::U16, "public_key")?;
        if public_key.is_empty() {
            return Err(InvalidMessage::BadLength("public_key"));
        }
        let mut suites = r.sub(LengthPrefix::U16, "cipher_suites")?;
        let mut cipher_suites = Vec::new();
        while !suites.is_empty() {
            cipher_suites.push((suites.u16("kdf_id")?, suites.u16("aead_id")?));
        }
        if cipher_suites.is_empty() {
            return Err(InvalidMessage::BadLength("cipher_suites"));
        }
        let maximum_name_length = r.u8("maximum_name_length")?;
        let name = r.vec(LengthPrefix::U8, "public_name")?;
        if name.is_empty() {
            return Err(InvalidMessage::BadLength("public_name"));
        }
        let public_name =
            String::from_utf8(name).map_err(|_| InvalidMessage::IllegalValue("public_name"))?;
        let mut exts = r.sub(LengthPrefix::U16, "extensions")?;
        let mut extensions = Vec::new();
        while !exts.is_empty() {
            let typ = exts.u16("extension type")?;
            extensions.push((typ, exts.vec(LengthPrefix::U16, "extension data")?));
        }
        r.expect_empty("ECHConfigContents")?;
        Ok(Self {
            config_id,
            kem_id,
            public_key,
            cipher_suites,
            maximum_name_length,
            public_name,
            extensions,
        })
    }
}

/// An ECHConfigList: the configs of the versions we know, in order (RFC 9849 §4: "Clients MUST
/// ignore any ECHConfig structure with a version they do not support").
pub fn parse_config_list(bytes: &[u8]) -> Result<Vec<EchConfig>, InvalidMessage> {
    let mut r = Reader::new(bytes);
    let mut list = r.sub(LengthPrefix::U16, "ECHConfigList")?;
    r.expect_empty("ECHConfigList")?;
    if list.is_empty() {
        return Err(InvalidMessage::BadLength("ECHConfigList"));
    }
    let mut configs = Vec::new();
    while !list.is_empty() {
        let version = list.u16("ECHConfig.version")?;
        let mut contents = list.sub(LengthPrefix::U16, "ECHConfig.contents")?;
        if version == ECH_VERSION {
            configs.push(EchConfig::read_contents(&mut contents)?);
        }
    }
    Ok(configs)
}

/// The ECHConfigList of `configs`.
pub fn config_list(configs: &[EchConfig]) -> Vec<u8> {
    let mut out = Vec::new();
    put_prefixed(&mut out, LengthPrefix::U16, |out| {
        for config in configs {
            out.extend_from_slice(&config.to_bytes());
        }
    });
    out
}

/// Which message confirms ECH acceptance.
pub(crate) enum Confirming {
    /// RFC 9849 §7.2: the last 8 bytes of ServerHello.random.
    ServerHello,
    /// RFC 9849 §7.2.1: the HelloRetryRequest's encrypted_client_hello payload.
    HelloRetryRequest,
}

/// RFC 9849 §7.2: accept_confirmation = HKDF-Expand-Label(HKDF-Extract(0,
/// ClientHelloInner.random), "ech accept confirmation" (or "hrr ech accept confirmation"),
/// Transcript-Hash(… the confirming message with those 8 bytes zero), 8).
pub(crate) fn confirmation(
    hash: crate::crypto::Hash,
    which: Confirming,
    inner_random: &[u8; 32],
    transcript_hash: &[u8],
) -> [u8; 8] {
    let label: &[u8] = match which {
        Confirming::ServerHello => b"ech accept confirmation",
        Confirming::HelloRetryRequest => b"hrr ech accept confirmation",
    };
    derive_confirmation(hash, label, inner_random, transcript_hash)
}

fn derive_confirmation(
    hash: crate::crypto::Hash,
    label: &[u8],
    inner_random: &[u8; 32],
    transcript_hash: &[u8],
) -> [u8; 8] {
    use crate::tls13::key_schedule::{Expander, extract};
    let zeros = [0u8; 48];
    let salt = zeros.get(..hash.digest().output_len).unwrap_or(&zeros);
    let secret = extract(hash, salt, inner_random);
    let okm = Expander::new(hash, &secret).expand_label(label, transcript_hash, 8);
    let mut out = [0u8; 8];
    out.copy_from_slice(okm.get(..8).unwrap_or(&[0; 8]));
    out
}

/// How a client uses Encrypted Client Hello (RFC 9849 §6).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum EchMode {
    /// No encrypted_client_hello extension at all.
    Off,
    /// §6.2.1: a GREASE encrypted_client_hello (random bytes shaped like a real offer), so
    /// that hellos which hide their name do not stand out, as browsers send. The default.
    #[default]
    Grease,
    /// Offer ECH with the first usable config of this list (the ECHConfigList of the server's
    /// DNS HTTPS record); GREASE when none is usable.
    Offer(Vec<EchConfig>),
    /// Offer ECH with the retry_configs a rejection returned ([`EchRejection`]): a second
    /// rejection that sends retry configs again is reported, not retried (§6.1.6: "Clients
    /// SHOULD NOT accept "retry_config" in response to a connection initiated in response to
    /// a "retry_config"").
    Retry(Vec<EchConfig>),
}

impl EchMode {
    /// [`EchMode::Offer`] from an ECHConfigList's bytes (base64-decoded from DNS).
    pub fn from_config_list(bytes: &[u8]) -> Result<Self, InvalidMessage> {
        Ok(Self::Offer(parse_config_list(bytes)?))
    }
}

/// A server that did not accept our Encrypted Client Hello, and proved it is the config's
/// public name (RFC 9849 §6.1.6): the connection is not used (it authenticated only the public
/// name) and ended with an ech_required alert.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EchRejection {
    /// The name the server's certificate was verified for.
    pub public_name: String,
    /// The configs it sent to retry with, versions we know only. Empty: the server has turned
    /// ECH off ("securely disabled"); connecting again without ECH would send the name in
    /// clear, so that is the caller's decision.
    pub retry_configs: Vec<EchConfig>,
    /// The ECHConfigList as the server sent it (configs of every version; empty if none), to
    /// hand on whole where another stack will read it.
    pub retry_config_list: Vec<u8>,
    /// This connection was itself the retry ([`EchMode::Retry`]): do not retry again.
    pub after_retry: bool,
}

impl std::fmt::Display for EchRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Self {
            public_name,
            retry_configs,
            after_retry,
            ..
        } = self;
        match (retry_configs.len(), after_retry) {
            (0, _) => write!(
                f,
                "the server ({public_name}) did not accept Encrypted Client Hello and sent no \
                 retry configs: it has turned ECH off (connecting without it would send the name \
                 in clear)"
            ),
            (_, true) => write!(
                f,
                "the server ({public_name}) rejected Encrypted Client Hello again, with the \
                 configs it had just sent: it is misconfigured (not retried)"
            ),
            (n, false) => write!(
                f,
                "the server did not accept Encrypted Client Hello: it proved it is {public_name} \
                 and sent {n} new config{} to retry with",
                if n == 1 { "" } else { "s" }
            ),
        }
    }
}

/// A server's ECH key: the config it publishes and the private key that opens it.
pub struct EchKey {
    /// What clients get (in DNS, or in retry_configs).
    pub config: EchConfig,
    pub(crate) key: KemKeyPair,
    /// Whether rejected clients are sent this config to retry with (a key kept only to open
    /// what clients still send under it, while it is rotated out, is not).
    pub retry: bool,
}

/// The suites a config of ours offers: every AEAD we have, with HKDF-SHA256.
const SUITES: &[(hpke::Kdf, hpke::Aead)] = &[
    (hpke::Kdf::HkdfSha256, hpke::Aead::Aes128Gcm),
    (hpke::Kdf::HkdfSha256, hpke::Aead::Aes256Gcm),
    (hpke::Kdf::HkdfSha256, hpke::Aead::ChaCha20Poly1305),
];

/// PKCS #8 (RFC 8410 §7) for an X25519 private key: this prefix, then its 32 bytes.
const X25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
];

impl EchKey {
    /// A new X25519 key and its config, for `public_name`, numbered `config_id`.
    pub fn generate(public_name: &str, config_id: u8) -> Result<Self, Error> {
        Self::with_key(public_name, config_id, KemKeyPair::generate()?)
    }

    /// The key RFC 9180 §7.1.3's DeriveKeyPair makes from `seed` (at least 32 bytes of
    /// secret), and its config: the same seed gives the same key, for reproducible tests and
    /// fuzzing.
    pub fn from_seed(public_name: &str, config_id: u8, seed: &[u8]) -> Result<Self, Error> {
        Self::with_key(public_name, config_id, KemKeyPair::derive(seed)?)
    }

    fn with_key(public_name: &str, config_id: u8, key: KemKeyPair) -> Result<Self, Error> {
        if public_name.is_empty() || public_name.len() > 255 {
            return Err(crate::error::ConfigError::EchPublicName(public_name.to_string()).into());
        }
        let config = EchConfig {
            config_id,
            kem_id: hpke::KEM_X25519_SHA256,
            public_key: key.public.clone(),
            cipher_suites: SUITES
                .iter()
                .map(|(kdf, aead)| (*kdf as u16, *aead as u16))
                .collect(),
            maximum_name_length: 0,
            public_name: public_name.to_string(),
            extensions: Vec::new(),
        };
        Ok(Self {
            config,
            key,
            retry: true,
        })
    }

    /// The private key as PKCS #8 DER (RFC 8410).
    pub fn private_key_pkcs8(&self) -> Result<Zeroizing<Vec<u8>>, Error> {
        let raw = self.key.private_bytes()?;
        let mut der = Zeroizing::new(X25519_PKCS8_PREFIX.to_vec());
        der.extend_from_slice(&raw);
        Ok(der)
    }

    /// The key from its PKCS #8 DER and its ECHConfig.
    pub fn from_parts(pkcs8: &[u8], config: EchConfig) -> Result<Self, Error> {
        let bad = || Error::Config(crate::error::ConfigError::EchKey);
        let raw = pkcs8
            .strip_prefix(&X25519_PKCS8_PREFIX[..])
            .filter(|k| k.len() == 32)
            .ok_or_else(bad)?;
        Self::from_raw(raw, config)
    }

    /// The key from its 32 raw X25519 bytes and its ECHConfig.
    pub fn from_raw(private: &[u8], config: EchConfig) -> Result<Self, Error> {
        let bad = || Error::Config(crate::error::ConfigError::EchKey);
        let key = KemKeyPair::from_private_bytes(private).map_err(|_| bad())?;
        if key.public != config.public_key || config.kem_id != hpke::KEM_X25519_SHA256 {
            return Err(bad());
        }
        Ok(Self {
            config,
            key,
            retry: true,
        })
    }

    /// One ECHConfig (version, length, contents), as a server is given it.
    pub fn parse_config(bytes: &[u8]) -> Result<EchConfig, InvalidMessage> {
        let mut list = Vec::with_capacity(bytes.len() + 2);
        let len = u16::try_from(bytes.len()).map_err(|_| InvalidMessage::BadLength("ECHConfig"))?;
        list.extend_from_slice(&len.to_be_bytes());
        list.extend_from_slice(bytes);
        parse_config_list(&list)?
            .into_iter()
            .next()
            .ok_or(InvalidMessage::IllegalValue("ECHConfig.version"))
    }

    /// The key and config in the PEM form ECH tools share (a PRIVATE KEY block, then an
    /// ECHCONFIG block holding the ECHConfigList).
    pub fn to_pem(&self) -> Result<Zeroizing<String>, Error> {
        let der = self.private_key_pkcs8()?;
        let list = config_list(std::slice::from_ref(&self.config));
        let mut out = Zeroizing::new(String::new());
        out.push_str(&pem_block("PRIVATE KEY", &der));
        out.push_str(&pem_block("ECHCONFIG", &list));
        Ok(out)
    }

    /// The key from `to_pem`'s form (draft-farrell-tls-pemesni's "ECHConfig file"), read
    /// with rustls-pki-types.
    pub fn from_pem(pem: &str) -> Result<Self, Error> {
        use rustls_pki_types::EchConfigListBytes;
        use rustls_pki_types::pem::{PemObject, SectionKind};
        let bad = || Error::Config(crate::error::ConfigError::EchKey);
        let sections = <(SectionKind, Vec<u8>)>::pem_slice_iter(pem.as_bytes());
        let (list, key) =
            EchConfigListBytes::config_and_key_from_iter(sections).map_err(|_| bad())?;
        let config = parse_config_list(&list)
            .map_err(|_| bad())?
            .into_iter()
            .next()
            .ok_or_else(bad)?;
        Self::from_parts(key.secret_pkcs8_der(), config)
    }
}

/// One PEM block (RFC 7468): rustls-pki-types reads PEM but does not write it.
fn pem_block(label: &str, der: &[u8]) -> String {
    let body = base64(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Standard base64 (RFC 4648 §4), with padding: the form of a DNS HTTPS record's `ech=`.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                let digit = ALPHABET.get(((n >> shift) & 63) as usize).copied();
                out.push(char::from(digit.unwrap_or(b'=')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64, whitespace ignored; `None` when it is not base64.
pub fn unbase64(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    };
    let clean: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let trimmed: &[u8] = {
        let mut end = clean.len();
        while end > 0 && clean.get(end - 1) == Some(&b'=') {
            end -= 1;
        }
        clean.get(..end)?
    };
    let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
    for chunk in trimmed.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= value(*c)? << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        match chunk.len() {
            4 => out.extend_from_slice(bytes.get(1..4)?),
            3 => out.extend_from_slice(bytes.get(1..3)?),
            2 => out.extend_from_slice(bytes.get(1..2)?),
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_config_round_trips_through_its_list_and_pem() {
        let key = EchKey::generate("public.example", 7).unwrap();
        let list = config_list(std::slice::from_ref(&key.config));
        assert_eq!(parse_config_list(&list).unwrap(), vec![key.config.clone()]);
        let again = EchKey::from_pem(&key.to_pem().unwrap()).unwrap();
        assert_eq!(again.config, key.config);
        assert_eq!(again.key.public, key.key.public);
    }

    #[test]
    fn unknown_versions_are_skipped_and_malformed_lists_refused() {
        let key = EchKey::generate("p.example", 1).unwrap();
        let mut inner = vec![0xfe, 0x0c, 0x00, 0x02, 0xaa, 0xbb];
        inner.extend(key.config.to_bytes());
        let mut list = (inner.len() as u16).to_be_bytes().to_vec();
        list.extend(inner);
        assert_eq!(parse_config_list(&list).unwrap(), vec![key.config]);
        assert!(parse_config_list(&[0, 0]).is_err());
        for cut in 0..list.len() {
            let _ = parse_config_list(&list[..cut]);
        }
    }

    #[test]
    fn base64_round_trips() {
        for n in 0..10 {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 37) as u8).collect();
            assert_eq!(unbase64(&base64(&bytes)).unwrap(), bytes);
        }
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(unbase64("Zm9v\nYg=="), Some(b"foob".to_vec()));
        assert_eq!(unbase64("Zm9*"), None);
    }
}
