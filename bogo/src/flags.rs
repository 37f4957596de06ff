//! The shim's command line, as BoringSSL's `test_config.cc` defines it: single-dash flags, some
//! with a value, some scoped to one connection of the run by a prefix (`-on-initial-`,
//! `-on-resume-`). Every flag the runner may pass is in one of three tables: handled here,
//! accepted and ignored (they change nothing glasstls does), or naming a feature glasstls lacks
//! (exit 89, "unimplemented"). Anything else exits 1 with "unhandled option", so that a flag
//! nobody has looked at surfaces instead of being skipped.

use std::fmt;

/// Why the shim will not run this test.
#[derive(Debug)]
pub enum Refusal {
    /// A flag of a feature glasstls does not have (exit 89).
    Unimplemented(String),
    /// A flag nobody has looked at (exit 1).
    Unhandled(String),
    /// A flag with a value that does not parse (exit 1).
    BadValue(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unimplemented(flag) => write!(f, "unimplemented: {flag}"),
            Self::Unhandled(flag) => write!(f, "unhandled option: {flag}"),
            Self::BadValue(what) => write!(f, "bad value: {what}"),
        }
    }
}

/// Which connections of a run a flag applies to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Scope {
    All,
    Initial,
    Resume,
}

/// Flags that take a value and that the shim acts on.
const WITH_VALUE: &[&str] = &[
    "-port",
    "-shim-id",
    "-resume-count",
    "-cert-file",
    "-key-file",
    "-trust-cert",
    "-min-version",
    "-max-version",
    "-curves",
    "-expect-curve-id",
    "-expect-version",
    "-verify-prefs",
    "-signing-prefs",
    "-ech-server-config",
    "-ech-server-key",
    "-ech-is-retry-config",
    "-ech-config-list",
    "-expect-ech-retry-configs",
    "-expect-ech-name-override",
    "-expect-peer-signature-algorithm",
    "-advertise-alpn",
    "-select-alpn",
    "-expect-alpn",
    "-expect-advertised-alpn",
    "-host-name",
    "-expect-server-name",
    "-max-send-fragment",
    "-read-size",
    "-resumption-delay",
    "-cipher",
    "-expect-peer-cert-file",
    "-max-cert-list",
    "-export-keying-material",
    "-export-label",
    "-export-context",
];

/// Flags without a value that the shim acts on.
const SWITCHES: &[&str] = &[
    "-server",
    "-ipv6",
    "-verify-peer",
    "-fips-202205",
    "-expect-ech-accept",
    "-enable-ech-grease",
    "-expect-no-ech-retry-configs",
    "-expect-no-ech-name-override",
    "-require-any-client-certificate",
    "-verify-fail",
    "-use-custom-verify-callback",
    "-expect-verify-result",
    "-wpa-202304",
    "-no-tls13",
    "-no-tls12",
    "-no-tls11",
    "-no-tls1",
    "-expect-hrr",
    "-expect-no-hrr",
    "-expect-session-miss",
    "-shim-writes-first",
    "-shim-shuts-down",
    "-check-close-notify",
    "-key-update",
    "-no-ticket",
    "-expect-extended-master-secret",
    "-expect-no-server-name",
    "-decline-alpn",
    "-reject-alpn",
    "-new-x509-credential",
    "-expect-no-session",
    "-use-export-context",
];

/// Flags accepted and ignored: they ask for nothing glasstls would do differently (blocking
/// I/O stands in for BoringSSL's async mode; glasstls has no early callback to use; BoGo
/// checks session IDs and ticket renewal from its own side).
const IGNORED: &[&str] = &[
    "-async",
    "-implicit-handshake",
    "-use-early-callback",
    "-expect-ticket-renewal",
    "-expect-session-id",
    "-expect-no-session-id",
    "-server-preference",
];

/// Flags of features glasstls does not have, each with the feature: the test is reported
/// unimplemented (exit 89).
const LACKING: &[(&str, &str)] = &[
    ("-dtls", "DTLS"),
    ("-quic", "QUIC"),
    ("-psk", "external pre-shared keys"),
    ("-psk-identity", "external pre-shared keys"),
    ("-use-client-ca-list", "client certificates"),
    ("-expect-client-ca-list", "client certificates"),
    ("-use-old-client-cert-callback", "client certificates"),
    ("-expect-certificate-types", "client certificates"),
    ("-must-match-issuer", "certificate selection by issuer"),
    (
        "-expect-peer-verify-pref",
        "BoringSSL's peer verify-prefs query",
    ),
    ("-enable-early-data", "0-RTT early data"),
    ("-on-resume-enable-early-data", "0-RTT early data"),
    ("-expect-ticket-supports-early-data", "0-RTT early data"),
    ("-expect-accept-early-data", "0-RTT early data"),
    ("-expect-reject-early-data", "0-RTT early data"),
    ("-expect-early-data-reason", "0-RTT early data"),
    ("-expect-no-offer-early-data", "0-RTT early data"),
    ("-export-traffic-secrets", "exporting traffic secrets"),
    ("-tls-unique", "tls-unique channel binding"),
    ("-enable-grease", "GREASE"),
    ("-permute-extensions", "extension permutation"),
    ("-enable-ocsp-stapling", "OCSP stapling"),
    ("-ocsp-response", "OCSP stapling"),
    ("-expect-ocsp-response", "OCSP stapling"),
    ("-use-ocsp-callback", "OCSP stapling"),
    ("-set-ocsp-in-callback", "OCSP stapling"),
    ("-decline-ocsp-callback", "OCSP stapling"),
    ("-fail-ocsp-callback", "OCSP stapling"),
    ("-enable-signed-cert-timestamps", "certificate transparency"),
    ("-signed-cert-timestamps", "certificate transparency"),
    ("-expect-signed-cert-timestamps", "certificate transparency"),
    ("-install-cert-compression-algs", "certificate compression"),
    (
        "-install-one-cert-compression-alg",
        "certificate compression",
    ),
    ("-application-settings", "ALPS"),
    ("-expect-peer-application-settings", "ALPS"),
    ("-alps-use-new-codepoint", "ALPS"),
    ("-defer-alps", "ALPS"),
    ("-advertise-npn", "NPN"),
    ("-select-next-proto", "NPN"),
    ("-expect-next-proto", "NPN"),
    ("-expect-no-next-proto", "NPN"),
    ("-advertise-empty-npn", "NPN"),
    ("-select-empty-next-proto", "NPN"),
    ("-send-channel-id", "Channel ID"),
    ("-enable-channel-id", "Channel ID"),
    ("-expect-channel-id", "Channel ID"),
    ("-srtp-profiles", "SRTP"),
    ("-false-start", "False Start"),
    ("-allow-false-start-without-alpn", "False Start"),
    ("-renegotiate-freely", "renegotiation"),
    ("-renegotiate-once", "renegotiation"),
    ("-renegotiate-ignore", "renegotiation"),
    ("-renegotiate-explicit", "renegotiation"),
    ("-expect-total-renegotiations", "renegotiation"),
    ("-forbid-renegotiation-after-handshake", "renegotiation"),
    (
        "-expect-secure-renegotiation",
        "a query of the peer's renegotiation_info",
    ),
    (
        "-expect-no-secure-renegotiation",
        "a query of the peer's renegotiation_info",
    ),
    ("-new-delegated-credential", "delegated credentials"),
    ("-delegated-credential", "delegated credentials"),
    ("-new-spake2plusv1-credential", "PAKE credentials"),
    ("-trust-anchor-id", "trust anchor IDs"),
    ("-requested-trust-anchors", "trust anchor IDs"),
    ("-expect-peer-available-trust-anchors", "trust anchor IDs"),
    ("-expect-peer-match-trust-anchor", "trust anchor IDs"),
    ("-expect-no-peer-match-trust-anchor", "trust anchor IDs"),
    ("-handshake-hints", "BoringSSL's split handshakes"),
    ("-handoff", "BoringSSL's split handshakes"),
    ("-allow-hint-mismatch", "BoringSSL's split handshakes"),
    (
        "-server-supported-groups-hint",
        "BoringSSL's split handshakes",
    ),
    ("-cnsa-202407", "BoringSSL's compliance policies"),
    ("-jdk11-workaround", "BoringSSL's JDK 11 workaround"),
    ("-key-shares", "choosing which groups get a key share"),
    ("-no-key-shares", "choosing which groups get a key share"),
    ("-peek-then-read", "peeking at application data"),
    ("-read-with-unfinished-write", "partial writes"),
    ("-partial-write", "partial writes"),
    ("-reverify-on-resume", "BoringSSL's verify callbacks"),
    (
        "-retain-only-sha256-client-cert",
        "BoringSSL's client certificate hashing",
    ),
    (
        "-expect-sha256-client-cert",
        "BoringSSL's client certificate hashing",
    ),
    ("-install-ddos-callback", "BoringSSL's DDoS callback"),
    ("-fail-ddos-callback", "BoringSSL's DDoS callback"),
    ("-fail-early-callback", "BoringSSL's early callback"),
    (
        "-fail-early-callback-ech-rewind",
        "BoringSSL's early callback",
    ),
    ("-fail-cert-callback", "BoringSSL's certificate callback"),
    ("-use-ticket-callback", "BoringSSL's ticket callbacks"),
    ("-use-ticket-aead-callback", "BoringSSL's ticket callbacks"),
    ("-ticket-key", "setting ticket keys from outside"),
    ("-skip-ticket", "BoringSSL's ticket callbacks"),
    ("-renew-ticket", "BoringSSL's ticket callbacks"),
    (
        "-expect-ticket-age-skew",
        "BoringSSL's ticket-age statistics",
    ),
    (
        "-handshake-never-done",
        "BoringSSL's handshake-never-done mode",
    ),
    ("-send-alert", "sending an alert on request"),
    ("-expect-msg-callback", "BoringSSL's message callback"),
    (
        "-write-different-record-sizes",
        "BoringSSL's record-size tests",
    ),
    ("-use-exporter-between-reads", "keying-material exporters"),
    ("-no-op-extra-handshake", "BoringSSL's extra-handshake call"),
    ("-handshake-twice", "BoringSSL's extra-handshake call"),
    (
        "-key-update-before-read",
        "BoringSSL's key-update-before-read mode",
    ),
    ("-expect-resumable-across-names", "resumption across names"),
    (
        "-expect-not-resumable-across-names",
        "resumption across names",
    ),
    (
        "-resumption-across-names-enabled",
        "resumption across names",
    ),
    (
        "-expect-key-usage-invalid",
        "BoringSSL's key-usage override",
    ),
    ("-ignore-rsa-key-usage", "BoringSSL's key-usage override"),
    ("-no-server-name-ack", "withholding the SNI acknowledgement"),
    ("-expect-cipher-aes", "BoringSSL's hardware-AES query"),
    ("-expect-cipher-no-aes", "BoringSSL's hardware-AES query"),
    (
        "-allow-unknown-alpn-protos",
        "accepting an ALPN protocol that was not offered",
    ),
    (
        "-select-empty-alpn",
        "selecting an empty ALPN protocol (a server picks from its list)",
    ),
    ("-mtu", "DTLS"),
    ("-initial-timeout-duration-ms", "DTLS"),
    ("-quic-transport-params", "QUIC"),
    ("-expect-quic-transport-params", "QUIC"),
    ("-quic-use-legacy-codepoint", "QUIC"),
    ("-quic-early-data-context", "QUIC"),
    (
        "-private-key-delay-ms",
        "BoringSSL's asynchronous private keys",
    ),
    (
        "-expect-selected-credential",
        "credential selection queries",
    ),
    (
        "-fallback-scsv",
        "a client that retries with a lower version",
    ),
];

/// The flags of one run, in order, with their scope.
pub struct Flags {
    entries: Vec<(Scope, String, Option<String>)>,
}

impl Flags {
    /// Reads the command line (without the program name).
    pub fn parse(args: &[String]) -> Result<Self, Refusal> {
        let mut entries = Vec::new();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let (scope, name) = if let Some(rest) = arg.strip_prefix("-on-initial") {
                (Scope::Initial, rest)
            } else if let Some(rest) = arg.strip_prefix("-on-resume") {
                (Scope::Resume, rest)
            } else if let Some(rest) = arg.strip_prefix("-on-shim") {
                // The shim is the only process; there is no handshaker.
                (Scope::All, rest)
            } else if arg.starts_with("-on-retry") || arg.starts_with("-on-handshaker") {
                // ECH retries and split handshakes: features glasstls does not have.
                return Err(Refusal::Unimplemented(arg.clone()));
            } else {
                (Scope::All, arg.as_str())
            };
            if let Some((_, feature)) = LACKING.iter().find(|(flag, _)| *flag == name) {
                return Err(Refusal::Unimplemented(format!("{arg} ({feature})")));
            }
            if WITH_VALUE.contains(&name) {
                let value = args
                    .next()
                    .ok_or_else(|| Refusal::BadValue(format!("{arg} needs a value")))?;
                entries.push((scope, name.to_string(), Some(value.clone())));
            } else if SWITCHES.contains(&name) {
                entries.push((scope, name.to_string(), None));
            } else if !IGNORED.contains(&name) {
                return Err(Refusal::Unhandled(arg.clone()));
            }
        }
        Ok(Self { entries })
    }

    /// The flags that apply to connection `index` of the run (0 is the initial one, every
    /// later one a resumption), in the order given.
    pub fn for_connection(&self, index: usize) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.entries
            .iter()
            .filter(move |(scope, _, _)| match scope {
                Scope::All => true,
                Scope::Initial => index == 0,
                Scope::Resume => index > 0,
            })
            .map(|(_, name, value)| (name.as_str(), value.as_deref()))
    }
}
