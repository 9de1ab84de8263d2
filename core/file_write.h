// SPDX-License-Identifier: MIT
// The one way dien writes an output file (data files, vocabularies, safetensors, trainer.json,
// run.json, history, predictions). What happens depends on what is at the path:
//   nothing, or a regular file:  written atomically: a temporary "<path>.tmp.<pid>.<n>" in the
//                                same folder, fsync, rename over path, fsync of the folder. A
//                                failed write leaves the previous file as it was.
//   a symlink:                   followed: its target is written atomically as above, and the
//                                link stays a link (a dangling link creates its target).
//   a character device or FIFO:  written in place, streaming (/dev/stdout, /dev/null, a pipe):
//                                never replaced; every write error (ENOSPC on /dev/full) throws.
//   a directory or anything else: an error naming the path.
// /dev/stdout, /dev/stderr, /dev/fd/N and /proc/self/fd/N write to that open descriptor (a file
// opened for appending gets appended to, never replaced); other symlinks under /dev/ and /proc/
// are written in place, not followed.
// Every write error throws dien::Error("<op>: cannot write '<path>': <reason>").
//
//   dien::write_file("out.txt", [&](std::ostream& os) { os << "..."; }, "gen-data");
//   dien::write_file("run.json", text, "dien train");
#pragma once
#include <functional>
#include <ostream>
#include <string>

namespace dien {

void write_file(const std::string& path, const std::function<void(std::ostream&)>& body, const char* op);
void write_file(const std::string& path, const std::string& text, const char* op);
// The same checks for the process's standard output (`--out -`): errors name "standard output".
void write_stdout(const std::function<void(std::ostream&)>& body, const char* op);

// Removes "<name>.tmp.<pid>.<n>" files next to `path` whose process is gone: what a writer
// killed between creating its temporary file and renaming it left behind. write_file calls it.
void remove_stale_temp_files(const std::string& path);

}  // namespace dien
