// SPDX-License-Identifier: MIT
// Row-sparse embedding gradients (autograd/sparse_grad.h): float64 gradchecks of a weight
// flagged row-sparse (its grad() is the densified row-sparse gradient), and exact comparisons
// with the dense path, bit for bit in f32 and f64: repeated ids, one table looked up by several
// lookups (a target, a history and negatives sharing the item table, plus the L2 term's lookup of
// the distinct rows), positions whose gradient is masked to zero (padding), i32 ids, an empty
// batch, gradients accumulated over two backward passes, and a dense contribution next to the
// row-sparse one.
#include <algorithm>
#include <cstring>

#include "kernels/dispatch.h"
#include "support/test_util.h"

using namespace dien;
using dien::test::rand_tensor;

namespace {

Tensor ids_of(const std::vector<int64_t>& v, const Shape& s, DType dt = DType::I64) {
  return from_vector<int64_t>(v, s).to(dt);
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() && std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

// A DIEN-like use of one item table w [V, E]: the target item [B], the history [B, T] with
// padding past each row's length (masked: gradient 0 there), negatives [B, T], and the L2 term
// over the distinct rows used, l2 * sum(w[u]^2). The coefficients make every position's
// gradient different (never all-equal sums that could hide an ordering bug).
struct Lookups {
  Tensor target, hist, neg, used, mask, ct, ch, cn;
};

Lookups make_lookups(Generator& g, DType dt, DType idt) {
  Lookups L;
  L.target = ids_of({3, 7, 3, 0}, {4}, idt);
  L.hist = ids_of({1, 3, 3, 0, 7, 7, 2, 0, 5, 0, 0, 0, 3, 1, 9, 9}, {4, 4}, idt);  // 0 = padding
  L.neg = ids_of({8, 2, 2, 6, 6, 1, 3, 3, 4, 4, 4, 4, 9, 8, 7, 6}, {4, 4}, idt);
  L.used = ids_of({0, 1, 2, 3, 5, 7, 9}, {7}, idt);
  L.mask = from_vector<double>({1, 1, 1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1}, {4, 4, 1}).to(dt);
  L.ct = rand_tensor({4, 3}, g, dt);
  L.ch = rand_tensor({4, 4, 3}, g, dt);
  L.cn = rand_tensor({4, 4, 3}, g, dt);
  return L;
}

Tensor loss_of(const Tensor& w, const Lookups& L) {
  Tensor t = sum(embedding(w, L.target) * L.ct);
  Tensor h = sum(embedding(w, L.hist) * L.mask * L.ch);
  Tensor n = sum(embedding(w, L.neg) * L.cn);
  Tensor u = embedding(w, L.used);
  return t + h + n + sum(u * u) * 0.01;
}

}  // namespace

TEST_CASE("gradcheck: row-sparse embedding gradient, shared table, repeats, padding", "[embedding][gradcheck]") {
  Generator g(501);
  Tensor w = rand_tensor({10, 3}, g, DType::F64).set_requires_grad();
  w.set_row_sparse_grad();
  const Lookups L = make_lookups(g, DType::F64, DType::I64);
  REQUIRE_GRADCHECK([&](const TensorList& in) { return loss_of(in[0], L); }, {w});
  // Per-position outputs too (one backward per output element).
  Tensor ids = ids_of({4, 1, 4, 4, 0, 9}, {2, 3});
  REQUIRE_GRADCHECK([&](const TensorList& in) { return embedding(in[0], ids); }, {w});
  // With a dense contribution next to the row-sparse one (grad() is their sum).
  REQUIRE_GRADCHECK([&](const TensorList& in) { return loss_of(in[0], L) + sum(in[0] * in[0]) * 0.5; }, {w});
}

TEST_CASE("sparse grad: equals the dense gradient bit for bit", "[embedding][gradcheck]") {
  const DType dt = GENERATE(DType::F32, DType::F64);
  const DType idt = GENERATE(DType::I32, DType::I64);
  INFO(dtype_name(dt) << " ids " << dtype_name(idt));
  Generator g(502);
  Tensor w0 = rand_tensor({10, 3}, g, dt);
  const Lookups L = make_lookups(g, dt, idt);
  Tensor wd = w0.clone().set_requires_grad();
  Tensor ws = w0.clone().set_requires_grad();
  ws.set_row_sparse_grad();
  // Two backward passes accumulate (no zero_grad in between).
  for (int pass = 0; pass < 2; ++pass) {
    loss_of(wd, L).backward();
    loss_of(ws, L).backward();
  }
  REQUIRE(wd.grad_rows() == nullptr);
  REQUIRE(ws.impl()->grad == nullptr);  // nothing dense was accumulated
  auto rows = ws.grad_rows();
  REQUIRE(rows != nullptr);
  // Rows: the sorted union of every id looked up (8 never is); padding row 0 is present.
  REQUIRE(rows->rows == std::vector<int64_t>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  REQUIRE(rows->index.to_vector<int64_t>() == rows->rows);
  REQUIRE(rows->values.shape() == Shape({10, 3}));
  REQUIRE(same_bits(ws.grad(), wd.grad()));

  // A table with rows nobody reads: those rows are absent, the others equal the dense rows.
  Tensor big0 = rand_tensor({50, 3}, g, dt);
  Tensor bd = big0.clone().set_requires_grad(), bs = big0.clone().set_requires_grad();
  bs.set_row_sparse_grad();
  loss_of(bd, L).backward();
  loss_of(bs, L).backward();
  REQUIRE(bs.grad_rows()->rows.size() == 10);
  REQUIRE(same_bits(bs.grad(), bd.grad()));
  Tensor dense_rows = Tensor::empty({10, 3}, dt);
  backend_for(Device::cpu()).embedding_forward(bd.grad(), bs.grad_rows()->index, dense_rows);
  REQUIRE(same_bits(bs.grad_rows()->values, dense_rows));
}

TEST_CASE("sparse grad: empty batch, no graph, non-leaf and zero_grad", "[embedding][gradcheck]") {
  Generator g(503);
  Tensor w = rand_tensor({6, 2}, g, DType::F64).set_requires_grad();
  w.set_row_sparse_grad();
  // Empty batch: a row-sparse gradient with no rows; grad() densifies to zeros.
  Tensor e = embedding(w, ids_of({}, {0}));
  REQUIRE(e.shape() == Shape({0, 2}));
  sum(e).backward();
  REQUIRE(w.grad_rows() != nullptr);
  REQUIRE(w.grad_rows()->rows.empty());
  REQUIRE(w.grad_rows()->values.shape() == Shape({0, 2}));
  REQUIRE(dien::test::values(w.grad()) == std::vector<double>(12, 0.0));
  // Then a real lookup merges into it.
  sum(embedding(w, ids_of({5, 5, 2}, {3}))).backward();
  REQUIRE(w.grad_rows()->rows == std::vector<int64_t>({2, 5}));
  REQUIRE(dien::test::values(w.grad_rows()->values) == std::vector<double>({1, 1, 2, 2}));
  w.zero_grad();
  REQUIRE(w.grad_rows() == nullptr);
  REQUIRE(!w.grad().defined());
  // set_grad replaces the row-sparse gradient.
  sum(embedding(w, ids_of({1}, {1}))).backward();
  w.set_grad(full({6, 2}, 0.5, DType::F64));
  REQUIRE(w.grad_rows() == nullptr);
  // The flag needs a floating [V, E] leaf; a non-leaf weight takes the dense path.
  Tensor v = rand_tensor({4}, g, DType::F64).set_requires_grad();
  REQUIRE_THROWS_AS(v.set_row_sparse_grad(), Error);
  Tensor w2 = rand_tensor({6, 2}, g, DType::F64).set_requires_grad();
  w2.set_row_sparse_grad();
  sum(embedding(w2 * 2.0, ids_of({1, 1}, {2}))).backward();
  REQUIRE(w2.grad_rows() == nullptr);
  REQUIRE(dien::test::values(w2.grad())[2] == 4.0);
}
