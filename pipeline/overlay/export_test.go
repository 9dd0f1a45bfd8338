package overlay

// WithLargeVertices exports withLargeVertices for the tests.
var WithLargeVertices = withLargeVertices
