import Foundation

/// How hard the reliability tests push: a fast subset in the normal suite, many more trials under
/// `scripts/soak` (which sets `STRATA_SOAK=1`). `STRATA_SEED` replays a run; every failure message
/// names the seed it used.
enum Soak {
    static let environment = ProcessInfo.processInfo.environment

    /// Whether the long soak is running.
    static var isOn: Bool { environment["STRATA_SOAK"] == "1" }

    /// `ci` trials in the normal suite, `soak` under the soak (or `STRATA_SOAK_TRIALS` when set there).
    static func trials(ci: Int, soak: Int) -> Int {
        guard isOn else { return ci }
        return environment["STRATA_SOAK_TRIALS"].flatMap(Int.init) ?? soak
    }

    /// The seed of this run's random choices.
    static let seed: UInt64 = environment["STRATA_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...999_999)

    /// A line of figures: printed as `soak: …`, and appended to `STRATA_SOAK_REPORT` when set.
    static func report(_ line: String) {
        let text = "soak: \(line)\n"
        FileHandle.standardOutput.write(Data(text.utf8))
        guard let path = environment["STRATA_SOAK_REPORT"] else { return }
        if let handle = FileHandle(forWritingAtPath: path) {
            handle.seekToEndOfFile()
            handle.write(Data(text.utf8))
            try? handle.close()
        } else {
            FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        }
    }
}

/// A seeded random number generator (xorshift64*), so that a failing trial can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed == 0 ? 0x2545_F491_4F6C_DD1D : seed }

    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}
