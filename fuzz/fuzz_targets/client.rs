//! The client state machine driven by arbitrary server bytes after its ClientHello.
#![no_main]

use glasstls::{ClientConfig, Connection, RootStore, UnixTime};
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    let mut config = ClientConfig::new(RootStore::empty());
    config.common.rsa_key_exchange = true;
    let mut conn = Connection::client(Arc::new(config), "localhost".try_into().unwrap()).unwrap();
    let _ = conn.take_outgoing();
    let mut rest = data;
    while !rest.is_empty() {
        let n = conn.read_tls(rest);
        rest = &rest[n..];
        if conn.process_new_packets(UnixTime::now()).is_err() || n == 0 {
            break;
        }
    }
});
