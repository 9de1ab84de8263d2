#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""DeepCTR-Torch's DIEN as the peer of bench/bench_train: whole training steps on the same shape.

Not a dependency of dien: it needs PyTorch and DeepCTR-Torch (pip install deepctr-torch; on
Debian bookworm: apt-get install python3-torch python3-sklearn python3-tqdm python3-requests, then
pip install --break-system-packages --no-deps deepctr-torch). Run it with the Python that has
them (on the project machine /usr/bin/python3, not a pyenv one).

One step is what DeepCTR-Torch's BaseModel.fit() does per batch (deepctr_torch/models/basemodel.py):
y_pred = model(x); optim.zero_grad(); loss = BCE(y_pred, y, reduction='sum');
total = loss + get_regularization_loss() + model.aux_loss; loss.item(); total.item();
total.backward(); optim.step(). The DataLoader, metrics and tqdm are left out (dien's timed step
leaves its batching out too); batches are built once up front, as float tensors laid out by the
model's feature_index exactly as fit() concatenates them, and cycled.

Shape (bench_train's defaults): DIEN(gru_type='AUGRU', use_negsampling=True, alpha=1.0,
dnn_hidden_units=(256, 128), att_hidden_units=(64, 16), DeepCTR-Torch's other defaults),
features user_id, item_id, cate_id (SparseFeat, embedding 18) and hist_/neg_hist_ item_id and
cate_id (VarLenSparseFeat, maxlen T, length_name 'seq_length', sharing the item_id / cate_id
tables), as in DeepCTR-Torch's examples/run_dien.py; B = 256, T = 100, lengths uniform in [1, T],
3,000 items, 40 categories, 10,000 users, Adam (lr 1e-3), f32.

Output: one JSON line on stdout with bench_train's keys (impl = "deepctr-torch"), a Markdown row
on stderr. --compete N runs N busy-looping child processes while timing (like bench_train).
"""
import argparse
import atexit
import json
import os
import signal
import sys
import time


def fail(msg, code=3):
    print("deepctr_dien.py: " + msg, file=sys.stderr)
    sys.exit(code)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--gru-type", default="AUGRU", type=str.upper, choices=["GRU", "AIGRU", "AGRU", "AUGRU"])
    p.add_argument("--negsampling", default="true", choices=["true", "false"])
    p.add_argument("--alpha", type=float, default=1.0)
    p.add_argument("--batch-size", "-B", type=int, default=256)
    p.add_argument("--maxlen", "-T", type=int, default=100)
    p.add_argument("--embedding-dim", type=int, default=18)
    p.add_argument("--vocab", type=int, default=3000, help="item vocabulary")
    p.add_argument("--categories", type=int, default=40)
    p.add_argument("--users", type=int, default=10000)
    p.add_argument("--dnn", default="256,128", help="DNN hidden units, comma-separated")
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: the CPUs of this process)")
    p.add_argument("--steps", type=int, default=None, help="timed steps (default 20; --quick 6)")
    p.add_argument("--warmup", type=int, default=None, help="untimed steps first (default 3; --quick 1)")
    p.add_argument("--batches", type=int, default=8, help="distinct prebuilt batches, cycled")
    p.add_argument("--compete", type=int, default=0, help="busy-looping processes while timing")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--json", action="store_true", help="(always on: the JSON line goes to stdout)")
    a = p.parse_args(argv)
    if a.steps is None:
        a.steps = 6 if a.quick else 20
    if a.warmup is None:
        a.warmup = 1 if a.quick else 3
    if min(a.batch_size, a.maxlen, a.embedding_dim, a.categories, a.users, a.steps, a.batches) < 1 or a.vocab < 2 \
            or a.warmup < 0 or a.compete < 0 or a.threads < 0:
        p.error("sizes must be positive")
    a.dnn = tuple(int(u) for u in a.dnn.split(","))
    return a


# ---- competing load (the twin of bench/compete.h) --------------------------------------------
_children = []


def _stop_competitors():
    while _children:
        pid = _children.pop()
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


def _on_signal(sig, frame):
    _stop_competitors()
    signal.signal(sig, signal.SIG_DFL)
    os.kill(os.getpid(), sig)


def _start_competitors(n):
    if n <= 0:
        return
    atexit.register(_stop_competitors)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    parent = os.getpid()
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            try:  # SIGKILL when the parent dies, whatever kills it
                import ctypes
                ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
            except Exception:
                pass
            if os.getppid() != parent:
                os._exit(0)
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(sig, signal.SIG_DFL)
            while True:
                pass
        _children.append(pid)


def main(argv):
    a = parse_args(argv)
    try:
        import numpy as np
        import torch
    except ImportError as e:
        fail("needs PyTorch and NumPy (%s). This peer is not a dependency of dien; on Debian: "
             "apt-get install python3-torch, then pip install deepctr-torch (see the module docstring). "
             "Run it with the Python that has them (e.g. /usr/bin/python3)." % e)
    # DeepCTR-Torch's __init__ starts a (non-daemon) thread that asks PyPI for a newer version and,
    # when that fails, prints to stdout. The benchmark needs no network: requests.get fails at once
    # here, and stdout stays the JSON line's alone (everything else printed goes to stderr).
    real_stdout = sys.stdout
    sys.stdout = sys.stderr
    try:
        import requests

        def _offline(*args, **kwargs):
            raise requests.ConnectionError("deepctr_dien.py: no network use")
        requests.get = _offline
    except ImportError:
        pass
    try:
        import deepctr_torch
        from deepctr_torch.inputs import SparseFeat, VarLenSparseFeat
        from deepctr_torch.models import DIEN
    except ImportError as e:
        fail("needs DeepCTR-Torch (%s): pip install deepctr-torch (with --no-deps next to Debian's "
             "python3-torch: pip install --break-system-packages --no-deps deepctr-torch)" % e)
    import torch.nn.functional as F

    if a.device == "cuda" and not torch.cuda.is_available():
        print("deepctr_dien.py: --device cuda skipped (no CUDA device for torch)", file=sys.stderr)
        return 0
    threads = a.threads or len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    device = "cuda:0" if a.device == "cuda" else "cpu"
    neg = a.negsampling == "true"
    E, T, B, V = a.embedding_dim, a.maxlen, a.batch_size, a.vocab

    # ---- features and model (DeepCTR-Torch's examples/run_dien.py layout) ---------------------
    cols = [SparseFeat("user_id", a.users + 1, embedding_dim=E),
            SparseFeat("item_id", V + 1, embedding_dim=E),
            SparseFeat("cate_id", a.categories + 1, embedding_dim=E)]
    hist = [("hist_item_id", V + 1, "item_id"), ("hist_cate_id", a.categories + 1, "cate_id")]
    if neg:
        hist += [("neg_hist_item_id", V + 1, "item_id"), ("neg_hist_cate_id", a.categories + 1, "cate_id")]
    for name, vocab, table in hist:
        cols.append(VarLenSparseFeat(SparseFeat(name, vocabulary_size=vocab, embedding_dim=E, embedding_name=table),
                                     maxlen=T, length_name="seq_length"))
    torch.manual_seed(a.seed)
    model = DIEN(cols, ["item_id", "cate_id"], gru_type=a.gru_type, use_negsampling=neg, alpha=a.alpha,
                 dnn_hidden_units=a.dnn, device=device)
    model.train()
    optim = torch.optim.Adam(model.parameters())  # DeepCTR's compile("adam"): lr 1e-3
    params = sum(p.numel() for p in model.parameters())

    # ---- batches (bench_train's distribution), laid out by feature_index as fit() does ------
    rng = np.random.default_rng(a.seed)
    n = B * a.batches
    item_cat = np.concatenate([[0], 1 + rng.integers(0, a.categories, V)])
    lengths = 1 + rng.integers(0, T, n)
    valid = np.arange(T)[None, :] < lengths[:, None]
    hist_item = np.where(valid, 1 + rng.integers(0, V, (n, T)), 0)
    neg_item = 1 + rng.integers(0, V, (n, T))
    clash = neg_item == hist_item
    while clash.any():
        neg_item[clash] = 1 + rng.integers(0, V, int(clash.sum()))
        clash = neg_item == hist_item
    neg_item = np.where(valid, neg_item, 0)
    target = 1 + rng.integers(0, V, n)
    data = {"user_id": 1 + rng.integers(0, a.users, n), "item_id": target, "cate_id": item_cat[target],
            "hist_item_id": hist_item, "hist_cate_id": item_cat[hist_item],
            "neg_hist_item_id": neg_item, "neg_hist_cate_id": item_cat[neg_item], "seq_length": lengths}
    labels = (rng.random(n) < 0.5).astype(np.float32)
    width = max(end for _, end in model.feature_index.values())
    X = np.zeros((n, width), dtype=np.float32)
    for name, (start, end) in model.feature_index.items():
        X[:, start:end] = np.asarray(data[name], dtype=np.float32).reshape(n, end - start)
    batches = [(torch.from_numpy(X[k * B:(k + 1) * B]).to(device).float(),
                torch.from_numpy(labels[k * B:(k + 1) * B]).to(device).float()) for k in range(a.batches)]

    def sync():
        if device != "cpu":
            torch.cuda.synchronize()

    # ---- timed steps ---------------------------------------------------------------------------
    step_ms, fwd_ms, bwd_ms, opt_ms = [], [], [], []
    last = float("nan")
    _start_competitors(a.compete)
    try:
        for s in range(a.warmup + a.steps):
            x, y = batches[s % a.batches]
            sync()
            t0 = time.perf_counter()
            y_pred = model(x).squeeze(-1)
            optim.zero_grad()
            loss = F.binary_cross_entropy(y_pred, y, reduction="sum")
            total = loss + model.get_regularization_loss() + model.aux_loss
            loss.item()
            last = total.item()
            t1 = time.perf_counter()
            total.backward()
            sync()
            t2 = time.perf_counter()
            optim.step()
            sync()
            t3 = time.perf_counter()
            if s >= a.warmup:
                step_ms.append((t3 - t0) * 1e3)
                fwd_ms.append((t1 - t0) * 1e3)
                bwd_ms.append((t2 - t1) * 1e3)
                opt_ms.append((t3 - t2) * 1e3)
    finally:
        _stop_competitors()

    def med(v):  # bench_train's median: the upper middle of an even count
        return sorted(v)[len(v) // 2]

    step = med(step_ms)
    sv = sorted(step_ms)
    row = {"impl": "deepctr-torch", "model": "dien", "gru_type": a.gru_type, "B": B, "T": T, "H": 2 * E, "E": E,
           "vocab": V, "threads": torch.get_num_threads(), "device": a.device, "competing": a.compete,
           "samples_per_s": round(B / (step / 1e3), 2), "step_ms": round(step, 4),
           "forward_ms": round(med(fwd_ms), 4), "backward_ms": round(med(bwd_ms), 4),
           "optimizer_ms": round(med(opt_ms), 4), "step_ms_p10": round(sv[len(sv) // 10], 4),
           "step_ms_p90": round(sv[(len(sv) * 9) // 10], 4), "steps": a.steps, "warmup": a.warmup,
           "negsampling": neg, "alpha": a.alpha, "augru_form": "paper", "dnn": "-".join(map(str, a.dnn)),
           "optimizer": "adam", "categories": a.categories, "users": a.users, "lengths": "uniform",
           "parameters": params, "loss": round(last, 6), "torch": torch.__version__,
           "deepctr_torch": deepctr_torch.__version__}
    print(json.dumps(row, separators=(",", ":")), file=real_stdout, flush=True)
    print("| deepctr-torch | dien | %s | %s | %d | %d | %d | %d | %d | %s | %d | %.2f | %.2f | %.2f | %.2f | %.0f |"
          % (a.gru_type, "neg" if neg else "-", B, T, 2 * E, V, row["threads"], a.device, a.compete, step,
             row["forward_ms"], row["backward_ms"], row["optimizer_ms"], row["samples_per_s"]), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
