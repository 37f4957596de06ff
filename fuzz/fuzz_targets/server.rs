//! The server state machine driven by arbitrary client bytes: no panic, bounded buffers.
#![no_main]

use glasstls::pki_types::PrivateKeyDer;
use glasstls::{Connection, Identity, ServerConfig, UnixTime};
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, OnceLock};

fn config() -> Arc<ServerConfig> {
    static CONFIG: OnceLock<Arc<ServerConfig>> = OnceLock::new();
    let config = CONFIG.get_or_init(|| {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        let cert = params.self_signed(&key).unwrap();
        let key_der = PrivateKeyDer::try_from(key.serialize_der()).unwrap();
        let mut config = ServerConfig::new(vec![Identity::new(vec![cert.der().clone()], &key_der).unwrap()]);
        config.common.rsa_key_exchange = true;
        Arc::new(config)
    });
    Arc::clone(config)
}

fuzz_target!(|data: &[u8]| {
    let mut conn = Connection::server(config()).unwrap();
    let mut rest = data;
    while !rest.is_empty() {
        let n = conn.read_tls(rest);
        rest = &rest[n..];
        if conn.process_new_packets(UnixTime::now()).is_err() || n == 0 {
            break;
        }
    }
    let _ = conn.take_outgoing();
});
