//! Writes the fuzz seed corpus (`fuzz/seeds/<target>/`) from real in-memory handshakes between
//! the fuzz targets' own configurations (`checks.rs`): TLS 1.3 and TLS 1.2 (ECDHE with EdDSA
//! and with RSA, and the RSA key exchange), full and resumed, both roles, each followed by
//! application data both ways, a KeyUpdate both ways (TLS 1.3) and close_notify.
//!
//! It must run in the fuzz build, whose randomness is deterministic (`--cfg fuzzing`), so that
//! the targets replay the seeds exactly as they were recorded:
//!
//! ```text
//! cd fuzz && RUSTFLAGS="--cfg fuzzing" cargo build --release --example seeds --target-dir target/seeds
//! target/seeds/release/examples/seeds
//! ```
//!
//! It then checks how far each seed gets in its target, and fails unless the seeds meant to
//! reach past the handshake do (the peer's encrypted records decrypt, the handshake completes,
//! application data arrives).

#[path = "checks.rs"]
mod checks;

#[cfg(not(fuzzing))]
fn main() {
    eprintln!("build this with RUSTFLAGS=\"--cfg fuzzing\" (see the top of fuzz/seeds.rs)");
    std::process::exit(2);
}

#[cfg(fuzzing)]
fn main() {
    generate::main();
}

#[cfg(fuzzing)]
mod generate {
    use super::checks::{self, CLIENT_FLAVOURS, CLIENT_STREAM, SERVER_STREAM};
    use glasstls::internal::crypto::fuzzing;
    use glasstls::{ClientConfig, Connection};
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    /// One connection and its own position in the deterministic random stream: client and
    /// server share this thread, and each must draw exactly what it draws alone in its target.
    struct Side {
        conn: Connection,
        rng: (u64, u64),
    }

    impl Side {
        fn new(stream: u64, make: impl FnOnce() -> Connection) -> Self {
            fuzzing::reset(stream);
            let conn = make();
            Self {
                conn,
                rng: fuzzing::position(),
            }
        }

        fn with<R>(&mut self, f: impl FnOnce(&mut Connection) -> R) -> R {
            fuzzing::seek(self.rng);
            let out = f(&mut self.conn);
            self.rng = fuzzing::position();
            out
        }

        /// Once the handshake is done: data, a KeyUpdate where the version has one, more
        /// data, and close_notify if `close` (the other side answers one with its own).
        fn finish(&mut self, data: &[u8], close: bool) {
            self.with(|conn| {
                conn.send(data).unwrap();
                if conn.request_key_update().is_ok() {
                    conn.send(b"after the key update").unwrap();
                }
                if close {
                    conn.send_close_notify();
                }
            });
        }
    }

    /// The bytes each side sent, in order.
    struct Transcript {
        from_client: Vec<u8>,
        from_server: Vec<u8>,
        session: Option<Vec<u8>>,
    }

    fn run(client: &Arc<ClientConfig>) -> Transcript {
        let server_config = checks::server_config();
        let mut s = Side::new(SERVER_STREAM, || Connection::server(server_config).unwrap());
        let mut c = Side::new(CLIENT_STREAM, || {
            Connection::client(Arc::clone(client), "localhost".try_into().unwrap()).unwrap()
        });
        let (mut from_client, mut from_server) = (Vec::new(), Vec::new());
        let (mut client_done, mut server_done, mut client_closed) = (false, false, false);
        for _ in 0..20 {
            // The client answers the server's close_notify with its own (TLS 1.2 does this by
            // itself; in TLS 1.3 each side closes its own direction, RFC 8446 §6.1).
            if !client_closed && c.conn.peer_has_closed() {
                c.with(|conn| conn.send_close_notify());
                client_closed = true;
            }
            if !client_done && !c.conn.is_handshaking() {
                c.finish(b"GET / HTTP/1.0\r\n\r\n", false);
                client_done = true;
            }
            // The server answers once the request is in, as an HTTP server would.
            if !server_done && !s.conn.is_handshaking() && s.conn.plaintext_available() > 0 {
                s.finish(b"HTTP/1.0 200 OK\r\n\r\nhello", true);
                server_done = true;
            }
            let to_server = c.conn.take_outgoing();
            let to_client = s.conn.take_outgoing();
            if to_server.is_empty() && to_client.is_empty() {
                break;
            }
            s.with(|conn| {
                conn.read_tls(&to_server);
                conn.process_new_packets(checks::now()).unwrap();
            });
            c.with(|conn| {
                conn.read_tls(&to_client);
                conn.process_new_packets(checks::now()).unwrap();
            });
            from_client.extend_from_slice(&to_server);
            from_server.extend_from_slice(&to_client);
        }
        assert!(client_done && server_done, "the handshake did not complete");
        assert!(c.conn.peer_has_closed() && s.conn.peer_has_closed());
        Transcript {
            from_client,
            from_server,
            session: c.conn.session().map(|s| s.encode().to_vec()),
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

    /// How far a seed gets in its target: whether the handshake completed, and whether the
    /// peer's application data and close_notify arrived.
    fn reach(conn: Option<Connection>) -> &'static str {
        match conn {
            Some(c)
                if !c.is_handshaking() && c.plaintext_available() > 0 && c.peer_has_closed() =>
            {
                "past the handshake"
            }
            Some(c) if !c.is_handshaking() => "the handshake",
            _ => "into the handshake",
        }
    }

    pub fn main() {
        // Hand-made seeds (`server/hello*`, `codec/regression-*`) live beside these and are
        // left alone.
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds");
        let mut shallow_by_design = 0;
        for (flavour, name) in CLIENT_FLAVOURS.iter().enumerate() {
            let client = checks::client_config(flavour);
            for (round, kind) in ["full", "resumed"].iter().enumerate() {
                let t = run(&client);
                let seed = format!("{name}-{kind}");
                let mut client_seed = vec![flavour as u8];
                client_seed.extend_from_slice(&t.from_server);
                write(&root, "server", &seed, &t.from_client);
                write(&root, "client", &seed, &client_seed);
                // Deframer: the first byte picks chunk size and record mode.
                for (side, bytes) in [("client", &t.from_client), ("server", &t.from_server)] {
                    let mut d = vec![0x80 | (round as u8 * 7)];
                    d.extend_from_slice(bytes);
                    write(&root, "deframer", &format!("{seed}-{side}"), &d);
                    for (i, msg) in plaintext_messages(bytes).iter().enumerate() {
                        write(&root, "codec", &format!("{seed}-{side}-{i}"), msg);
                    }
                }
                if let Some(session) = &t.session {
                    write(&root, "codec", &format!("{seed}-session"), session);
                    write(&root, "ticket", &format!("{seed}-session"), session);
                }

                // The server target resumes from a ticket (its keys come from CONFIG_STREAM);
                // the client target starts without a cached session, so only its full
                // handshakes replay. Its RSA key exchange encrypts with aws-lc's randomness,
                // and "everything" offers ML-KEM: those stop in the handshake by design.
                let server_reach = reach(Some(checks::run_server(&t.from_client)));
                let client_reach = reach(checks::run_client(&client_seed));
                let server_deep = *name != "everything";
                let client_deep =
                    *kind == "full" && !matches!(*name, "tls12-rsa-kx" | "everything");
                println!(
                    "{seed:30} server target: {server_reach:20} client target: {client_reach}"
                );
                for (deep, reached) in [(server_deep, server_reach), (client_deep, client_reach)] {
                    if deep {
                        assert_eq!(reached, "past the handshake", "{seed} stops short");
                    } else {
                        shallow_by_design += 1;
                    }
                }
            }
        }
        println!(
            "seeds written to {}; {shallow_by_design} replays stop short by design",
            root.display()
        );
    }
}
