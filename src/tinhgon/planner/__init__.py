"""Merger planning: split units into connected groups that reach a household threshold (max-p regions).

    from tinhgon.planner import PlanningProblem, MaxPLocalSearch
    problem = PlanningProblem.from_edges(households, edges, threshold=600)
    result = MaxPLocalSearch(seed=0).solve(problem)
    result.labels, result.p, result.upper_bound

Importing this package is cheap (plain Python, no numpy); OR-Tools is imported by MaxPExact when it runs.
"""

from tinhgon.planner.check import check_labels, check_plan, upper_bound
from tinhgon.planner.core import SolverParams
from tinhgon.planner.problem import PlanningProblem
from tinhgon.planner.solvers import MaxPExact, MaxPGreedy, MaxPLocalSearch, PlanResult

__all__ = [
    "MaxPExact",
    "MaxPGreedy",
    "MaxPLocalSearch",
    "PlanResult",
    "PlanningProblem",
    "SolverParams",
    "check_labels",
    "check_plan",
    "upper_bound",
]
