// runPolledLoop (collect_loop.h): the loop `collect --follow` and `collect --kafka` share.
#include "cli/collect_loop.h"

#include "cli/app.h"

namespace netpolgen::cli {

int runPolledLoop(PolledSource& source,
                  const CollectPending& pending,
                  const LoopTiming& timing,
                  LoopOutput output,
                  const StopWait& stop,
                  std::ostream& err) {
    using Clock = std::chrono::steady_clock;
    auto last_commit = Clock::now();
    auto last_status = last_commit;
    for (;;) {
        auto got = source.poll();
        source.report();
        const bool due = !got || pending.stats().flows >= timing.commit_flows ||
                         Clock::now() - last_commit >= timing.commit_every;
        if (due) {
            if (core::Status st = source.commit(); !st || !got) {
                err << "netpolgen: " << (st ? got.error() : st.error()) << "\n";
                return kExitFailure;
            }
            last_commit = Clock::now();
        }
        if (output.status_lines && Clock::now() - last_status >= timing.commit_every) {
            err << pending.statusLine(wallNow()) << std::flush;
            last_status = Clock::now();
        }
        if (stop(*got == 0 ? timing.idle_wait : std::chrono::milliseconds(0))) {
            break;
        }
    }
    if (core::Status st = source.commit(); !st) {
        err << "netpolgen: " << st.error() << "\n";
        return kExitFailure;
    }
    if (!output.quiet) {
        err << pending.statusLine(wallNow()) << std::flush;
    }
    return kExitOk;
}

}  // namespace netpolgen::cli
