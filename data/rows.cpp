// SPDX-License-Identifier: MIT
#include "data/rows.h"

#include "core/error.h"

namespace dien::data {

Column& column(Dataset& ds, const std::string& name) {
  auto it = ds.columns.find(name);
  if (it == ds.columns.end()) fail("dataset", "no column '", name, "'");
  return it->second;
}

void push_sparse(Dataset& ds, const std::string& name, int64_t id) { column(ds, name).ids.push_back(id); }

void push_varlen(Dataset& ds, const std::string& name, const int64_t* ids, int64_t len) {
  Column& c = column(ds, name);
  DIEN_CHECK(len >= 0 && len <= c.width, "dataset", "column '", name, "': length ", len, " outside [0, ", c.width, "]");
  c.ids.insert(c.ids.end(), ids, ids + len);
  c.ids.insert(c.ids.end(), static_cast<size_t>(c.width - len), int64_t{0});
}

void push_dense(Dataset& ds, const std::string& name, const float* values, int64_t n) {
  Column& c = column(ds, name);
  DIEN_CHECK(n == c.width, "dataset", "column '", name, "': ", n, " values for width ", c.width);
  c.values.insert(c.values.end(), values, values + n);
}

}  // namespace dien::data
