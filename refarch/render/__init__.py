"""Stage `render`: the Plan to a bundle of files, one output plugin at a time.

- `stage`: `render(plan, outdir, ...)`, the stage function; collects the selected outputs and writes one manifest.
- `registry`: the outputs, by stable name, in order; `context`: what an output is and what it is given.
- `views`: device, port and cable views shared by the outputs; `templating` and `filters`: the Jinja environment.
- one module per output: `plan_json`, `summary`, `bom`, `cabling_files`, `diagrams`, `validation_files`.
- `bundle`: the atomic directory writer; `fabric_drawing`: the DOT layout of a fabric.
"""
