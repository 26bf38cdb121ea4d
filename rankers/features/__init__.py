"""The models' inputs: what each input is (schema, from the feature service), its fitted
preprocessing (plan), the Keras inputs and GNN integrations built from it (inputs), and the
inputs computed at request time (request, history)."""
