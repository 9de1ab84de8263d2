# SPDX-License-Identifier: MIT
"""Parity fixtures for dien's DIEN and DIN models against the real DeepCTR-Torch (0.3.0).

Builds DeepCTR-Torch's DIEN (each gru_type, with negative sampling) and DIN on a tiny feature
config, sets every parameter and buffer to non-trivial random values (both AUGRU biases equal:
DeepCTR-Torch's AUGRUCell registers bias_hh under the name bias_ih, so its forward uses one tensor
for both), runs an eval-mode forward on a fixed batch (every length >= 1, lengths differ) and writes
tests/fixtures/deepctr_<name>.safetensors with
  x.<column>     the batch (i64 ids and lengths, f32 dense, f32 labels in "y")
  state.<name>   the state dict by DeepCTR-Torch name (BatchNorm's num_batches_tracked dropped)
  y_pred         DeepCTR-Torch's predictions [B] (sigmoid probabilities)
  aux_loss       its auxiliary loss (DIEN with negatives; alpha = 1)
and the dien ModelOptions of the same model as JSON in the metadata key "options".
Read by tests/cpu/test_models_parity.cpp.

DeepCTR-Torch is Apache-2.0; it is imported, not copied. Needs torch (Debian python3-torch 1.13)
and `pip install --no-deps deepctr-torch==0.3.0`; sklearn and tqdm, which DeepCTR-Torch imports for
fit()/evaluate() only, are stubbed when absent.
  /usr/bin/python3 tools/reference/make_dien_fixture.py
"""
import json
import os
import sys
import types

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import safetensors_bytes, safetensors_read  # noqa: E402

torch.set_default_dtype(torch.float32)  # make_fixtures sets float64; DeepCTR-Torch needs float32


def _stub(name, **attrs):
    if name in sys.modules:
        return
    try:
        __import__(name)
    except ImportError:
        m = types.ModuleType(name)
        for k, v in attrs.items():
            setattr(m, k, v)
        sys.modules[name] = m


_stub("sklearn")
_stub("sklearn.metrics", accuracy_score=None, log_loss=None, mean_squared_error=None, roc_auc_score=None)
_stub("tqdm", tqdm=lambda x, *a, **k: x)

import deepctr_torch  # noqa: E402
from deepctr_torch.inputs import DenseFeat, SparseFeat, VarLenSparseFeat, build_input_features  # noqa: E402
from deepctr_torch.models import DIEN, DIN  # noqa: E402

B, T = 5, 5
LENGTHS = [5, 1, 3, 2, 4]
TAG_T = 3
TAG_LENGTHS = [1, 3, 2, 1, 2]
VOCAB = {"user_id": 7, "item_id": 11, "cate_id": 5, "tags": 6}
DIM = {"user_id": 3, "item_id": 4, "cate_id": 2, "tags": 2}


def feature_columns(with_neg):
    cols = [SparseFeat("user_id", VOCAB["user_id"], DIM["user_id"]),
            SparseFeat("item_id", VOCAB["item_id"], DIM["item_id"]),
            SparseFeat("cate_id", VOCAB["cate_id"], DIM["cate_id"]),
            DenseFeat("price", 1),
            VarLenSparseFeat(SparseFeat("hist_item_id", VOCAB["item_id"], DIM["item_id"], embedding_name="item_id"),
                             maxlen=T, length_name="seq_length"),
            VarLenSparseFeat(SparseFeat("hist_cate_id", VOCAB["cate_id"], DIM["cate_id"], embedding_name="cate_id"),
                             maxlen=T, length_name="seq_length")]
    if with_neg:
        cols += [VarLenSparseFeat(SparseFeat("neg_hist_item_id", VOCAB["item_id"], DIM["item_id"],
                                             embedding_name="item_id"), maxlen=T, length_name="seq_length"),
                 VarLenSparseFeat(SparseFeat("neg_hist_cate_id", VOCAB["cate_id"], DIM["cate_id"],
                                             embedding_name="cate_id"), maxlen=T, length_name="seq_length")]
    else:  # DIN: an extra varlen feature pooled by its combiner
        cols += [VarLenSparseFeat(SparseFeat("tags", VOCAB["tags"], DIM["tags"]), maxlen=TAG_T,
                                  length_name="tags_len", combiner="mean")]
    return cols


def make_batch(gen):
    def ids(vocab, shape):
        return torch.randint(1, vocab, shape, generator=gen)

    def padded(vocab, lengths, width):
        x = ids(vocab, (B, width))
        for b, n in enumerate(lengths):
            x[b, n:] = 0
        return x

    x = {"user_id": ids(VOCAB["user_id"], (B,)), "item_id": ids(VOCAB["item_id"], (B,)),
         "cate_id": ids(VOCAB["cate_id"], (B,)),
         "price": torch.rand((B, 1), generator=gen) * 2 - 1,
         "hist_item_id": padded(VOCAB["item_id"], LENGTHS, T), "hist_cate_id": padded(VOCAB["cate_id"], LENGTHS, T),
         "neg_hist_item_id": padded(VOCAB["item_id"], LENGTHS, T),
         "neg_hist_cate_id": padded(VOCAB["cate_id"], LENGTHS, T),
         "seq_length": torch.tensor(LENGTHS), "tags": padded(VOCAB["tags"], TAG_LENGTHS, TAG_T),
         "tags_len": torch.tensor(TAG_LENGTHS), "y": (torch.rand((B,), generator=gen) > 0.5).float()}
    return x


def to_deepctr_input(cols, x):
    index = build_input_features(cols)
    width = max(e for _, e in index.values())
    X = torch.zeros((B, width))
    for name, (s, e) in index.items():
        X[:, s:e] = x[name].reshape(B, -1).float()
    return X


def randomise(model, gen):
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.rand(p.shape, generator=gen) * 2 - 1)
        for name, buf in model.named_buffers():
            if name.endswith("running_mean"):
                buf.copy_(torch.rand(buf.shape, generator=gen) * 0.4 - 0.2)
            elif name.endswith("running_var"):
                buf.copy_(torch.rand(buf.shape, generator=gen) + 0.5)


def build(kind, gru_type, gen):
    common = dict(dnn_hidden_units=(16, 8), att_hidden_units=(8, 4), seed=1024, device="cpu")
    options = {"kind": kind, "dnn_hidden_units": [16, 8], "att_hidden_units": [8, 4], "init": "deepctr"}
    if kind == "din":
        cols = feature_columns(False)
        common["att_hidden_size"] = common.pop("att_hidden_units")  # DIN's name for it
        model = DIN(cols, ["item_id", "cate_id"], att_activation="dice", dnn_activation="relu", **common)
        options.update(att_activation="dice", dnn_activation="relu", att_weight_normalization=False)
    else:
        cols = feature_columns(True)
        variant = {"GRU": dict(use_bn=True, dnn_activation="relu", att_activation="relu"),
                   "AIGRU": dict(use_bn=False, dnn_activation="relu", att_activation="sigmoid"),
                   "AGRU": dict(use_bn=False, dnn_activation="relu", att_activation="dice"),
                   "AUGRU": dict(use_bn=True, dnn_activation="prelu", att_activation="relu")}[gru_type]
        model = DIEN(cols, ["item_id", "cate_id"], gru_type=gru_type, use_negsampling=True, alpha=1.0,
                     att_weight_normalization=True, **variant, **common)
        options.update(gru_type=gru_type, use_negsampling=True, alpha=1.0, att_weight_normalization=True,
                       augru_form="paper", **variant)
    randomise(model, gen)
    return model, cols, options


def fixture(kind, gru_type, seed):
    gen = torch.Generator().manual_seed(seed)
    model, cols, options = build(kind, gru_type, gen)
    x = make_batch(gen)
    model.eval()
    with torch.no_grad():
        y_pred = model(to_deepctr_input(cols, x)).reshape(-1)
    tensors = {}
    names = [c.name for c in cols] + ["seq_length", "y"] + (["tags_len"] if kind == "din" else [])
    for n in names:
        tensors["x." + n] = x[n].float() if n in ("price", "y") else x[n].long()
    for n, t in model.state_dict().items():
        if n.endswith("num_batches_tracked"):
            continue
        tensors["state." + n] = t.float().clone()
    tensors["y_pred"] = y_pred.float()
    if kind == "dien":
        tensors["aux_loss"] = model.aux_loss.reshape(()).float()
    meta = {"options": json.dumps(options), "generator": "tools/reference/make_dien_fixture.py",
            "deepctr_torch": deepctr_torch.__version__ if hasattr(deepctr_torch, "__version__") else "0.3.0",
            "torch": torch.__version__, "license": "SPDX-License-Identifier: MIT"}
    return tensors, meta


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.normpath(os.path.join(here, "..", "..", "tests", "fixtures"))
    jobs = {"deepctr_dien_gru": ("dien", "GRU", 1), "deepctr_dien_aigru": ("dien", "AIGRU", 2),
            "deepctr_dien_agru": ("dien", "AGRU", 3), "deepctr_dien_augru": ("dien", "AUGRU", 4),
            "deepctr_din": ("din", None, 5)}
    for name, (kind, gru, seed) in jobs.items():
        tensors, meta = fixture(kind, gru, seed)
        path = os.path.join(out, name + ".safetensors")
        blob = safetensors_bytes(tensors, meta)
        with open(path, "wb") as f:
            f.write(blob)
        back, _ = safetensors_read(path)
        for k, v in tensors.items():
            assert torch.equal(back[k], v), "%s: %s does not round-trip" % (path, k)
        print("%-45s %6d bytes, %d tensors, y_pred %s" % (os.path.relpath(path), len(blob), len(tensors),
                                                         [round(v, 4) for v in tensors["y_pred"].tolist()]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
