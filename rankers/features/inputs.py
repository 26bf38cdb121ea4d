"""The shared input module: Keras inputs and one encoded vector from a fitted `FeaturePlan`.

Every ranker and both EBR towers build their inputs here, so the control and gnn arms differ only
by the specs the feature service gave: ids and categoricals go through StringLookup + Embedding,
bags through a masked mean of embeddings, numerics through one Normalization, GNN vectors through
a per-dimension Normalization, and when a member vector and a job vector of equal length are both
present, their (standardized) dot product is added (the gnn arm's interaction feature). All
statistics come from the training split (`FeaturePlan.fit`).

How the GNN vectors enter is `gnn_inputs` (searched by rankers/training/tuning.py): "raw" as above;
"similarity" the dot product alone (one scalar in place of both vectors); "projection" each
normalized vector through its own linear Dense(projection_dim), without the dot product;
"decoder" the GNN's own link decoder's logit alone (the affinity the GNN was trained to score,
frozen; linksage.feature_store.decoder), standardized; "none" leaves the arm's vectors and the
features made from them out of the model (`model_input_names`): what the tuning chooses when
validation says the vectors only add noise (the arm then ranks as its control would).

A missing GNN vector (no embedding for the entity at the example's time) arrives as zeros
(`FeaturePlan.arrays`): every mode then gets a presence indicator per vector (1 present, 0
absent) and the absent vector's inputs are neutral: its normalized values, and any pair scalar it
takes part in, are 0, the training mean, instead of a product with a made-up vector.

String inputs stay strings so the SavedModel and the ONNX model take raw feature values. Bags are
masked by comparing lookup indices rather than strings: tf2onnx (opset <= 18) cannot convert a
string Equal, which StringLookup's own mask_token would need.
"""

from __future__ import annotations

from rankers.features.plan import FeaturePlan
from rankers.tf_runtime import tf


class BagEmbedding(tf.keras.layers.Layer):
    """Mean of the embeddings of a fixed-length, ''-padded string bag (padding excluded)."""

    def __init__(self, vocabulary: list[str], dim: int, **kwargs):
        super().__init__(**kwargs)
        # vocabulary[0] is the padding token, so it maps to index 1 (index 0 is out-of-vocabulary).
        self.lookup = tf.keras.layers.StringLookup(vocabulary=vocabulary, num_oov_indices=1)
        self.embedding = tf.keras.layers.Embedding(len(vocabulary) + 1, dim)
        self.vocabulary, self.dim = list(vocabulary), dim

    def get_config(self):
        return {**super().get_config(), "vocabulary": self.vocabulary, "dim": self.dim}

    def call(self, tokens):
        index = self.lookup(tokens)
        mask = tf.expand_dims(tf.cast(tf.not_equal(index, 1), tf.float32), -1)
        total = tf.reduce_sum(self.embedding(index) * mask, axis=1)
        return total / tf.maximum(tf.reduce_sum(mask, axis=1), 1.0)


def model_input_names(plan: FeaturePlan, gnn_inputs: str, side: str | None = None) -> list[str]:
    """The plan's inputs the model takes (of one side, if given): all of them, less the arm's
    vectors and the features made from them (`FeatureSpec.gnn`) when `gnn_inputs` is none."""
    return [
        s.name
        for s in plan.specs
        if (side is None or s.side == side) and not (gnn_inputs == "none" and s.gnn)
    ]


def keras_inputs(plan: FeaturePlan, names: list[str] | None = None) -> dict[str, tf.keras.Input]:
    """One named Keras input per feature (shape and dtype from the plan)."""
    inputs = {}
    for spec in plan.specs:
        if names is not None and spec.name not in names:
            continue
        if spec.kind in ("id", "categorical"):
            shape, dtype = (), tf.string
        elif spec.kind == "bag":
            shape, dtype = (plan.bag_lengths[spec.name],), tf.string
        elif spec.kind == "numeric":
            shape, dtype = (), tf.float32
        else:
            shape, dtype = (plan.vector_dims[spec.name],), tf.float32
        inputs[spec.name] = tf.keras.Input(shape=shape, dtype=dtype, name=spec.name)
    return inputs


GNN_INPUTS = ("raw", "similarity", "projection", "decoder", "none")
PAIR_MODES = ("similarity", "decoder")  # a scalar of the member and job vectors, both needed


class Presence(tf.keras.layers.Layer):
    """[B, D] vectors -> [B, 1]: 1.0 where the vector has a non-zero element, else 0.0 (a
    missing vector is all zeros, `FeaturePlan.arrays`). A max of |x| > 0, not reduce_any,
    which tf2onnx converts less reliably."""

    def call(self, x):
        return tf.cast(tf.reduce_max(tf.abs(x), axis=1, keepdims=True) > 0.0, tf.float32)


class FrozenLinkDecoder(tf.keras.layers.Layer):
    """The GNN's link decoder (`LinkDecoder`, as a dict) on raw [member, job] vectors -> [B, 1]
    logits, weights frozen: the same function as `LinkDecoder.logits`."""

    def __init__(self, decoder: dict, **kwargs):
        super().__init__(trainable=False, **kwargs)
        self.decoder = decoder
        self.kind = decoder["kind"]
        self.constants = {
            k: tf.constant(v, dtype=tf.float32)
            for k, v in decoder.items()
            if k not in ("kind", "model_version")
        }

    def get_config(self):
        return {**super().get_config(), "decoder": self.decoder}

    def call(self, inputs):
        m, j = inputs
        w = self.constants
        if self.kind == "mlp":
            x = tf.concat([m, j, m * j], axis=1)
            hidden = tf.nn.relu(tf.matmul(x, w["w1"], transpose_b=True) + w["b1"])
            return tf.matmul(hidden, w["w2"], transpose_b=True) + w["b2"]
        if self.kind == "cosine":
            cos = tf.reduce_sum(
                tf.math.l2_normalize(m, axis=1) * tf.math.l2_normalize(j, axis=1),
                axis=1,
                keepdims=True,
            )
            return w["scale"] * cos + w["bias"]
        return tf.reduce_sum(m * j, axis=1, keepdims=True) / w["temperature"]


def encode(
    inputs: dict,
    plan: FeaturePlan,
    *,
    embedding_dim: int,
    gnn_inputs: str = "raw",
    projection_dim: int = 8,
):
    """Concatenate the encodings of every input in `inputs` into one vector per example."""
    if gnn_inputs not in GNN_INPUTS:
        raise ValueError(f"gnn_inputs {gnn_inputs!r}: expected one of {', '.join(GNN_INPUTS)}")
    specs = [s for s in plan.specs if s.name in inputs]
    parts, numerics, vectors, presence = [], [], {}, {}
    for spec in specs:
        x = inputs[spec.name]
        safe = spec.name.replace("__", "_")
        if spec.kind in ("id", "categorical"):
            vocab = plan.vocabularies[spec.name]
            index = tf.keras.layers.StringLookup(vocabulary=vocab, name=f"{safe}_lookup")(x)
            emb = tf.keras.layers.Embedding(len(vocab) + 1, embedding_dim, name=f"{safe}_emb")
            parts.append(emb(index))
        elif spec.kind == "bag":
            bag = BagEmbedding(plan.vocabularies[spec.name], embedding_dim, name=f"{safe}_bag")
            parts.append(bag(x))
        elif spec.kind == "numeric":
            numerics.append(spec.name)
        else:
            norm = tf.keras.layers.Normalization(
                mean=plan.vector_mean[spec.name],
                variance=plan.vector_var[spec.name],
                name=f"{safe}_normalization",
            )
            present = Presence(name=f"{safe}_present")(x)
            normed = tf.keras.layers.Multiply(name=f"{safe}_neutral")([norm(x), present])
            if gnn_inputs == "raw":
                parts.append(normed)
            elif gnn_inputs == "projection":
                dense = tf.keras.layers.Dense(projection_dim, name=f"{safe}_projection")
                parts.append(dense(normed))
            vectors[spec.name], presence[spec.name] = x, present
            parts.append(present)
    if numerics:
        column = [
            tf.keras.layers.Reshape((1,), name=f"{n.replace('__', '_')}_col")(inputs[n])
            for n in numerics
        ]
        stacked = column[0] if len(column) == 1 else tf.keras.layers.Concatenate()(column)
        norm = tf.keras.layers.Normalization(
            mean=[plan.numeric_mean[n] for n in numerics],
            variance=[plan.numeric_var[n] for n in numerics],
            name="numeric_normalization",
        )
        parts.append(norm(stacked))
    if gnn_inputs != "projection" and vectors:
        parts += _pair_scalar(vectors, presence, plan, gnn_inputs)
    if not parts:
        raise ValueError("no model inputs: the feature plan has no usable feature")
    return parts[0] if len(parts) == 1 else tf.keras.layers.Concatenate(name="encoded")(parts)


def _pair_scalar(vectors: dict, presence: dict, plan: FeaturePlan, gnn_inputs: str) -> list:
    """The standardized member-job scalar of the mode (raw and similarity: the dot product;
    decoder: the GNN decoder's logit), 0 where either vector is missing; [] when the member and
    job vectors are not both inputs here. The pair modes need both: an error otherwise, since
    the vectors would silently drop out (e.g. in one EBR tower, which sees one side only)."""
    pair = plan.dot_pair()
    if pair is None or not all(name in vectors for name in pair):
        if gnn_inputs in PAIR_MODES:
            raise ValueError(
                f"gnn_inputs {gnn_inputs!r} needs the member and job GNN vectors in one model "
                f"(inputs here: {', '.join(vectors)})"
            )
        return []
    m, j = vectors[pair[0]], vectors[pair[1]]
    if gnn_inputs == "decoder":
        if not plan.decoder:
            raise ValueError(
                "gnn_inputs 'decoder' needs the GNN's decoder in the feature repo "
                "(data/gnn_decoder.json, written by `linksage embed`)"
            )
        scalar = FrozenLinkDecoder(plan.decoder, name="gnn_decoder")([m, j])
        mean, var, name = plan.decoder_mean, plan.decoder_var, "gnn_decoder_normalization"
    else:
        scalar = tf.keras.layers.Dot(axes=1, name="gnn_dot")([m, j])
        mean, var, name = plan.dot_mean, plan.dot_var, "gnn_dot_normalization"
    standardized = tf.keras.layers.Normalization(mean=[mean], variance=[var], name=name)(scalar)
    both = tf.keras.layers.Multiply(name="gnn_pair_present")([presence[pair[0]], presence[pair[1]]])
    return [tf.keras.layers.Multiply(name="gnn_pair_neutral")([standardized, both])]
