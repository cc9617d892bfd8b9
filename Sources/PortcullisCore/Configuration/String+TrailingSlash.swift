extension String {
    /// The URL without one trailing `/`, for joining a configured base with a path.
    public var withoutTrailingSlash: String { hasSuffix("/") ? String(dropLast()) : self }
}
