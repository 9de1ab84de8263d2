// SPDX-License-Identifier: MIT
// The MLP example learns its generated task: validation AUC > 0.9, loss falls, and the run is
// deterministic for a seed.
#include "examples/mlp/mlp.h"
#include "support/test_util.h"

using namespace dien;

TEST_CASE("mlp example reaches validation AUC > 0.9", "[examples]") {
  examples::MlpConfig c;
  c.n_train = 4000;
  c.n_val = 1000;
  c.epochs = 8;
  c.verbose = false;
  auto h = examples::train_mlp(c);
  INFO("first epoch auc " << h.front().val_auc << ", last " << h.back().val_auc);
  REQUIRE(h.back().val_auc > 0.9);
  REQUIRE(h.back().train_loss < h.front().train_loss);
  REQUIRE(h.back().val_loss < 0.45);
}

TEST_CASE("mlp example is deterministic for a seed", "[examples]") {
  examples::MlpConfig c;
  c.n_train = 500;
  c.n_val = 200;
  c.epochs = 2;
  c.verbose = false;
  auto a = examples::train_mlp(c), b = examples::train_mlp(c);
  REQUIRE(a.back().val_loss == b.back().val_loss);
  c.seed = 2;
  auto d = examples::train_mlp(c);
  REQUIRE(a.back().val_loss != d.back().val_loss);
}
