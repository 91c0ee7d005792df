"""Constraint solvers for refarch's sizing problems, one module per problem.

Each module follows: instance -> variables -> constraints -> solve(seed, time limit) -> validate(result).
The validators never trust the solver; the planner runs them on every result.
"""
