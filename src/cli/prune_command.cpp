// `netpolgen prune` (store_commands.h): drop the day buckets of days entirely before a time.
#include <fmt/format.h>

#include "cli/app.h"
#include "cli/store_commands.h"
#include "cli/store_inputs.h"
#include "cli/time_window.h"
#include "io/time_text.h"

namespace netpolgen::cli {

int runPrune(const PruneCommandOptions& o, std::ostream& err) {
    auto now = resolveNow(o.now);
    if (!now) {
        err << "netpolgen: " << now.error() << "\n";
        return kExitBadInput;
    }
    auto before = io::parseInstantOrAgo(o.older_than, *now);
    if (!before) {
        err << "netpolgen: --older-than: " << before.error() << "\n";
        return kExitBadInput;
    }
    auto store = openExistingStoreAt(o.db);
    if (!store) {
        err << "netpolgen: " << store.error() << "\n";
        return kExitBadInput;
    }
    auto pruned = (*store)->prune(o.cluster_name, *before);
    if (!pruned) {
        err << "netpolgen: " << o.db << ": " << pruned.error() << "\n";
        return kExitFailure;
    }
    if (!o.quiet) {
        err << fmt::format(
            "pruned cluster \"{}\" in {}: {} day buckets ({} flows) of days before {}\n",
            o.cluster_name,
            o.db,
            pruned->buckets_removed,
            pruned->flows_removed,
            io::formatRfc3339(*before));
    }
    return kExitOk;
}

}  // namespace netpolgen::cli
