internal import COpenSSL
internal import CSodium

/// Versions of the native crypto libraries this process is linked against, for `signalmesh version`.
public enum CryptoLibraries {
    /// libsodium's version string, e.g. `1.0.18`.
    public static var sodiumVersion: String { String(cString: sodium_version_string()) }
    /// OpenSSL's version text, e.g. `OpenSSL 3.0.17 1 Jul 2025`.
    public static var openSSLVersion: String { String(cString: copenssl_version_text()) }
}
