"""tumor3d's benchmarks: against MONAI's Swin UNETR, the adapter arms, the skull warning's rates."""
