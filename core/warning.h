// SPDX-License-Identifier: MIT
// Warnings of the library: conditions that do not stop an operation but that a user should hear
// about (e.g. a checkpoint saved before dien wrote checksums, so its files cannot be verified).
// By default each goes to stderr as one line, "dien: warning: <message>"; a program that logs
// elsewhere (a service, a test) installs its own handler.
//
//   dien::set_warning_handler([](const std::string& m) { my_log.warn(m); });
//   dien::warn("ckpt: no manifest.json ...");
#pragma once
#include <functional>
#include <string>

namespace dien {

using WarningHandler = std::function<void(const std::string& message)>;

// Installs `handler` for all threads and returns the previous one; an empty handler restores the
// default (stderr). Handlers may be called from any thread, one call at a time.
WarningHandler set_warning_handler(WarningHandler handler);

// Passes `message` (no trailing newline) to the current handler.
void warn(const std::string& message);

}  // namespace dien
