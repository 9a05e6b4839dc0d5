"""spectral's benchmarks: band subsets against full-band training, the adapter arms."""
