import Foundation

/// The cluster secret file every paxosd of a test cluster needs (peers authenticate with it):
/// 64 random hex characters, mode 0600 unless a test wants paxosd to refuse it.
enum TestSecret {
    /// Writes `cluster.secret` into `directory`, where paxosd looks when the cluster file names no
    /// `secretFile`, and returns its path.
    @discardableResult
    static func write(toDirectory directory: String, mode: Int16 = 0o600) throws -> String {
        let path = (directory as NSString).appendingPathComponent("cluster.secret")
        var generator = SystemRandomNumberGenerator()
        let text = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: NSNumber(value: mode)], ofItemAtPath: path)
        return path
    }
}
