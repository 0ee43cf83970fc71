import Dispatch
import StrataCLI

/// The `strata` executable: hands the arguments to ``StrataCommand``.
///
/// `main` is synchronous and waits for the command on a semaphore. An `async` main would hand
/// the main thread to `dispatch_main`, which ends it with `pthread_exit`: glibc then loads
/// `libgcc_s` and unwinds the thread's stack through the executable's unwind tables, which cost
/// every command about 0.3 ms and 0.3-0.4 MiB of resident memory. The command runs in a detached
/// task (nothing in it is bound to the main actor); SIGINT and SIGTERM still reach its dispatch
/// signal sources (`StopSignal`). A command that fails ends the process itself with `exit`.
@main
enum StrataTool {
    static func main() {
        let finished = DispatchSemaphore(value: 0)
        Task.detached {
            await StrataCommand.runTool()
            finished.signal()
        }
        finished.wait()
    }
}
