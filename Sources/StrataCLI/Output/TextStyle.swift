/// The ANSI styles Strata's text output uses.
enum TextStyle: String, Sendable {
    case bold = "1"
    case dim = "2"
    case red = "31"
    case green = "32"
    case yellow = "33"
    case cyan = "36"
    case boldRed = "1;31"
    case boldGreen = "1;32"
    case boldYellow = "1;33"

    /// `text` wrapped in this style's escape codes.
    func apply(_ text: String) -> String { "\u{1B}[\(rawValue)m\(text)\u{1B}[0m" }
}

/// Applies ``TextStyle``s when colour is on for a stream, and nothing otherwise.
///
/// ```swift
/// let paint = Painter(enabled: terminal.colorOnStderr)
/// print(paint("error: ", .boldRed) + message)
/// ```
struct Painter: Sendable {
    /// Whether styles are applied.
    let enabled: Bool

    /// `text` in `style`, or `text` as it is when colour is off (or `style` is `nil`).
    func callAsFunction(_ text: String, _ style: TextStyle?) -> String {
        guard enabled, let style, !text.isEmpty else { return text }
        return style.apply(text)
    }
}
