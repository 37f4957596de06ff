//! What the library's integration tests share.

use glasstls::pki_types::PrivateKeyDer;
use glasstls::{ClientConfig, Identity, RootStore, ServerConfig};

/// A client that trusts exactly one self-signed ECDSA P-256 certificate for "localhost", and a
/// server that holds it.
pub fn configs() -> (ClientConfig, ServerConfig) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    let mut roots = RootStore::empty();
    roots.add(cert.der()).unwrap();
    let key_der = PrivateKeyDer::try_from(key.serialize_der()).unwrap();
    let identity = Identity::new(vec![cert.der().clone()], &key_der).unwrap();
    (ClientConfig::new(roots), ServerConfig::new(vec![identity]))
}
