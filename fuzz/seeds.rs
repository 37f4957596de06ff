//! Writes the fuzz seed corpus (`fuzz/seeds/<target>/`) from real in-memory handshakes:
//! TLS 1.3 and TLS 1.2 (ECDHE and the RSA key exchange), full and resumed, both roles.
//!
//! `cargo run -p glasstls --example fuzz_seeds` (then commit what changed).

use glasstls::pki_types::PrivateKeyDer;
use glasstls::wire::ProtocolVersion;
use glasstls::{ClientConfig, Connection, Identity, RootStore, ServerConfig, UnixTime};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The bytes each side sent, in order, for one handshake and a little data.
struct Transcript {
    from_client: Vec<u8>,
    from_server: Vec<u8>,
    session: Option<Vec<u8>>,
}

fn run(client: &Arc<ClientConfig>, server: &Arc<ServerConfig>) -> Transcript {
    let mut c = Connection::client(Arc::clone(client), "localhost".try_into().unwrap()).unwrap();
    let mut s = Connection::server(Arc::clone(server)).unwrap();
    let (mut from_client, mut from_server) = (Vec::new(), Vec::new());
    let mut sent_data = false;
    for _ in 0..20 {
        if !c.is_handshaking() && !sent_data {
            c.send(b"GET / HTTP/1.0\r\n\r\n").unwrap();
            sent_data = true;
        }
        let to_server = c.take_outgoing();
        let to_client = s.take_outgoing();
        if to_server.is_empty() && to_client.is_empty() {
            break;
        }
        s.read_tls(&to_server);
        s.process_new_packets(UnixTime::now()).unwrap();
        c.read_tls(&to_client);
        c.process_new_packets(UnixTime::now()).unwrap();
        from_client.extend_from_slice(&to_server);
        from_server.extend_from_slice(&to_client);
    }
    assert!(!c.is_handshaking() && !s.is_handshaking());
    Transcript {
        from_client,
        from_server,
        session: c.session().map(|s| s.encode().to_vec()),
    }
}

/// The handshake messages carried in plaintext records (before any ChangeCipherSpec or
/// encryption), one per item.
fn plaintext_messages(mut wire: &[u8]) -> Vec<Vec<u8>> {
    let mut handshake = Vec::new();
    while let [typ, _, _, hi, lo, rest @ ..] = wire {
        let len = usize::from(u16::from_be_bytes([*hi, *lo]));
        if *typ != 22 || rest.len() < len {
            break;
        }
        handshake.extend_from_slice(&rest[..len]);
        wire = &rest[len..];
    }
    let mut messages = Vec::new();
    let mut rest = handshake.as_slice();
    while let [_, a, b, c, ..] = rest {
        let len = 4 + usize::from_be_bytes([0, 0, 0, 0, 0, *a, *b, *c]);
        if rest.len() < len {
            break;
        }
        messages.push(rest[..len].to_vec());
        rest = &rest[len..];
    }
    messages
}

fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) {
    let dir = dir.join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds");
    let mut identities = Vec::new();
    let mut roots = RootStore::empty();
    for alg in [&rcgen::PKCS_ECDSA_P256_SHA256, &rcgen::PKCS_RSA_SHA256] {
        let key = rcgen::KeyPair::generate_for(alg).unwrap();
        let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        let cert = params.self_signed(&key).unwrap();
        roots.add(cert.der()).unwrap();
        let key_der = PrivateKeyDer::try_from(key.serialize_der()).unwrap();
        identities.push(Identity::new(vec![cert.der().clone()], &key_der).unwrap());
    }
    let mut server = ServerConfig::new(identities);
    server.common.rsa_key_exchange = true;
    let server = Arc::new(server);
    let flavours: [(&str, Option<ProtocolVersion>, Option<&str>); 4] = [
        ("tls13", None, None),
        ("tls12-ecdhe-ecdsa", Some(ProtocolVersion::TLSv1_2), None),
        (
            "tls12-ecdhe-rsa",
            Some(ProtocolVersion::TLSv1_2),
            Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
        ),
        (
            "tls12-rsa-kx",
            Some(ProtocolVersion::TLSv1_2),
            Some("TLS_RSA_WITH_AES_256_GCM_SHA384"),
        ),
    ];
    for (name, version, suite) in flavours {
        let mut client = ClientConfig::new(roots.clone());
        if let Some(v) = version {
            client.common.versions = vec![v];
        }
        if let Some(suite) = suite {
            let suite = glasstls::wire::CipherSuite::from_name(suite).unwrap();
            client.common.cipher_suites = vec![suite];
            client.common.rsa_key_exchange = true;
        }
        let client = Arc::new(client);
        for (round, kind) in ["full", "resumed"].iter().enumerate() {
            let t = run(&client, &server);
            let seed = format!("{name}-{kind}");
            write(&root, "server", &seed, &t.from_client);
            write(&root, "client", &seed, &t.from_server);
            // Deframer: the first byte picks chunk size and record mode.
            for (side, bytes) in [("client", &t.from_client), ("server", &t.from_server)] {
                let mut d = vec![0x80 | (round as u8 * 7)];
                d.extend_from_slice(bytes);
                write(&root, "deframer", &format!("{seed}-{side}"), &d);
            }
            for (side, bytes) in [("client", &t.from_client), ("server", &t.from_server)] {
                for (i, msg) in plaintext_messages(bytes).iter().enumerate() {
                    write(&root, "codec", &format!("{seed}-{side}-{i}"), msg);
                }
            }
            if let Some(session) = &t.session {
                write(&root, "codec", &format!("{seed}-session"), session);
                write(&root, "ticket", &format!("{seed}-session"), session);
            }
        }
    }
    println!("seeds written under {}", root.display());
}
