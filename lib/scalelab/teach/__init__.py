"""The teacher's and the grader's tools: the command line, nbgrader's plumbing, the classroom.

Nothing in the learner's library imports this package; only the command line (``scalelab``) and
``nbgrader_config.py`` do (``tests/test_layout.py`` keeps it so).
"""
