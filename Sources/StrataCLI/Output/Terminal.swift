import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the output goes: whether stdout and stderr are terminals, how wide they are, whether
/// colour is wanted and whether we run in CI. Decides colour, live progress and table widths.
///
/// - Colour only on a terminal, never with `--no-color`, a non-empty `NO_COLOR` or `TERM=dumb`.
/// - Live progress (redrawn in place) only when stderr is a terminal, outside CI (`CI` set and
///   not `false`/`0`) and with a capable `TERM`.
/// - Tables fit `COLUMNS` when set, else the terminal's width (`TIOCGWINSZ`); on a pipe without
///   `COLUMNS` they are never truncated.
struct Terminal: Sendable {
    /// Whether standard output is a terminal.
    var stdoutIsTerminal: Bool
    /// Whether standard error is a terminal.
    var stderrIsTerminal: Bool
    /// Whether a CI system runs us (`CI` set and not `false`/`0`).
    var isCI: Bool
    /// Whether colour was switched off (`--no-color`, `NO_COLOR`, `TERM=dumb`).
    var colorDisabled: Bool
    /// Whether `TERM` is `dumb` (no cursor control).
    var isDumb: Bool
    /// `COLUMNS` from the environment, when it is a positive number.
    var columnsOverride: Int?

    /// The terminal of this process.
    static func detect(noColorFlag: Bool,
                       environment: [String: String] = ProcessInfo.processInfo.environment) -> Terminal {
        let ci = environment["CI"].map { !["", "0", "false", "no"].contains($0.lowercased()) } ?? false
        let dumb = environment["TERM"] == "dumb"
        let noColor = !(environment["NO_COLOR"] ?? "").isEmpty
        return Terminal(stdoutIsTerminal: isatty(STDOUT_FILENO) == 1, stderrIsTerminal: isatty(STDERR_FILENO) == 1,
                        isCI: ci, colorDisabled: noColorFlag || noColor || dumb, isDumb: dumb,
                        columnsOverride: environment["COLUMNS"].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil })
    }

    /// Whether text written to stdout may carry colour.
    var colorOnStdout: Bool { !colorDisabled && stdoutIsTerminal }
    /// Whether text written to stderr may carry colour.
    var colorOnStderr: Bool { !colorDisabled && stderrIsTerminal }
    /// Whether a progress line may be redrawn in place on stderr.
    var allowsLiveProgress: Bool { stderrIsTerminal && !isCI && !isDumb }

    /// The width tables on stdout must fit: `COLUMNS`, else the terminal's; `nil` on a pipe.
    func stdoutWidth() -> Int? {
        columnsOverride ?? (stdoutIsTerminal ? Self.windowColumns(STDOUT_FILENO) : nil)
    }

    /// The width of stderr for the progress line (80 when unknown).
    func stderrWidth() -> Int {
        Self.windowColumns(STDERR_FILENO) ?? columnsOverride ?? 80
    }

    /// The number of columns of the terminal on `descriptor`, read with `TIOCGWINSZ`.
    static func windowColumns(_ descriptor: Int32) -> Int? {
        var size = winsize()
        #if canImport(Glibc)
        let request = UInt(TIOCGWINSZ)
        #else
        let request = TIOCGWINSZ
        #endif
        guard ioctl(descriptor, request, &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }
}
