#include "kube/cluster_reader.h"

#include <curl/curl.h>

#include "kube/json_fields.h"
#include "kube/list_page.h"
#include "nlohmann/json.hpp"

namespace netpolgen::kube {
namespace {

using core::Error;
using core::Result;

struct Kind {
    const char* prefix;    // "/api/v1", "/apis/apps/v1"
    const char* resource;  // "deployments"
    bool namespaced;
    bool optional;  // a 403/404 is a warning, not an error (OpenShift kinds)
};

// The kinds io/manifest_decoder.h decodes, in the order a `kubectl get … -o json` dump lists them.
constexpr Kind kKinds[] = {
    {"/api/v1", "namespaces", false, false},
    {"/api/v1", "pods", true, false},
    {"/api/v1", "services", true, false},
    {"/api/v1", "replicationcontrollers", true, true},
    {"/apis/apps/v1", "deployments", true, false},
    {"/apis/apps/v1", "statefulsets", true, false},
    {"/apis/apps/v1", "daemonsets", true, false},
    {"/apis/apps/v1", "replicasets", true, false},
    {"/apis/batch/v1", "jobs", true, false},
    {"/apis/batch/v1", "cronjobs", true, false},
    {"/apis/networking.k8s.io/v1", "networkpolicies", true, false},
};
constexpr Kind kOpenShiftKinds[] = {
    {"/apis/route.openshift.io/v1", "routes", true, true},
    {"/apis/apps.openshift.io/v1", "deploymentconfigs", true, true},
};

std::string escape(const std::string& s) {
    char* e = curl_easy_escape(nullptr, s.data(), static_cast<int>(s.size()));
    std::string out = e != nullptr ? e : "";
    curl_free(e);
    return out;
}

// Which API group versions the server serves (GET /apis), for the optional OpenShift kinds.
Result<std::vector<std::string>> servedGroupVersions(ApiClient& client, ReadReport& report) {
    ++report.requests;
    auto body = client.get("/apis");
    if (!body) {
        return Error{body.error()};
    }
    const nlohmann::json j = nlohmann::json::parse(*body, nullptr, false);
    std::vector<std::string> out;
    if (j.is_discarded() || !j.contains("groups") || !j["groups"].is_array()) {
        return Error{client.config().server + "/apis: not an APIGroupList"};
    }
    for (const auto& g : j["groups"]) {
        if (!g.is_object() || !g.contains("versions") || !g["versions"].is_array()) {
            continue;
        }
        for (const auto& v : g["versions"]) {
            if (v.is_object() && v.contains("groupVersion") && v["groupVersion"].is_string()) {
                out.push_back("/apis/" + v["groupVersion"].get<std::string>());
            }
        }
    }
    return out;
}

// One list, page by page; on 410 Expired (continue token too old) once more without limit, so
// that the result is one consistent snapshot.
core::Status listAll(ApiClient& client,
                     const std::string& path,
                     const ReadOptions& options,
                     std::vector<ListedPage>& pages,
                     ReadReport& report) {
    const size_t first_page = pages.size();
    ListPageScanner scanner;
    std::string cont;
    for (int page = 1;; ++page) {
        std::string query = path + "?limit=" + std::to_string(options.page_size);
        if (!cont.empty()) {
            query += "&continue=" + escape(cont);
        }
        ++report.requests;
        auto r = client.request("GET", query);
        if (!r) {
            return Error{r.error()};
        }
        if (r->status == 410 && !cont.empty()) {
            report.warnings.push_back(path +
                                      ": the list's continue token expired; listed again "
                                      "in one request");
            pages.resize(first_page);
            ++report.requests;
            auto whole = client.get(path);
            if (!whole) {
                return Error{whole.error()};
            }
            pages.push_back({client.config().server + path, std::move(*whole)});
            return {};
        }
        if (r->status < 200 || r->status >= 300) {
            return Error{client.config().server + ": " + describeFailure("GET", query, *r)};
        }
        auto head = scanner.scan(r->body);
        if (!head) {
            return Error{client.config().server + path + ": the answer is not a List"};
        }
        report.objects += head->items;
        cont = std::move(head->cont);
        pages.push_back({client.config().server + path + " (page " + std::to_string(page) + ")",
                         std::move(r->body)});
        if (cont.empty()) {
            return {};
        }
    }
}

core::Status readKind(ApiClient& client,
                      const Kind& kind,
                      const ReadOptions& options,
                      std::vector<ListedPage>& pages,
                      ReadReport& report) {
    std::vector<std::string> paths;
    if (!kind.namespaced || options.namespaces.empty()) {
        paths.push_back(std::string(kind.prefix) + "/" + kind.resource);
    } else {
        for (const auto& ns : options.namespaces) {
            paths.push_back(std::string(kind.prefix) + "/namespaces/" + escape(ns) + "/" +
                            kind.resource);
        }
    }
    for (const auto& path : paths) {
        const size_t before = pages.size();
        core::Status st = listAll(client, path, options, pages, report);
        if (!st && kind.optional) {
            pages.resize(before);
            report.warnings.push_back(st.error() + "; " + kind.resource + " are left out");
            continue;
        }
        if (!st) {
            return st;
        }
    }
    return {};
}

}  // namespace

Result<std::vector<ListedPage>> readCluster(ApiClient& client,
                                            const ReadOptions& options,
                                            ReadReport& report) {
    std::vector<ListedPage> pages;
    auto served = servedGroupVersions(client, report);
    if (!served) {
        return Error{served.error()};
    }
    for (const Kind& kind : kKinds) {
        if (core::Status st = readKind(client, kind, options, pages, report); !st) {
            return Error{st.error()};
        }
    }
    for (const Kind& kind : kOpenShiftKinds) {
        if (std::find(served->begin(), served->end(), kind.prefix) == served->end()) {
            continue;
        }
        if (core::Status st = readKind(client, kind, options, pages, report); !st) {
            return Error{st.error()};
        }
    }
    return pages;
}

}  // namespace netpolgen::kube
