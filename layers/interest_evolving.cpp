// SPDX-License-Identifier: MIT
#include "layers/interest_evolving.h"

namespace dien {

GruType parse_gru_type(const std::string& s) {
  if (s == "GRU") return GruType::Gru;
  if (s == "AIGRU") return GruType::Aigru;
  if (s == "AGRU") return GruType::Agru;
  if (s == "AUGRU") return GruType::Augru;
  fail("InterestEvolving", "unknown gru_type '", s, "' (expected GRU, AIGRU, AGRU or AUGRU)");
}

InterestEvolving::InterestEvolving(int64_t input_size, const EvolvingOptions& opt, init::Initializer& init)
    : dim_(input_size), opt_(opt) {
  if (opt.attention == "din") {
    attention_ = register_module(
        "attention", std::make_shared<AttentionSequencePooling>(input_size, opt.att_hidden_units, opt.att_activation,
                                                                opt.att_weight_normalization,
                                                                opt.gru_type != GruType::Gru, init));
  } else if (opt.attention == "bilinear") {
    bilinear_ = register_module("bilinear", std::make_shared<BilinearAttention>(input_size, input_size, init));
  } else {
    fail("InterestEvolving", "unknown attention '", opt.attention, "' (expected din or bilinear)");
  }
  if (opt.augru_form != "reference" && opt.augru_form != "paper")
    fail("InterestEvolving", "unknown augru_form '", opt.augru_form, "' (expected reference or paper)");
  switch (opt.gru_type) {
    case GruType::Gru:
    case GruType::Aigru:
      gru_ = register_module("interest_evolution",
                             std::make_shared<GruParams>(input_size, input_size, "_l0", false, init));
      break;
    case GruType::Agru:
    case GruType::Augru: {
      auto holder = register_module("interest_evolution", std::make_shared<Module>());
      gru_ = holder->register_module("rnn", std::make_shared<GruParams>(input_size, input_size, "", true, init));
      cell_ = opt.gru_type == GruType::Agru
                  ? RnnCell::Agru
                  : (opt.augru_form == "paper" ? RnnCell::AugruPaper : RnnCell::AugruReference);
      break;
    }
  }
}

Tensor InterestEvolving::attention_weights_of(const Tensor& query, const Tensor& keys, const Tensor& lengths,
                                              bool training, bool fused) const {
  if (bilinear_) return bilinear_->weights(query, keys, lengths, fused);
  return attention_->weights(query, keys, lengths, training, fused);
}

Tensor InterestEvolving::forward(const Tensor& query, const Tensor& interests, const Tensor& lengths, bool training,
                                 bool fused, GateLayout layout) const {
  if (!interests.defined() || interests.ndim() != 3 || interests.size(2) != dim_)
    fail("InterestEvolving", "expected interests [B, T, ", dim_, "], got ",
         interests.defined() ? interests.describe() : "undefined");
  switch (opt_.gru_type) {
    case GruType::Gru: {
      Tensor states = gru_->scan(RnnCell::Gru, interests, lengths, Tensor(), layout, fused).states;
      return weighted_sum(attention_weights_of(query, states, lengths, training, fused), states);
    }
    case GruType::Aigru: {
      Tensor att = attention_weights_of(query, interests, lengths, training, fused);
      return aigru_scan(interests, lengths, att, Tensor(), gru_->weight_ih(), gru_->weight_hh(), gru_->bias_ih(),
                        gru_->bias_hh(), layout, fused)
          .last;
    }
    case GruType::Agru:
    case GruType::Augru: {
      Tensor att = attention_weights_of(query, interests, lengths, training, fused);
      return gru_->scan(cell_, interests, lengths, att, layout, fused).last;
    }
  }
  fail("InterestEvolving", "unreachable");
}

}  // namespace dien
