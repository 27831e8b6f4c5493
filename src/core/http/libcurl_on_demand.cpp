// libcurl, loaded the first time one of its functions is called.
//
// Debian's libcurl brings about ten shared libraries of its own (nghttp2,
// rtmp, ssh2, psl, brotli, ...), all built with BIND_NOW, so linking it costs
// every golfops start ~2 M instructions of symbol lookups, including
// `migrate status`, which never speaks HTTP. These definitions stand in for
// the libcurl functions golfops calls: the first call dlopen()s libcurl.so.4
// and each function forwards to the real one. The rest of golfops includes
// <curl/curl.h> and calls libcurl as usual.
//
// A new libcurl call elsewhere fails to link until it is added here, so the
// list cannot silently fall behind.

// The typecheck macros would rewrite our own definitions of the varargs calls.
#define CURL_DISABLE_TYPECHECK

#include "core/error.hpp"

#include <cstdarg>
#include <curl/curl.h>
#include <dlfcn.h>
#include <fmt/format.h>

namespace {

constexpr const char* k_library = "libcurl.so.4";

void* library() {
  static void* const handle = [] {
    void* opened = dlopen(k_library, RTLD_NOW | RTLD_LOCAL);
    if (opened == nullptr) {
      golfops::core::throw_failed(
          fmt::format("cannot load {} (needed for HTTP and Redis URLs): {}; install libcurl4",
                      k_library,
                      dlerror()));
    }
    return opened;
  }();
  return handle;
}

// The real function with the same signature as our stand-in `Function`.
template <auto Function> auto real(const char* name) {
  static const auto pointer = [name] {
    void* symbol = dlsym(library(), name);
    if (symbol == nullptr) {
      golfops::core::throw_failed(fmt::format("{} has no symbol {}", k_library, name));
    }
    return reinterpret_cast<decltype(Function)>(symbol);
  }();
  return pointer;
}

#define GOLFOPS_REAL(function) real<&function>(#function)

} // namespace

extern "C" {

CURLcode curl_global_init(long flags) {
  return GOLFOPS_REAL(curl_global_init)(flags);
}

curl_version_info_data* curl_version_info(CURLversion which) {
  return GOLFOPS_REAL(curl_version_info)(which);
}

void curl_free(void* pointer) {
  GOLFOPS_REAL(curl_free)(pointer);
}

curl_slist* curl_slist_append(curl_slist* list, const char* text) {
  return GOLFOPS_REAL(curl_slist_append)(list, text);
}

void curl_slist_free_all(curl_slist* list) {
  GOLFOPS_REAL(curl_slist_free_all)(list);
}

CURL* curl_easy_init() {
  return GOLFOPS_REAL(curl_easy_init)();
}

void curl_easy_cleanup(CURL* handle) {
  GOLFOPS_REAL(curl_easy_cleanup)(handle);
}

const char* curl_easy_strerror(CURLcode code) {
  return GOLFOPS_REAL(curl_easy_strerror)(code);
}

// The third argument's type is encoded in the option number (curl.h,
// CURLOPTTYPE_*), so it is read back with that type and passed on.
CURLcode curl_easy_setopt(CURL* handle, CURLoption option, ...) {
  auto forward = GOLFOPS_REAL(curl_easy_setopt);
  va_list arguments;
  va_start(arguments, option);
  CURLcode result;
  if (option < CURLOPTTYPE_OBJECTPOINT) {
    result = forward(handle, option, va_arg(arguments, long));
  } else if (option < CURLOPTTYPE_FUNCTIONPOINT) {
    result = forward(handle, option, va_arg(arguments, void*));
  } else if (option < CURLOPTTYPE_OFF_T) {
    using AnyFunction = void (*)();
    result = forward(handle, option, va_arg(arguments, AnyFunction));
  } else if (option < CURLOPTTYPE_BLOB) {
    result = forward(handle, option, va_arg(arguments, curl_off_t));
  } else {
    result = forward(handle, option, va_arg(arguments, void*));
  }
  va_end(arguments);
  return result;
}

// Every CURLINFO_* takes a pointer to where the answer goes.
CURLcode curl_easy_getinfo(CURL* handle, CURLINFO info, ...) {
  va_list arguments;
  va_start(arguments, info);
  void* destination = va_arg(arguments, void*);
  va_end(arguments);
  return GOLFOPS_REAL(curl_easy_getinfo)(handle, info, destination);
}

CURLM* curl_multi_init() {
  return GOLFOPS_REAL(curl_multi_init)();
}

CURLMcode curl_multi_cleanup(CURLM* multi) {
  return GOLFOPS_REAL(curl_multi_cleanup)(multi);
}

CURLMcode curl_multi_add_handle(CURLM* multi, CURL* handle) {
  return GOLFOPS_REAL(curl_multi_add_handle)(multi, handle);
}

CURLMcode curl_multi_remove_handle(CURLM* multi, CURL* handle) {
  return GOLFOPS_REAL(curl_multi_remove_handle)(multi, handle);
}

CURLMcode curl_multi_perform(CURLM* multi, int* running) {
  return GOLFOPS_REAL(curl_multi_perform)(multi, running);
}

CURLMcode curl_multi_poll(
    CURLM* multi, curl_waitfd extra[], unsigned extra_count, int timeout_ms, int* ready) {
  return GOLFOPS_REAL(curl_multi_poll)(multi, extra, extra_count, timeout_ms, ready);
}

CURLMsg* curl_multi_info_read(CURLM* multi, int* left) {
  return GOLFOPS_REAL(curl_multi_info_read)(multi, left);
}

CURLU* curl_url() {
  return GOLFOPS_REAL(curl_url)();
}

void curl_url_cleanup(CURLU* url) {
  GOLFOPS_REAL(curl_url_cleanup)(url);
}

CURLUcode curl_url_get(CURLU* url, CURLUPart what, char** part, unsigned int flags) {
  return GOLFOPS_REAL(curl_url_get)(url, what, part, flags);
}

CURLUcode curl_url_set(CURLU* url, CURLUPart what, const char* part, unsigned int flags) {
  return GOLFOPS_REAL(curl_url_set)(url, what, part, flags);
}

const char* curl_url_strerror(CURLUcode code) {
  return GOLFOPS_REAL(curl_url_strerror)(code);
}

} // extern "C"
