"""The command line: one module per command group; parse, call the library's stages, print."""
