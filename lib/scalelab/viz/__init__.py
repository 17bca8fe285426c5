"""Generic pictures shared by every chapter: one style, plots, diagrams, control panels.

A chapter's own figure lives with its family (``balancer/plots.py``), not here.
"""
