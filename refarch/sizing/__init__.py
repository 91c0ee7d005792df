"""Stage `size`: workloads, training and inference targets, platform choice, site limits, estimate rows."""
