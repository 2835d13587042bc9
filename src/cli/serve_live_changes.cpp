#include "cli/serve_live_changes.h"

#include <sstream>

#include "cli/kube_writer.h"
#include "io/time_text.h"

namespace netpolgen::cli {
namespace {

// Each line of `text` to the server's log, prefixed.
void logLines(std::ostream& log, const std::string& prefix, const std::string& text) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        log << prefix << line << "\n";
    }
    log.flush();
}

}  // namespace

std::optional<server::LiveChangeFailure> KubeLiveChanges::changeThenRecord(
    const store::Change& change, core::Timestamp at, const std::function<core::Status()>& record) {
    KubeWriteOptions options;
    options.apply_id = newApplyId();
    options.timestamp = io::formatRfc3339(at);
    KubeApiWriter writer(*client_, options);
    const std::string prefix = "netpolgen serve: " + change.action + ": ";
    std::ostringstream done;
    if (core::Status st =
            applyChanges(writer, change.modification.namespace_labels, change.steps, done);
        !st) {
        logLines(log_, prefix, done.str() + st.error() + "\nnothing recorded");
        // The API server's 409 (a replace raced by another writer) is the caller's conflict too;
        // any other refusal, or no answer, is the upstream's: 502.
        const int status = writer.refusedStatus() == 409 ? 409 : 502;
        return server::LiveChangeFailure{status, st.error() + "; nothing recorded"};
    }
    logLines(log_, prefix, done.str());
    if (record()) {
        return std::nullopt;
    }
    std::ostringstream undone;
    core::Status rolled_back = rollBackChanges(writer, change.steps, undone);
    logLines(log_, prefix, undone.str());
    return server::LiveChangeFailure{
        500, rolled_back ? "the API server's changes were rolled back" : rolled_back.error()};
}

}  // namespace netpolgen::cli
