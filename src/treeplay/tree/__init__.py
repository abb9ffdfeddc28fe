"""Trees after growth, in pure Python: leaves to score, and preference pairs (paper or verified mode).

- ``golden``  the golden continuation of a node up to the end of its function, and when a branch equals it;
- ``leaves``  a tree's branches as ``Candidate`` programs (``<task_id>/n<node>/b<branch>``) for ``treeplay score``;
- ``pairs``   ``PreferencePair`` records and the TRL ``{"prompt", "chosen", "rejected"}`` export;
- ``pairs_cmd`` ``treeplay pairs``.
"""
