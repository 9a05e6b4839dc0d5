"""superres's benchmarks: speed against spandrel's references, same-budget PSNR, engines, adapter arms."""
