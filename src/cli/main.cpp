#include "cli/app.hpp"

int main(int argc, char** argv) {
  return golfops::cli::main(argc, argv);
}
