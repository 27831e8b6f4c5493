#include "core/histogram.hpp"
#include "core/redis/cluster.hpp"

#include <doctest/doctest.h>

using golfops::core::Histogram;
using std::chrono::nanoseconds;

TEST_CASE("Histogram percentiles are within 1% of the recorded values") {
  Histogram histogram;
  for (int value = 1; value <= 100000; ++value) {
    histogram.record(nanoseconds(value * 1000)); // 1 us .. 100 ms
  }
  CHECK(histogram.count() == 100000);
  CHECK(histogram.min() == nanoseconds(1000));
  CHECK(histogram.max() == nanoseconds(100000000));
  for (double quantile : {0.5, 0.9, 0.99, 0.999}) {
    auto exact = quantile * 100000 * 1000;
    auto measured = static_cast<double>(histogram.percentile(quantile).count());
    CHECK(measured >= exact);
    CHECK(measured <= exact * 1.01);
  }
  CHECK(histogram.percentile(1.0) == histogram.max());
  CHECK(histogram.mean() == nanoseconds(50000500));
}

TEST_CASE("Histogram buckets round-trip through assign; a forged set is refused") {
  Histogram histogram;
  for (int value : {3, 200, 5000, 5001, 1000000}) {
    histogram.record(nanoseconds(value));
  }
  Histogram copy;
  REQUIRE(copy.assign(histogram.buckets(),
                      histogram.sum(),
                      static_cast<std::uint64_t>(histogram.min().count()),
                      static_cast<std::uint64_t>(histogram.max().count())));
  CHECK(copy.buckets() == histogram.buckets());
  CHECK(copy.count() == 5);
  CHECK(copy.mean() == histogram.mean());
  CHECK(copy.percentile(0.5) == histogram.percentile(0.5));
  auto buckets = histogram.buckets();
  std::swap(buckets[0], buckets[1]);
  CHECK_FALSE(copy.assign(buckets, 1, 3, 1000000));
  CHECK(copy.count() == 0);
  CHECK_FALSE(copy.assign({{999999, 1}}, 1, 1, 1));
  CHECK_FALSE(copy.assign(histogram.buckets(), 1, 4000, 1000000)); // min outside its bucket
  copy.clear();
  CHECK(copy.max() == nanoseconds(0));
}

TEST_CASE("Histogram merge adds counts; an empty one reports zeros") {
  Histogram empty;
  CHECK(empty.percentile(0.99) == nanoseconds(0));
  CHECK(empty.min() == nanoseconds(0));
  Histogram a;
  Histogram b;
  a.record(nanoseconds(5));
  b.record(nanoseconds(7000000));
  a.merge(b);
  CHECK(a.count() == 2);
  CHECK(a.min() == nanoseconds(5));
  CHECK(a.max() == nanoseconds(7000000));
  CHECK(a.percentile(0.5) == nanoseconds(5));
}

TEST_CASE("key_slot matches Redis Cluster's CRC16 and hash tags") {
  using golfops::core::redis::key_slot;
  // CLUSTER KEYSLOT on a real Redis gives these.
  CHECK(key_slot("123456789") == 12739);
  CHECK(key_slot("foo") == 12182);
  CHECK(key_slot("{user1000}.following") == key_slot("user1000"));
  CHECK(key_slot("a{b}c") == key_slot("b"));
  // An empty tag is no tag: the whole key is hashed.
  CHECK(key_slot("{}x") != key_slot("x"));
  CHECK(key_slot("golfops:rl:api:{ip:1.2.3.4}") == key_slot("golfops:rl:api:{ip:1.2.3.4}:s"));
}
