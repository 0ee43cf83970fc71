import Foundation
import Strata

/// Shows a migration run as it happens, from its ``RunEvent``s, and ends it with a summary table.
///
/// Three modes, chosen from the ``Console``:
/// - **live** (stderr is a terminal, not CI, text format, not `--quiet`): one status line on
///   stderr, redrawn in place ten times a second — spinner, `[n/N]`, the migration, its elapsed
///   time and the run's, and a bar once the run is long (five steps or more, or two seconds) —
///   with a `✓`/`✗` line kept for each finished migration;
/// - **lines** (a pipe, a file, CI): one plain line per migration on stdout, no escape codes;
/// - **silent** (`--format json`, `--quiet`): nothing; the final result and errors are printed
///   by the command.
///
/// Both text modes end with a table on stdout (version, description, time, result), also when
/// a migration fails (the failed one and those not run are listed). With `--verbose` each
/// migration's statements are listed, with their locations, before it runs.
///
/// ```swift
/// let progress = RunProgressRenderer(console: context.console)
/// let report = try await migrator.run(.up(target: nil), onEvent: progress.handle)
/// ```
final class RunProgressRenderer: @unchecked Sendable {
    /// How the run is shown.
    enum Mode: Sendable, Equatable {
        case live
        case lines
        case silent
    }

    /// How one planned step ended.
    private enum Outcome {
        case done(ms: Int)
        case failed(ms: Int)
    }

    /// The run is "long", and gets a bar, from this many steps on…
    static let barStepThreshold = 5
    /// …or once it has run this many seconds.
    static let barSecondsThreshold = 2.0
    /// Seconds between redraws of the live line.
    static let redrawInterval = 0.1

    let mode: Mode
    private var plan = Plan(steps: [], warnings: [])
    private let console: Console
    private let lock = NSLock()
    private var outcomes: [Int: Outcome] = [:]
    private var current: (index: Int, step: PlanStep, started: ContinuousClock.Instant)?
    private var runStarted: ContinuousClock.Instant?
    private var frame = 0
    private var ticker: Task<Void, Never>?
    private var finished = false
    private let clock = ContinuousClock()

    /// A renderer in the mode the console allows; the plan comes with the run's
    /// ``RunEvent/planned(_:)`` event.
    init(console: Console) {
        self.console = console
        if console.isJSON || console.quiet {
            mode = .silent
        } else {
            mode = console.terminal.allowsLiveProgress ? .live : .lines
        }
    }

    deinit { ticker?.cancel() }

    /// Handles one event of the run.
    func handle(_ event: RunEvent) {
        switch event {
        case .planned(let plan):
            lock.withLock { self.plan = plan }
        case .waitingForLock, .backedUp, .cancelled:
            break
        case let .stepStarted(step, index, total):
            started(step, index: index, total: total)
        case let .stepFinished(step, index, total, ms):
            stepEnded(step, index: index, total: total, outcome: .done(ms: ms))
        case let .stepFailed(step, error):
            let plan = lock.withLock { self.plan }
            let index = (plan.steps.firstIndex(of: step) ?? plan.steps.count - 1) + 1
            let ms = lock.withLock { current.map { Self.milliseconds(clock.now - $0.started) } ?? 0 }
            stepEnded(step, index: index, total: plan.steps.count, outcome: .failed(ms: ms), error: error)
        case .warning(let text):
            emit { self.console.warning(text) }
        }
    }

    // MARK: - Events

    private func started(_ step: PlanStep, index: Int, total: Int) {
        let now = clock.now
        lock.withLock {
            if runStarted == nil { runStarted = now }
            current = (index, step, now)
        }
        if console.verbose && mode != .silent {
            let paint = mode == .live ? console.stderrPaint : console.stdoutPaint
            var lines = ["\(paint("→", .cyan)) [\(index)/\(total)] \(Self.verb(step, past: false)) \(step.version) "
                         + "\(step.description) (\(step.script.path))\(step.options.transactional ? "" : ", outside a transaction")"]
            for statement in step.script.statements() {
                let first = statement.text.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? ""
                let more = statement.text.contains("\n") ? " …" : ""
                lines.append("    " + paint("\(statement.location):", .dim) + " " + first.trimmingCharacters(in: .whitespaces) + more)
            }
            write(lines)
        }
        if mode == .live {
            startTicker()
            redraw()
        }
    }

    private func stepEnded(_ step: PlanStep, index: Int, total: Int, outcome: Outcome, error: StrataError? = nil) {
        lock.withLock {
            outcomes[index] = outcome
            current = nil
        }
        switch (mode, outcome) {
        case (.silent, _):
            break
        case let (.lines, .done(ms)):
            console.progress("  [\(index)/\(total)] \(Self.verb(step, past: true)) \(step.version) \(step.description) (\(ms) ms)")
        case (.lines, .failed):
            console.progress("  failed \(step.direction == .up ? "to apply" : "to roll back") \(step.version) \(step.description); \(Self.outcomeNote(step))")
        case let (.live, .done(ms)):
            let paint = console.stderrPaint
            write(["  \(paint("✓", .boldGreen)) \(Self.verb(step, past: true)) \(step.version) \(step.description) \(paint("(\(Self.duration(ms)))", .dim))"])
        case (.live, .failed):
            let paint = console.stderrPaint
            write(["  \(paint("✗", .boldRed)) failed \(step.direction == .up ? "to apply" : "to roll back") \(step.version) \(step.description); \(Self.outcomeNote(step))"])
        }
        if index == total || error != nil { finish() }
    }

    /// Stops the live line and prints the summary table.
    private func finish() {
        let already = lock.withLock {
            defer { finished = true }
            return finished
        }
        guard !already else { return }
        ticker?.cancel()
        ticker = nil
        if mode == .live { clearLine() }
        guard mode != .silent else { return }
        console.line()
        console.table(summaryTable())
        console.line()
    }

    /// The table printed at the end: every planned step with its time and result.
    /// Its rows are computed as they are printed (a run of 10,000 migrations is not held as text).
    func summaryTable() -> TextTable {
        let (outcomes, steps) = lock.withLock { (self.outcomes, self.plan.steps) }
        return TextTable([TextTable.Column("VERSION"), TextTable.Column("DESCRIPTION", shrinkable: true),
                          TextTable.Column("TIME", alignRight: true, reservedWidth: 7), TextTable.Column("RESULT")],
                         count: steps.count) { offset in
            let step = steps[offset]
            switch outcomes[offset + 1] {
            case .done(let ms)?:
                return ([step.version, step.description, Self.duration(ms), Self.verb(step, past: true)], [nil, nil, nil, .green])
            case .failed(let ms)?:
                return ([step.version, step.description, Self.duration(ms), "failed"], [nil, nil, nil, .boldRed])
            case nil:
                return ([step.version, step.description, "-", "not run"], [nil, nil, .dim, .dim])
            }
        }
    }

    // MARK: - The live line

    private func startTicker() {
        lock.withLock {
            guard ticker == nil, !finished else { return }
            ticker = Task.detached { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(Int(Self.redrawInterval * 1000)))
                    guard !Task.isCancelled, let self else { return }
                    self.redraw()
                }
            }
        }
    }

    /// The status line for the step in progress, cut to the terminal's width.
    func statusLine(width: Int, now: ContinuousClock.Instant) -> String? {
        lock.withLock {
            guard let current, let runStarted else { return nil }
            frame += 1
            let total = plan.steps.count
            let spinner = Self.spinnerFrames[frame % Self.spinnerFrames.count]
            let stepTime = Self.seconds(now - current.started)
            let runTime = Self.seconds(now - runStarted)
            let counter = "[\(current.index)/\(total)]"
            let done = outcomes.count
            let times = "\(Self.clockText(stepTime))" + (current.index > 1 ? " (total \(Self.clockText(runTime)))" : "")
            let showBar = total >= Self.barStepThreshold || runTime >= Self.barSecondsThreshold
            let bar = showBar ? "  " + Self.bar(done: done, total: total, width: 20) : ""
            let text = "\(Self.verb(current.step, past: false).capitalized) \(current.step.version) \(current.step.description)"
            // Keep counter, bar and times; shorten the migration's text to fit one line.
            let fixed = TextWidth.of(spinner + " " + counter + " " + "  " + times + bar)
            let room = max(8, width - 1 - fixed)
            let paint = console.stderrPaint
            return "\(paint(spinner, .cyan)) \(paint(counter, .bold)) \(TextWidth.truncate(text, to: room))\(bar.isEmpty ? "" : paint(bar, .green))  \(paint(times, .dim))"
        }
    }

    private func redraw() {
        guard let line = statusLine(width: console.terminal.stderrWidth(), now: clock.now) else { return }
        lock.withLock { Console.write("\r\u{1B}[2K" + line, to: FileHandle.standardError) }
    }

    private func clearLine() {
        lock.withLock { Console.write("\r\u{1B}[2K", to: FileHandle.standardError) }
    }

    /// Writes lines above the live line (stderr), or on stdout in lines mode.
    private func write(_ lines: [String]) {
        switch mode {
        case .silent:
            return
        case .lines:
            for line in lines { console.progress(line) }
        case .live:
            lock.withLock { Console.write("\r\u{1B}[2K" + lines.joined(separator: "\n") + "\n", to: FileHandle.standardError) }
            redraw()
        }
    }

    /// Runs `body`, which writes to stderr, with the live line out of the way.
    private func emit(_ body: () -> Void) {
        if mode == .live { clearLine() }
        body()
        if mode == .live { redraw() }
    }

    // MARK: - Formatting

    static let spinnerFrames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

    /// `━━━━━━╸─────────` for `done` of `total`.
    static func bar(done: Int, total: Int, width: Int) -> String {
        guard total > 0 else { return "" }
        let filled = min(width, done * width / total)
        let head = filled < width ? "╸" : ""
        return String(repeating: "━", count: filled) + head + String(repeating: "─", count: max(0, width - filled - head.count))
    }

    /// `apply`/`applied` or `roll back`/`rolled back`.
    static func verb(_ step: PlanStep, past: Bool) -> String {
        switch step.direction {
        case .up: past ? "applied" : "applying"
        case .down: past ? "rolled back" : "rolling back"
        }
    }

    static func outcomeNote(_ step: PlanStep) -> String {
        step.options.transactional ? "it was rolled back" : "it ran outside a transaction and may be partly applied"
    }

    /// `12 ms`, `3.40 s`, `2 min 05 s`.
    static func duration(_ ms: Int) -> String {
        if ms < 1000 { return "\(ms) ms" }
        if ms < 60_000 { return String(format: "%.2f s", Double(ms) / 1000) }
        return String(format: "%d min %02d s", ms / 60_000, (ms / 1000) % 60)
    }

    /// `0.4s`, `12.3s`, `2m05s`.
    static func clockText(_ seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        return String(format: "%dm%02ds", Int(seconds) / 60, Int(seconds) % 60)
    }

    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    static func milliseconds(_ duration: Duration) -> Int { Int(seconds(duration) * 1000) }
}
