//! Once traffic flows, moving data costs no heap allocation: a sender that drains with
//! `outgoing_tls`/`consume_outgoing` seals every record into space its output queue already
//! holds, and a receiver that reads with `read_tls`, `process_new_packets` and
//! `received`/`consume_received` opens every record into space its plaintext buffer already
//! holds. An allocation per record would cost a bulk transfer several percent (see
//! BENCHMARKS.md); this test makes one show up as a failure. The allocator is counted for this
//! whole test binary, so it holds a single test.

use glasstls::{Connection, UnixTime, Version};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;
use std::sync::Arc;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

mod common;

fn pair(version: Version) -> (Connection, Connection) {
    let (mut client, mut server) = common::configs();
    client.common.versions = vec![version];
    server.common.versions = vec![version];
    let mut c = Connection::client(Arc::new(client), "localhost".try_into().unwrap()).unwrap();
    let mut s = Connection::server(Arc::new(server)).unwrap();
    let mut wire = Vec::new();
    for _ in 0..10 {
        transfer(&mut c, &mut s, &mut wire);
        transfer(&mut s, &mut c, &mut wire);
    }
    assert!(!c.is_handshaking() && !s.is_handshaking());
    (c, s)
}

/// Everything `from` has to send, through `wire` (the transport's buffer), into `to`, whose
/// plaintext is read where it lies; returns the plaintext bytes `to` received.
fn transfer(from: &mut Connection, to: &mut Connection, wire: &mut Vec<u8>) -> usize {
    wire.clear();
    wire.extend_from_slice(from.outgoing_tls());
    from.consume_outgoing(wire.len());
    let mut rest = &wire[..];
    let mut received = 0;
    while !rest.is_empty() {
        let n = to.read_tls(rest);
        rest = &rest[n..];
        to.process_new_packets(UnixTime::now()).unwrap();
        let got = to.received().len();
        to.consume_received(got);
        received += got;
    }
    received
}

#[test]
fn bulk_transfer_allocates_nothing_once_warm() {
    for version in [Version::Tls12, Version::Tls13] {
        let (mut c, mut s) = pair(version);
        let chunk = vec![0x5a; 16 * 1024];
        let mut wire = Vec::with_capacity(64 * 1024);
        // Warm-up: both directions once, so each queue reaches its high-water mark.
        c.send(&chunk).unwrap();
        assert_eq!(transfer(&mut c, &mut s, &mut wire), chunk.len());
        s.send(&chunk).unwrap();
        assert_eq!(transfer(&mut s, &mut c, &mut wire), chunk.len());

        let region = Region::new(GLOBAL);
        let mut moved = 0;
        for _ in 0..100 {
            c.send(&chunk).unwrap();
            moved += transfer(&mut c, &mut s, &mut wire);
            s.send(&chunk).unwrap();
            moved += transfer(&mut s, &mut c, &mut wire);
        }
        let stats = region.change();
        assert_eq!(moved, 200 * chunk.len());
        assert_eq!(
            (stats.allocations, stats.reallocations),
            (0, 0),
            "{version:?}: {stats:?} while moving {moved} bytes"
        );
    }
}
