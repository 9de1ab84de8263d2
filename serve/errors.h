// SPDX-License-Identifier: MIT
// The kinds of dien::Error a scoring session throws besides a malformed request (a plain
// dien::Error), so that the C API (capi/dien.h) can answer with the right status.
#pragma once
#include "core/error.h"

namespace dien::serve {

class NotFoundError : public Error {  // an unknown user key
 public:
  using Error::Error;
};
class CapacityError : public Error {  // an output buffer too small
 public:
  using Error::Error;
};
class StateError : public Error {  // an operation the session was not opened for (no user-state cache)
 public:
  using Error::Error;
};
class ModelError : public Error {  // a model that cannot be opened or served
 public:
  using Error::Error;
};

template <class E, class... Args>
[[noreturn]] void raise(const char* op, const Args&... args) {
  throw E(detail::cat(op, ": ", args...));
}

}  // namespace dien::serve
