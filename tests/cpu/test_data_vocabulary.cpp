// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include "core/error.h"
#include "data/vocabulary.h"
#include "data_files.h"
#include "support/test_util.h"

using namespace dien::data;
using dien::test::require_error;

TEST_CASE("vocabulary: ids from 1 by frequency, ties by first appearance", "[data][vocabulary]") {
  VocabularyBuilder b;
  for (const char* v : {"c", "a", "b", "a", "d", "b", "e"}) b.add(v);
  Vocabulary voc = b.build(1, "item");
  REQUIRE(voc.num_values() == 5);
  REQUIRE(voc.size() == 7);  // 0 padding, 1..5, 6 = OOV
  REQUIRE(voc.oov_id() == 6);
  // a and b twice (a first seen before b), then c, d, e once in order of appearance
  REQUIRE(voc.value(1) == "a");
  REQUIRE(voc.value(2) == "b");
  REQUIRE(voc.value(3) == "c");
  REQUIRE(voc.value(4) == "d");
  REQUIRE(voc.value(5) == "e");
  REQUIRE(voc.count(1) == 2);
  REQUIRE(*voc.find("e") == 5);
  REQUIRE_FALSE(voc.find("z").has_value());
  Vocabulary min2 = b.build(2);
  REQUIRE(min2.num_values() == 2);
}

TEST_CASE("vocabulary: OOV error names the place and value, bucket counts", "[data][vocabulary]") {
  VocabularyBuilder b;
  b.add("x");
  Vocabulary voc = b.build(1, "item");
  Place p{"train.txt", 12, 3, "item"};
  REQUIRE(voc.lookup("x", p) == 1);
  require_error([&] { voc.lookup("nope", p, "read_amazon"); },
                {"read_amazon", "train.txt:12:3", "column 'item'", "'nope'", "vocabulary 'item'"});
  voc.set_policy(OovPolicy::Bucket);
  REQUIRE(voc.lookup("nope", p) == voc.oov_id());
  REQUIRE(voc.lookup("nope2", p) == voc.oov_id());
  REQUIRE(voc.oov_count() == 2);
  require_error([] { oov_policy_from_string("skip"); }, {"unknown OOV policy 'skip'"});
}

TEST_CASE("vocabulary: JSON save/load round trip", "[data][vocabulary]") {
  dien::test::TempDir dir;
  VocabularyBuilder b;
  for (const char* v : {"u7", "u3", "u3", "tab\tin"}) b.add(v);
  Vocabulary voc = b.build(1, "user");
  voc.save(dir.file("v.json"));
  Vocabulary back = Vocabulary::load(dir.file("v.json"));
  REQUIRE(back.num_values() == 3);
  REQUIRE(back.name == "user");
  for (int64_t id = 1; id <= 3; ++id) {
    REQUIRE(back.value(id) == voc.value(id));
    REQUIRE(back.count(id) == voc.count(id));
  }
  require_error([&] { Vocabulary::load(dir.file("missing.json")); }, {"cannot open", "missing.json"});
  dir.write("bad.json", "{\"values\": [\"a\", \"a\"]}");
  require_error([&] { Vocabulary::load(dir.file("bad.json")); }, {"bad.json", "'a' appears twice"});
}

TEST_CASE("vocabulary: group keys keep unknown users apart", "[data][vocabulary]") {
  dien::data::Vocabulary v(std::vector<std::string>{"alice", "bob"});
  REQUIRE(dien::data::group_key(v, "alice") == 1);
  REQUIRE(dien::data::group_key(v, "bob") == 2);
  const int64_t x = dien::data::group_key(v, "xavier"), y = dien::data::group_key(v, "yolanda");
  REQUIRE(x < 0);
  REQUIRE(y < 0);
  REQUIRE(x != y);
  REQUIRE(dien::data::group_key(v, "xavier") == x);
}
