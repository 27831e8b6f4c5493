#include "core/fd.hpp"

#include <unistd.h>

namespace golfops::core {

void UniqueFd::reset(int fd) {
  if (m_fd >= 0) {
    ::close(m_fd);
  }
  m_fd = fd;
}

} // namespace golfops::core
