"""``python -m treeplay``: the ``treeplay`` command (used by ``accelerate launch -m treeplay train ...``)."""

import sys

from treeplay.cli import main

sys.exit(main())
