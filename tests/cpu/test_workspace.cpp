// SPDX-License-Identifier: MIT
// core/workspace.h: blocks are reused by size inside a scope, nothing is cached outside one,
// and a block goes back to its own workspace whoever frees it and whenever.
#include <catch2/catch.hpp>
#include <thread>

#include "core/allocator_cpu.h"
#include "core/tensor.h"
#include "core/workspace.h"
#include "support/test_util.h"

using namespace dien;

TEST_CASE("workspace: a scope serves repeated shapes from the cache", "[workspace][cpu]") {
  auto ws = std::make_shared<Workspace>();
  {
    WorkspaceScope scope(ws);
    REQUIRE(current_workspace() == ws);
    for (int i = 0; i < 5; ++i) {
      Tensor a = Tensor::empty({100}), b = Tensor::empty({7, 3});
    }
  }
  REQUIRE(current_workspace() == nullptr);
  Workspace::Stats s = ws->stats();
  REQUIRE(s.fresh == 2);    // one block per size, on the first pass
  REQUIRE(s.reused == 8);   // the other four passes
  REQUIRE(s.returned == 10);
  REQUIRE(s.cached_blocks == 2);
  REQUIRE(s.cached_bytes == Workspace::block_size(400) + Workspace::block_size(84));
  // Outside a scope, allocations do not touch the workspace.
  Tensor c = Tensor::empty({100});
  c = Tensor();
  REQUIRE(ws->stats().fresh == 2);
  REQUIRE(ws->stats().returned == 10);
  ws->trim();
  REQUIRE(ws->stats().cached_blocks == 0);
}

TEST_CASE("workspace: values survive, blocks are 64-byte aligned", "[workspace][cpu]") {
  auto ws = std::make_shared<Workspace>();
  WorkspaceScope scope(ws);
  Tensor a = from_vector<float>({1, 2, 3, 4}, {2, 2});
  Tensor b = a.clone();
  REQUIRE(reinterpret_cast<uintptr_t>(b.raw_data()) % 64 == 0);
  REQUIRE(b.to_vector<float>() == std::vector<float>{1, 2, 3, 4});
}

TEST_CASE("workspace: blocks freed on another thread or after the scope go back to their workspace",
          "[workspace][cpu]") {
  auto ws = std::make_shared<Workspace>();
  Tensor kept;
  {
    WorkspaceScope scope(ws);
    kept = Tensor::empty({256});
  }
  std::thread([t = std::move(kept)]() mutable { t = Tensor(); }).join();  // freed elsewhere, scope closed
  REQUIRE(ws->stats().returned == 1);
  REQUIRE(ws->stats().cached_blocks == 1);
  {
    WorkspaceScope scope(ws);
    Tensor again = Tensor::empty({256});
    REQUIRE(ws->stats().reused == 1);
  }
  // A block outliving every other handle of its workspace keeps the workspace alive until freed.
  std::weak_ptr<Workspace> weak = ws;
  {
    WorkspaceScope scope(ws);
    kept = Tensor::empty({32});
  }
  ws.reset();
  REQUIRE(!weak.expired());
  kept = Tensor();
  REQUIRE(weak.expired());
}

TEST_CASE("workspace: scopes nest, the innermost wins", "[workspace][cpu]") {
  auto outer = std::make_shared<Workspace>(), inner = std::make_shared<Workspace>();
  WorkspaceScope a(outer);
  {
    WorkspaceScope b(inner);
    Tensor t = Tensor::empty({10});
    REQUIRE(current_workspace() == inner);
  }
  REQUIRE(current_workspace() == outer);
  REQUIRE(inner->stats().fresh == 1);
  REQUIRE(outer->stats().fresh == 0);
  dien::test::require_error([] { WorkspaceScope s(nullptr); }, {"WorkspaceScope", "null"});
}

TEST_CASE("block cache: a big tensor's block serves the next of its size; small ones bypass it", "[workspace][cpu]") {
  const cpu::BlockCacheStats before = cpu::block_cache_stats();
  const void* first = nullptr;
  {
    Tensor big = Tensor::empty({1 << 20}, DType::F32);  // 4 MiB
    first = big.data<float>();
  }
  const cpu::BlockCacheStats idle = cpu::block_cache_stats();
  REQUIRE(idle.cached_bytes >= before.cached_bytes + (size_t{4} << 20));
  Tensor again = Tensor::empty({(1 << 20) - 100}, DType::F32);  // same 64 KiB size class
  REQUIRE(again.data<float>() == first);
  REQUIRE(cpu::block_cache_stats().reused == idle.reused + 1);
  {
    Tensor small = Tensor::empty({1000}, DType::F32);
    (void)small;
  }
  REQUIRE(cpu::block_cache_stats().cached_blocks == idle.cached_blocks - 1);  // only `again` left the cache
  cpu::trim_block_cache();
  REQUIRE(cpu::block_cache_stats().cached_bytes == 0);
}
