// SPDX-License-Identifier: MIT
// Directory operations of save_checkpoint (internal to models/checkpoint.cpp): durable renames
// and the clean-up of temporary directories left by saves that were killed.
#pragma once
#include <string>

namespace dien::checkpoint_dir {

// fsync of a directory, so the entries created or renamed in it survive a crash. Throws
// dien::Error("<op>: cannot fsync <dir>: ...").
void fsync_directory(const std::string& dir, const char* op);

// Moves the complete checkpoint `tmp` to `dir`: an atomic exchange when `dir` exists (the old
// one then sits at `tmp` and is removed), a plain rename otherwise; the parent directory is
// fsync'd after the rename.
void swap_in(const std::string& tmp, const std::string& dir);

// True when `name` is a temporary directory name of save_checkpoint, <base>.tmp.<pid>.<n> or
// <base>.tmp.<pid>.<n>.old; sets `pid`.
bool parse_temp_name(const std::string& name, long& pid);

// Removes, in `parent`, every temporary checkpoint directory of a process that no longer exists
// (kill(pid, 0) fails with ESRCH) and that holds nothing but checkpoint files. Another running
// process's directories, this process's, and anything else are left alone. Best effort: a
// failure to remove one is not an error of the save. Returns how many were removed.
int remove_stale_temporaries(const std::string& parent);

}  // namespace dien::checkpoint_dir
