"""Training one model: the seeded Keras loop (loop), a ranking run and a retrieval run (ranking,
retrieval, with EBR's brute-force evaluation in retrieval_eval), what a run returns (result), and
the fair search among settings and negatives strategies on the validation slice (tuning)."""
