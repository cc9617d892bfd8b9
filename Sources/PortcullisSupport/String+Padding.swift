extension String {
    /// Left-padded with zeros to `width` characters (file names, hex bytes).
    package func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
