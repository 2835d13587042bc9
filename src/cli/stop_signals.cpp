#include "cli/stop_signals.h"

#include <pthread.h>

namespace netpolgen::cli {

sigset_t stopSignals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    return signals;
}

sigset_t blockStopSignals() {
    const sigset_t signals = stopSignals();
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    return signals;
}

bool stopSignalWithin(const sigset_t& signals, std::chrono::milliseconds wait) {
    const timespec timeout{static_cast<time_t>(wait.count() / 1000),
                           static_cast<long>((wait.count() % 1000) * 1'000'000)};
    return sigtimedwait(&signals, nullptr, &timeout) > 0;
}

}  // namespace netpolgen::cli
