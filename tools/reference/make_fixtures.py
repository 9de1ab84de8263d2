# SPDX-License-Identifier: MIT
"""Reference fixtures for dien's sequence ops, computed by PyTorch in float64.

Writes tests/fixtures/*.safetensors (read by tests/cpu/test_fixtures_sequence.cpp with
dien::load_safetensors; no Python at test time). Every fixture holds the inputs, the weights, a
fixed upstream gradient, the outputs and every gradient computed by torch.autograd, all in
float64 (the C++ test casts to float32 itself for its f32 run).

Each value is produced by the form the op reproduces and then checked against at least one
independent form inside this script (asserted to 1e-12), so a fixture never rests on one
implementation alone:

  gru_lbr, aigru_lbr   torch.nn.GRU with pack_padded_sequence      vs a DeepCTR-style cell loop
  *_lbr (attention)    DeepCTR-Torch AUGRUCell / AGRUCell form      vs a per-row loop; the
                       AugruReference LBR form is oneDNN's lbr_augru (gate order u|r|c)
  *_rbl                the authors' TF GRUCell / VecAttGRUCell form (concat kernels, one
                       candidate bias)                              vs the DeepCTR-style loop
  attention            per-row softmax over the valid prefix        vs masked_fill softmax
  aux_bce              DeepCTR-Torch's F.binary_cross_entropy over the concatenated valid
                       click / no-click probabilities               vs the explicit sum

Regenerate (PyTorch from Debian's python3-torch or pip):
  /usr/bin/python3 tools/reference/make_fixtures.py          # writes tests/fixtures/
  /usr/bin/python3 tools/reference/make_fixtures.py --check  # recomputes, compares, writes nothing
"""
import argparse
import json
import os
import struct
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

# Shapes: small, with lengths 0, 1, T-1, T and unsorted rows.
B, T, D, H = 7, 6, 5, 4
LENGTHS = [3, 0, 6, 1, 5, 6, 2]

CELLS = ["gru", "augru_paper", "augru_reference", "agru"]
LAYOUTS = ["lbr", "rbl"]  # LinearBeforeReset (PyTorch/cuDNN), ResetBeforeLinear (TF GRUCell)
TOL = 1e-12


# ---- safetensors writer (json + struct; no extra package) ---------------------------------------
_ST_DTYPE = {torch.float64: ("F64", "<d"), torch.float32: ("F32", "<f"), torch.int64: ("I64", "<q"),
             torch.int32: ("I32", "<i")}


def safetensors_bytes(tensors, metadata):
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        code, fmt = _ST_DTYPE[t.dtype]
        vals = t.reshape(-1).tolist()
        blob = struct.pack("<%d%s" % (len(vals), fmt[1]), *vals)
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [off, off + len(blob)]}
        blobs.append(blob)
        off += len(blob)
    header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    h = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    h += b" " * (-len(h) % 8)  # pad so the data starts 8-aligned
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


def safetensors_read(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data, out = raw[8 + n:], {}
    rev = {code: (dt, fmt) for dt, (code, fmt) in _ST_DTYPE.items()}
    for name, e in header.items():
        dt, fmt = rev[e["dtype"]]
        b0, b1 = e["data_offsets"]
        cnt = (b1 - b0) // struct.calcsize(fmt)
        vals = struct.unpack("<%d%s" % (cnt, fmt[1]), data[b0:b1])
        out[name] = torch.tensor(vals, dtype=dt).reshape(e["shape"])
    return out, meta


# ---- helpers ------------------------------------------------------------------------------------
def uniform(gen, shape, lo, hi):
    return torch.rand(shape, generator=gen, dtype=torch.float64) * (hi - lo) + lo


def assert_close(name, a, b, tol=TOL):
    a, b = a.detach(), b.detach()
    assert a.shape == b.shape, "%s: shape %s vs %s" % (name, tuple(a.shape), tuple(b.shape))
    err = (a - b).abs().max().item() if a.numel() else 0.0
    scale = max(1.0, b.abs().max().item() if b.numel() else 0.0)
    assert err <= tol * scale, "%s: independent paths differ by %.3e" % (name, err)


def grads_of(outputs, upstream, leaves):
    """sum(<output, upstream>) backpropagated by torch.autograd; zeros for unused leaves."""
    loss = sum((o * u).sum() for o, u in zip(outputs, upstream))
    gs = torch.autograd.grad(loss, leaves, allow_unused=True)
    return [torch.zeros_like(l) if g is None else g for l, g in zip(leaves, gs)]


# ---- the generic cell: DeepCTR-Torch's way (F.linear of input and hx, chunk(3), sigmoid/tanh) ----
def cell_deepctr(cell, layout, x_t, hx, a_t, w_ih, w_hh, b_ih, b_hh):
    gi = F.linear(x_t, w_ih, b_ih)
    i_r, i_z, i_n = gi.chunk(3, 1)
    if layout == "lbr":
        gh = F.linear(hx, w_hh, b_hh)
        h_r, h_z, h_n = gh.chunk(3, 1)
        reset_gate = torch.sigmoid(i_r + h_r)
        update_gate = torch.sigmoid(i_z + h_z)
        new_state = torch.tanh(i_n + reset_gate * h_n)
    else:
        w_hr, w_hz, w_hn = w_hh.chunk(3, 0)
        b_hr, b_hz, b_hn = b_hh.chunk(3, 0) if b_hh is not None else (None, None, None)
        reset_gate = torch.sigmoid(i_r + F.linear(hx, w_hr, b_hr))
        update_gate = torch.sigmoid(i_z + F.linear(hx, w_hz, b_hz))
        new_state = torch.tanh(i_n + F.linear(reset_gate * hx, w_hn, b_hn))
    if cell == "gru":  # torch.nn.GRU
        return update_gate * hx + (1.0 - update_gate) * new_state
    att = a_t.view(-1, 1)
    if cell == "augru_paper":  # DeepCTR-Torch AUGRUCell
        update_gate = att * update_gate
        return (1.0 - update_gate) * hx + update_gate * new_state
    if cell == "augru_reference":  # authors' VecAttGRUCell: u = (1 - a) u; h = u h + (1 - u) c
        u = (1.0 - att) * update_gate
        return u * hx + (1.0 - u) * new_state
    if cell == "agru":  # DeepCTR-Torch AGRUCell
        return (1.0 - att) * hx + att * new_state
    raise ValueError(cell)


# ---- independent cell forms ----------------------------------------------------------------------
def cell_tf(cell, x_t, hx, a_t, w_ih, w_hh, b_ih, b_hh):
    """The authors' TF GRUCell / VecAttGRUCell (ResetBeforeLinear): one gate kernel over
    concat([x, h]) giving r|u, one candidate kernel over concat([x, r*h]) with a single bias.
    Kernels are assembled from PyTorch-layout weights by differentiable ops, so gradients map back."""
    w_ir, w_iz, w_in = w_ih.chunk(3, 0)
    w_hr, w_hz, w_hn = w_hh.chunk(3, 0)
    gate_kernel = torch.cat([torch.cat([w_ir, w_iz], 0).t(), torch.cat([w_hr, w_hz], 0).t()], 0)  # [D+H, 2H]
    cand_kernel = torch.cat([w_in.t(), w_hn.t()], 0)  # [D+H, H]
    gate_bias = cand_bias = None
    if b_ih is not None:
        b_ir, b_iz, b_in = b_ih.chunk(3, 0)
        b_hr, b_hz, b_hn = b_hh.chunk(3, 0)
        gate_bias = torch.cat([b_ir + b_hr, b_iz + b_hz], 0)
        cand_bias = b_in + b_hn
    gate_inputs = torch.cat([x_t, hx], 1) @ gate_kernel
    if gate_bias is not None:
        gate_inputs = gate_inputs + gate_bias
    value = torch.sigmoid(gate_inputs)
    r, u = value.split(value.shape[1] // 2, 1)
    candidate = torch.cat([x_t, r * hx], 1) @ cand_kernel
    if cand_bias is not None:
        candidate = candidate + cand_bias
    c = torch.tanh(candidate)
    if cell == "gru":
        return u * hx + (1 - u) * c
    att = a_t.view(-1, 1)
    if cell == "augru_reference":
        u = (1.0 - att) * u
        return u * hx + (1 - u) * c
    if cell == "augru_paper":
        u = att * u
        return (1 - u) * hx + u * c
    if cell == "agru":
        return (1 - att) * hx + att * c
    raise ValueError(cell)


def cell_onednn_lbr(cell, x_t, hx, a_t, w_ih, w_hh, b_ih, b_hh):
    """oneDNN's lbr_gru / lbr_augru formulas, gate order u|r|c (weights permuted from r|z|n):
    c = tanh(W_c x + B_c + r * (U_c h + B_uc)); augru: u~ = (1 - a) u, h = u~ h + (1 - u~) c."""
    perm = torch.cat([torch.arange(H, 2 * H), torch.arange(0, H), torch.arange(2 * H, 3 * H)])
    W, U = w_ih[perm], w_hh[perm]
    g_x = torch.einsum("gd,bd->bg", W, x_t)
    g_h = torch.einsum("gh,bh->bg", U, hx)
    if b_ih is not None:
        g_x = g_x + b_ih[perm]
        g_h = g_h + b_hh[perm]
    u = torch.sigmoid(g_x[:, :H] + g_h[:, :H])
    r = torch.sigmoid(g_x[:, H:2 * H] + g_h[:, H:2 * H])
    c = torch.tanh(g_x[:, 2 * H:] + r * g_h[:, 2 * H:])
    att = a_t.view(-1, 1) if a_t is not None else None
    if cell == "gru":
        ut = u
    elif cell == "augru_reference":
        ut = (1.0 - att) * u
    elif cell == "augru_paper":
        ut = 1.0 - att * u
    elif cell == "agru":
        ut = (1.0 - att).expand_as(u)
    else:
        raise ValueError(cell)
    return ut * hx + (1.0 - ut) * c


# ---- scans ---------------------------------------------------------------------------------------
def scan_masked(step, x, lengths, att, h0):
    """Batched scan with masks: steps t >= length keep the state and output zeros."""
    h = h0 if h0 is not None else x.new_zeros(x.shape[0], H)
    states = []
    for t in range(x.shape[1]):
        hy = step(x[:, t], h, att[:, t] if att is not None else None)
        valid = (t < lengths).view(-1, 1)
        h = torch.where(valid, hy, h)
        states.append(torch.where(valid, hy, torch.zeros_like(hy)))
    return torch.stack(states, 1), h


def scan_per_row(step, x, lengths, att, h0):
    """Row by row over the valid prefix only (no masks), padded with zeros afterwards."""
    rows, lasts = [], []
    for b in range(x.shape[0]):
        h = h0[b:b + 1] if h0 is not None else x.new_zeros(1, H)
        out = []
        for t in range(int(lengths[b])):
            h = step(x[b:b + 1, t], h, att[b:b + 1, t] if att is not None else None)
            out.append(h)
        pad = [x.new_zeros(1, H)] * (x.shape[1] - len(out))
        rows.append(torch.stack(out + pad, 1))
        lasts.append(h)
    return torch.cat(rows, 0), torch.cat(lasts, 0)


def scan_nn_gru(x, lengths, h0, w_ih, w_hh, b_ih, b_hh):
    """torch.nn.GRU itself over pack_padded_sequence (rows of length 0 cannot be packed: by the
    op's definition they output zeros and keep h0)."""
    gru = torch.nn.GRU(D, H, num_layers=1, bias=b_ih is not None, batch_first=True).double()
    # Use our leaves as the module's parameters, so autograd reaches them.
    del gru.weight_ih_l0, gru.weight_hh_l0
    gru.weight_ih_l0, gru.weight_hh_l0 = w_ih, w_hh
    if b_ih is not None:
        del gru.bias_ih_l0, gru.bias_hh_l0
        gru.bias_ih_l0, gru.bias_hh_l0 = b_ih, b_hh
    nz = [b for b in range(x.shape[0]) if int(lengths[b]) > 0]
    idx = torch.tensor(nz)
    hz = h0[idx].unsqueeze(0) if h0 is not None else None
    packed = torch.nn.utils.rnn.pack_padded_sequence(x[idx], lengths[idx], batch_first=True, enforce_sorted=False)
    with torch.backends.cudnn.flags(enabled=False):
        out, hn = gru(packed, hz)
    out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    states, last = [], []
    pos = {b: i for i, b in enumerate(nz)}
    for b in range(x.shape[0]):
        if b in pos:
            states.append(out[pos[b]])
            last.append(hn[0, pos[b]])
        else:
            states.append(x.new_zeros(x.shape[1], H))
            last.append(h0[b] if h0 is not None else x.new_zeros(H))
    return torch.stack(states, 0), torch.stack(last, 0)


# ---- fixture builders ----------------------------------------------------------------------------
def rnn_inputs(seed, with_att):
    g = torch.Generator().manual_seed(seed)
    k = 1.0 / H ** 0.5
    d = {
        "x": uniform(g, (B, T, D), -1, 1),  # padded steps hold noise too: they must be ignored
        "lengths": torch.tensor(LENGTHS, dtype=torch.int64),
        "h0": uniform(g, (B, H), -0.8, 0.8),
        "w_ih": uniform(g, (3 * H, D), -k, k),
        "w_hh": uniform(g, (3 * H, H), -k, k),
        "b_ih": uniform(g, (3 * H,), -k, k),
        "b_hh": uniform(g, (3 * H,), -k, k),
        "g_states": uniform(g, (B, T, H), -1, 1),  # nonzero at padded steps too: they never matter
        "g_last": uniform(g, (B, H), -1, 1),
    }
    if with_att:
        d["att"] = uniform(g, (B, T), 0.05, 0.95)
    return d


GRAD_NAMES = ["x", "att", "h0", "w_ih", "w_hh", "b_ih", "b_hh"]


def run_rnn(impl, inp, full, aigru=False):
    """impl(x, lengths, att, h0, w_ih, w_hh, b_ih, b_hh) -> (states, last). full: with h0 and
    biases; else the bare variant (h0 and biases undefined). Returns outputs and gradients."""
    leaves = {n: inp[n].clone().requires_grad_() for n in GRAD_NAMES if n in inp}
    if not full:
        for n in ("h0", "b_ih", "b_hh"):
            leaves.pop(n)
    get = lambda n: leaves.get(n)  # noqa: E731
    x = get("x")
    if aigru:
        x = x * get("att").unsqueeze(-1)  # AIGRU: a GRU over a_t * x_t
    states, last = impl(x, inp["lengths"], None if aigru else get("att"), get("h0"), get("w_ih"), get("w_hh"),
                        get("b_ih"), get("b_hh"))
    names = list(leaves)
    gs = grads_of([states, last], [inp["g_states"], inp["g_last"]], [leaves[n] for n in names])
    res = {"states": states.detach(), "last": last.detach()}
    res.update({"grad_" + n: g for n, g in zip(names, gs)})
    return res


def deepctr_impl(cell, layout, per_row=False):
    scan = scan_per_row if per_row else scan_masked

    def impl(x, lengths, att, h0, w_ih, w_hh, b_ih, b_hh):
        step = lambda xt, h, at: cell_deepctr(cell, layout, xt, h, at, w_ih, w_hh, b_ih, b_hh)  # noqa: E731
        return scan(step, x, lengths, att, h0)
    return impl


def tf_impl(cell):
    def impl(x, lengths, att, h0, w_ih, w_hh, b_ih, b_hh):
        return scan_masked(lambda xt, h, at: cell_tf(cell, xt, h, at, w_ih, w_hh, b_ih, b_hh), x, lengths, att, h0)
    return impl


def onednn_impl(cell):
    def impl(x, lengths, att, h0, w_ih, w_hh, b_ih, b_hh):
        return scan_per_row(lambda xt, h, at: cell_onednn_lbr(cell, xt, h, at, w_ih, w_hh, b_ih, b_hh), x, lengths,
                            att, h0)
    return impl


def nn_gru_impl(x, lengths, att, h0, w_ih, w_hh, b_ih, b_hh):
    return scan_nn_gru(x, lengths, h0, w_ih, w_hh, b_ih, b_hh)


SOURCES = {
    ("gru", "lbr"): ("torch.nn.GRU + pack_padded_sequence", nn_gru_impl),
    ("gru", "rbl"): ("TF GRUCell form (concat kernels, one candidate bias)", tf_impl("gru")),
    ("augru_paper", "lbr"): ("DeepCTR-Torch AUGRUCell form", deepctr_impl("augru_paper", "lbr")),
    ("augru_paper", "rbl"): ("DeepCTR-Torch AUGRUCell gates with a TF-style ResetBeforeLinear candidate",
                             deepctr_impl("augru_paper", "rbl")),
    ("augru_reference", "lbr"): ("oneDNN lbr_augru form", onednn_impl("augru_reference")),
    ("augru_reference", "rbl"): ("authors' TF VecAttGRUCell form", tf_impl("augru_reference")),
    ("agru", "lbr"): ("DeepCTR-Torch AGRUCell form", deepctr_impl("agru", "lbr")),
    ("agru", "rbl"): ("DeepCTR-Torch AGRUCell with a TF-style ResetBeforeLinear candidate",
                      deepctr_impl("agru", "rbl")),
}


def checks_for(cell, layout):
    """Independent forms each fixture is asserted against."""
    cs = [("DeepCTR-style masked loop", deepctr_impl(cell, layout)),
          ("per-row loop", deepctr_impl(cell, layout, per_row=True))]
    if layout == "rbl":
        cs.append(("TF form", tf_impl(cell)))
    else:
        cs.append(("oneDNN lbr form", onednn_impl(cell)))
        if cell == "gru":
            cs.append(("torch.nn.GRU", nn_gru_impl))
    return cs


def make_rnn_fixture(cell, layout, seed):
    with_att = cell != "gru"
    inp = rnn_inputs(seed, with_att)
    src_name, src = SOURCES[(cell, layout)]
    out = dict(inp)
    for full, prefix in ((True, ""), (False, "bare.")):
        ref = run_rnn(src, inp, full)
        for chk_name, chk in checks_for(cell, layout):
            other = run_rnn(chk, inp, full)
            for k in ref:
                assert_close("%s/%s %s%s vs %s" % (cell, layout, prefix, k, chk_name), other[k], ref[k])
        out.update({prefix + k: v for k, v in ref.items()})
    meta = {"op": "rnn_scan", "cell": cell, "layout": layout, "source": src_name,
            "bare": "bare.* = the same op with h0 and both biases undefined"}
    return out, meta


def make_aigru_fixture(layout, seed):
    inp = rnn_inputs(seed, True)
    if layout == "lbr":
        src_name, src = "torch.nn.GRU + pack_padded_sequence over att * x", nn_gru_impl
        checks = [deepctr_impl("gru", "lbr"), deepctr_impl("gru", "lbr", per_row=True), onednn_impl("gru")]
    else:
        src_name, src = "TF GRUCell form over att * x", tf_impl("gru")
        checks = [deepctr_impl("gru", "rbl"), deepctr_impl("gru", "rbl", per_row=True)]
    out = dict(inp)
    for full, prefix in ((True, ""), (False, "bare.")):
        ref = run_rnn(src, inp, full, aigru=True)
        for chk in checks:
            other = run_rnn(chk, inp, full, aigru=True)
            for k in ref:
                assert_close("aigru/%s %s%s" % (layout, prefix, k), other[k], ref[k])
        out.update({prefix + k: v for k, v in ref.items()})
    return out, {"op": "aigru_scan", "cell": "aigru", "layout": layout, "source": src_name,
                 "bare": "bare.* = the same op with h0 and both biases undefined"}


def attention_ref(scores, lengths, normalize):
    rows = []
    for b in range(scores.shape[0]):
        L = int(lengths[b])
        v = scores[b, :L]
        if normalize and L > 0:
            v = torch.softmax(v, 0)
        rows.append(torch.cat([v, scores.new_zeros(scores.shape[1] - L)]))
    return torch.stack(rows, 0)


def attention_check(scores, lengths, normalize):
    mask = torch.arange(scores.shape[1]).view(1, -1) < lengths.view(-1, 1)
    if not normalize:
        return scores * mask.to(scores.dtype)
    y = torch.softmax(scores.masked_fill(~mask, float("-inf")), -1)
    return torch.where(mask, y, torch.zeros_like(y))  # length-0 rows: NaN -> 0


def make_attention_fixture(seed):
    g = torch.Generator().manual_seed(seed)
    out = {"scores": uniform(g, (B, T), -3, 3), "lengths": torch.tensor(LENGTHS, dtype=torch.int64),
           "g_y": uniform(g, (B, T), -1, 1)}
    for normalize, prefix in ((True, "softmax."), (False, "raw.")):
        res = []
        for fn in (attention_ref, attention_check):
            s = out["scores"].clone().requires_grad_()
            y = fn(s, out["lengths"], normalize)
            (gs,) = torch.autograd.grad((y * out["g_y"]).sum(), [s])
            res.append((y.detach(), gs))
        assert_close("attention %sy" % prefix, res[1][0], res[0][0])
        assert_close("attention %sgrad_scores" % prefix, res[1][1], res[0][1])
        out[prefix + "y"], out[prefix + "grad_scores"] = res[0]
    return out, {"op": "attention_weights", "source": "per-row torch.softmax over the valid prefix",
                 "softmax": "normalize=true", "raw": "normalize=false"}


def aux_deepctr(p_pos, p_neg, lengths):
    """DeepCTR-Torch's auxiliary loss: BCE over the concatenated valid click / no-click probs."""
    mask = torch.arange(p_pos.shape[1]).view(1, -1) < (lengths.view(-1, 1) - 1)
    click, noclick = p_pos[mask], p_neg[mask]
    probs = torch.cat([click, noclick], 0)
    target = torch.cat([torch.ones_like(click), torch.zeros_like(noclick)], 0)
    return F.binary_cross_entropy(probs, target)


def aux_explicit(p_pos, p_neg, lengths):
    total, n = p_pos.new_zeros(()), 0
    for b in range(p_pos.shape[0]):
        for t in range(max(0, int(lengths[b]) - 1)):
            total = total - torch.log(p_pos[b, t]) - torch.log(1 - p_neg[b, t])
            n += 1
    return total / (2 * n) if n else total


def make_aux_fixture(seed):
    g = torch.Generator().manual_seed(seed)
    P = T - 1
    out = {"p_pos": uniform(g, (B, P), 0.05, 0.95), "p_neg": uniform(g, (B, P), 0.05, 0.95),
           "lengths": torch.tensor(LENGTHS, dtype=torch.int64), "g_loss": torch.tensor(1.7),
           "empty.lengths": torch.tensor([1, 0, 1, 1, 0, 1, 0], dtype=torch.int64)}
    for prefix, lengths, fns in (("", out["lengths"], (aux_deepctr, aux_explicit)),
                                 ("empty.", out["empty.lengths"], (aux_explicit,))):
        res = []
        for fn in fns:
            pp, pn = out["p_pos"].clone().requires_grad_(), out["p_neg"].clone().requires_grad_()
            loss = fn(pp, pn, lengths)
            if loss.requires_grad:
                gp, gn = torch.autograd.grad(loss * out["g_loss"], [pp, pn])
            else:  # no valid pair: the loss is the constant 0
                gp, gn = torch.zeros_like(pp), torch.zeros_like(pn)
            res.append((loss.detach(), gp, gn))
        for r in res[1:]:
            for name, a, b in zip(("loss", "grad_p_pos", "grad_p_neg"), r, res[0]):
                assert_close("aux_bce %s%s" % (prefix, name), a, b)
        out[prefix + "loss"], out[prefix + "grad_p_pos"], out[prefix + "grad_p_neg"] = res[0]
    assert out["empty.loss"].item() == 0.0 and not out["empty.grad_p_pos"].any()
    return out, {"op": "aux_bce", "source": "DeepCTR-Torch F.binary_cross_entropy over concatenated valid pairs",
                 "eps": "1e-7 (no probability is clamped: all lie in [0.05, 0.95])",
                 "empty": "empty.* = lengths with no valid pair: loss 0, gradients 0"}


def all_fixtures():
    fx, seed = {}, 1000
    for cell in CELLS:
        for layout in LAYOUTS:
            seed += 1
            fx["%s_%s" % (cell, layout)] = make_rnn_fixture(cell, layout, seed)
    for layout in LAYOUTS:
        seed += 1
        fx["aigru_%s" % layout] = make_aigru_fixture(layout, seed)
    fx["attention"] = make_attention_fixture(2001)
    fx["aux_bce"] = make_aux_fixture(2002)
    return fx


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.normpath(os.path.join(here, "..", "..", "tests", "fixtures")))
    ap.add_argument("--check", action="store_true", help="compare with the files in --out, write nothing")
    args = ap.parse_args()
    fx = all_fixtures()
    total, bad = 0, 0
    if not args.check:
        os.makedirs(args.out, exist_ok=True)
    for name, (tensors, meta) in fx.items():
        meta = dict(meta, generator="tools/reference/make_fixtures.py", license="SPDX-License-Identifier: MIT",
                    torch=torch.__version__, dims="B=%d T=%d D=%d H=%d" % (B, T, D, H))
        path = os.path.join(args.out, name + ".safetensors")
        if args.check:
            old, _ = safetensors_read(path)
            if set(old) != set(tensors):
                print("%s: tensor names differ" % path)
                bad += 1
                continue
            for k, v in tensors.items():
                if old[k].dtype != v.dtype or not torch.allclose(old[k], v.detach(), rtol=1e-12, atol=1e-14):
                    print("%s: %s differs" % (path, k))
                    bad += 1
            continue
        blob = safetensors_bytes(tensors, meta)
        assert len(blob) < 100 * 1024, "%s is %d bytes" % (path, len(blob))
        with open(path, "wb") as f:
            f.write(blob)
        back, _ = safetensors_read(path)  # round trip of our own writer
        for k, v in tensors.items():
            assert torch.equal(back[k], v.detach()), "%s: %s does not round-trip" % (path, k)
        total += len(blob)
        print("%-40s %6d bytes, %d tensors" % (os.path.relpath(path), len(blob), len(tensors)))
    if args.check:
        print("check: %d mismatches over %d fixtures" % (bad, len(fx)))
        return 1 if bad else 0
    assert total < 1024 * 1024
    print("total %d bytes; every fixture agreed with its independent forms to %.0e" % (total, TOL))
    return 0


if __name__ == "__main__":
    sys.exit(main())
