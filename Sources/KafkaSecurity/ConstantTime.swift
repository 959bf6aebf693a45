/// Byte comparison whose time depends only on the lengths, not on where the inputs first differ, so
/// a guessed password or proof leaks nothing through timing.
public enum ConstantTime {
    public static func equal<A: Collection, B: Collection>(_ a: A, _ b: B) -> Bool where A.Element == UInt8, B.Element == UInt8 {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        var bi = b.makeIterator()
        for x in a {
            let y = bi.next() ?? 0
            difference |= x ^ y
        }
        return difference == 0 && a.count == b.count
    }
}
