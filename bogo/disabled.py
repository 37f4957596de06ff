#!/usr/bin/env python3
"""Rebuilds bogo/config.json's DisabledTests from a runner log (`-pipe` output of a run with only
DTLS and QUIC disabled): every FAILED test must match one of the rules below, each a feature
glasstls lacks or a policy difference with the RFC section that allows it. Tests that pass are
never disabled; a failure no rule explains is printed, to be fixed rather than disabled.

  python3 bogo/disabled.py RUN_LOG   # rewrites bogo/config.json, lists what no rule covers
"""
import json, re, sys, pathlib

RULES = [
    # Versions, suites and groups glasstls does not have.
    (r"SSL3", "SSL 3.0: glasstls implements TLS 1.2 and 1.3 only (RFC 7568 deprecates SSL 3.0)"),
    (r"TLS11?($|-|TLS|_)|V2ClientHello|ConflictingVersionNegotiation|^BadRSAClientKeyExchange-",
     "TLS 1.0 or 1.1: glasstls implements TLS 1.2 and 1.3 only (RFC 8996 deprecates them)"),
    (r"CBC|3DES|RSAEphemeralKey", "CBC and 3DES suites: glasstls has AEAD suites only (RFC 9325 §4.1, §4.2)"),
    (r"P-224|P224", "P-224: not a group glasstls implements"),
    (r"^(Client|Server)-VerifyDefault-ECDSA_P521_SHA512-", "glasstls accepts ECDSA P-521 signatures by default, as OpenSSL and rustls do (RFC 8446 §4.2.3 lists ecdsa_secp521r1_sha512); BoringSSL leaves them out of its default list"),
    (r"Kyber|MLKEM1024|TwoMLKEMs", "ML-KEM-1024 alone and the Kyber draft: glasstls has the X25519MLKEM768 hybrid"),
    (r"SHA1|MD5", "SHA-1 and MD5 signatures: glasstls uses none (RFC 9155)"),
    (r"RSA_PKCS1_SHA256_LEGACY", "draft-ietf-tls-tls13-pkcs1: not implemented"),
    (r"Renegotiat|Renego|HelloRequest", "renegotiation: glasstls never renegotiates (it signals RFC 5746 and refuses), and ignores HelloRequest while negotiating (RFC 5246 §7.4.1.1)"),
    (r"^CertificateSelection-Client-(SignatureAlgorithm|ClientCertificateTypes)[^ ]*-MatchNone-|^NoCommonAlgorithms|^CheckClientCertificateTypes$|^Client-Sign(Default)?-RSA_PKCS1_SHA(256|384|512)-TLS13$", "a client whose certificate fits none of the server's signature schemes or certificate types sends an empty Certificate, as RFC 8446 §4.4.2 and RFC 5246 §7.4.6 require (\"If no suitable certificate is available, the client MUST send a certificate message containing no certificates\"); BoringSSL aborts with handshake_failure"),
    (r"JDK11", "BoringSSL's workaround for JDK 11's broken TLS 1.3 downgrade"),
    (r"KeyUsage-", "key usage bits: rustls-webpki does not expose them, and glasstls parses no X.509 itself (x509-parser is for display only)"),
    (r"CertCompression", "certificate compression (RFC 8879): not implemented, its extension not parsed"),
    (r"^PAKE-|^TrustAnchors-", "PAKE credentials and trust anchor IDs: drafts glasstls does not implement"),
    (r"^GREASE-", "GREASE (RFC 8701) in glasstls's own messages: not implemented"),
    (r"^Ed25519DefaultDisable-|^(Client|Server)-VerifyDefault-Ed25519-", "Ed25519 is enabled by default in glasstls"),
    (r"^PostQuantumNotEnabledByDefault", "X25519MLKEM768 is glasstls's default (what browsers send first)"),
    (r"^MLKEMKeyShareIncluded", "glasstls sends shares for the first groups it prefers (X25519MLKEM768 and x25519), not for every hybrid in the list"),
    # Policy differences, each with the RFC text that allows glasstls's behaviour.
    (r"^CipherNegotiation-", "server suite preference: glasstls takes the client's order (RFC 5246 §7.4.1.2 leaves the choice to the server); BoringSSL's equal-preference groups are its own cipher-string syntax"),
    (r"^VersionNegotiation-Client", "the first ClientHello's record version: glasstls writes 0x0303, which RFC 8446 §5.1 allows beside 0x0301 (the runner wants 0x0301 when TLS 1.0 is the shim's floor, which glasstls has not)"),
    (r"^UnencryptedEncryptedExtensions$", "RFC 8446 §5: a plaintext handshake record where a protected one belongs is an unexpected record type (unexpected_message); BoringSSL tries to open it (bad_record_mac)"),
    (r"^SendWarningAlerts-TLS13$", "RFC 8446 §6: alerts other than close_notify and user_canceled are error alerts \"regardless of the AlertLevel\" and end the connection as received; BoringSSL answers with decode_error"),
    (r"^Shutdown-Shim-ApplicationData-", "after our close_notify, the peer's data is read and dropped (RFC 8446 §6.1: close_notify closes one direction); BoringSSL reports an error"),
    (r"^EncryptedExtensionsWithKeyShare-TLS13$", "RFC 8446 §4.2: a known extension in a message it is not specified for is illegal_parameter; BoringSSL sends unsupported_extension"),
    (r"^HelloRetryRequest-Duplicate|^TLS13-DuplicateTicketEarlyDataSupport$", "a duplicate extension is decode_error in every message (neither RFC names the alert; BoGo's own DuplicateExtension tests expect decode_error); BoringSSL's HelloRetryRequest and NewSessionTicket parsers send illegal_parameter"),
    (r"^TrailingMessageData-.*Finished-TLS$", "a Finished of the wrong length cannot be parsed: decode_error (RFC 8446 §6; issue 12, item 7); BoringSSL compares it and sends decrypt_error"),
    (r"^Resume-Server-BinderWrongLength", "a PSK binder shorter than 32 bytes is outside PskBinderEntry<32..255> (RFC 8446 §4.2.11): decode_error; BoringSSL compares it and sends decrypt_error"),
    (r"^Resume-Server-OmitPSKsOnSecondClientHello$", "RFC 8446 §4.1.2 lets the second ClientHello remove PSKs; glasstls then makes a full handshake"),
    (r"^CheckRecordVersion-", "RFC 8446 §5.1: legacy_record_version \"MUST be ignored for all purposes\"; in TLS 1.2 it is authenticated with the record (bad_record_mac)"),
    (r"^CertificateVerificationFail-(Client|Server)-TLS1[23]-TLS-", "a refusal by the application's verifier is certificate_unknown (RFC 5246 §7.2.2: \"some other (unspecified) issue arose in processing the certificate, rendering it unacceptable\"), as with BoringSSL's custom verify callback (those tests pass); its legacy callback sends handshake_failure"),
    (r"^CheckLeafCurve$", "the server certificate's curve against the client's groups is the server's choice (RFC 8422 §5.1); glasstls checks the signature whatever the curve"),
    (r"^NoSupportedCurves$", "RFC 8422 §4: without supported_groups a server may use any curve it supports"),
    (r"^TLS13-NoTicket-NoMint$", "with ServerConfig::tickets off glasstls resumes TLS 1.3 from its session store (a ticket may be a database key, RFC 8446 §4.6.1), so it still sends a NewSessionTicket"),
    (r"^TLS13-Client-(Nonminimal|Empty)TicketFlags$", "ticket flags (RFC 9149): not implemented; NewSessionTicket extensions glasstls does not know are ignored (RFC 8446 §4.6.1)"),
    (r"^ClientHelloPadding$", "its host name has an 80-character label, which is not a DNS name (RFC 1035 §2.3.4: 63 at most) and which glasstls refuses to send"),
    (r"^SendHelloRetryRequest-2-TLS13$", "a server that supports a group the client sent a share for uses it rather than asking for its own first choice (RFC 8446 §4.2.8 lets it pick; a HelloRetryRequest costs a round trip)"),
    (r"^TLS13-HRR-InvalidCompressionMethod$", "RFC 8446 §4.1.3 names no alert for a legacy_compression_method other than 0; glasstls sends illegal_parameter (a field holding a forbidden value), BoringSSL decode_error"),
    (r"^RSA-PSS-Large$", "RSA keys below 2048 bits: aws-lc-rs refuses to load them for signing"),
    (r"^TLS-ECH-Client-(NoSupportedConfigs|SkipInvalidPublicName)$", "with no usable ECH config glasstls sends GREASE ECH, as RFC 9849 §6.1 recommends (\"If no compatible configuration is found, then the client SHOULD proceed as described in Section 6.2\"); BoringSSL sends GREASE only when it is enabled"),
    (r"^TLS-ECH-Client-Reject-ResumeInnerSession-TLS13$", "RFC 9849 §6.1.2: a server that rejected ECH and replies with pre_shared_key gets illegal_parameter (\"the client MUST abort the handshake with an \"illegal_parameter\" alert\"); BoringSSL sends unsupported_extension"),
    (r"^TLS-ECH-Client-Reject-ResumeInnerSession-TLS12$", "a TLS 1.2 ServerHello that resumes the inner hello's TLS 1.3 session names a TLS 1.3 suite: glasstls refuses the suite (illegal_parameter, the alert the runner expects) before it compares the session ID echo, whose error name BoringSSL reports"),
]

def main():
    log = pathlib.Path(sys.argv[1]).read_text()
    failed = sorted(set(re.findall(r"^FAILED \((.*)\)$", log, re.M)))
    config_path = pathlib.Path(__file__).with_name("config.json")
    config = json.loads(config_path.read_text())
    disabled = {
        "*DTLS*": "DTLS: glasstls speaks TLS over streams only",
        "MTU*": "DTLS: record sizes for datagrams",
        "*QUIC*": "QUIC: glasstls has no QUIC transport mode",
    }
    uncovered = []
    for name in failed:
        for rx, reason in RULES:
            if re.search(rx, name):
                disabled[name] = reason
                break
        else:
            uncovered.append(name)
    config["DisabledTests"] = disabled
    config_path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n")
    for name in uncovered:
        print("not covered:", name)
    print(f"{len(failed)} failed, {len(disabled) - 3} disabled, {len(uncovered)} not covered")

if __name__ == "__main__":
    main()
