#include "server/notifier_registry.h"

#include <algorithm>

#include "store/stored_inputs.h"

namespace netpolgen::server {
namespace {

core::Result<notify::NotifierConfig> decodeRecord(const store::NotifierRecord& record) {
    auto decoded =
        notify::parseStoredNotifier(record.definition, "stored notifier \"" + record.id + "\"");
    if (decoded && decoded->id != record.id) {
        return core::Error{"stored notifier \"" + record.id + "\": its definition has id \"" +
                           decoded->id + "\""};
    }
    return decoded;
}

}  // namespace

core::Result<std::vector<KnownNotifier>> knownNotifiers(const ServerOptions& options,
                                                        store::Store& store) {
    std::vector<KnownNotifier> out;
    for (const notify::NotifierConfig& n : options.notifiers) {
        out.push_back({n, NotifierSource::kFile});
    }
    auto records = store.notifiers();
    if (!records) {
        return core::Error{records.error()};
    }
    for (const store::NotifierRecord& record : *records) {
        auto decoded = decodeRecord(record);
        if (!decoded) {
            return core::Error{decoded.error()};
        }
        out.push_back({std::move(*decoded), NotifierSource::kApi, record.definition});
    }
    return out;
}

core::Result<NotifierRegistry> openNotifierRegistry(const ServerOptions& options) {
    auto store = store::openExistingStoreAt(options.db);
    if (!store) {
        return core::Error{store.error()};
    }
    auto known = knownNotifiers(options, **store);
    if (!known) {
        return core::Error{known.error()};
    }
    return NotifierRegistry{std::move(*store), std::move(*known)};
}

std::optional<KnownNotifier> findNotifier(const std::vector<KnownNotifier>& known,
                                          const std::string& id) {
    auto it = std::find_if(
        known.begin(), known.end(), [&](const KnownNotifier& k) { return k.config.id == id; });
    return it == known.end() ? std::nullopt : std::optional<KnownNotifier>(*it);
}

core::Status checkNotifierIds(const ServerOptions& options, store::Store& store) {
    auto records = store.notifiers();
    if (!records) {
        return core::Error{records.error()};
    }
    for (const store::NotifierRecord& record : *records) {
        for (const notify::NotifierConfig& n : options.notifiers) {
            if (n.id == record.id) {
                return core::Error{options.notifiers_file + ": notifier id \"" + n.id +
                                   "\" is also a notifier created through the API (in " +
                                   options.db + "): rename it in the file"};
            }
        }
    }
    return {};
}

store::NotifierRecord notifierRecord(const notify::NotifierConfig& notifier) {
    return {notifier.id, notify::notifierJson(notifier, notify::Secrets::kInclude)};
}

}  // namespace netpolgen::server
