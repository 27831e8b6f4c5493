// The start-up floor for golfops: a main() that links the same shared
// libraries (and touches one symbol of each so none is dropped) and does
// nothing else. bench/startup.sh compares `golfops version` with it.
#include <curl/curl.h>
#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <toml++/toml.h>
#include <zstd.h>

int main(int argc, char**) {
  if (argc > 99) {
    // Never runs; keeps every library a real dependency.
    PQlibVersion();
    redisReaderFree(redisReaderCreate());
    curl_version();
    ZSTD_versionString();
    OpenSSL_version(0);
    (void)toml::parse("a = 1");
  }
  fmt::print("bare\n");
  return 0;
}
