/// A value kept in one heap box that copies share until one of them changes it.
///
/// Large records (``Migration``, ``HistoryRecord``) keep their fields in one, so that the arrays,
/// dictionaries and plans built from thousands of them hold a pointer per record instead of a
/// copy of a few hundred bytes, while staying values to their users.
struct CopyOnWriteBox<Value: Sendable & Hashable>: Sendable, Hashable {
    /// Only ever changed through ``value`` after the uniqueness check, so sharing it is safe.
    private final class Box: @unchecked Sendable {
        var value: Value
        init(_ value: Value) { self.value = value }
    }

    private var box: Box

    init(_ value: Value) { box = Box(value) }

    /// The value; changing it first copies the box if another copy shares it.
    var value: Value {
        get { box.value }
        _modify {
            if !isKnownUniquelyReferenced(&box) { box = Box(box.value) }
            yield &box.value
        }
    }

    static func == (lhs: CopyOnWriteBox, rhs: CopyOnWriteBox) -> Bool {
        lhs.box === rhs.box || lhs.box.value == rhs.box.value
    }

    func hash(into hasher: inout Hasher) { box.value.hash(into: &hasher) }
}
