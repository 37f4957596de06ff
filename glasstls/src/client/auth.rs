//! The client's side of client authentication (RFC 5246 §7.4.6, RFC 8446 §4.4.2): which
//! certificate, if any, answers a CertificateRequest, and with which signature scheme.

use crate::config::{ClientConfig, Identity};
use crate::crypto::KeyKind;
use crate::version::Version;
use crate::wire::{CertificateRequest, SignatureScheme};

/// Our identity and the scheme its CertificateVerify uses, when the server accepts them: a
/// scheme it listed that our key can sign with (our order of preference), and in TLS 1.2 a key
/// of a certificate type it named. `None`: an empty Certificate answers.
pub(super) fn choose<'c>(
    config: &'c ClientConfig,
    version: Version,
    server_schemes: &[SignatureScheme],
    certificate_types: Option<&[u8]>,
) -> Option<(&'c Identity, SignatureScheme)> {
    let identity = config.identity.as_ref()?;
    if let Some(types) = certificate_types {
        let wanted = match identity.key.kind() {
            KeyKind::Rsa => CertificateRequest::RSA_SIGN,
            KeyKind::Ecdsa | KeyKind::Ed25519 => CertificateRequest::ECDSA_SIGN,
        };
        if !types.contains(&wanted) {
            return None;
        }
    }
    let scheme = identity
        .signing_schemes(version)
        .find(|s| server_schemes.contains(s))?;
    Some((identity, scheme))
}
