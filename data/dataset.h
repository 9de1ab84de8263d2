// SPDX-License-Identifier: MIT
// In-memory columnar samples and the batches a model consumes.
//
//   dien::data::Dataset ds = dien::data::Dataset::empty(fc);   // one column per feature
//   ... readers / the synthetic generator append rows ...
//   std::vector<int64_t> order = ds.shuffled_order(gen);
//   dien::data::Batch b = ds.gather(order, 0, 256);            // rows order[0..256)
//   model.forward(b);
//
// Column layout (row-major, `rows()` rows):
//   sparse feature      ids    [rows]          (int64)
//   varlen feature      ids    [rows * maxlen] (int64, steps >= length are padding, stored as 0)
//   length column       ids    [rows]          (int64, 0 <= length <= maxlen)
//   dense feature       values [rows * dimension] (float)
//   labels              [rows] (float: 0/1 for binary, any real for regression)
//   groups              [rows] (int64 user key for GAUC; empty when the data has none)
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/tensor.h"
#include "data/features.h"

namespace dien {
class Generator;
}

namespace dien::data {

struct Column {
  FeatureKind kind = FeatureKind::Sparse;  // length columns are Sparse with width 1
  int64_t width = 1;                       // 1, maxlen or dimension
  std::vector<int64_t> ids;                // sparse, varlen, length
  std::vector<float> values;               // dense
};

// A batch: tensors by feature / length-column name, on one device.
//   sparse  -> i64 [B]; varlen -> i64 [B, maxlen]; length -> i64 [B]; dense -> f32 [B, dimension]
struct Batch {
  std::map<std::string, Tensor> x;
  Tensor y;       // f32 [B], or undefined (prediction needs no labels)
  Tensor groups;  // i64 [B] or undefined
  // Rows: from the feature columns (every column has B rows), else from the labels; 0 when empty.
  int64_t size() const;
  // Throws dien::Error("batch: no column '<name>'; columns: ...").
  const Tensor& at(const std::string& name) const;
  Batch to(Device device) const;
};

class Dataset {
 public:
  FeatureConfig features;
  std::map<std::string, Column> columns;  // every feature and every length column
  std::vector<float> labels;
  std::vector<int64_t> groups;

  // Columns for every feature of fc (validated) and its length columns, no rows.
  static Dataset empty(const FeatureConfig& fc);
  int64_t rows() const { return static_cast<int64_t>(labels.size()); }
  // Throws dien::Error naming the column when a column's size disagrees with rows().
  void check_consistent() const;

  // Rows order[begin..end) as a batch on `device`. Varlen columns are cut to the longest length
  // among these rows (at least 1 step): [B, min(maxlen, longest)].
  Batch gather(const std::vector<int64_t>& order, int64_t begin, int64_t end, Device device = Device::cpu()) const;
  Batch all(Device device = Device::cpu()) const;
  Dataset subset(const std::vector<int64_t>& rows) const;
  // 0..rows()-1 shuffled with gen (Fisher-Yates on gen.randint).
  std::vector<int64_t> shuffled_order(Generator& gen) const;
  // Appends all rows of other (same feature names and widths, else dien::Error).
  void append(const Dataset& other);
};

}  // namespace dien::data
