// The start-up floor for golfops: a main() that links the same libraries the
// same way (libpq and OpenSSL shared; hiredis, toml++, fmt and the C++ runtime
// compiled in; libcurl and libzstd not linked, golfops loads them on first use) and
// touches one symbol of each so none is dropped. bench/startup.sh compares
// `golfops --version` with it.
#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <toml++/toml.h>

int main(int argc, char**) {
  if (argc > 99) {
    // Never runs; keeps every library a real dependency.
    PQlibVersion();
    redisReaderFree(redisReaderCreate());
    OpenSSL_version(0);
    (void)toml::parse("a = 1");
  }
  fmt::print("bare\n");
  return 0;
}
