//! Transport faults seen through the blocking `Stream`: a peer that vanishes mid-handshake,
//! mid-record, or without close_notify (RFC 8446 §6.1, RFC 5246 §7.2.1: the application must
//! be able to tell a truncated stream from a finished one), and one that closes properly.

mod common;

use common::*;
use glasstls::{Connection, Stream};
use std::io::{self, Cursor, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

/// A transport that yields `input` then end of stream, and keeps what is written.
struct Replay {
    input: Cursor<Vec<u8>>,
    output: Vec<u8>,
}

impl Read for Replay {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.input.read(buf)
    }
}

impl Write for Replay {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.output.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A client and a server whose handshake is done, for each version.
fn connected_pairs(pki: &Pki) -> Vec<(&'static str, Connection, Connection)> {
    let mut pairs = Vec::new();
    for (name, tls12) in [("TLS 1.3", false), ("TLS 1.2", true)] {
        let (mut c, mut s) = if tls12 {
            pair(client_config_tls12(pki), server_config_tls12(pki))
        } else {
            pair(client_config(pki), server_config(pki))
        };
        let (ce, se) = pump(&mut c, &mut s);
        assert!(ce.is_none() && se.is_none(), "{name}: {ce:?} {se:?}");
        assert!(!c.is_handshaking() && !s.is_handshaking());
        pairs.push((name, c, s));
    }
    pairs
}

/// What the server's application reads from `wire` (the client's bytes, then EOF): the
/// data, and how the stream ended.
fn read_all(server: Connection, wire: Vec<u8>) -> (Vec<u8>, io::Result<()>) {
    let mut tls = Stream::new(
        server,
        Replay {
            input: Cursor::new(wire),
            output: Vec::new(),
        },
    );
    let mut data = Vec::new();
    let mut buf = [0u8; 256];
    loop {
        match tls.read(&mut buf) {
            Ok(0) => return (data, Ok(())),
            Ok(n) => data.extend_from_slice(&buf[..n]),
            Err(e) => return (data, Err(e)),
        }
    }
}

fn assert_truncation(name: &str, end: io::Result<()>) {
    let err = end.expect_err("a stream cut without close_notify must not read as a clean end");
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "{name}: {err}");
    assert!(
        err.to_string().contains("without close_notify"),
        "{name}: {err}"
    );
}

#[test]
fn close_notify_ends_the_stream_cleanly() {
    let pki = Pki::new();
    for (name, mut c, s) in connected_pairs(&pki) {
        c.send(b"all of it").unwrap();
        c.send_close_notify();
        let (data, end) = read_all(s, c.take_outgoing());
        assert_eq!(data, b"all of it", "{name}");
        assert!(end.is_ok(), "{name}: {end:?}");
    }
}

#[test]
fn eof_without_close_notify_is_reported_as_truncation() {
    let pki = Pki::new();
    for (name, mut c, s) in connected_pairs(&pki) {
        c.send(b"the first half").unwrap();
        let (data, end) = read_all(s, c.take_outgoing());
        // What arrived whole is delivered; the end is not mistaken for the end of the data.
        assert_eq!(data, b"the first half", "{name}");
        assert_truncation(name, end);
    }
}

#[test]
fn eof_in_the_middle_of_a_record_delivers_nothing_of_it() {
    let pki = Pki::new();
    for (name, mut c, s) in connected_pairs(&pki) {
        c.send(b"complete").unwrap();
        let mut wire = c.take_outgoing();
        let first = wire.len();
        c.send(b"never seen: this record is cut").unwrap();
        let second = c.take_outgoing();
        wire.extend_from_slice(&second[..second.len() / 2]);
        assert!(wire.len() > first);
        let (data, end) = read_all(s, wire);
        assert_eq!(
            data, b"complete",
            "{name}: a partial record must yield nothing"
        );
        assert_truncation(name, end);
    }
}

/// A server thread that takes one connection and reports how its handshake ended.
fn server_handshake_on_loopback(pki: &Pki) -> (String, std::thread::JoinHandle<io::Error>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let config = Arc::new(server_config(pki));
    let handle = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut tls = Stream::new(Connection::server(config).unwrap(), tcp);
        tls.handshake().expect_err("the handshake cannot complete")
    });
    (addr, handle)
}

#[test]
fn a_client_that_vanishes_mid_handshake_fails_the_server_handshake_cleanly() {
    let pki = Pki::new();
    for cut in [3, 40] {
        let (addr, server) = server_handshake_on_loopback(&pki);
        let mut client = Connection::client(
            Arc::new(client_config(&pki)),
            "localhost".try_into().unwrap(),
        )
        .unwrap();
        let hello = client.take_outgoing();
        let mut tcp = TcpStream::connect(&addr).unwrap();
        tcp.write_all(&hello[..cut]).unwrap();
        drop(tcp);
        let err = server.join().unwrap();
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "cut at {cut}: {err}");
        assert!(
            err.to_string().contains("during the handshake"),
            "cut at {cut}: {err}"
        );
    }
}

#[test]
fn a_server_that_vanishes_mid_handshake_fails_the_client_handshake_cleanly() {
    let pki = Pki::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let config = Arc::new(server_config(&pki));
    // The server reads the ClientHello, sends the first half of its flight, and goes away.
    let server = std::thread::spawn(move || {
        let (mut tcp, _) = listener.accept().unwrap();
        let mut conn = Connection::server(config).unwrap();
        let mut buf = vec![0u8; 4096];
        while conn.is_handshaking() && conn.outgoing_tls().is_empty() {
            let n = tcp.read(&mut buf).unwrap();
            assert!(n > 0);
            conn.read_tls(&buf[..n]);
            conn.process_new_packets(glasstls::UnixTime::now()).unwrap();
        }
        let flight = conn.take_outgoing();
        tcp.write_all(&flight[..flight.len() / 2]).unwrap();
    });
    let mut tls = tls_client(Arc::new(client_config(&pki)), addr).unwrap();
    let err = tls.handshake().expect_err("half a flight cannot complete");
    server.join().unwrap();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "{err}");
    assert!(err.to_string().contains("during the handshake"), "{err}");
}
