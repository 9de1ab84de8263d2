// SPDX-License-Identifier: MIT
// Linear layer construction and initialisation.
#include "layers/linear.h"

#include <cmath>

namespace dien {

Linear::Linear(int64_t in_features, int64_t out_features, bool bias, Generator& gen, DType dtype)
    : in_(in_features), out_(out_features) {
  if (in_features <= 0 || out_features <= 0)
    fail("Linear", "in_features and out_features must be positive, got ", in_features, " and ", out_features);
  // PyTorch: kaiming_uniform_(a=sqrt(5)) on the weight gives bound gain*sqrt(3/fan_in) with
  // gain sqrt(2/(1+5)), i.e. 1/sqrt(fan_in); the bias uses 1/sqrt(fan_in) too.
  const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
  weight_ = register_parameter("weight", uniform({out_features, in_features}, -bound, bound, gen, dtype));
  if (bias) bias_ = register_parameter("bias", uniform({out_features}, -bound, bound, gen, dtype));
}

}  // namespace dien
