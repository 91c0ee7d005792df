"""Design-space sweeps: a base spec and axes expand into scenarios, each planned (no bundle) and summarised in a
`ScenarioResult`; scenarios run as tasks on Dask (a local cluster or a given scheduler) and stream into a results
file, from which the tables, the Pareto front, the plots and the report are written."""
