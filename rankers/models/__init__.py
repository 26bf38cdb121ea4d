"""The TFRS models: the DCN-v2 ranker and the two-tower retriever (networks), and the two towers
trained against hard negatives (hard_negative_retrieval)."""
