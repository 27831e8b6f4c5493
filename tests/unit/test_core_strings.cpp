#include "core/crypto.hpp"
#include "core/redact.hpp"
#include "core/strings.hpp"

#include <array>
#include <doctest/doctest.h>

using namespace golfops::core;

TEST_CASE("core::closest_match") {
  std::array<std::string_view, 4> names{"migrate", "backup", "health", "limits"};
  CHECK(closest_match("mgirate", names) == "migrate");
  CHECK(closest_match("helth", names) == "health");
  CHECK(closest_match("xyz", names).empty());
  CHECK(edit_distance("kitten", "sitting") == 3);
}

TEST_CASE("core::split and join") {
  auto parts = split("a,b,,c", ',');
  REQUIRE(parts.size() == 4);
  CHECK(parts[2].empty());
  CHECK(join(parts, "-") == "a-b--c");
}

TEST_CASE("core::redact") {
  register_secret("hunter2-secret");
  CHECK(redact("password hunter2-secret here") == "password ****** here");
  CHECK(redact("twice hunter2-secrethunter2-secret") == "twice ************");
  CHECK(redact("nothing") == "nothing");
}

TEST_CASE("core::sha256_hex") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(random_hex(16).size() == 32);
  CHECK(random_hex(16) != random_hex(16));
}

TEST_CASE("core::redact_url") {
  CHECK(url_password("https://user:pa55word@host/x") == "pa55word");
  CHECK(url_password("https://host/x?u=a:b@c") == "");
  CHECK(redact_url("https://user:pa55word@host:8443/x") == "https://user:******@host:8443/x");
  CHECK(redact_url("redis://:secret@h:6379/0") == "redis://:******@h:6379/0");
  CHECK(redact_url("http://host/path@thing") == "http://host/path@thing");
  CHECK(redact_url("not a url") == "not a url");
}
