//! The secrets a connection logs (NSS key-log labels), captured so that a test can build the
//! records a hostile peer would send under the real keys.

use glasstls::internal::crypto::{Aead, Hash};
use glasstls::internal::record::RecordCipher;
use glasstls::internal::tls13::traffic_key_and_iv;
use glasstls::{KeyLog, Version};
use std::sync::{Arc, Mutex};

/// A key log that keeps every line in memory.
#[derive(Default)]
pub struct Captured(Mutex<Vec<(String, Vec<u8>)>>);

impl KeyLog for Captured {
    fn log(&self, label: &str, _client_random: &[u8], secret: &[u8]) {
        self.0
            .lock()
            .expect("not poisoned")
            .push((label.to_string(), secret.to_vec()));
    }
}

impl Captured {
    /// A new, empty capture, ready for `Common::key_log`.
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    /// The last secret logged under `label`.
    pub fn secret(&self, label: &str) -> Option<Vec<u8>> {
        self.0
            .lock()
            .expect("not poisoned")
            .iter()
            .rev()
            .find(|(l, _)| l == label)
            .map(|(_, s)| s.clone())
    }

    /// A TLS 1.3 record cipher from the traffic secret logged under `label` (e.g.
    /// `SERVER_HANDSHAKE_TRAFFIC_SECRET`), for a suite with `hash` and `aead`, at sequence 0.
    pub fn tls13_cipher(&self, label: &str, hash: Hash, aead: Aead) -> RecordCipher {
        let secret = self
            .secret(label)
            .unwrap_or_else(|| panic!("no {label} was logged"));
        let (key, iv) = traffic_key_and_iv(hash, aead, &secret);
        RecordCipher::new(Version::Tls13, aead, &key, &iv).expect("a valid key")
    }
}
