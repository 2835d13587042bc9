// ListPageScanner: what the cluster reader needs from one page of a list answer (`kubectl get -o
// json` shape: {"kind":"PodList","metadata":{"continue":…},"items":[…]}) without building a
// document of it: whether it is a List (a JSON object with "items"), how many items it holds, and
// metadata.continue. The whole body is validated as JSON (simdjson's DOM parser, its buffers reused
// from page to page); the page is decoded later by io/manifest_decoder.h anyway.
//
// Before, each page was parsed into an nlohmann::json document only to read these two fields: at
// 50,000 pods (250 MB of pages) that was a third of `snapshot --kubeconfig`'s CPU time, most of it
// allocating and freeing the document's nodes.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace netpolgen::kube {

struct ListPageHead {
    size_t items = 0;  // the number of elements of "items" (0 when it is not an array)
    std::string cont;  // metadata.continue; empty on the last page (or when not a string)
};

class ListPageScanner {
public:
    // nullopt when `body` is not valid JSON, not an object, or has no "items" key.
    std::optional<ListPageHead> scan(std::string_view body);

private:
    simdjson::dom::parser parser_;
};

}  // namespace netpolgen::kube
