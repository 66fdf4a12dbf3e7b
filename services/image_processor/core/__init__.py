"""Pure image operations on numpy arrays (BGR uint8); no HTTP and no global state."""
