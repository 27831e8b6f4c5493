#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace golfops::core {

// The version of the libzstd golfops loads ("1.5.4").
std::string zstd_version();

// Where compressed or decompressed bytes go, piece by piece.
using Sink = std::function<void(std::string_view)>;

// Streaming zstd compression (libzstd), multithreaded when `threads` > 0:
// memory stays bounded whatever the input's size.
class ZstdCompressor {
public:
  // level 1-19; threads 0 compresses on the calling thread.
  ZstdCompressor(int level, int threads);
  ~ZstdCompressor();
  ZstdCompressor(const ZstdCompressor&) = delete;
  ZstdCompressor& operator=(const ZstdCompressor&) = delete;

  void write(std::string_view data, const Sink& sink);
  // Flushes the last frame; the compressor is finished after.
  void finish(const Sink& sink);

private:
  struct State;
  std::unique_ptr<State> m_state;
};

// Streaming zstd decompression. Throws Error(failed) on corrupt input.
class ZstdDecompressor {
public:
  ZstdDecompressor();
  ~ZstdDecompressor();
  ZstdDecompressor(const ZstdDecompressor&) = delete;
  ZstdDecompressor& operator=(const ZstdDecompressor&) = delete;

  void write(std::string_view data, const Sink& sink);
  // Throws Error(failed) when the input ended inside a frame (truncated).
  void finish();

private:
  struct State;
  std::unique_ptr<State> m_state;
};

} // namespace golfops::core
