"""Stage `render`: the bundle writer and the outputs, each turning the Plan into files."""
