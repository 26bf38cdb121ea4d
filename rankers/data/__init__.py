"""What the rankers learn from: the split windows, which tasks the data supports, each task's
examples with their random and hard negatives, and the point-in-time joined frames (and their
on-disk cache)."""
