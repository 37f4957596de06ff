//! Server certificate verification on rustls-webpki: trust anchors, path, validity period, host
//! name (this file); and the handshake signatures that prove the server holds the certificate's
//! key (`signature`). Every failure is a [`CertificateError`] or a typed [`crate::Error`] with
//! a sentence a person can act on, and the alert it sends.

mod signature;

pub(crate) use signature::{HandshakeSignatureVerified, Signed, verify_handshake_signature};

use crate::crypto::CHAIN_ALGORITHMS;
pub use crate::error::CertificateError;
use crate::error::{ConfigError, Error};
use crate::x509::CertificateSummary;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use std::path::Path;

/// A client's own judgement of the server's certificate chain, in place of the check against
/// [`crate::ClientConfig::roots`]: to pin a key, add checks of its own, or (in a test harness)
/// accept any chain. Whatever it decides, the handshake signature is still checked against the
/// end-entity certificate's key, so the server must hold that key.
pub trait ServerCertVerifier: Send + Sync {
    /// `Ok` when `end_entity`, with `intermediates` (in the order the server sent them), is
    /// trusted for `server_name` at `now`; the error says why not.
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<(), CertificateError>;
}

/// A server's own judgement of a client's certificate chain, in place of the check against
/// [`crate::config::ClientAuth::roots`]: to accept only known keys, or map a certificate to an
/// account. The CertificateVerify signature is still checked against the end-entity key.
pub trait ClientCertVerifier: Send + Sync {
    /// `Ok` when `end_entity`, with `intermediates` (in the order the client sent them), is
    /// trusted at `now`; the error says why not.
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<(), CertificateError>;
}

/// Proof that a client's chain was verified (by the roots or the application's verifier).
#[derive(Debug)]
pub struct ClientCertVerified(());

/// RFC 5280 §6 with the client-auth extended key usage: `chain` (end entity first) against
/// `roots` at `now`, or the application's `verifier` when there is one.
pub(crate) fn verify_client_chain(
    roots: &RootStore,
    verifier: Option<&dyn ClientCertVerifier>,
    chain: &[CertificateDer<'static>],
    now: UnixTime,
) -> Result<ClientCertVerified, CertificateError> {
    let (end_entity, intermediates) = chain.split_first().ok_or(CertificateError::NoCertificate)?;
    match verifier {
        Some(verifier) => verifier.verify_client_cert(end_entity, intermediates, now)?,
        None => {
            path(
                roots,
                end_entity,
                intermediates,
                now,
                webpki::KeyUsage::client_auth(),
            )?;
        }
    }
    Ok(ClientCertVerified(()))
}

/// RFC 5280 §6 through rustls-webpki: a path from `end_entity` to one of `roots`, valid at
/// `now` for `usage`; returns the parsed end-entity certificate.
fn path<'c>(
    roots: &RootStore,
    end_entity: &'c CertificateDer<'c>,
    intermediates: &[CertificateDer<'_>],
    now: UnixTime,
    usage: webpki::KeyUsage,
) -> Result<webpki::EndEntityCert<'c>, CertificateError> {
    let cert = webpki::EndEntityCert::try_from(end_entity)
        .map_err(|e| CertificateError::BadEncoding(in_words(&e)))?;
    cert.verify_for_usage(
        CHAIN_ALGORITHMS,
        &roots.anchors,
        intermediates,
        now,
        usage,
        None,
        None,
    )
    .map_err(|e| classify(e, end_entity, &cert))?;
    Ok(cert)
}

/// The verdict of a [`ServerCertVerifier`], as the proof the handshake needs.
pub(crate) fn verify_with(
    verifier: &dyn ServerCertVerifier,
    chain: &[CertificateDer<'static>],
    server_name: &ServerName<'_>,
    now: UnixTime,
) -> Result<ServerCertVerified, CertificateError> {
    let (end_entity, intermediates) = chain.split_first().ok_or(CertificateError::NoCertificate)?;
    verifier.verify_server_cert(end_entity, intermediates, server_name, now)?;
    Ok(ServerCertVerified(()))
}

/// The trust anchors a client checks server chains against.
#[derive(Clone, Debug, Default)]
pub struct RootStore {
    anchors: Vec<TrustAnchor<'static>>,
}

impl RootStore {
    /// A store that trusts nothing yet.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Trusts `cert` as a root.
    pub fn add(&mut self, cert: &CertificateDer<'_>) -> Result<(), CertificateError> {
        let anchor = webpki::anchor_from_trusted_cert(cert)
            .map_err(|e| CertificateError::BadEncoding(in_words(&e)))?;
        self.anchors.push(anchor.to_owned());
        Ok(())
    }

    /// Whether `cert` is itself one of the trust anchors (the same subject and public key).
    fn trusts_itself(&self, cert: &CertificateDer<'_>) -> bool {
        let Ok(anchor) = webpki::anchor_from_trusted_cert(cert) else {
            return false;
        };
        self.anchors.iter().any(|a| {
            a.subject.as_ref() == anchor.subject.as_ref()
                && a.subject_public_key_info.as_ref() == anchor.subject_public_key_info.as_ref()
        })
    }

    /// Every certificate in a PEM file becomes a trust anchor.
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let unreadable = |e: rustls_pki_types::pem::Error| ConfigError::File {
            path: path.display().to_string(),
            what: "certificates",
            reason: e.to_string(),
        };
        let mut store = Self::empty();
        let certs = CertificateDer::pem_file_iter(path).map_err(unreadable)?;
        for cert in certs {
            let cert = cert.map_err(unreadable)?;
            // Bundles carry the odd certificate webpki cannot use as an anchor; skip it.
            let _ = store.add(&cert);
        }
        if store.anchors.is_empty() {
            return Err(ConfigError::NoUsableRoot {
                path: path.display().to_string(),
            }
            .into());
        }
        Ok(store)
    }

    /// The operating system's store: `SSL_CERT_FILE` if set, else Debian's bundle. Reading a
    /// file is the caller's choice of I/O; the handshake itself never touches the file system.
    pub fn system() -> Result<Self, Error> {
        let path = std::env::var_os("SSL_CERT_FILE")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| "/etc/ssl/certs/ca-certificates.crt".into());
        Self::from_pem_file(path)
    }

    /// How many roots it trusts.
    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    /// Whether it trusts no root.
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }
}

/// Proof that the server's chain and name were verified. Only this module makes one; the
/// client's traffic state cannot be built without it.
#[derive(Debug)]
pub struct ServerCertVerified(());

/// RFC 5246 §7.4.2 and RFC 5280 §6: verifies `chain` (end entity first) against `roots`, for
/// `server_name`, at `now`.
pub fn verify_server_chain(
    roots: &RootStore,
    chain: &[CertificateDer<'static>],
    server_name: &ServerName<'_>,
    now: UnixTime,
) -> Result<ServerCertVerified, CertificateError> {
    let (end_entity, intermediates) = chain.split_first().ok_or(CertificateError::NoCertificate)?;
    let cert = webpki::EndEntityCert::try_from(end_entity)
        .map_err(|e| CertificateError::BadEncoding(in_words(&e)))?;
    match cert.verify_for_usage(
        CHAIN_ALGORITHMS,
        &roots.anchors,
        intermediates,
        now,
        webpki::KeyUsage::server_auth(),
        None,
        None,
    ) {
        Ok(_) => {}
        // A certificate given as the trust anchor and presented as the end entity is trusted
        // for itself, CA or not, as curl and `openssl s_client -CAfile` do. rustls-webpki
        // refuses a CA certificate as the end entity only after it has checked its validity
        // period (`check_issuer_independent_properties` checks validity before basic
        // constraints), so what is left to check is its name, below.
        Err(webpki::Error::CaUsedAsEndEntity) if roots.trusts_itself(end_entity) => {}
        Err(e) => return Err(classify(e, end_entity, &cert)),
    }
    cert.verify_is_valid_for_subject_name(server_name)
        .map_err(|e| match e {
            webpki::Error::CertNotValidForName(ctx) => CertificateError::NotValidForName {
                expected: server_name.to_str().into_owned(),
                presented: ctx.presented.iter().map(|p| readable_name(p)).collect(),
            },
            other => CertificateError::Other(in_words(&other)),
        })?;
    Ok(ServerCertVerified(()))
}

/// rustls-webpki reports presented names in Debug form (`DnsName("a.test")`); people read
/// `a.test`.
fn readable_name(presented: &str) -> String {
    match presented.split_once('(') {
        Some((_, inner)) => inner.trim_end_matches(')').trim_matches('"').to_string(),
        None => presented.to_string(),
    }
}

fn classify(
    e: webpki::Error,
    der: &CertificateDer<'_>,
    cert: &webpki::EndEntityCert<'_>,
) -> CertificateError {
    use webpki::Error as W;
    let summary = CertificateSummary::of(der);
    match e {
        // rustls-webpki checks basic constraints before it looks for an issuer, so an
        // untrusted self-signed CA certificate (what `openssl req -x509` makes) reads as a CA
        // used as end entity: to a user it is self-signed and untrusted.
        W::UnknownIssuer | W::CaUsedAsEndEntity if cert.issuer() == cert.subject() => {
            CertificateError::SelfSigned {
                subject: summary.subject,
            }
        }
        W::UnknownIssuer => CertificateError::UnknownIssuer {
            subject: summary.subject,
            issuer: summary.issuer,
        },
        W::CertExpired { time, not_after } => CertificateError::Expired {
            not_after,
            now: time,
        },
        W::CertNotValidYet { time, not_before } => CertificateError::NotYetValid {
            not_before,
            now: time,
        },
        W::InvalidSignatureForPublicKey => CertificateError::BadSignature,
        other => CertificateError::Other(in_words(&other)),
    }
}

/// What rustls-webpki refused, in words: its errors print as enum names
/// (`CaUsedAsEndEntity`), which no user should have to decode.
pub(crate) fn in_words(e: &webpki::Error) -> String {
    // (The deprecated unit variants are never returned by this version; they read as the
    // fallback.)
    use webpki::Error as W;
    let text = match e {
        W::BadDer | W::TrailingData(_) => "a certificate is not well-formed DER",
        W::BadDerTime | W::InvalidCertValidity => "a certificate's validity period is malformed",
        W::CaUsedAsEndEntity => {
            "the end-entity certificate is a CA certificate (basicConstraints cA), which may only \
             sign others; to trust this very certificate, give it as the trust anchor"
        }
        W::EndEntityUsedAsCa => "an end-entity certificate signed another certificate",
        W::CertDistrusted => "the certificate is distrusted",
        W::CertRevoked => "the certificate is revoked",
        W::EmptyEkuExtension => "a certificate has an empty extended key usage extension",
        W::RequiredEkuNotFoundContext(_) => {
            "the certificate's extended key usage does not allow this use (server or client \
             authentication)"
        }
        W::ExtensionValueInvalid | W::MalformedExtensions => {
            "a certificate has a malformed extension"
        }
        W::UnsupportedCriticalExtension => {
            "a certificate has a critical extension that is not understood"
        }
        W::NameConstraintViolation | W::MaximumNameConstraintComparisonsExceeded => {
            "a name in the chain is outside a CA's name constraints"
        }
        W::MalformedNameConstraint | W::InvalidNetworkMaskConstraint => {
            "a CA's name constraints are malformed"
        }
        W::MalformedDnsIdentifier | W::UnsupportedNameType => {
            "a certificate holds a name that cannot be checked"
        }
        W::PathLenConstraintViolated => "the chain is longer than a CA allows (pathLenConstraint)",
        W::MaximumPathBuildCallsExceeded
        | W::MaximumPathDepthExceeded
        | W::MaximumSignatureChecksExceeded => "the chain is too long or too tangled to validate",
        W::SignatureAlgorithmMismatch => "a certificate's two signature algorithm fields disagree",
        W::UnsupportedCertVersion => "a certificate is not X.509 version 3",
        W::UnsupportedSignatureAlgorithmContext(_)
        | W::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            "a certificate is signed with an algorithm glasstls does not accept"
        }
        W::InvalidSerialNumber => "a certificate has an invalid serial number",
        W::UnknownIssuer => "no path leads from the certificate to a trusted root",
        W::InvalidSignatureForPublicKey => "a signature in the chain does not verify",
        W::CertExpired { .. } => "a certificate has expired",
        W::CertNotValidYet { .. } => "a certificate is not valid yet",
        W::CertNotValidForName(_) => "the certificate is not valid for the name",
        _ => "the certificate chain was refused by path validation",
    };
    text.to_string()
}
