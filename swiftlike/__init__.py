"""swiftlike: a Swift-style object storage cluster."""
