// SIGINT and SIGTERM, the signals that stop `serve` and `collect`. Both block them and take them
// synchronously (sigwait, sigtimedwait) instead of in a handler: no work in a signal handler.
#pragma once

#include <signal.h>

namespace netpolgen::cli {

// The set {SIGINT, SIGTERM}.
sigset_t stopSignals();

// Blocks them in this thread and in the threads it starts from now on; returns the set.
sigset_t blockStopSignals();

}  // namespace netpolgen::cli
