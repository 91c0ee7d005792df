"""What the user wrote: the spec, its defaults and presets, strict YAML and error messages."""
