#pragma once

namespace golfops::cli {

// Parses the command line, loads configuration when the command needs it,
// runs the command, renders its result and maps any error to an exit code.
// The only place golfops decides its exit status.
int main(int argc, char** argv);

} // namespace golfops::cli
