//! glasstls's typed errors in the names BoringSSL's runner expects on the shim's stderr
//! (`:NO_SHARED_CIPHER:` …). One match, so that which reason becomes which name is one table;
//! where two BoringSSL names cover one of our reasons, the config's `ErrorMap` says so.

use glasstls::error::{
    DecryptError, Expected, PeerIncompatible, PeerMisbehaved, Received, UnexpectedMessage,
};
use glasstls::{AlertDescription, ContentType, Error, ExtensionType, InvalidMessage};

/// BoringSSL's name for the reason of `e`, colons included.
pub fn boringssl_name(e: &Error) -> String {
    use PeerIncompatible as I;
    use PeerMisbehaved as M;
    let name = match e {
        Error::Decode(InvalidMessage::DuplicateExtension(_)) => "DUPLICATE_EXTENSION",
        Error::Decode(InvalidMessage::TooLarge(_)) => "EXCESSIVE_MESSAGE_SIZE",
        Error::Decode(InvalidMessage::BadLength("alert")) => "BAD_ALERT",
        Error::Decode(InvalidMessage::IllegalValue("alert level")) => "UNKNOWN_ALERT_TYPE",
        Error::Decode(
            InvalidMessage::BadLength("ChangeCipherSpec")
            | InvalidMessage::IllegalValue("ChangeCipherSpec"),
        ) => "BAD_CHANGE_CIPHER_SPEC",
        Error::Decode(_) => "DECODE_ERROR",
        Error::UnexpectedMessage(u) => match u {
            // A record of the wrong content type (BoringSSL's "record"), as opposed to a
            // handshake message of the wrong type ("message").
            UnexpectedMessage::ChangeCipherSpecInTls13
            | UnexpectedMessage::OutOfOrder {
                expected: Expected::ChangeCipherSpec,
                ..
            }
            | UnexpectedMessage::OutOfOrder {
                got: Received::ChangeCipherSpec,
                ..
            } => "UNEXPECTED_RECORD",
            // Handshake bytes left when the ChangeCipherSpec arrived.
            UnexpectedMessage::Interleaved(ContentType::ChangeCipherSpec) => {
                "EXCESS_HANDSHAKE_DATA"
            }
            UnexpectedMessage::Interleaved(_)
            | UnexpectedMessage::ApplicationDataBeforeHandshake
            | UnexpectedMessage::UnknownRecordType(_)
            | UnexpectedMessage::PlaintextRecord(_) => "UNEXPECTED_RECORD",
            UnexpectedMessage::SpansKeyChange | UnexpectedMessage::AfterEndOfFlight => {
                "EXCESS_HANDSHAKE_DATA"
            }
            UnexpectedMessage::TooManyKeyUpdates { .. } => "TOO_MANY_KEY_UPDATES",
            UnexpectedMessage::TooManyEmptyRecordsOrWarnings { .. } => "TOO_MANY_EMPTY_FRAGMENTS",
            UnexpectedMessage::TooManyWarningAlerts { .. } => "TOO_MANY_WARNING_ALERTS",
            UnexpectedMessage::TooMuchEarlyData { .. } => "TOO_MUCH_SKIPPED_EARLY_DATA",
            _ => "UNEXPECTED_MESSAGE",
        },
        Error::PeerMisbehaved(m) => match m {
            M::DowngradeDetected => "TLS13_DOWNGRADE",
            M::EmsDroppedOnResumption => "RESUMED_EMS_SESSION_WITHOUT_EMS_EXTENSION",
            M::InappropriateFallback => "INAPPROPRIATE_FALLBACK",
            M::SuiteNotOffered | M::SuiteChangedAfterRetry => "WRONG_CIPHER_RETURNED",
            M::GroupNotOffered | M::KeyShareForUnofferedGroup | M::RetryGroupUnusable => {
                "WRONG_CURVE"
            }
            M::AlpnNotOffered => "INVALID_ALPN_PROTOCOL",
            M::SchemeNotOffered | M::SchemeDoesNotFitKey => "WRONG_SIGNATURE_TYPE",
            M::ResumedWithOtherSuite => "OLD_SESSION_CIPHER_NOT_RETURNED",
            M::ResumedWithOtherEms => "RESUMED_EMS_SESSION_WITHOUT_EMS_EXTENSION",
            M::SessionIdEchoMismatch => "SERVER_ECHOED_INVALID_SESSION_ID",
            M::NonEmptyRenegotiationInfo => "RENEGOTIATION_MISMATCH",
            M::NoNullCompression | M::CompressionNotOffered | M::Tls13CompressionNotNull => {
                "INVALID_COMPRESSION_LIST"
            }
            M::PskNotLast => "PRE_SHARED_KEY_MUST_BE_LAST",
            M::InvalidKeyShare => "BAD_ECPOINT",
            M::CertificateKeyNotRsa => "WRONG_CERTIFICATE_TYPE",
            M::MisplacedEncryptedExtension => "UNEXPECTED_EXTENSION",
            M::PointFormatsWithoutUncompressed => "ERROR_PARSING_EXTENSION",
            M::SecondHelloLacksShare => "MISSING_KEY_SHARE",
            M::EchInnerMalformed => "INVALID_CLIENT_HELLO_INNER",
            M::EchOuterExtensions => "INVALID_OUTER_EXTENSION",
            M::EchPadding => "DECODE_ERROR",
            M::EchInnerNotEmpty => "ERROR_PARSING_EXTENSION",
            M::EchSecondHelloChanged => "DECODE_ERROR",
            M::EchAcceptanceLost => "INCONSISTENT_ECH_NEGOTIATION",
            M::RetrySelectedOtherVersion | M::Tls12AfterRetry => {
                "SECOND_SERVERHELLO_VERSION_MISMATCH"
            }
            _ => "INVALID_MESSAGE",
        },
        Error::PeerIncompatible(i) => match i {
            I::VersionTooLow(_)
            | I::ServerChoseVersion(_)
            | I::ClientLacksTls13
            | I::NoVersionInCommon(_)
            | I::RecordVersion(_) => "UNSUPPORTED_PROTOCOL",
            I::NoCommonSuite | I::NoCommonSuiteTls13 => "NO_SHARED_CIPHER",
            I::NoCommonGroup => "NO_SHARED_GROUP",
            I::NoCertificateSchemeInCommon => "NO_COMMON_SIGNATURE_ALGORITHMS",
            I::ClientLacksEms | I::ServerLacksEms => "EXTENDED_MASTER_SECRET_REQUIRED",
            I::NoApplicationProtocol => "NO_APPLICATION_PROTOCOL",
            I::MissingExtension(ExtensionType::KeyShare) => "MISSING_KEY_SHARE",
            I::MissingExtension(_) => "MISSING_EXTENSION",
            I::UnrecognizedName(_) | I::NoNameAndNoDefaultCertificate => "UNRECOGNIZED_NAME",
            I::NoClientCertificate | I::NoClientCertificateTls13 => {
                "PEER_DID_NOT_RETURN_A_CERTIFICATE"
            }
            _ => "HANDSHAKE_FAILURE",
        },
        Error::UnsupportedExtension(_) => "UNEXPECTED_EXTENSION",
        Error::BadRecordMac => "DECRYPTION_FAILED_OR_BAD_RECORD_MAC",
        Error::RecordOverflow => "ENCRYPTED_LENGTH_TOO_LONG",
        Error::DecryptError(DecryptError::Finished | DecryptError::Binder) => "DIGEST_CHECK_FAILED",
        Error::DecryptError(DecryptError::EchSecondClientHello) => "DECRYPTION_FAILED",
        Error::DecryptError(_) => "BAD_SIGNATURE",
        Error::Certificate(_) => "CERTIFICATE_VERIFY_FAILED",
        Error::AlertReceived(alert) => return alert_name(*alert),
        Error::ConnectionClosed => "PROTOCOL_IS_SHUTDOWN",
        Error::Config(_) => "NO_CIPHERS_AVAILABLE",
        Error::Misuse(_) => "SHOULD_NOT_HAVE_BEEN_CALLED",
        Error::Internal(_) => "INTERNAL_ERROR",
        Error::EchRejected(_) => "ECH_REJECTED",
        _ => "UNKNOWN_ERROR",
    };
    format!(":{name}:")
}

/// BoringSSL's error for a fatal alert received: `SSLV3_ALERT_*` for the alerts SSL 3.0
/// defined, `TLSV1_*` for the extension alerts of RFC 6066 §9, `TLSV1_ALERT_*` for the rest.
fn alert_name(alert: AlertDescription) -> String {
    let name = alert
        .name()
        .map(str::to_ascii_uppercase)
        .unwrap_or_else(|| format!("UNKNOWN_{}", alert.0));
    match alert.0 {
        0 | 10 | 20 | 30 | 40..=47 => format!(":SSLV3_ALERT_{name}:"),
        110..=114 => format!(":TLSV1_{name}:"),
        _ => format!(":TLSV1_ALERT_{name}:"),
    }
}
