#include "kube/list_page.h"

#include "io/json_list_items.h"

namespace netpolgen::kube {

std::optional<ListPageHead> ListPageScanner::scan(std::string_view body) {
    if (auto list = io::splitJsonList(body)) {
        auto head = scanWhole(list->head());
        if (head) {
            head->items = list->items.size();
        }
        return head;
    }
    return scanWhole(body);
}

std::optional<ListPageHead> ListPageScanner::scanWhole(std::string_view body) {
    simdjson::dom::object page;
    if (parser_.parse(body.data(), body.size()).get_object().get(page) != simdjson::SUCCESS) {
        return std::nullopt;
    }
    simdjson::dom::element items;
    if (page["items"].get(items) != simdjson::SUCCESS) {
        return std::nullopt;
    }
    ListPageHead head;
    if (simdjson::dom::array array; items.get_array().get(array) == simdjson::SUCCESS) {
        head.items = array.size();
    }
    std::string_view cont;
    if (page["metadata"]["continue"].get_string().get(cont) == simdjson::SUCCESS) {
        head.cont = cont;
    }
    return head;
}

}  // namespace netpolgen::kube
