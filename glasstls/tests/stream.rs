//! `Stream` over loopback TCP. `set_timeouts` and `set_deadline`: a peer that trickles its
//! handshake, one that goes quiet, one that stops reading, and a phase that overruns its
//! deadline each end in `ErrorKind::TimedOut` with a message naming the bound, on either side.
//! `BufRead`: lines read straight from the decrypted bytes.

use glasstls::stream::Timeouts;
use glasstls::{ClientConfig, Connection, ServerConfig, Stream};
use std::io::{self, BufRead, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

mod common;

fn configs() -> (Arc<ClientConfig>, Arc<ServerConfig>) {
    let (client, server) = common::configs();
    (Arc::new(client), Arc::new(server))
}

/// A connected pair of loopback sockets: (ours, theirs).
fn socket_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let theirs = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (ours, _) = listener.accept().unwrap();
    (ours, theirs)
}

fn client(config: &Arc<ClientConfig>, tcp: TcpStream) -> Stream<TcpStream> {
    let conn = Connection::client(Arc::clone(config), "localhost".try_into().unwrap()).unwrap();
    Stream::new(conn, tcp)
}

fn server(config: &Arc<ServerConfig>, tcp: TcpStream) -> Stream<TcpStream> {
    Stream::new(Connection::server(Arc::clone(config)).unwrap(), tcp)
}

/// A server stream with these bounds, in milliseconds.
fn bounded_server(
    config: &Arc<ServerConfig>,
    tcp: TcpStream,
    handshake_ms: u64,
    idle_ms: u64,
) -> Stream<TcpStream> {
    let mut tls = server(config, tcp);
    tls.set_timeouts(Timeouts {
        handshake: Some(Duration::from_millis(handshake_ms)),
        idle: Some(Duration::from_millis(idle_ms)),
    });
    tls
}

fn assert_timed_out(result: io::Result<()>, message: &str) {
    let err = result.expect_err("the bound should have cut the stream off");
    assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
    assert_eq!(err.to_string(), message);
}

/// The ClientHello of a real client, for a trickler to replay one byte at a time.
fn client_hello(config: &Arc<ClientConfig>) -> Vec<u8> {
    let mut conn = Connection::client(Arc::clone(config), "localhost".try_into().unwrap()).unwrap();
    conn.take_outgoing()
}

#[test]
fn a_trickled_handshake_is_cut_off_at_the_handshake_deadline() {
    let (client_config, server_config) = configs();
    let hello = client_hello(&client_config);
    let (ours, mut theirs) = socket_pair();
    // One byte every 20 ms: each read is well inside the idle timeout, the whole is not.
    let trickler = thread::spawn(move || {
        for byte in hello {
            if theirs.write_all(&[byte]).is_err() {
                break;
            }
            thread::sleep(Duration::from_millis(20));
        }
    });
    let mut tls = bounded_server(&server_config, ours, 300, 5000);
    let start = Instant::now();
    assert_timed_out(tls.handshake(), "the handshake took too long");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(5),
        "{took:?}"
    );
    drop(tls);
    trickler.join().unwrap();
}

#[test]
fn a_client_whose_server_never_answers_gives_up_at_its_handshake_deadline() {
    let (client_config, _) = configs();
    let (ours, _silent) = socket_pair();
    let mut tls = client(&client_config, ours);
    tls.set_timeouts(Timeouts {
        handshake: Some(Duration::from_millis(200)),
        idle: None,
    });
    assert_timed_out(tls.handshake(), "the handshake took too long");
}

#[test]
fn a_peer_quiet_after_the_handshake_is_cut_off_at_the_idle_timeout() {
    let (client_config, server_config) = configs();
    let (ours, theirs) = socket_pair();
    let quiet = thread::spawn(move || {
        let mut tls = client(&client_config, theirs);
        tls.handshake().unwrap();
        // Quiet until the server gives up on us.
        let mut buf = [0u8; 16];
        let _ = tls.read(&mut buf);
    });
    let mut tls = bounded_server(&server_config, ours, 10000, 200);
    tls.handshake().unwrap();
    let mut buf = [0u8; 16];
    assert_timed_out(tls.read(&mut buf).map(drop), "the peer was idle too long");
    drop(tls);
    quiet.join().unwrap();
}

#[test]
fn a_phase_deadline_bounds_reads_after_the_handshake() {
    let (client_config, server_config) = configs();
    let (ours, theirs) = socket_pair();
    let peer = thread::spawn(move || {
        let mut tls = client(&client_config, theirs);
        tls.handshake().unwrap();
        // Trickle a request, a byte every 20 ms, then wait for the answer.
        for byte in b"GET / HTTP/1.0\r\n\r\n" {
            if tls.write_all(&[*byte]).is_err() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
    });
    let mut tls = bounded_server(&server_config, ours, 10000, 10000);
    tls.handshake().unwrap();
    tls.set_deadline(Some((
        Instant::now() + Duration::from_millis(150),
        "the request",
    )));
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    let outcome = loop {
        match tls.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => break Err(e),
        }
    };
    assert_timed_out(outcome, "the request took too long");
    assert!(!got.is_empty() && got.len() < 18, "{got:?}");
    drop(tls);
    peer.join().unwrap();
}

#[test]
fn without_timeouts_a_slow_peer_is_waited_for() {
    let (client_config, server_config) = configs();
    let (ours, theirs) = socket_pair();
    let peer = thread::spawn(move || {
        let mut tls = client(&client_config, theirs);
        tls.handshake().unwrap();
        thread::sleep(Duration::from_millis(300));
        tls.write_all(b"late").unwrap();
        tls.close().unwrap();
        // Take the server's tickets and its close, so that closing the socket does not reset it.
        let _ = tls.read_to_end(&mut Vec::new());
    });
    let mut tls = server(&server_config, ours);
    let mut got = String::new();
    tls.read_to_string(&mut got).unwrap();
    assert_eq!(got, "late");
    // TLS 1.3: the client's close_notify closed its side only; ours is closed by us.
    tls.close().unwrap();
    peer.join().unwrap();
}

#[test]
fn a_peer_that_stops_reading_cannot_hold_a_writer_past_the_idle_timeout() {
    let (client_config, server_config) = configs();
    let (ours, theirs) = socket_pair();
    let (done, wait_done) = std::sync::mpsc::channel::<()>();
    let peer = thread::spawn(move || {
        let mut tls = client(&client_config, theirs);
        tls.handshake().unwrap();
        // Never reads again, but keeps the socket open until the test is over.
        let _ = wait_done.recv();
    });
    let mut tls = bounded_server(&server_config, ours, 10000, 200);
    tls.handshake().unwrap();
    let chunk = vec![0x5a; 64 * 1024];
    let outcome = (0..1024).try_for_each(|_| tls.write_all(&chunk));
    assert_timed_out(outcome, "the peer was idle too long");
    drop(done);
    peer.join().unwrap();
}

#[test]
fn lines_are_read_through_bufread_without_a_second_buffer() {
    let (client_config, server_config) = configs();
    let (ours, theirs) = socket_pair();
    let peer = thread::spawn(move || {
        let mut tls = client(&client_config, theirs);
        // Lines that straddle records: 3 000 lines of 20 bytes in writes of 7 KB.
        let text: String = (0..3000).map(|i| format!("line number {i:07}\n")).collect();
        for piece in text.as_bytes().chunks(7000) {
            tls.write_all(piece).unwrap();
        }
        tls.close().unwrap();
        let _ = tls.read_to_end(&mut Vec::new());
        text
    });
    let mut tls = server(&server_config, ours);
    let mut lines = Vec::new();
    let mut line = String::new();
    while tls.read_line(&mut line).unwrap() > 0 {
        lines.push(std::mem::take(&mut line));
    }
    drop(tls);
    let sent = peer.join().unwrap();
    assert_eq!(lines.len(), 3000);
    assert_eq!(lines.concat(), sent);
    assert_eq!(lines[1234], "line number 0001234\n");
}

/// RFC 8446 §6.1 over `Stream`: the client writes its request and closes its side; the server
/// reads to the end, and still writes its reply, then closes; the client reads the reply.
#[test]
fn a_stream_answers_after_the_peer_closed_its_side() {
    let (client_config, server_config) = configs();
    let (ours, theirs) = socket_pair();
    let peer = thread::spawn(move || {
        let mut tls = client(&client_config, theirs);
        tls.write_all(b"question").unwrap();
        tls.close().unwrap();
        let mut reply = Vec::new();
        tls.read_to_end(&mut reply).unwrap();
        reply
    });
    let mut tls = server(&server_config, ours);
    let mut got = Vec::new();
    tls.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"question");
    tls.write_all(b"answer").unwrap();
    tls.close().unwrap();
    assert_eq!(peer.join().unwrap(), b"answer");
}
