// SPDX-License-Identifier: MIT
// The small models of the CUDA model tests: every kind on tests/cpu/model_test_util.h's features.
#pragma once
#include <memory>
#include <string>

#include "models/ctr_model.h"
#include "tests/cpu/model_test_util.h"

namespace dien::test {

// `kind` dien (with `gru`, the auxiliary loss with negatives), din or base; DNN 16-8, attention 8-4.
inline std::shared_ptr<CtrModel> small_model(const std::string& kind, const std::string& gru = "AUGRU") {
  ModelOptions o = ModelOptions::defaults(kind);
  if (kind == "dien") {
    o.gru_type = gru;
    o.use_negsampling = true;
  }
  o.dnn_hidden_units = {16, 8};
  o.att_hidden_units = {8, 4};
  return make_model(o, small_features());
}

}  // namespace dien::test
