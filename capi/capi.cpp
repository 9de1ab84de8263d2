// SPDX-License-Identifier: MIT
// The C API (capi/dien.h) over dien::serve::Session: every call catches what the C++ side
// throws and answers a status, keeping the message for dien_last_error() on the calling thread.
#include "capi/dien.h"

#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "core/threads.h"
#include "serve/errors.h"
#include "serve/session.h"

struct dien_session {
  std::shared_ptr<dien::serve::Session> s;
  std::vector<dien::serve::FeatureInfo> features;
};

struct dien_request {
  dien::serve::Request r;
};

namespace {

thread_local std::string t_last_error;

dien_status fail_with(dien_status status, const char* what) {
  try {
    t_last_error = what ? what : "";
  } catch (...) {  // no memory for the message: keep the old one
  }
  return status;
}

// Runs f, mapping exceptions to statuses; `plain`: the status of a plain dien::Error here.
template <class F>
dien_status guarded(dien_status plain, F&& f) noexcept {
  try {
    f();
    return DIEN_OK;
  } catch (const dien::serve::NotFoundError& e) {
    return fail_with(DIEN_ERROR_NOT_FOUND, e.what());
  } catch (const dien::serve::CapacityError& e) {
    return fail_with(DIEN_ERROR_CAPACITY, e.what());
  } catch (const dien::serve::StateError& e) {
    return fail_with(DIEN_ERROR_STATE, e.what());
  } catch (const dien::serve::ModelError& e) {
    return fail_with(DIEN_ERROR_MODEL, e.what());
  } catch (const dien::Error& e) {
    return fail_with(plain, e.what());
  } catch (const std::bad_alloc&) {
    return fail_with(DIEN_ERROR_INTERNAL, "out of memory");
  } catch (const std::exception& e) {
    return fail_with(DIEN_ERROR_INTERNAL, e.what());
  } catch (...) {
    return fail_with(DIEN_ERROR_INTERNAL, "unknown exception");
  }
}

dien_status null_arg(const char* fn, const char* what) {
  return fail_with(DIEN_ERROR_ARGUMENT, (std::string(fn) + ": " + what + " is NULL").c_str());
}

std::vector<std::string_view> views(const char* fn, const char* const* values, size_t n) {
  std::vector<std::string_view> v;
  v.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (!values[i]) dien::fail(fn, "value ", i, " is NULL");
    v.emplace_back(values[i]);
  }
  return v;
}

}  // namespace

extern "C" {

const char* dien_version(void) { return DIEN_VERSION_STRING; }

const char* dien_last_error(void) { return t_last_error.c_str(); }

const char* dien_status_name(dien_status status) {
  // A C caller may pass any int; in C++ reading an enum outside its enumerators' range is
  // undefined (UBSan reports it), so the value is read as the int it was passed as.
  static_assert(sizeof(dien_status) == sizeof(int));
  int value;
  std::memcpy(&value, &status, sizeof value);
  switch (value) {
    case DIEN_OK: return "DIEN_OK";
    case DIEN_ERROR_ARGUMENT: return "DIEN_ERROR_ARGUMENT";
    case DIEN_ERROR_REQUEST: return "DIEN_ERROR_REQUEST";
    case DIEN_ERROR_NOT_FOUND: return "DIEN_ERROR_NOT_FOUND";
    case DIEN_ERROR_MODEL: return "DIEN_ERROR_MODEL";
    case DIEN_ERROR_CAPACITY: return "DIEN_ERROR_CAPACITY";
    case DIEN_ERROR_STATE: return "DIEN_ERROR_STATE";
    case DIEN_ERROR_INTERNAL: return "DIEN_ERROR_INTERNAL";
  }
  return "DIEN_ERROR_UNKNOWN_STATUS";
}

dien_status dien_set_num_threads(int threads) {
  return guarded(DIEN_ERROR_ARGUMENT, [&] { dien::set_num_threads(threads); });
}

void dien_session_options_init(dien_session_options* o) {
  if (!o) return;
  o->struct_size = sizeof(dien_session_options);
  o->threads = 1;
  o->oov = nullptr;
  o->user_cache_capacity = 0;
  o->exact_window = 1;
  o->isa = nullptr;
}

dien_status dien_session_open(const char* model_path, const dien_session_options* options, dien_session** session) {
  return dien_session_open_with_flags(model_path, options, 0, session);
}

dien_status dien_session_open_with_flags(const char* model_path, const dien_session_options* options, uint32_t flags,
                                         dien_session** session) {
  if (!session) return null_arg("dien_session_open", "session");
  *session = nullptr;
  if (!model_path) return null_arg("dien_session_open", "model_path");
  if (flags & ~DIEN_OPEN_ALLOW_NONFINITE_WEIGHTS) {
    char msg[128];
    std::snprintf(msg, sizeof msg, "dien_session_open_with_flags: unknown flag bits 0x%x (known: 0x%x)",
                  flags & ~DIEN_OPEN_ALLOW_NONFINITE_WEIGHTS, DIEN_OPEN_ALLOW_NONFINITE_WEIGHTS);
    return fail_with(DIEN_ERROR_ARGUMENT, msg);
  }
  dien::serve::SessionOptions so;
  so.allow_nonfinite_weights = (flags & DIEN_OPEN_ALLOW_NONFINITE_WEIGHTS) != 0;
  if (options) {
    if (options->struct_size < sizeof(dien_session_options))
      return fail_with(DIEN_ERROR_ARGUMENT,
                       "dien_session_open: options->struct_size is too small (call dien_session_options_init)");
    so.threads = options->threads;
    so.oov = options->oov ? options->oov : "";
    so.user_cache_capacity = options->user_cache_capacity;
    so.exact_window = options->exact_window != 0;
    so.isa = options->isa && *options->isa ? options->isa : "auto";
    if (options->threads < 0)
      return fail_with(DIEN_ERROR_ARGUMENT, "dien_session_open: options->threads must be >= 0");
    if (!so.oov.empty() && so.oov != "error" && so.oov != "bucket")
      return fail_with(DIEN_ERROR_ARGUMENT, ("dien_session_open: options->oov must be NULL, \"error\" or \"bucket\", got \"" +
                                             so.oov + "\"").c_str());
  }
  std::unique_ptr<dien_session> s;
  const dien_status st = guarded(DIEN_ERROR_MODEL, [&] {
    s = std::make_unique<dien_session>();
    s->s = dien::serve::Session::open(model_path, so);
    s->features = s->s->features();
  });
  if (st == DIEN_OK) *session = s.release();
  return st;
}

void dien_session_close(dien_session* session) { delete session; }

const char* dien_session_isa(const dien_session* session) { return session ? session->s->isa() : ""; }

size_t dien_session_feature_count(const dien_session* session) { return session ? session->features.size() : 0; }

dien_status dien_session_feature(const dien_session* session, size_t index, const char** name, const char** role,
                                 int64_t* dim) {
  if (!session) return null_arg("dien_session_feature", "session");
  if (index >= session->features.size())
    return fail_with(DIEN_ERROR_ARGUMENT, ("dien_session_feature: index " + std::to_string(index) + " >= " +
                                           std::to_string(session->features.size()) + " features").c_str());
  const auto& f = session->features[index];
  if (name) *name = f.name.c_str();
  if (role) *role = f.role.c_str();
  if (dim) *dim = f.dim;
  return DIEN_OK;
}

int64_t dien_session_maxlen(const dien_session* session) { return session ? session->s->maxlen() : 0; }

dien_status dien_request_create(const dien_session* session, dien_request** request) {
  if (!request) return null_arg("dien_request_create", "request");
  *request = nullptr;
  if (!session) return null_arg("dien_request_create", "session");
  return guarded(DIEN_ERROR_INTERNAL, [&] { *request = new dien_request{session->s->new_request()}; });
}

void dien_request_destroy(dien_request* request) { delete request; }

dien_status dien_request_clear(dien_request* request) {
  if (!request) return null_arg("dien_request_clear", "request");
  return guarded(DIEN_ERROR_INTERNAL, [&] { request->r.clear(); });
}

dien_status dien_request_set_user(dien_request* request, const char* feature, const char* value) {
  if (!request) return null_arg("dien_request_set_user", "request");
  if (!feature) return null_arg("dien_request_set_user", "feature");
  if (!value) return null_arg("dien_request_set_user", "value");
  return guarded(DIEN_ERROR_REQUEST, [&] { request->r.set_user(feature, value); });
}

dien_status dien_request_set_user_dense(dien_request* request, const char* feature, const float* values, size_t n) {
  if (!request) return null_arg("dien_request_set_user_dense", "request");
  if (!feature) return null_arg("dien_request_set_user_dense", "feature");
  if (!values && n) return null_arg("dien_request_set_user_dense", "values");
  return guarded(DIEN_ERROR_REQUEST, [&] { request->r.set_user_dense(feature, values, n); });
}

dien_status dien_request_set_sequence(dien_request* request, const char* feature, const char* const* values,
                                      size_t n) {
  if (!request) return null_arg("dien_request_set_sequence", "request");
  if (!feature) return null_arg("dien_request_set_sequence", "feature");
  if (!values && n) return null_arg("dien_request_set_sequence", "values");
  return guarded(DIEN_ERROR_REQUEST, [&] {
    std::vector<std::string_view> v = views("dien_request_set_sequence", values, n);
    request->r.set_sequence(feature, v.data(), v.size());
  });
}

dien_status dien_request_set_candidates(dien_request* request, const char* feature, const char* const* values,
                                        size_t k) {
  if (!request) return null_arg("dien_request_set_candidates", "request");
  if (!feature) return null_arg("dien_request_set_candidates", "feature");
  if (!values && k) return null_arg("dien_request_set_candidates", "values");
  return guarded(DIEN_ERROR_REQUEST, [&] {
    std::vector<std::string_view> v = views("dien_request_set_candidates", values, k);
    request->r.set_candidates(feature, v.data(), v.size());
  });
}

dien_status dien_request_set_candidates_dense(dien_request* request, const char* feature, const float* values,
                                              size_t k, size_t dim) {
  if (!request) return null_arg("dien_request_set_candidates_dense", "request");
  if (!feature) return null_arg("dien_request_set_candidates_dense", "feature");
  if (!values && k > 0 && dim > 0) return null_arg("dien_request_set_candidates_dense", "values");
  return guarded(DIEN_ERROR_REQUEST, [&] { request->r.set_candidates_dense(feature, values, k, dim); });
}

dien_status dien_request_set_user_key(dien_request* request, const char* user_key) {
  if (!request) return null_arg("dien_request_set_user_key", "request");
  if (!user_key) return null_arg("dien_request_set_user_key", "user_key");
  return guarded(DIEN_ERROR_REQUEST, [&] { request->r.set_user_key(user_key); });
}

size_t dien_request_candidates(const dien_request* request) {
  return request ? static_cast<size_t>(request->r.candidates()) : 0;
}

size_t dien_request_oov_count(const dien_request* request) {
  return request ? static_cast<size_t>(request->r.oov_count()) : 0;
}

dien_status dien_score(const dien_session* session, const dien_request* request, float* out, size_t capacity,
                       size_t* written) {
  if (written) *written = 0;
  if (!session) return null_arg("dien_score", "session");
  if (!request) return null_arg("dien_score", "request");
  if (!out && capacity) return null_arg("dien_score", "out");
  return guarded(DIEN_ERROR_REQUEST, [&] {
    session->s->score(request->r, out, capacity);
    if (written) *written = static_cast<size_t>(request->r.candidates());
  });
}

dien_status dien_append_event(const dien_session* session, const char* user_key, const char* const* features,
                              const char* const* values, size_t n) {
  if (!session) return null_arg("dien_append_event", "session");
  if (!user_key) return null_arg("dien_append_event", "user_key");
  if (n && (!features || !values)) return null_arg("dien_append_event", "features or values");
  return guarded(DIEN_ERROR_REQUEST, [&] { session->s->append_event(user_key, features, values, n); });
}

dien_status dien_forget_user(const dien_session* session, const char* user_key) {
  if (!session) return null_arg("dien_forget_user", "session");
  if (!user_key) return null_arg("dien_forget_user", "user_key");
  return guarded(DIEN_ERROR_REQUEST, [&] {
    if (!session->s->forget_user(user_key))
      dien::serve::raise<dien::serve::NotFoundError>("dien_forget_user", "user key '", user_key, "' is not cached");
  });
}

}  // extern "C"
