//! Handshake signatures: the proof that the server holds its certificate's private key, in
//! TLS 1.2's ServerKeyExchange (RFC 5246 §7.4.3, RFC 8422 §5.4) and TLS 1.3's
//! CertificateVerify (RFC 8446 §4.4.3). One check for both, on rustls-webpki.

use crate::crypto::{self, Auth};
use crate::error::{DecryptError, Error, PeerMisbehaved};
use crate::version::Version;
use crate::wire::SignatureScheme;
use rustls_pki_types::CertificateDer;

/// Proof that a handshake signature verified with the end-entity certificate's key. Made only
/// by [`verify_handshake_signature`]; the client's traffic state holds one (or, for the RSA
/// key exchange, the Finished that only the key's holder could have made).
#[derive(Debug)]
pub struct HandshakeSignatureVerified(());

/// A handshake signature as received: its scheme, what it signs, and the signature.
pub struct Signed<'a> {
    pub scheme: SignatureScheme,
    pub message: &'a [u8],
    pub signature: &'a [u8],
}

/// Checks a handshake signature with `end_entity`'s key. The scheme must be one we `offered`,
/// one the version allows (RFC 8446 §4.2.3: no PKCS #1 v1.5 in TLS 1.3, and ECDSA schemes name
/// their curve), and in TLS 1.2 one whose key fits the suite's authentication (RFC 5246
/// §7.4.3, RFC 8422 §2.1: `auth`): else illegal_parameter. A signature that does not verify is
/// decrypt_error (`failure` names the message that carried it).
pub fn verify_handshake_signature(
    end_entity: &CertificateDer<'_>,
    version: Version,
    signed: Signed<'_>,
    offered: &[SignatureScheme],
    auth: Option<Auth>,
    failure: DecryptError,
) -> Result<HandshakeSignatureVerified, Error> {
    let Signed {
        scheme,
        message,
        signature,
    } = signed;
    let algorithms = crypto::verification_algorithms(scheme, version);
    let fits_suite = match auth {
        None => true,
        Some(auth) => crypto::scheme_key(scheme).is_some_and(|key| auth.fits(key)),
    };
    let allowed = match version {
        Version::Tls12 => fits_suite,
        Version::Tls13 => !algorithms.is_empty(),
    };
    if !offered.contains(&scheme) || !allowed {
        return Err(PeerMisbehaved::SchemeNotOffered.into());
    }
    let cert = webpki::EndEntityCert::try_from(end_entity)
        .map_err(|e| crate::error::CertificateError::BadEncoding(super::in_words(&e)))?;
    let mut fits_key = false;
    for alg in algorithms {
        match cert.verify_signature(*alg, message, signature) {
            Ok(()) => return Ok(HandshakeSignatureVerified(())),
            Err(webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_)) => {}
            Err(_) => fits_key = true,
        }
    }
    // A scheme for another kind of key than the certificate's (ECDSA with an RSA key, P-384
    // with a P-256 key, PKCS #1 with an RSA-PSS-only key) is a value that does not fit, not a
    // signature that failed: illegal_parameter (RFC 8446 §4.4.3: the signature must use "the
    // private key corresponding to the public key in the sender's end-entity certificate").
    if !fits_key {
        return Err(PeerMisbehaved::SchemeDoesNotFitKey.into());
    }
    Err(failure.into())
}
