// SPDX-License-Identifier: MIT
// Appending one row at a time to a Dataset made by Dataset::empty (used by the readers and the
// synthetic generator). Each call appends to one column; a row is complete when every column
// and the label (and the group, where the config has one) got a value; Dataset::check_consistent
// verifies it.
//
//   dien::data::push_sparse(ds, "item_id", 42);
//   dien::data::push_varlen(ds, "hist_item_id", hist.data(), len);   // pads to maxlen with 0
//   dien::data::push_sparse(ds, "seq_length", len);                  // length columns too
//   ds.labels.push_back(1.0f);
#pragma once
#include <cstdint>
#include <string>

#include <functional>
#include <vector>

#include "data/dataset.h"
#include "data/neg_sampler.h"

namespace dien::data {

// Throws dien::Error naming the column when the Dataset has none of that name.
Column& column(Dataset& ds, const std::string& name);
void push_sparse(Dataset& ds, const std::string& name, int64_t id);
// ids[0..len) then zeros up to the column's width; len must be in [0, width].
void push_varlen(Dataset& ds, const std::string& name, const int64_t* ids, int64_t len);
void push_dense(Dataset& ds, const std::string& name, const float* values, int64_t n);

// The aux-loss negatives of one row: one per step of `items` from the sampler, never an item of
// `items` or `excluded`, drawn from the row's own stream (seed, row) so chunking changes nothing;
// pushed to the columns item_column / category_column. A sampler error is rethrown as
// "<op>: <where>: <error>".
void push_negatives(Dataset& ds, const NegativeSampler& sampler, uint64_t seed, int64_t row,
                    const std::vector<int64_t>& items, const std::vector<int64_t>& excluded,
                    const std::string& item_column, const std::string& category_column, const char* op,
                    const std::string& where);

// When ds holds chunk_rows rows: hands it to on_chunk and starts an empty one of the same features.
void flush_if_full(Dataset& ds, int64_t chunk_rows, const std::function<void(Dataset&&)>& on_chunk);

}  // namespace dien::data
