// The notifiers a server knows (docs/decisions.md, "Notifiers from the API"): those of
// `serve --notifiers FILE`, read-only through the API, then those created through the API, kept in
// the store with their secrets. Ids are unique across both. The store is read on every call, so a
// notifier created, changed or deleted through the API is used by the next request of any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "notify/notifier_config.h"
#include "server/server_options.h"
#include "store/store.h"

namespace netpolgen::server {

enum class NotifierSource : uint8_t { kFile, kApi };

struct KnownNotifier {
    notify::NotifierConfig config;
    NotifierSource source = NotifierSource::kFile;
    // kApi: the definition as stored, which an update must still find to replace it
    // (Store::replaceNotifierIf).
    std::string definition = {};
};

// The file's notifiers in file order, then the store's by id. Errors: the store's, or a stored
// definition that no longer decodes ("stored notifier \"ID\": …").
core::Result<std::vector<KnownNotifier>> knownNotifiers(const ServerOptions& options,
                                                        store::Store& store);

// The store of options.db, opened for one request, and the notifiers known now.
struct NotifierRegistry {
    std::unique_ptr<store::Store> store;
    std::vector<KnownNotifier> known;
};
core::Result<NotifierRegistry> openNotifierRegistry(const ServerOptions& options);

// The notifier `id` of `known`, or nullopt.
std::optional<KnownNotifier> findNotifier(const std::vector<KnownNotifier>& known,
                                          const std::string& id);

// At start-up: an id both in the file and in the store is an error naming it (the file was edited
// after the notifier was created through the API).
core::Status checkNotifierIds(const ServerOptions& options, store::Store& store);

// The notifier as the store keeps it (secrets included), and back.
store::NotifierRecord notifierRecord(const notify::NotifierConfig& notifier);

}  // namespace netpolgen::server
