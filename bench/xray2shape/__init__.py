"""xray2shape's benchmarks: the adapter arms."""
