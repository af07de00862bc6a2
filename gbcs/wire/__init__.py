"""The wire layer: byte walking with bounds checks, and the leaf codecs. No I/O."""
