#!/usr/bin/env python3
"""Writes the seed corpora of the libFuzzer harnesses (tests/fuzz/corpus/<harness>/).

    tools/make-fuzz-seeds.py PATH/TO/dien        # the dien command of a build

Each corpus holds a few small valid inputs (made by the dien command itself: gen-data, train),
plus the hostile classes docs/reliability.md names: deeply nested JSON, huge shapes and sizes,
long lines, bad UTF-8, values out of range. Files are small so that the bounded CI run starts
fast; the fuzzers grow their own corpus from these in a temporary folder.
"""
import json, os, shutil, struct, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def put(harness, name, data):
    d = os.path.join(CORPUS, harness)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def nested(depth, open_="[", close="]"):
    return open_ * depth + close * depth


def safetensors(header, payload=b""):
    h = json.dumps(header).encode() if not isinstance(header, (bytes, str)) else (
        header.encode() if isinstance(header, str) else header)
    return struct.pack("<Q", len(h)) + h + payload


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    dien = os.path.abspath(sys.argv[1])
    shutil.rmtree(CORPUS, ignore_errors=True)
    tmp = tempfile.mkdtemp()
    try:
        run = lambda *a: subprocess.run([dien, *a], cwd=tmp, check=True, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        run("gen-data", "--users", "12", "--items", "40", "--categories", "4", "--samples-per-user", "2",
            "--maxlen", "5", "--out", "am.txt", "--test-out", "")
        run("train", "--data", "am.txt", "--epochs", "1", "--embedding-dim", "2", "--dnn-hidden-units", "2",
            "--att-hidden-units", "2", "--out", "ck")
        ck = os.path.join(tmp, "ck", "last")
        amazon = open(os.path.join(tmp, "am.txt"), "rb").read()
        config = open(os.path.join(ck, "config.json"), "rb").read()
        trainer = open(os.path.join(ck, "trainer.json"), "rb").read()
        model = open(os.path.join(ck, "model.safetensors"), "rb").read()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    # --- safetensors
    f32 = struct.pack("<4f", 1.0, -2.0, 0.5, 3.0)
    put("safetensors", "model", model)
    put("safetensors", "small", safetensors({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
                                             "__metadata__": {"step": "3"}}, f32))
    put("safetensors", "huge_shape", safetensors({"w": {"dtype": "F32", "shape": [2**62, 2**62, 0],
                                                        "data_offsets": [0, 0]}}))
    put("safetensors", "offsets_past_end", safetensors({"w": {"dtype": "F32", "shape": [4],
                                                              "data_offsets": [0, 1 << 40]}}, f32))
    put("safetensors", "negative_dim", safetensors({"w": {"dtype": "I64", "shape": [-1, 2], "data_offsets": [0, 16]}}, f32))
    put("safetensors", "nested_metadata", safetensors('{"__metadata__":' + nested(4000, "{\"a\":", "}").replace("}", "1}", 1) + "}"))
    put("safetensors", "header_len_huge", struct.pack("<Q", 2**63) + b"{}")
    put("safetensors", "nan_weights", safetensors({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}},
                                                  struct.pack("<2f", float("nan"), float("inf"))))

    # --- checkpoint config.json, trainer.json
    put("checkpoint_config", "config", config)
    cfg = json.loads(config)
    big = json.loads(config)
    big["model"]["options"]["dnn_hidden_units"] = [2**40, 2**40]
    put("checkpoint_config", "huge_layers", json.dumps(big))
    put("checkpoint_config", "nested", nested(20000))
    put("checkpoint_config", "not_object", "[1, 2, 3]")
    tr = json.loads(trainer)
    put("trainer_state", "trainer", trainer)
    tr["epoch"] = 2147483648
    put("trainer_state", "epoch_overflow", json.dumps(tr))
    tr["epoch"] = -1
    tr["global_step"] = 1.5
    put("trainer_state", "epoch_negative", json.dumps(tr))
    put("trainer_state", "nested", nested(4000, "{\"a\":", "}").replace("}", "0}", 1))

    # --- data files
    put("amazon", "valid", amazon)
    put("amazon", "long_line", b"1\tu\ti\tc\t" + b"\x02".join([b"i%d" % k for k in range(3000)]) + b"\tc\n")
    put("amazon", "bad_utf8", b"1\tu\xff\xfe\ti1\tc1\ti2\tc2\n0\tu\ti2\tc2\ti1\tc1\n")
    put("amazon", "bad_label", b"7\tu\ti1\tc1\ti2\tc2\n")
    put("amazon", "mismatch", b"1\tu\ti1\tc1\ti2\x02i3\tc2\n")
    ms = "".join("%d\t1\t2\t%s\t%d\t%d\t%d\t%d\n" % (u, "30,20,10,0,0", 3, 40 + u, 7, u % 2) for u in range(1, 6))
    put("movielens_sample", "valid", ms)
    put("movielens_sample", "bad_len", "1\t1\t2\t30,20\t99\t40\t7\t1\n")
    put("movielens_sample", "huge_int", "1\t1\t2\t30,99999999999999999999999\t2\t40\t7\t1\n")
    header = "label,user_id,price,hist_item_id,item_id,seq_length,comment\n"
    put("csv", "valid", header + "1,u1,2.5,a|b,c,2,x\n0,u2,1,,a,0,y\n1,u1,0.5,a|b|c|d|e|f|g,b,7,z\n")
    put("csv", "bad_values", header + "2,u1,1e39,a|b,c,+2,x\n1,u\xe9,nan,a,b, 1,y\n")
    put("csv", "quotes", header + '1,"u,1",2,"a|b",c,2,"x""y"\n')
    put("csv", "long_line", header + "1,u1,2," + "|".join("t%d" % k for k in range(5000)) + ",c,5000,x\n")
    spec = {"delimiter": ",", "header": True, "oov": "error",
            "columns": [{"name": "label", "role": "label"},
                        {"name": "user_id", "role": "sparse", "embedding_dim": 4},
                        {"name": "price", "role": "dense"},
                        {"name": "hist_item_id", "role": "varlen", "separator": "|", "maxlen": 5,
                         "length": "seq_length", "embedding_name": "item_id", "embedding_dim": 4},
                        {"name": "item_id", "role": "sparse", "embedding_dim": 4},
                        {"name": "seq_length", "role": "length"}],
            "history_features": ["item_id"], "group": "user_id"}
    put("csv_spec", "valid", json.dumps(spec))
    spec["columns"][1]["embedding_dim"] = 2**62
    spec["columns"][3]["maxlen"] = 2**62
    put("csv_spec", "huge_sizes", json.dumps(spec))
    put("csv_spec", "nested", nested(20000))
    voc = cfg.get("data", {}).get("vocabularies", {})
    put("vocabularies", "amazon", b"\x00" + json.dumps(voc).encode())
    put("vocabularies", "nested", b"\x01" + nested(20000).encode())
    put("vocabularies", "csv", b"\x02" + json.dumps({"item_id": {"name": "item_id", "tokens": ["a", "b"]}}).encode())
    log = "time,user,item,category\n" + "".join("%d,U%d,%d,c%d\n" % (10 * k, u, (u + k) % 7 + 1, k % 3)
                                               for u in range(1, 5) for k in range(4))
    put("prepare", "log", b"\x00" + log.encode())
    put("prepare", "s3rec", b"\x01" + b"1 1 2 3\n2 3 4\n\x00" + b'{"1": [7, 40], "2": [8, 41], "3": [9, 40], "4": [7, 42]}')
    put("prepare", "s3rec_nested", b"\x01" + b"1 1 2\n\x00" + nested(4000, "{\"1\":", "}").replace("}", "[1]}", 1).encode())
    put("prepare", "movielens", b"\x02" + b"userId,movieId,rating,timestamp\n1,1,4.0,10\n1,2,5,20\n\x00"
        + b'movieId,title,genres\n1,"Heat, The (1995)",Action|Crime\n2,B,Drama\n')
    total = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(CORPUS) for f in fs)
    print("seeds written under %s: %d bytes" % (CORPUS, total))


if __name__ == "__main__":
    main()
