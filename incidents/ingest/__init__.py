"""Monitor signals in: formats parse, store persists, routing and automation act."""
