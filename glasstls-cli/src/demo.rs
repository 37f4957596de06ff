//! `glasstls demo`: the note's handshake (RSA key exchange) and an ECDHE one, against a
//! throw-away server on loopback, with their traces. No network needed.

use crate::pki::{Ca, KeyKind};
use crate::print_events;
use crate::serve::{Mode, accept_loop};
use glasstls::wire::{CipherSuite, NamedGroup};
use glasstls::{ClientConfig, Connection, Identity, RootStore, ServerConfig, Stream};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

pub fn run(reveal_secrets: bool) -> Result<(), String> {
    let err = |e: rcgen::Error| format!("making the throw-away certificates: {e}");
    let ca = Ca::new("glasstls demo CA").map_err(err)?;
    let rsa = ca.issue(&["localhost"], KeyKind::Rsa2048).map_err(err)?;
    let ecdsa = ca.issue(&["localhost"], KeyKind::EcdsaP256).map_err(err)?;
    let identities = vec![
        Identity::new(rsa.chain.clone(), &rsa.key_der()).map_err(|e| e.to_string())?,
        Identity::new(ecdsa.chain.clone(), &ecdsa.key_der()).map_err(|e| e.to_string())?,
    ];
    let mut server = ServerConfig::new(identities);
    server.common.rsa_key_exchange = true;
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let server = Arc::new(server);
    std::thread::spawn(move || accept_loop(listener, server, Mode::Page));

    let mut roots = RootStore::empty();
    roots.add(&ca.cert).map_err(|e| e.to_string())?;

    println!(
        "glasstls demo: a throw-away CA issued an RSA and an ECDSA certificate for localhost;"
    );
    println!(
        "a glasstls server holding both listens on {addr}. Each handshake below is traced from"
    );
    println!("the client's side: → is what it sends, ← what it receives, • what it works out.\n");

    section(
        "1. The note's handshake: RSA key exchange (TLS_RSA_WITH_AES_128_GCM_SHA256)",
        "ClientHello → ServerHello → Certificate → ServerHelloDone → ClientKeyExchange (the\n\
         pre-master secret encrypted with the server's RSA key) → master secret and session keys →\n\
         ChangeCipherSpec → Finished, both ways. No forward secrecy: whoever later steals the\n\
         server's key can decrypt a recording of this connection.",
    );
    handshake(
        addr,
        &roots,
        CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
        None,
        reveal_secrets,
    )?;

    section(
        "2. What modern peers do: ECDHE (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, x25519)",
        "The server adds a ServerKeyExchange: a fresh X25519 key, signed with its certificate's key.\n\
         The pre-master secret is the Diffie-Hellman result, which no recording reveals later\n\
         (forward secrecy).",
    );
    handshake(
        addr,
        &roots,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        Some(NamedGroup::X25519),
        reveal_secrets,
    )?;
    if !reveal_secrets {
        println!("(run `glasstls demo --reveal-secrets` to see the secret values themselves)");
    }
    Ok(())
}

fn section(title: &str, text: &str) {
    println!("══ {title}\n{text}\n");
}

fn handshake(
    addr: std::net::SocketAddr,
    roots: &RootStore,
    suite: CipherSuite,
    group: Option<NamedGroup>,
    reveal_secrets: bool,
) -> Result<(), String> {
    let mut config = ClientConfig::new(roots.clone());
    config.common.cipher_suites = vec![suite];
    config.common.rsa_key_exchange = group.is_none();
    if let Some(group) = group {
        config.common.groups = vec![group];
    }
    config.common.trace = true;
    config.common.reveal_secrets = reveal_secrets;
    let name = "localhost".try_into().map_err(|_| "bad name".to_string())?;
    let conn = Connection::client(Arc::new(config), name).map_err(|e| e.to_string())?;
    let tcp = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    let mut tls = Stream::new(conn, tcp);
    let mut stdout = std::io::stdout();
    let result = tls.handshake();
    print_events(&mut stdout, "", tls.conn_mut());
    result.map_err(|e| format!("the demo handshake failed: {e}"))?;
    tls.write_all(b"GET /text HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut response = Vec::new();
    tls.read_to_end(&mut response).map_err(|e| e.to_string())?;
    print_events(&mut stdout, "", tls.conn_mut());
    let response = String::from_utf8_lossy(&response);
    let body = response
        .split_once("\r\n\r\n")
        .map_or(&*response, |(_, b)| b);
    println!("\nApplication data, encrypted both ways: the server's page describes what it saw:");
    for line in body.lines() {
        println!("    {line}");
    }
    println!();
    Ok(())
}
