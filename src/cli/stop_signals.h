// SIGINT and SIGTERM, the signals that stop `serve` and `collect`. Both block them and take them
// synchronously (sigwait, sigtimedwait) instead of in a handler: no work in a signal handler.
#pragma once

#include <signal.h>

#include <chrono>

namespace netpolgen::cli {

// The set {SIGINT, SIGTERM}.
sigset_t stopSignals();

// Blocks them in this thread and in the threads it starts from now on; returns the set.
sigset_t blockStopSignals();

// True when one of the blocked `signals` arrived within `wait` (taken: it is no longer pending).
bool stopSignalWithin(const sigset_t& signals, std::chrono::milliseconds wait);

}  // namespace netpolgen::cli
