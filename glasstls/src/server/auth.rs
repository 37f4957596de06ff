//! The server's side of client authentication (RFC 5246 §7.4.4–§7.4.8, RFC 8446 §4.3.2,
//! §4.4.2–§4.4.3), shared by both versions: the client's chain, and its CertificateVerify.

use crate::config::{ClientAuth, ServerConfig};
use crate::conn::Core;
use crate::error::{DecryptError, Error, PeerIncompatible};
use crate::trace::Decision;
use crate::verify::{self, ClientCertVerified, HandshakeSignatureVerified};
use crate::version::Version;
use crate::wire::DigitallySigned;
use crate::x509::CertificateSummary;
use rustls_pki_types::CertificateDer;

/// The client-auth settings of a server that asked for a certificate (the states that wait for
/// the client's Certificate and CertificateVerify exist only then).
pub(super) fn settings(config: &ServerConfig) -> Result<&ClientAuth, Error> {
    config
        .client_auth
        .as_ref()
        .ok_or(Error::Internal(crate::error::InternalError::StateInvariant))
}

/// The client's verified end-entity certificate, whose key must sign CertificateVerify.
pub(super) struct ClientChain {
    pub verified: ClientCertVerified,
    pub end_entity: CertificateDer<'static>,
}

/// The client's Certificate. Empty: refused when a certificate is required (RFC 5246 §7.4.6:
/// the server "MAY at its discretion [...] respond with a fatal handshake_failure alert"; RFC
/// 8446 §4.4.2.4: "it MAY abort the handshake with a "certificate_required" alert"), else the
/// client stays anonymous (`None`). Otherwise the chain is verified for client authentication
/// and kept as the connection's peer certificates.
pub(super) fn client_chain(
    core: &mut Core,
    auth: &ClientAuth,
    chain: Vec<CertificateDer<'static>>,
    version: Version,
) -> Result<Option<ClientChain>, Error> {
    if chain.is_empty() {
        core.decide(|| Decision::NoClientCertificate {
            required: auth.required,
        });
        return match (auth.required, version) {
            (false, _) => Ok(None),
            (true, Version::Tls12) => Err(PeerIncompatible::NoClientCertificate.into()),
            (true, Version::Tls13) => Err(PeerIncompatible::NoClientCertificateTls13.into()),
        };
    }
    let verified =
        verify::verify_client_chain(&auth.roots, auth.verifier.as_deref(), &chain, core.now);
    let verified = match verified {
        Ok(verified) => verified,
        Err(e) => {
            core.decide(|| Decision::ClientChainRejected(e.clone()));
            return Err(e.into());
        }
    };
    let end_entity = chain
        .first()
        .cloned()
        .ok_or(Error::Internal(crate::error::InternalError::StateInvariant))?;
    core.decide(|| Decision::ClientChainVerified {
        subject: CertificateSummary::of(&end_entity).subject,
    });
    core.info.peer_certificates = chain;
    Ok(Some(ClientChain {
        verified,
        end_entity,
    }))
}

/// The client's CertificateVerify over `message` (TLS 1.2: the handshake messages; TLS 1.3:
/// the signed content of RFC 8446 §4.4.3), with a scheme we offered.
pub(super) fn client_signature(
    core: &mut Core,
    auth: &ClientAuth,
    chain: &ClientChain,
    version: Version,
    signed: &DigitallySigned,
    message: &[u8],
) -> Result<HandshakeSignatureVerified, Error> {
    let proof = verify::verify_handshake_signature(
        &chain.end_entity,
        version,
        verify::Signed {
            scheme: signed.scheme,
            message,
            signature: &signed.signature,
        },
        &auth.signature_schemes,
        None,
        DecryptError::ClientCertificateVerifySignature,
    )?;
    core.info.client_signature_scheme = Some(signed.scheme);
    core.decide(|| Decision::ClientCertificateVerifyVerified {
        scheme: signed.scheme,
    });
    Ok(proof)
}
