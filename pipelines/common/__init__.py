"""The kitchen every pipeline shares: config, training, batch running, checkpoints, atomic I/O."""
