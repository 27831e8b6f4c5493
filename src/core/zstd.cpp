#include "core/zstd.hpp"

#include "core/error.hpp"

#include <dlfcn.h>
#include <fmt/format.h>
#include <string>
#include <zstd.h>

namespace golfops::core {
namespace {

// libzstd, opened on first use: Debian's static archive is built without
// multithreading, its shared library with it, and only backup and restore
// compress, so no other command pays for loading it.
struct Library {
  decltype(&ZSTD_versionString) version_string;
  decltype(&ZSTD_isError) is_error;
  decltype(&ZSTD_getErrorName) error_name;
  decltype(&ZSTD_createCCtx) create_c;
  decltype(&ZSTD_freeCCtx) free_c;
  decltype(&ZSTD_CCtx_setParameter) set_parameter;
  decltype(&ZSTD_compressStream2) compress_stream;
  decltype(&ZSTD_CStreamOutSize) c_out_size;
  decltype(&ZSTD_createDCtx) create_d;
  decltype(&ZSTD_freeDCtx) free_d;
  decltype(&ZSTD_decompressStream) decompress_stream;
  decltype(&ZSTD_DStreamOutSize) d_out_size;
};

const Library& zstd() {
  static const Library k_library = [] {
    void* handle = dlopen("libzstd.so.1", RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      throw_failed(fmt::format("cannot load libzstd.so.1: {}; install libzstd1", dlerror()));
    }
    auto symbol = [handle](const char* name) {
      void* found = dlsym(handle, name);
      if (found == nullptr) {
        throw_failed(fmt::format("libzstd.so.1 lacks {}", name));
      }
      return found;
    };
    Library library{};
    library.version_string =
        reinterpret_cast<decltype(library.version_string)>(symbol("ZSTD_versionString"));
    library.is_error = reinterpret_cast<decltype(library.is_error)>(symbol("ZSTD_isError"));
    library.error_name =
        reinterpret_cast<decltype(library.error_name)>(symbol("ZSTD_getErrorName"));
    library.create_c = reinterpret_cast<decltype(library.create_c)>(symbol("ZSTD_createCCtx"));
    library.free_c = reinterpret_cast<decltype(library.free_c)>(symbol("ZSTD_freeCCtx"));
    library.set_parameter =
        reinterpret_cast<decltype(library.set_parameter)>(symbol("ZSTD_CCtx_setParameter"));
    library.compress_stream =
        reinterpret_cast<decltype(library.compress_stream)>(symbol("ZSTD_compressStream2"));
    library.c_out_size =
        reinterpret_cast<decltype(library.c_out_size)>(symbol("ZSTD_CStreamOutSize"));
    library.create_d = reinterpret_cast<decltype(library.create_d)>(symbol("ZSTD_createDCtx"));
    library.free_d = reinterpret_cast<decltype(library.free_d)>(symbol("ZSTD_freeDCtx"));
    library.decompress_stream =
        reinterpret_cast<decltype(library.decompress_stream)>(symbol("ZSTD_decompressStream"));
    library.d_out_size =
        reinterpret_cast<decltype(library.d_out_size)>(symbol("ZSTD_DStreamOutSize"));
    return library;
  }();
  return k_library;
}

void check(std::size_t code, std::string_view what) {
  if (zstd().is_error(code) != 0) {
    throw_failed(fmt::format("zstd: {}: {}", what, zstd().error_name(code)));
  }
}

} // namespace

std::string zstd_version() {
  return zstd().version_string();
}

struct ZstdCompressor::State {
  ZSTD_CCtx* context = zstd().create_c();
  std::string buffer = std::string(zstd().c_out_size(), '\0');
  ~State() { zstd().free_c(context); }

  // Runs the stream until `directive` is done for `data`, emitting output.
  void run(std::string_view data, ZSTD_EndDirective directive, const Sink& sink) {
    ZSTD_inBuffer input{data.data(), data.size(), 0};
    while (true) {
      ZSTD_outBuffer output{buffer.data(), buffer.size(), 0};
      auto remaining = zstd().compress_stream(context, &output, &input, directive);
      check(remaining, "compress");
      if (output.pos > 0) {
        sink(std::string_view(buffer.data(), output.pos));
      }
      bool done = directive == ZSTD_e_continue ? input.pos == input.size : remaining == 0;
      if (done) {
        return;
      }
    }
  }
};

ZstdCompressor::ZstdCompressor(int level, int threads) : m_state(std::make_unique<State>()) {
  if (m_state->context == nullptr) {
    throw_failed("zstd: cannot create a compression context");
  }
  check(zstd().set_parameter(m_state->context, ZSTD_c_compressionLevel, level), "level");
  check(zstd().set_parameter(m_state->context, ZSTD_c_checksumFlag, 1), "checksum");
  if (threads > 0) {
    check(zstd().set_parameter(m_state->context, ZSTD_c_nbWorkers, threads), "threads");
  }
}

ZstdCompressor::~ZstdCompressor() = default;

void ZstdCompressor::write(std::string_view data, const Sink& sink) {
  m_state->run(data, ZSTD_e_continue, sink);
}

void ZstdCompressor::finish(const Sink& sink) {
  m_state->run({}, ZSTD_e_end, sink);
}

struct ZstdDecompressor::State {
  ZSTD_DCtx* context = zstd().create_d();
  std::string buffer = std::string(zstd().d_out_size(), '\0');
  std::size_t pending = 0; // 0 when the last frame ended cleanly
  bool started = false;
  ~State() { zstd().free_d(context); }
};

ZstdDecompressor::ZstdDecompressor() : m_state(std::make_unique<State>()) {
  if (m_state->context == nullptr) {
    throw_failed("zstd: cannot create a decompression context");
  }
}

ZstdDecompressor::~ZstdDecompressor() = default;

void ZstdDecompressor::write(std::string_view data, const Sink& sink) {
  ZSTD_inBuffer input{data.data(), data.size(), 0};
  m_state->started = m_state->started || !data.empty();
  bool output_full = false;
  // A full output buffer may leave more to flush even when the input is used up.
  while (input.pos < input.size || output_full) {
    ZSTD_outBuffer output{m_state->buffer.data(), m_state->buffer.size(), 0};
    m_state->pending = zstd().decompress_stream(m_state->context, &output, &input);
    check(m_state->pending, "decompress");
    if (output.pos > 0) {
      sink(std::string_view(m_state->buffer.data(), output.pos));
    }
    // More to flush only while the frame is unfinished: at a frame's end
    // another call would start reading the next one.
    output_full = output.pos == output.size && m_state->pending != 0;
  }
}

void ZstdDecompressor::finish() {
  if (!m_state->started || m_state->pending != 0) {
    throw_failed("zstd: the input ends inside a frame (truncated)");
  }
}

} // namespace golfops::core
