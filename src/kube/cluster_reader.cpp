#include "kube/cluster_reader.h"

#include <curl/curl.h>

#include "kube/api_kinds.h"
#include "kube/json_fields.h"
#include "kube/list_page.h"
#include "nlohmann/json.hpp"

namespace netpolgen::kube {
namespace {

using core::Error;
using core::Result;

std::string escape(const std::string& s) {
    char* e = curl_easy_escape(nullptr, s.data(), static_cast<int>(s.size()));
    std::string out = e != nullptr ? e : "";
    curl_free(e);
    return out;
}

}  // namespace

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

core::Status listPages(ApiClient& client,
                       const std::string& path,
                       int page_size,
                       ListFrom from,
                       std::vector<ListedPage>& pages,
                       ReadReport& report) {
    const size_t first_page = pages.size();
    ListPageScanner scanner;
    std::string cont;
    for (int page = 1;; ++page) {
        std::string query = path + "?limit=" + std::to_string(page_size);
        if (cont.empty() && from == ListFrom::kWatchCache) {
            query += "&resourceVersion=0";
        }
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

namespace {

core::Status readKind(ApiClient& client,
                      const ApiKind& kind,
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
        core::Status st = listPages(client, path, options.page_size, options.from, pages, report);
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
    for (const ApiKind& kind : kApiKinds) {
        if (core::Status st = readKind(client, kind, options, pages, report); !st) {
            return Error{st.error()};
        }
    }
    for (const ApiKind& kind : kOpenShiftKinds) {
        if (std::find(served->begin(), served->end(), kind.prefix) == served->end()) {
            continue;
        }
        if (core::Status st = readKind(client, kind, options, pages, report); !st) {
            return Error{st.error()};
        }
    }
    return pages;
}

Result<std::vector<ListedPage>> readNetworkPolicies(ApiClient& client,
                                                    const ReadOptions& options,
                                                    ReadReport& report) {
    std::vector<ListedPage> pages;
    if (core::Status st =
            readKind(client, kApiKinds[std::size(kApiKinds) - 1], options, pages, report);
        !st) {
        return Error{st.error()};
    }
    return pages;
}

}  // namespace netpolgen::kube
