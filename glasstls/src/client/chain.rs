//! RFC 5246 §7.4.2 / RFC 8446 §4.4.2: the server's chain, verified the same way in both
//! versions.

use crate::config::ClientConfig;
use crate::conn::Core;
use crate::error::Error;
use crate::trace::Decision;
use crate::verify::{self, CertificateError, ServerCertVerified};
use rustls_pki_types::{CertificateDer, ServerName};

/// Verifies the server's chain, traces the verdict, and keeps the chain; returns the proof and
/// the end-entity certificate.
pub(super) fn verify_chain(
    core: &mut Core,
    config: &ClientConfig,
    server_name: &ServerName<'static>,
    chain: Vec<CertificateDer<'static>>,
) -> Result<(ServerCertVerified, CertificateDer<'static>), Error> {
    // RFC 8446 §4.4.2.4: "If the server supplies an empty Certificate message, the client MUST
    // abort the handshake with a "decode_error" alert." RFC 5246 §7.4.2 requires the server's
    // certificate first in the list, so an empty one is malformed in TLS 1.2 too.
    if chain.is_empty() {
        return Err(crate::wire::InvalidMessage::BadLength("Certificate").into());
    }
    // Kept whatever the verdict: a chain that fails ("unknown issuer") is what one debugs.
    core.info.peer_certificates = chain.clone();
    let verified = match &config.verifier {
        Some(verifier) => verify::verify_with(verifier.as_ref(), &chain, server_name, core.now),
        None => verify::verify_server_chain(&config.roots, &chain, server_name, core.now),
    };
    match &verified {
        Ok(_) if config.verifier.is_some() => core.decide(|| Decision::ChainAcceptedByVerifier {
            server_name: server_name.to_str().into_owned(),
        }),
        Ok(_) => core.decide(|| Decision::ChainVerified {
            server_name: server_name.to_str().into_owned(),
        }),
        Err(e) => core.decide(|| Decision::ChainRejected(e.clone())),
    }
    let verified = verified?;
    let end_entity = chain
        .into_iter()
        .next()
        .ok_or(CertificateError::NoCertificate)?;
    Ok((verified, end_entity))
}
