// SPDX-License-Identifier: MIT
// The checks a checkpoint load makes on the tensors of a file before it copies any of them
// (internal to models/checkpoint.cpp). Each throws dien::Error("<op>: <dir>: <file>: tensor '<name>' ...").
#pragma once
#include <map>
#include <string>

#include "core/tensor.h"

namespace dien::checkpoint_tensors {

// Every tensor of `file` that `expected` also has must carry its dtype: a relabelled tag (F32
// bytes read as I32) is damage, never something to cast.
void check_dtypes(const std::string& dir, const char* file, const std::map<std::string, Tensor>& loaded,
                  const std::map<std::string, Tensor>& expected, const char* op);

// No NaN or infinity in a floating tensor; the message names the first one, its flat index and
// its position, and the opt-out (allow_nonfinite_weights).
void check_finite(const std::string& dir, const char* file, const std::map<std::string, Tensor>& tensors,
                  const char* op);

}  // namespace dien::checkpoint_tensors
