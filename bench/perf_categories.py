#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Reads `perf report --stdio --no-children --sort dso,symbol -g none` on stdin; prints the top
functions by self time and the share of the samples per category (bench/profile_train.sh lists
them), as Markdown. The first pattern that matches a "dso symbol" line wins, so the order below
matters (e.g. an OpenMP-outlined scan body is "scan", not "threading")."""
import argparse
import re
import sys

CATEGORIES = [
    # dien's pool (core/parallel.h): a worker's own loop is its spinning and sleeping, and the
    # dispatch of a loop is threading too (the chunks it runs are named for their kernels).
    ("threading", r"Pool::ensure_workers|Pool::work|parallel_run_impl|cpu_relax"),
    ("page faults", r"page_fault|handle_mm_fault|do_anonymous_page|clear_page|do_fault|filemap_map_pages|"
                    r"alloc_pages|__alloc_pages|get_page_from_freelist|do_user_addr_fault|exc_page_fault|"
                    r"zap_pte|unmap_page_range|release_pages|free_pages|rmqueue|folio"),
    ("allocation", r"\bmalloc\b|_int_malloc|_int_free|\bfree\b|cfree|\bcalloc\b|realloc|posix_memalign|"
                   r"aligned_alloc|memalign|operator new|operator delete|malloc_consolidate|tcache|"
                   r"sysmalloc|systrim|\bmmap|munmap|\bbrk\b|__sbrk|unlink_chunk|arena|"
                   r"Allocator|allocate|deallocate|Storage::|make_storage|[Ww]orkspace|[Pp]ool::|"
                   r"_M_release|_M_dispose|shared_count"),
    ("threading", r"libgomp|gomp_|GOMP_|omp_get|omp_set|pthread|futex|sched_yield|__lll_lock|__lll_unlock|"
                  r"do_spin|ThreadScope|num_threads|syscall|schedule\b|__schedule|finish_task_switch|"
                  r"try_to_wake_up|do_futex|futex_wait|futex_wake"),
    ("GEMM", r"gebp|gemm|gemv|general_matrix|GeneralMatrix|TensorContraction|blas_|sgemm|dgemm|"
             r"\bmatmul|linear_forward|linear_backward|addmm|libopenblas|libblas|libmkl|jit_avx|brgemm|"
             r"triangular_matrix|outer_product|Eigen::internal::(?:gemm|gebp|general_)"),
    ("scan", r"rnn_scan|rnn_step|rnn_|gru|Gru|GRU|augru|Augru|AUGRU|agru|Agru|recurrent|scan_"),
    ("attention", r"attention|Attention|softmax|Softmax|masked_softmax|local_activation"),
    ("embedding", r"embedding|Embedding|index_select|index_add|gather|scatter|lookup|take_rows|row_add"),
    ("optimizer", r"adam|Adam|adagrad|Adagrad|rmsprop|RMSprop|sgd_|Sgd|Optimizer|optim"),
    ("copy", r"memcpy|memmove|memset|__memcpy|__memset|__memmove|contiguous|copy_|Copy|concat|Concat|"
             r"transpose|Transpose|permute|slice|Slice|chunk|narrow|stack|strided|reshape|expand|"
             r"clone|assign"),
    ("elementwise", r"sigmoid|Sigmoid|tanh|Tanh|relu|Relu|prelu|dice|Dice|exp|log|unary|Unary|binary|Binary|"
                    r"elementwise|Elementwise|broadcast|Broadcast|add|Add|mul|Mul|sub|Sub|div|Div|neg|"
                    r"sum|Sum|reduce|Reduce|mean|bce|mse|loss|Loss|aux_|batch_norm|BatchNorm|dropout|fill|"
                    r"Fill|where|mask|sqrt|pow|square|CwiseBinaryOp|CwiseUnaryOp|scalar_"),
    ("autograd", r"autograd|Node|Engine|backward|Backward|grad_fn|GradMode|Variable|requires_grad|"
                 r"accumulate_grad|topological|std::_Hashtable|_Rb_tree|std::vector|std::function"),
]
_compiled = [(name, re.compile(p)) for name, p in CATEGORIES]

# "    12.34%  bench_train      [.] dien::foo(...)" (kernel symbols: [k])
LINE = re.compile(r"^\s*([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*?)\s*$")


def categorize(dso, sym):
    text = dso + " " + sym
    if dso.startswith("[kernel") or dso == "[unknown]" and sym.startswith("0xffff"):
        for name, pat in _compiled:
            if name == "page faults" and pat.search(sym):
                return name
    for name, pat in _compiled:
        if pat.search(text):
            return name
    if dso.startswith("[kernel"):
        return "kernel (other)"
    return "other"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--unmatched", action="store_true")
    a = ap.parse_args()
    rows = []
    samples = None
    for line in sys.stdin:
        if line.startswith("# Samples:") or line.startswith("# Event count"):
            samples = samples or line.strip("# \n")
        m = LINE.match(line)
        if m:
            pct, dso, kind, sym = float(m.group(1)), m.group(2), m.group(3), m.group(4)
            sym = re.sub(r"(\s+-)+\s*$", "", sym).strip()  # perf's empty trailing columns
            rows.append((pct, dso, kind, sym, categorize(dso, sym)))
    if not rows:
        print("perf_categories.py: no samples in the report (was the recording enabled? see stderr)")
        return 1
    total = sum(r[0] for r in rows)
    shares = {}
    for pct, _, _, _, cat in rows:
        shares[cat] = shares.get(cat, 0.0) + pct
    if samples:
        print("%s; shares of the self time (percent of all samples)." % samples)
        print()
    print("| category | share |")
    print("|---|---|")
    for cat, s in sorted(shares.items(), key=lambda kv: -kv[1]):
        print("| %s | %.1f%% |" % (cat, s))
    print("| (total) | %.1f%% |" % total)
    print()
    print("Top %d functions (self time):" % a.top)
    print()
    print("| self | category | dso | function |")
    print("|---|---|---|---|")
    for pct, dso, kind, sym, cat in sorted(rows, key=lambda r: -r[0])[:a.top]:
        short = sym if len(sym) <= 140 else sym[:137] + "..."
        print("| %.2f%% | %s | %s | `%s` |" % (pct, cat, dso, short.replace("|", "\\|")))
    if a.unmatched:
        print()
        print("Top symbols in \"other\":")
        print()
        for pct, dso, kind, sym, cat in sorted(rows, key=lambda r: -r[0]):
            if cat in ("other", "kernel (other)"):
                print("  %.2f%%  %s  %s" % (pct, dso, sym[:160]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
