// SPDX-License-Identifier: MIT
// Request: one user and K candidate items to score, given as raw feature values, the strings of
// the training data (a Session maps them to ids with the vocabularies of the training run; unknown
// values follow the session's OOV policy). Made by Session::new_request(); reusable: clear()
// keeps its memory, so a service thread that reuses one request allocates nothing per call.
//
//   dien::serve::Request r = session->new_request();
//   r.set_user("user_id", "A2KX1");                                  // the user's features
//   r.set_sequence("hist_item_id", {"B01", "B07", "B02"});           // behaviour history, oldest first
//   r.set_sequence("hist_cate_id", {"Books", "Toys", "Books"});
//   r.set_candidates("item_id", {"B09", "B11"});                     // K = 2 candidates
//   r.set_candidates("cate_id", {"Books", "Games"});
//   std::vector<float> p = session->score(r);                        // K probabilities
//
// Feature roles (Session::features() lists them for a model):
//   - a history feature f (item_id, cate_id): each candidate's value, set_candidates;
//   - its sequence "hist_<f>": set_sequence, oldest first; histories longer than the model's
//     maxlen keep their most recent maxlen events (as training did); every hist_* of a request
//     has the same length; a length of 0 is legal (a user with no history yet);
//   - other sparse features: set_user (one value for all candidates) or set_candidates;
//   - dense features: set_user_dense ([dim] values) or set_candidates_dense ([K x dim]);
//   - other varlen features (DIN and the base model pool them): set_sequence;
//   - names the model knows but does not use (neg_hist_*, length columns, features the training
//     run left out with --exclude) are accepted and ignored.
// Where the checkpoint knows each item's category (the Amazon format, the MovieLens sample), a
// category column left unset is filled from its item column (cate_id from item_id, hist_cate_id
// from hist_item_id).
//
// Errors (dien::Error, naming the feature and the value): an unknown feature, a value outside the
// vocabulary under the "error" policy, a dense value that is not finite or of the wrong count,
// candidate columns of different lengths. A request is not thread-safe; use one per thread.
#pragma once
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace dien::serve {

struct Schema;
class Session;

class Request {
 public:
  explicit Request(std::shared_ptr<const Schema> schema);

  void set_user(const std::string& feature, std::string_view value);
  void set_user_dense(const std::string& feature, const float* values, size_t n);
  void set_sequence(const std::string& feature, const std::string_view* values, size_t n);
  void set_sequence(const std::string& feature, std::initializer_list<std::string_view> values) {
    set_sequence(feature, values.begin(), values.size());
  }
  void set_sequence(const std::string& feature, const std::vector<std::string>& values);
  void set_candidates(const std::string& feature, const std::string_view* values, size_t k);
  void set_candidates(const std::string& feature, std::initializer_list<std::string_view> values) {
    set_candidates(feature, values.begin(), values.size());
  }
  void set_candidates(const std::string& feature, const std::vector<std::string>& values);
  // values [k * dim], row-major (candidate c's values at c * dim).
  void set_candidates_dense(const std::string& feature, const float* values, size_t k, size_t dim);

  // Names the user for the session's user-state cache (serve/session.h): with a history, the
  // cache is checked and updated (a history that extends the cached one by new events costs one
  // recurrent step per event); without one, the cached history is used.
  void set_user_key(std::string_view key);

  void clear();                    // back to empty (keeps memory)
  int64_t candidates() const;      // K: 0 until a candidate column is set
  int64_t oov_count() const { return oov_; }  // values mapped to an unknown id so far
  const std::string& user_key() const { return user_key_; }

 private:
  friend class Session;
  struct Slot {
    enum State : uint8_t { Unset, User, Candidates } state = Unset;
    std::vector<int64_t> ids;   // sparse: [1] or [K]; varlen: [L]
    std::vector<float> values;  // dense: [dim] or [K * dim]
  };
  Slot* slot(const std::string& feature, int& index);  // null for a name the model ignores
  void set_k(int64_t k, const std::string& feature);
  template <class Strings>
  void map_into(Slot& s, const std::string& feature, const Strings& values, size_t first, size_t n, const char* what);
  template <class Strings>
  void put_sequence(const std::string& feature, const Strings& values, size_t n);
  template <class Strings>
  void put_candidates(const std::string& feature, const Strings& values, size_t k);

  std::shared_ptr<const Schema> schema_;
  std::vector<Slot> slots_;
  int64_t k_ = 0, oov_ = 0;
  std::string user_key_;
};

}  // namespace dien::serve
