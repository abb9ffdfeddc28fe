"""Training the main player: losses (pure tensor functions), tree packing, and the sft / dpo / spin / tsp
trainers. torch is imported here and in ``engine/`` only (DESIGN section 3)."""

METHODS = ("sft", "dpo", "spin", "tsp")  # the trainers (train.method); named here so that no torch is needed
