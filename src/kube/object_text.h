// The objects of list pages and watch events, as the watching cache keeps them: the object's JSON
// as the API server sent it, minus `metadata.managedFields` (bookkeeping of field owners, often a
// third of an object, that nothing here reads), with the identity read once.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip_address.h"
#include "core/ip_tenancy.h"
#include "core/result.h"

namespace netpolgen::kube {

struct ObjectText {
    std::string ns;  // empty for cluster-scoped objects
    std::string name;
    std::string resource_version;
    std::string text;  // the object's JSON without metadata.managedFields

    std::string key() const { return ns.empty() ? name : ns + "/" + name; }
};

// One object's JSON → ObjectText. Errors: not an object, no metadata.name.
core::Result<ObjectText> objectText(std::string_view json);

// A List page: its metadata.resourceVersion and each item through objectText.
struct ListPage {
    std::string resource_version;
    std::vector<ObjectText> items;
};
core::Result<ListPage> listPage(std::string_view json);

// One watch event: {"type": T, "object": {…}}.
struct WatchEvent {
    enum class Type { kAdded, kModified, kDeleted, kBookmark, kError };
    Type type = Type::kError;
    ObjectText object;   // kAdded, kModified, kDeleted; kBookmark: only resource_version
    int error_code = 0;  // kError: the Status code (410: too old resource version)
    std::string error_message;
};
core::Result<WatchEvent> watchEvent(std::string_view json);

// What a pod tells of its addresses: where it runs, whether it still holds them.
struct PodAddresses {
    core::PodTenant tenant;
    std::vector<core::IpAddress> ips;  // status.podIPs (or podIP); none for hostNetwork pods
    bool finished = false;             // phase Succeeded or Failed: the addresses are free
    std::optional<int64_t> started;    // status.startTime, Unix seconds
};
core::Result<PodAddresses> podAddresses(std::string_view pod_json);

}  // namespace netpolgen::kube
