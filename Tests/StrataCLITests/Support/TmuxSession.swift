import Foundation
import Testing

/// A real terminal for end-to-end tests: a private tmux server (its own socket, so parallel
/// helpers never share one) running a plain bash, into which commands are typed with
/// `send-keys` and whose screen is read with `capture-pane`. A missing tmux fails the test; it
/// is never skipped (scripts/test installs it).
final class TmuxSession {
    let socket = "strata-test-\(UUID().uuidString.prefix(8))"
    let width: Int
    let height: Int
    private var commands = 0

    /// Starts a `width`×`height` terminal in `directory`.
    init(width: Int = 120, height: Int = 40, in directory: URL) throws {
        self.width = width
        self.height = height
        guard let tmux = Self.tmuxPath else {
            Issue.record("tmux is not installed; the terminal tests need it (scripts/test installs it: apt-get install tmux)")
            throw CancellationError()
        }
        _ = tmux
        let started = try tmuxRun(["-f", "/dev/null", "new-session", "-d", "-x", "\(width)", "-y", "\(height)", "-s", "t",
                                   "-c", directory.path, "env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp TERM=xterm-256color LANG=C.UTF-8 bash --norc --noprofile"])
        guard started.exitCode == 0 else {
            Issue.record("tmux new-session failed: \(started)")
            throw CancellationError()
        }
        _ = try tmuxRun(["set-option", "-t", "t", "history-limit", "5000"])
        try type("PS1='$ '; clear")
    }

    deinit { _ = try? tmuxRun(["kill-server"]) }

    static let tmuxPath: String? = ["/usr/bin/tmux", "/usr/local/bin/tmux", "/bin/tmux"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Types a line and presses Enter.
    func type(_ line: String) throws {
        _ = try tmuxRun(["send-keys", "-t", "t", "-l", line])
        _ = try tmuxRun(["send-keys", "-t", "t", "Enter"])
    }

    /// Presses a key by its tmux name (`C-c` for Ctrl-C), without Enter.
    func press(_ key: String) throws {
        _ = try tmuxRun(["send-keys", "-t", "t", key])
    }

    /// Types `command` followed by an echo of its exit code; returns the marker to wait for
    /// with ``finish(_:escapes:timeout:)``.
    func start(_ command: String) throws -> String {
        commands += 1
        let marker = "__done\(commands)__"
        try type("\(command); echo \(marker)$?__")
        return marker
    }

    /// Waits until the command started with ``start(_:)`` has finished; returns its exit code
    /// and the screen (with the scrollback) up to the marker.
    func finish(_ marker: String, escapes: Bool = false, timeout: Double = 60) throws -> (exitCode: Int32, screen: String) {
        let pattern = try Regex("\(marker)(\\d+)__")
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let plain = try capture(escapes: false)
            if let match = plain.firstMatch(of: pattern), let code = Int32(match.output[1].substring ?? "") {
                var screen = try capture(escapes: escapes)
                if let end = screen.range(of: "\(marker)\(code)__") { screen = String(screen[..<end.lowerBound]) }
                return (code, screen)
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        Issue.record("the command did not finish within \(Int(timeout)) s; the screen:\n\(try capture(escapes: false))")
        throw CancellationError()
    }

    /// Types `command`, waits until it has finished, and returns its exit code and the screen.
    func run(_ command: String, escapes: Bool = false, timeout: Double = 60) throws -> (exitCode: Int32, screen: String) {
        try finish(try start(command), escapes: escapes, timeout: timeout)
    }

    /// Polls the screen until `predicate` holds (or fails the test after `timeout` seconds).
    func waitForScreen(timeout: Double = 60, escapes: Bool = false, _ predicate: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let screen = try capture(escapes: escapes)
            if predicate(screen) { return screen }
            Thread.sleep(forTimeInterval: 0.03)
        }
        let screen = try capture(escapes: escapes)
        Issue.record("the screen never showed what was expected within \(Int(timeout)) s:\n\(screen)")
        throw CancellationError()
    }

    /// The screen and its scrollback; with `escapes`, colours and attributes as escape codes.
    func capture(escapes: Bool) throws -> String {
        try tmuxRun(["capture-pane", "-p", "-J", "-t", "t", "-S", "-5000"] + (escapes ? ["-e"] : [])).stdout
    }

    /// Clears the screen and the scrollback.
    func clear() throws {
        try type("clear")
        _ = try tmuxRun(["clear-history", "-t", "t"])
    }

    /// Runs the tmux client with `posix_spawn` and `waitpid`, its output in a file. Not with
    /// `Process`: the server that `new-session` forks inherits the client's descriptors, and
    /// `Process` waits for its own descriptors to close, which the server never does.
    @discardableResult
    private func tmuxRun(_ arguments: [String]) throws -> ProcessResult {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("tmux-\(UUID().uuidString).out")
        defer { try? FileManager.default.removeItem(at: output) }
        let path = Self.tmuxPath ?? "/usr/bin/tmux"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path, "-L", socket] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        // The test runner's threads block most signals, and a spawned process inherits that
        // mask: the tmux server and its shell would then never see SIGHUP or SIGCHLD.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        guard spawned == 0 else {
            Issue.record("cannot run \(path): \(String(cString: strerror(spawned)))")
            throw CancellationError()
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = String(decoding: (try? Data(contentsOf: output)) ?? Data(), as: UTF8.self)
        let exited = (status & 0x7F) == 0
        return ProcessResult(exitCode: exited ? (status >> 8) & 0xFF : 128 + (status & 0x7F), stdout: text, stderr: "")
    }
}
