//! Wire code points as integer newtypes with named constants, so that a value we do not know
//! (a GREASE value, a new suite) survives decoding and re-encoding unchanged.

use super::codec::{Codec, InvalidMessage, Reader};
use std::fmt;

/// Declares a code-point newtype: constants, names as the RFCs spell them, `Debug`, `Display`
/// and `Codec`. A table, not control flow.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident($repr:ty) { $($variant:ident = $value:literal => $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(/** The value on the wire. */ pub $repr);

        #[allow(non_upper_case_globals)]
        impl $name {
            $(#[doc = concat!("`", $text, "`")] pub const $variant: Self = Self($value);)*

            /// The name the RFCs give this value, if we know it.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some($text),)*
                    _ => None,
                }
            }

            /// Looks a value up by its RFC name.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($text => Some(Self($value)),)*
                    _ => None,
                }
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(name) => f.write_str(name),
                    None => write!(f, "unknown({:#0width$x})", self.0, width = 2 + 2 * size_of::<$repr>()),
                }
            }
        }

        impl Codec for $name {
            fn encode(&self, out: &mut Vec<u8>) {
                self.0.encode(out)
            }
            fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
                <$repr>::read(r).map(Self).map_err(|_| InvalidMessage::Truncated(stringify!($name)))
            }
        }
    };
}

wire_enum! {
    /// RFC 5246 §6.2.1 ContentType.
    ContentType(u8) {
        ChangeCipherSpec = 20 => "change_cipher_spec",
        Alert = 21 => "alert",
        Handshake = 22 => "handshake",
        ApplicationData = 23 => "application_data",
    }
}

wire_enum! {
    /// RFC 5246 §7.4 HandshakeType (and RFC 5077's new_session_ticket).
    HandshakeType(u8) {
        HelloRequest = 0 => "HelloRequest",
        ClientHello = 1 => "ClientHello",
        ServerHello = 2 => "ServerHello",
        NewSessionTicket = 4 => "NewSessionTicket",
        EndOfEarlyData = 5 => "EndOfEarlyData",
        EncryptedExtensions = 8 => "EncryptedExtensions",
        Certificate = 11 => "Certificate",
        ServerKeyExchange = 12 => "ServerKeyExchange",
        CertificateRequest = 13 => "CertificateRequest",
        ServerHelloDone = 14 => "ServerHelloDone",
        CertificateVerify = 15 => "CertificateVerify",
        ClientKeyExchange = 16 => "ClientKeyExchange",
        Finished = 20 => "Finished",
        KeyUpdate = 24 => "KeyUpdate",
        MessageHash = 254 => "message_hash",
    }
}

wire_enum! {
    /// RFC 5246 §6.2.1 ProtocolVersion (RFC 8446's legacy_version and supported_versions).
    ProtocolVersion(u16) {
        SSLv3 = 0x0300 => "SSLv3",
        TLSv1_0 = 0x0301 => "TLSv1.0",
        TLSv1_1 = 0x0302 => "TLSv1.1",
        TLSv1_2 = 0x0303 => "TLSv1.2",
        TLSv1_3 = 0x0304 => "TLSv1.3",
    }
}

wire_enum! {
    /// IANA TLS Cipher Suites registry.
    CipherSuite(u16) {
        TLS_AES_128_GCM_SHA256 = 0x1301 => "TLS_AES_128_GCM_SHA256",
        TLS_AES_256_GCM_SHA384 = 0x1302 => "TLS_AES_256_GCM_SHA384",
        TLS_CHACHA20_POLY1305_SHA256 = 0x1303 => "TLS_CHACHA20_POLY1305_SHA256",
        TLS_RSA_WITH_AES_128_GCM_SHA256 = 0x009c => "TLS_RSA_WITH_AES_128_GCM_SHA256",
        TLS_RSA_WITH_AES_256_GCM_SHA384 = 0x009d => "TLS_RSA_WITH_AES_256_GCM_SHA384",
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = 0xc02b => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = 0xc02c => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xc02f => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 = 0xc030 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca8 => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca9 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff => "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
        TLS_FALLBACK_SCSV = 0x5600 => "TLS_FALLBACK_SCSV",
    }
}

wire_enum! {
    /// RFC 8422 §5.1.1 NamedCurve / RFC 8446 NamedGroup.
    NamedGroup(u16) {
        secp256r1 = 0x0017 => "secp256r1",
        secp384r1 = 0x0018 => "secp384r1",
        secp521r1 = 0x0019 => "secp521r1",
        X25519 = 0x001d => "x25519",
        X448 = 0x001e => "x448",
        X25519MLKEM768 = 0x11ec => "X25519MLKEM768",
    }
}

wire_enum! {
    /// RFC 8446 §4.2.3 SignatureScheme, which in TLS 1.2 reads as SignatureAndHashAlgorithm.
    SignatureScheme(u16) {
        rsa_pkcs1_sha1 = 0x0201 => "rsa_pkcs1_sha1",
        ecdsa_sha1 = 0x0203 => "ecdsa_sha1",
        rsa_pkcs1_sha256 = 0x0401 => "rsa_pkcs1_sha256",
        rsa_pkcs1_sha384 = 0x0501 => "rsa_pkcs1_sha384",
        rsa_pkcs1_sha512 = 0x0601 => "rsa_pkcs1_sha512",
        ecdsa_secp256r1_sha256 = 0x0403 => "ecdsa_secp256r1_sha256",
        ecdsa_secp384r1_sha384 = 0x0503 => "ecdsa_secp384r1_sha384",
        ecdsa_secp521r1_sha512 = 0x0603 => "ecdsa_secp521r1_sha512",
        rsa_pss_rsae_sha256 = 0x0804 => "rsa_pss_rsae_sha256",
        rsa_pss_rsae_sha384 = 0x0805 => "rsa_pss_rsae_sha384",
        rsa_pss_rsae_sha512 = 0x0806 => "rsa_pss_rsae_sha512",
        ed25519 = 0x0807 => "ed25519",
        rsa_pss_pss_sha256 = 0x0809 => "rsa_pss_pss_sha256",
    }
}

wire_enum! {
    /// IANA TLS ExtensionType Values.
    ExtensionType(u16) {
        ServerName = 0 => "server_name",
        StatusRequest = 5 => "status_request",
        SupportedGroups = 10 => "supported_groups",
        EcPointFormats = 11 => "ec_point_formats",
        SignatureAlgorithms = 13 => "signature_algorithms",
        Alpn = 16 => "application_layer_protocol_negotiation",
        SignedCertificateTimestamp = 18 => "signed_certificate_timestamp",
        Padding = 21 => "padding",
        EncryptThenMac = 22 => "encrypt_then_mac",
        ExtendedMasterSecret = 23 => "extended_master_secret",
        CompressCertificate = 27 => "compress_certificate",
        SessionTicket = 35 => "session_ticket",
        PreSharedKey = 41 => "pre_shared_key",
        EarlyData = 42 => "early_data",
        SupportedVersions = 43 => "supported_versions",
        Cookie = 44 => "cookie",
        PskKeyExchangeModes = 45 => "psk_key_exchange_modes",
        CertificateAuthorities = 47 => "certificate_authorities",
        PostHandshakeAuth = 49 => "post_handshake_auth",
        SignatureAlgorithmsCert = 50 => "signature_algorithms_cert",
        KeyShare = 51 => "key_share",
        EchOuterExtensions = 0xfd00 => "ech_outer_extensions",
        EncryptedClientHello = 0xfe0d => "encrypted_client_hello",
        RenegotiationInfo = 0xff01 => "renegotiation_info",
    }
}

wire_enum! {
    /// RFC 5246 §7.2 AlertLevel.
    AlertLevel(u8) {
        Warning = 1 => "warning",
        Fatal = 2 => "fatal",
    }
}

wire_enum! {
    /// RFC 5246 §7.2 and RFC 8446 §6 AlertDescription.
    AlertDescription(u8) {
        CloseNotify = 0 => "close_notify",
        UnexpectedMessage = 10 => "unexpected_message",
        BadRecordMac = 20 => "bad_record_mac",
        DecryptionFailed = 21 => "decryption_failed",
        RecordOverflow = 22 => "record_overflow",
        DecompressionFailure = 30 => "decompression_failure",
        HandshakeFailure = 40 => "handshake_failure",
        NoCertificate = 41 => "no_certificate",
        BadCertificate = 42 => "bad_certificate",
        UnsupportedCertificate = 43 => "unsupported_certificate",
        CertificateRevoked = 44 => "certificate_revoked",
        CertificateExpired = 45 => "certificate_expired",
        CertificateUnknown = 46 => "certificate_unknown",
        IllegalParameter = 47 => "illegal_parameter",
        UnknownCa = 48 => "unknown_ca",
        AccessDenied = 49 => "access_denied",
        DecodeError = 50 => "decode_error",
        DecryptError = 51 => "decrypt_error",
        ProtocolVersion = 70 => "protocol_version",
        InsufficientSecurity = 71 => "insufficient_security",
        ExportRestriction = 60 => "export_restriction",
        InternalError = 80 => "internal_error",
        InappropriateFallback = 86 => "inappropriate_fallback",
        UserCanceled = 90 => "user_canceled",
        NoRenegotiation = 100 => "no_renegotiation",
        MissingExtension = 109 => "missing_extension",
        UnsupportedExtension = 110 => "unsupported_extension",
        CertificateUnobtainable = 111 => "certificate_unobtainable",
        UnrecognizedName = 112 => "unrecognized_name",
        BadCertificateStatusResponse = 113 => "bad_certificate_status_response",
        BadCertificateHashValue = 114 => "bad_certificate_hash_value",
        UnknownPskIdentity = 115 => "unknown_psk_identity",
        CertificateRequired = 116 => "certificate_required",
        NoApplicationProtocol = 120 => "no_application_protocol",
        EchRequired = 121 => "ech_required", // RFC 9849 §11.2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_round_trip_and_print_their_number() {
        let grease = CipherSuite::from_bytes(&[0x0a, 0x0a]).unwrap();
        assert_eq!(grease.to_bytes(), vec![0x0a, 0x0a]);
        assert_eq!(grease.to_string(), "unknown(0x0a0a)");
        assert_eq!(
            CipherSuite(0xc02f).to_string(),
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
        );
    }

    #[test]
    fn names_resolve_back_to_values() {
        assert_eq!(NamedGroup::from_name("x25519"), Some(NamedGroup::X25519));
        assert_eq!(CipherSuite::from_name("nonsense"), None);
    }
}
