import Foundation
import Strata
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The answer to a confirmation prompt, read from the terminal while watching for SIGINT/SIGTERM.
///
/// A migration command handles those signals itself (``StopSignal``): the first one only asks the
/// run to stop after the current migration. At a prompt nothing has changed yet, so one Ctrl-C is
/// enough: the prompt stops waiting and the command ends with the stop's exit code (130 or 143),
/// releasing its lock the normal way.
enum ConfirmationPrompt {
    /// Whether a prompt is waiting for its answer (``StopSignal`` then says nothing about "the
    /// current migration").
    static let isOpen = Atomic<Bool>(false)

    /// Reads one line from standard input (without its newline; empty at end of input).
    /// - Throws: ``StrataError`` with the stop's code (`.interrupted`, `.terminated`) when the
    ///   current task's ``StopRequest`` asks to stop before a line comes.
    static func readAnswer() throws(StrataError) -> String {
        isOpen.store(true, ordering: .sequentiallyConsistent)
        defer { isOpen.store(false, ordering: .sequentiallyConsistent) }
        while true {
            var input = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
            let ready = poll(&input, 1, 100)
            if StopRequest.current?.isRequested == true {
                Console.write("\n", to: FileHandle.standardError)
                do {
                    try StopRequest.checkRequested("at the confirmation prompt")
                } catch {
                    var stopped = error
                    stopped.hint = "nothing was changed; run the command again to go on"
                    throw stopped
                }
            }
            if ready > 0 || (ready < 0 && errno != EINTR) { return readLine(strippingNewline: true) ?? "" }
        }
    }
}
