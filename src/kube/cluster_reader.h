// Reading a live cluster's state: every kind the manifest decoder knows, listed page by page
// (limit/continue; an expired continue token restarts the list in one request without limit, as
// client-go's pager does), OpenShift Routes and DeploymentConfigs only where discovery shows
// them. Each page is kept as the API server sent it (a typed List, items without kind), so the
// same decoder as for files reads it (io/manifest_decoder.h), the snapshot stores it, and
// `generate --kubeconfig` prints the bytes `generate --cluster <the same objects>` prints.
//
//   ApiClient client(*loadKubeconfig(request));
//   auto pages = readCluster(client, {});   // Result<std::vector<ListedPage>>
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "kube/api_client.h"

namespace netpolgen::kube {

struct ListedPage {
    std::string name;  // "https://server/apis/apps/v1/deployments (page 2)", for messages
    std::string text;  // the List JSON
};

// Where a list is served from. kWatchCache sends `resourceVersion=0` on the first page, as
// client-go's reflector does: the API server answers from its watch cache, which is cheap for it
// and ignores `limit` (one answer per kind, so one request against the client's rate limit
// instead of one per 500 objects); the state may be a moment old. kLatest leaves the
// resourceVersion unset: the newest state, read from etcd page by page (kubectl get does this).
enum class ListFrom { kWatchCache, kLatest };

struct ReadOptions {
    int page_size = 500;  // client-go's pager default
    ListFrom from = ListFrom::kLatest;
    // Only these namespaces (empty: the whole cluster). Namespace objects are always all read.
    std::vector<std::string> namespaces;
};

struct ReadReport {
    size_t requests = 0;
    size_t objects = 0;
    std::vector<std::string> warnings;  // optional kinds that could not be read, relists
};

// The API group versions the server serves ("/apis/route.openshift.io/v1"), from GET /apis.
core::Result<std::vector<std::string>> servedGroupVersions(ApiClient& client, ReadReport& report);

// One list at `path`, page by page; on 410 Expired (continue token too old) once more without
// limit, so that the pages are one consistent snapshot. Appends the pages to `pages`. With
// kWatchCache only the first request carries `resourceVersion=0` (a continue request must not
// name one, as client-go's pager clears it).
core::Status listPages(ApiClient& client,
                       const std::string& path,
                       int page_size,
                       ListFrom from,
                       std::vector<ListedPage>& pages,
                       ReadReport& report);

core::Result<std::vector<ListedPage>> readCluster(ApiClient& client,
                                                  const ReadOptions& options,
                                                  ReadReport& report);

// Only the NetworkPolicies (of options.namespaces, or all), page by page as readCluster lists
// them.
core::Result<std::vector<ListedPage>> readNetworkPolicies(ApiClient& client,
                                                          const ReadOptions& options,
                                                          ReadReport& report);

}  // namespace netpolgen::kube
