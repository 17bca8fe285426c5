"""Plausible wrong answers to each exercise, which the grader must not give full marks.

Each module holds ``WRONG``: a name for the mistake → {answer cell grade_id: code}. Answer cells not
named keep the reference solution, so each entry isolates one mistake.
"""
