// ListPageScanner: what the cluster reader needs from one page of a list answer (`kubectl get -o
// json` shape: {"kind":"PodList","metadata":{"continue":…},"items":[…]}) without building a
// document of it: whether it is a List (a JSON object with "items"), how many items it holds, and
// metadata.continue. A List is cut into its items by io/json_list_items.h and only its head is
// parsed (a 150 MB answer from the watch cache would need several times its size in parser
// buffers); the items are validated when they are decoded (io/manifest_decoder.h, or listPage in
// kube/object_text.h). Anything else is parsed whole by simdjson's DOM parser.
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
    // nullopt when `body` is not an object with an "items" key (or, parsed whole, not valid JSON).
    std::optional<ListPageHead> scan(std::string_view body);

private:
    std::optional<ListPageHead> scanWhole(std::string_view body);

    simdjson::dom::parser parser_;
};

}  // namespace netpolgen::kube
