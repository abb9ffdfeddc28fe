"""Training the main player: losses (pure tensor functions), tree packing, and the sft / dpo / spin / tsp
trainers. torch is imported here and in ``engine/`` only (DESIGN section 3)."""
