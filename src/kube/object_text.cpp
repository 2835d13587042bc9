#include "kube/object_text.h"

#include <simdjson.h>

#include "io/json_list_items.h"
#include "io/time_text.h"

namespace netpolgen::kube {
namespace {

using core::Error;
using core::Result;
namespace od = simdjson::ondemand;

// One parser per thread: each informer runs in its own thread and reuses its buffers.
od::parser& threadParser() {
    thread_local od::parser parser;
    return parser;
}

// On-demand parsing checks only what it reads, and on malformed input its iterators may go where
// they must not: every text is validated as a whole first, by the DOM parser (its buffers reused).
// The kept text must be valid JSON anyway: the snapshot decodes it again.
bool isValidJson(const simdjson::padded_string& padded) {
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element root;
    return parser.parse(padded).get(root) == simdjson::SUCCESS;
}

// One JSON object read on demand with this thread's parser: valid until the parser's next use.
struct OnDemandObject {
    explicit OnDemandObject(std::string_view json) : padded(json) {
        ok = isValidJson(padded) && threadParser().iterate(padded).get(doc) == simdjson::SUCCESS &&
             doc.get_object().get(object) == simdjson::SUCCESS;
    }
    simdjson::padded_string padded;
    od::document doc;
    od::object object;
    bool ok = false;
};

std::string stringAt(od::object& obj, std::string_view key) {
    std::string_view v;
    if (obj.find_field_unordered(key).get_string().get(v) != simdjson::SUCCESS) {
        return {};
    }
    return std::string(v);
}

// Where `"managedFields": [...]` sits in `json` (with one neighbouring comma), to be cut out.
struct Span {
    size_t begin = 0;
    size_t end = 0;
};

std::optional<Span> managedFieldsSpan(std::string_view json, od::object& metadata) {
    for (auto field : metadata) {
        od::raw_json_string key;
        if (field.key().get(key) != simdjson::SUCCESS) {
            return std::nullopt;
        }
        if (!key.unsafe_is_equal("managedFields")) {
            continue;
        }
        std::string_view value;
        od::array v;
        if (field.value().get_array().get(v) != simdjson::SUCCESS ||
            v.raw_json().get(value) != simdjson::SUCCESS) {
            return std::nullopt;
        }
        const char* key_begin = key.raw() - 1;  // its opening quote
        if (key_begin < json.data() || value.data() + value.size() > json.data() + json.size()) {
            return std::nullopt;
        }
        Span s{static_cast<size_t>(key_begin - json.data()),
               static_cast<size_t>(value.data() + value.size() - json.data())};
        // raw_json() of a value may end in trailing whitespace; take the comma after, else before.
        size_t after = s.end;
        while (after < json.size() && (json[after] == ' ' || json[after] == '\n' ||
                                       json[after] == '\t' || json[after] == '\r')) {
            ++after;
        }
        if (after < json.size() && json[after] == ',') {
            s.end = after + 1;
            return s;
        }
        size_t before = s.begin;
        while (before > 0 && json[before - 1] != ',' && json[before - 1] != '{') {
            --before;
        }
        if (before > 0 && json[before - 1] == ',') {
            s.begin = before - 1;
        }
        return s;
    }
    return std::nullopt;
}

}  // namespace

Result<ObjectText> objectText(std::string_view input) {
    OnDemandObject parsed(input);
    if (!parsed.ok) {
        return Error{"not a JSON object"};
    }
    // Offsets are taken in the padded copy the parser reads.
    const std::string_view json(parsed.padded.data(), parsed.padded.size());
    od::object& obj = parsed.object;
    od::object metadata;
    if (obj.find_field_unordered("metadata").get_object().get(metadata) != simdjson::SUCCESS) {
        return Error{"an object without metadata"};
    }
    ObjectText out;
    out.name = stringAt(metadata, "name");
    out.ns = stringAt(metadata, "namespace");
    out.resource_version = stringAt(metadata, "resourceVersion");
    if (out.name.empty()) {
        return Error{"an object without metadata.name"};
    }
    metadata.reset();
    const auto cut = managedFieldsSpan(json, metadata);
    if (cut) {
        out.text.reserve(json.size() - (cut->end - cut->begin));
        out.text.append(json.substr(0, cut->begin));
        out.text.append(json.substr(cut->end));
    } else {
        out.text.assign(json);
    }
    return out;
}

namespace {

// Each item's ObjectText, in order; the first that is not an object with a name is the error.
core::Status appendItems(const std::vector<std::string_view>& items, ListPage& out) {
    out.items.reserve(out.items.size() + items.size());
    for (size_t i = 0; i < items.size(); ++i) {
        auto o = objectText(items[i]);
        if (!o) {
            return Error{"item " + std::to_string(i + 1) + ": " + o.error()};
        }
        out.items.push_back(std::move(*o));
    }
    return {};
}

// The items, each read on its own (objectText validates it): the page is never parsed whole.
Result<ListPage> listPageByItems(const io::JsonListItems& list) {
    ListPage out;
    {
        OnDemandObject head(list.head());
        if (!head.ok) {
            return Error{"the answer is not a JSON object"};
        }
        od::object metadata;
        if (head.object.find_field_unordered("metadata").get_object().get(metadata) ==
            simdjson::SUCCESS) {
            out.resource_version = stringAt(metadata, "resourceVersion");
        }
    }
    if (core::Status st = appendItems(list.items, out); !st) {
        return Error{st.error()};
    }
    return out;
}

}  // namespace

Result<ListPage> listPage(std::string_view json) {
    if (auto list = io::splitJsonList(json)) {
        return listPageByItems(*list);
    }
    OnDemandObject parsed(json);
    od::object& list = parsed.object;
    if (!parsed.ok) {
        return Error{"the answer is not a JSON object"};
    }
    ListPage out;
    std::vector<std::string_view> raw_items;  // views into parsed.padded
    od::object metadata;
    if (list.find_field_unordered("metadata").get_object().get(metadata) == simdjson::SUCCESS) {
        out.resource_version = stringAt(metadata, "resourceVersion");
    }
    od::value items_value;
    if (list.find_field_unordered("items").get(items_value) != simdjson::SUCCESS) {
        return Error{"the answer is not a List (no items)"};
    }
    od::json_type type;
    if (items_value.type().get(type) != simdjson::SUCCESS) {
        return Error{"the answer is not a List (bad items)"};
    }
    if (type == od::json_type::null) {
        return out;  // "items": null is an empty list
    }
    od::array items;
    if (items_value.get_array().get(items) != simdjson::SUCCESS) {
        return Error{"the answer is not a List (items is no array)"};
    }
    for (auto item : items) {
        std::string_view raw;
        od::object v;
        if (item.get_object().get(v) != simdjson::SUCCESS ||
            v.raw_json().get(raw) != simdjson::SUCCESS) {
            return Error{"a list item is not valid JSON"};
        }
        raw_items.emplace_back(raw);
    }
    if (core::Status st = appendItems(raw_items, out); !st) {
        return Error{st.error()};
    }
    return out;
}

Result<WatchEvent> watchEvent(std::string_view json) {
    OnDemandObject parsed(json);
    od::object& event = parsed.object;
    if (!parsed.ok) {
        return Error{"a watch event that is not a JSON object"};
    }
    const std::string type = stringAt(event, "type");
    event.reset();
    std::string_view raw;
    od::object object_value;
    if (event.find_field_unordered("object").get_object().get(object_value) != simdjson::SUCCESS ||
        object_value.raw_json().get(raw) != simdjson::SUCCESS) {
        return Error{"a watch event without object"};
    }
    const std::string object(raw);
    WatchEvent out;
    if (type == "ERROR") {
        out.type = WatchEvent::Type::kError;
        OnDemandObject status(object);
        od::object& s = status.object;
        if (status.ok) {
            int64_t code = 0;
            if (s.find_field_unordered("code").get_int64().get(code) == simdjson::SUCCESS) {
                out.error_code = static_cast<int>(code);
            }
            s.reset();
            out.error_message = stringAt(s, "message");
        }
        return out;
    }
    if (type == "BOOKMARK") {
        out.type = WatchEvent::Type::kBookmark;
        OnDemandObject bookmark(object);
        od::object m;
        if (!bookmark.ok || bookmark.object.find_field_unordered("metadata").get_object().get(m) !=
                                simdjson::SUCCESS) {
            return Error{"a BOOKMARK without metadata"};
        }
        out.object.resource_version = stringAt(m, "resourceVersion");
        return out;
    }
    if (type == "ADDED") {
        out.type = WatchEvent::Type::kAdded;
    } else if (type == "MODIFIED") {
        out.type = WatchEvent::Type::kModified;
    } else if (type == "DELETED") {
        out.type = WatchEvent::Type::kDeleted;
    } else {
        return Error{"a watch event of unknown type \"" + type + "\""};
    }
    auto o = objectText(object);
    if (!o) {
        return Error{"a " + type + " event: " + o.error()};
    }
    out.object = std::move(*o);
    return out;
}

Result<PodAddresses> podAddresses(std::string_view pod_json) {
    OnDemandObject parsed(pod_json);
    od::object& pod = parsed.object;
    if (!parsed.ok) {
        return Error{"a pod that is not a JSON object"};
    }
    PodAddresses out;
    od::object metadata;
    if (pod.find_field_unordered("metadata").get_object().get(metadata) != simdjson::SUCCESS) {
        return Error{"a pod without metadata"};
    }
    out.tenant.ns = stringAt(metadata, "namespace");
    metadata.reset();
    out.tenant.pod = stringAt(metadata, "name");
    metadata.reset();
    od::array owners;
    if (metadata.find_field_unordered("ownerReferences").get_array().get(owners) ==
        simdjson::SUCCESS) {
        for (auto ref : owners) {
            od::object r;
            if (ref.get_object().get(r) != simdjson::SUCCESS) {
                continue;
            }
            bool controller = false;
            if (r.find_field_unordered("controller").get_bool().get(controller) !=
                    simdjson::SUCCESS ||
                !controller) {
                continue;
            }
            r.reset();
            out.tenant.owner_kind = stringAt(r, "kind");
            r.reset();
            out.tenant.owner_name = stringAt(r, "name");
            break;
        }
    }
    pod.reset();
    od::object spec;
    bool host_network = false;
    if (pod.find_field_unordered("spec").get_object().get(spec) == simdjson::SUCCESS) {
        if (spec.find_field_unordered("hostNetwork").get_bool().get(host_network) !=
            simdjson::SUCCESS) {
            host_network = false;
        }
    }
    pod.reset();
    od::object status;
    if (pod.find_field_unordered("status").get_object().get(status) != simdjson::SUCCESS) {
        return out;
    }
    const std::string phase = stringAt(status, "phase");
    out.finished = phase == "Succeeded" || phase == "Failed";
    status.reset();
    const std::string start = stringAt(status, "startTime");
    if (!start.empty()) {
        if (auto t = io::parseInstantOrAgo(start, 0); t && start.find('T') != std::string::npos) {
            out.started = *t;
        }
    }
    if (host_network) {
        return out;  // the node's addresses: no pod of its own holds them
    }
    status.reset();
    std::vector<std::string> texts;
    od::array ips;
    if (status.find_field_unordered("podIPs").get_array().get(ips) == simdjson::SUCCESS) {
        for (auto entry : ips) {
            od::object e;
            if (entry.get_object().get(e) == simdjson::SUCCESS) {
                const std::string ip = stringAt(e, "ip");
                if (!ip.empty()) {
                    texts.push_back(ip);
                }
            }
        }
    }
    if (texts.empty()) {
        status.reset();
        const std::string ip = stringAt(status, "podIP");
        if (!ip.empty()) {
            texts.push_back(ip);
        }
    }
    for (const auto& t : texts) {
        if (auto ip = core::IpAddress::parse(t)) {
            out.ips.push_back(*ip);
        }
    }
    return out;
}

}  // namespace netpolgen::kube
