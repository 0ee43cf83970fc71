import StrataCLI

/// The `strata` executable: hands the arguments to ``StrataCommand``.
@main
enum StrataTool {
    static func main() async {
        await StrataCommand.runTool()
    }
}
