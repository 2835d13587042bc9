#include "io/manifest_meta.h"

#include <optional>
#include <set>
#include <string>
#include <utility>

#include "core/ip_address.h"
#include "core/kubernetes_names.h"
#include "core/label_selector.h"
#include "core/protocol.h"

namespace netpolgen::io::detail {

using core::quotedText;

namespace {

bool decodeOwners(ObjectContext& c, const SourceNode& n, std::vector<core::OwnerRef>& out) {
    const std::string path = "metadata.ownerReferences";
    if (!n.isSequence()) {
        return typeError(c, n, path, "list");
    }
    for (size_t i = 0; i < n.children.size(); ++i) {
        const SourceNode& item = n.children[i];
        const std::string ipath = indexed(path, i);
        if (!item.isMapping()) {
            return typeError(c, item, ipath, "map");
        }
        core::OwnerRef ref;
        if (!stringField(c, item, "kind", child(ipath, "kind"), ref.kind) ||
            !stringField(c, item, "name", child(ipath, "name"), ref.name)) {
            return false;
        }
        if (ref.kind.empty()) {
            return c.fail(
                item, child(ipath, "kind"), "Invalid value: \"\": kind must not be empty");
        }
        if (ref.name.empty()) {
            return c.fail(
                item, child(ipath, "name"), "Invalid value: \"\": name must not be empty");
        }
        if (const SourceNode* ctl = present(item, "controller")) {
            if (!boolValue(c, *ctl, child(ipath, "controller"), ref.controller)) {
                return false;
            }
        }
        out.push_back(std::move(ref));
    }
    return true;
}

// Reports a LabelSelector::validate() message ("matchExpressions.values: Required value: …")
// under `path`, with `index` inserted after matchExpressions when given.
bool failSelector(ObjectContext& c,
                  const SourceNode& at,
                  std::string_view path,
                  const std::string& message,
                  std::optional<size_t> index) {
    const size_t colon = message.find(": ");
    std::string field = colon == std::string::npos ? std::string() : message.substr(0, colon);
    const std::string rest = colon == std::string::npos ? message : message.substr(colon + 2);
    constexpr std::string_view kExpr = "matchExpressions";
    if (index && field.compare(0, kExpr.size(), kExpr) == 0) {
        field = indexed(kExpr, *index) + field.substr(kExpr.size());
    }
    return c.fail(at, field.empty() ? std::string(path) : child(path, field), rest);
}

// One item of a container's `ports`.
bool decodeContainerPort(ObjectContext& c,
                         const SourceNode& port,
                         std::string_view path,
                         core::ContainerPort& out) {
    if (!port.isMapping()) {
        return typeError(c, port, path, "map");
    }
    const std::string number_path = child(path, "containerPort");
    const SourceNode* number = present(port, "containerPort");
    int64_t value = 0;
    if (number != nullptr && !intValue(c, *number, number_path, value)) {
        return false;
    }
    if (value == 0) {
        // The API server's wording for a missing (zero) containerPort.
        return c.fail(number != nullptr ? *number : port, number_path, "Required value");
    }
    if (!validPort(value)) {
        return c.fail(*number,
                      number_path,
                      "Invalid value: " + std::to_string(value) + ": " + std::string(kPortRange));
    }
    out.port = static_cast<uint32_t>(value);
    if (!stringField(c, port, "name", child(path, "name"), out.name)) {
        return false;
    }
    if (!out.name.empty()) {
        if (auto problem = portNameProblem(out.name)) {
            return c.fail(*present(port, "name"),
                          child(path, "name"),
                          "Invalid value: " + quotedText(out.name) + ": " + *problem);
        }
    }
    return protocolField(c, port, child(path, "protocol"), out.protocol, nullptr);
}

}  // namespace

bool decodeMetadata(ObjectContext& c, const SourceNode& obj, bool namespaced, ObjectMeta& m) {
    const SourceNode* md = nullptr;
    if (!mapField(c, obj, "metadata", "metadata", md)) {
        return false;
    }
    if (md == nullptr) {
        return c.fail(obj, "metadata", "Required value");
    }
    if (!stringField(c, *md, "name", "metadata.name", m.name)) {
        return false;
    }
    if (m.name.empty()) {
        if (present(*md, "generateName") != nullptr) {
            return c.fail(*md,
                          "metadata.name",
                          "Required value: the object has only generateName; a snapshot needs "
                          "the name the API server gave it");
        }
        return c.fail(*md, "metadata.name", "Required value: name or generateName is required");
    }
    if (namespaced) {
        if (!stringField(c, *md, "namespace", "metadata.namespace", m.ns)) {
            return false;
        }
        if (m.ns.empty()) {
            m.ns = "default";
        }
    }
    if (const SourceNode* labels = present(*md, "labels")) {
        if (!stringMap(c, *labels, "metadata.labels", m.labels)) {
            return false;
        }
    }
    if (const SourceNode* annotations = present(*md, "annotations")) {
        if (!stringMap(c, *annotations, "metadata.annotations", m.annotations)) {
            return false;
        }
    }
    if (const SourceNode* owners = present(*md, "ownerReferences")) {
        if (!decodeOwners(c, *owners, m.owners)) {
            return false;
        }
    }
    return true;
}

bool decodeSelector(ObjectContext& c,
                    const SourceNode& n,
                    std::string_view path,
                    core::LabelSelector& out) {
    if (!n.isMapping()) {
        return typeError(c, n, path, "map");
    }
    if (const SourceNode* ml = present(n, "matchLabels")) {
        if (!stringMap(c, *ml, child(path, "matchLabels"), out.match_labels)) {
            return false;
        }
        if (auto problem = core::LabelSelector{out.match_labels, {}}.validate()) {
            return failSelector(c, *ml, path, *problem, std::nullopt);
        }
    }
    const SourceNode* me = nullptr;
    const std::string me_path = child(path, "matchExpressions");
    if (!listField(c, n, "matchExpressions", me_path, me)) {
        return false;
    }
    if (me == nullptr) {
        return true;
    }
    for (size_t i = 0; i < me->children.size(); ++i) {
        const SourceNode& item = me->children[i];
        const std::string ipath = indexed(me_path, i);
        if (!item.isMapping()) {
            return typeError(c, item, ipath, "map");
        }
        core::SelectorRequirement r;
        std::string op;
        if (!stringField(c, item, "key", child(ipath, "key"), r.key) ||
            !stringField(c, item, "operator", child(ipath, "operator"), op)) {
            return false;
        }
        if (const SourceNode* values = present(item, "values")) {
            if (!stringList(c, *values, child(ipath, "values"), r.values)) {
                return false;
            }
        }
        auto parsed = core::parseSelectorOperator(op);
        if (!parsed) {
            const SourceNode* op_node = present(item, "operator");
            return c.fail(op_node != nullptr ? *op_node : item,
                          child(ipath, "operator"),
                          "Invalid value: " + quotedText(op) + ": not a valid selector operator");
        }
        r.op = *parsed;
        if (auto problem = core::LabelSelector{{}, {r}}.validate()) {
            return failSelector(c, item, path, *problem, i);
        }
        out.match_expressions.push_back(std::move(r));
    }
    return true;
}

bool decodeHostNetwork(ObjectContext& c,
                       const SourceNode& spec,
                       std::string_view path,
                       bool& host_network) {
    const SourceNode* value = present(spec, "hostNetwork");
    return value == nullptr || boolValue(c, *value, child(path, "hostNetwork"), host_network);
}

bool decodeContainerPorts(ObjectContext& c,
                          const SourceNode& spec,
                          std::string_view path,
                          std::vector<core::ContainerPort>& out) {
    for (std::string_view list :
         {std::string_view("containers"), std::string_view("initContainers")}) {
        const SourceNode* containers = nullptr;
        const std::string cpath = child(path, list);
        if (!listField(c, spec, list, cpath, containers)) {
            return false;
        }
        if (containers == nullptr) {
            continue;
        }
        for (size_t i = 0; i < containers->children.size(); ++i) {
            const SourceNode& container = containers->children[i];
            const std::string ipath = indexed(cpath, i);
            if (!container.isMapping()) {
                return typeError(c, container, ipath, "map");
            }
            const SourceNode* ports = nullptr;
            const std::string ppath = child(ipath, "ports");
            if (!listField(c, container, "ports", ppath, ports)) {
                return false;
            }
            if (ports == nullptr) {
                continue;
            }
            std::set<std::string> names;  // unique within a container: named ports must resolve
            for (size_t j = 0; j < ports->children.size(); ++j) {
                const std::string jpath = indexed(ppath, j);
                core::ContainerPort cp;
                bool ok = decodeContainerPort(c, ports->children[j], jpath, cp);
                if (ok && !cp.name.empty() && !names.insert(cp.name).second) {
                    ok = c.fail(*present(ports->children[j], "name"),
                                child(jpath, "name"),
                                "Duplicate value: " + quotedText(cp.name));
                }
                if (!ok) {
                    if (!c.lenient_ports || c.warnings == nullptr) {
                        return false;
                    }
                    c.warnings->push_back(c.message() + " (container port dropped)");
                    c.error.reset();
                    continue;
                }
                out.push_back(std::move(cp));
            }
        }
    }
    return true;
}

bool decodePodTemplate(ObjectContext& c,
                       const SourceNode& parent,
                       std::string_view path,
                       core::Workload& out) {
    core::Labels& labels = out.pod_labels;
    const SourceNode* tmpl = nullptr;
    if (!mapField(c, parent, "template", path, tmpl)) {
        return false;
    }
    if (tmpl == nullptr) {
        return true;
    }
    const SourceNode* md = nullptr;
    if (!mapField(c, *tmpl, "metadata", child(path, "metadata"), md)) {
        return false;
    }
    if (md != nullptr) {
        if (const SourceNode* l = present(*md, "labels")) {
            if (!stringMap(c, *l, child(path, "metadata.labels"), labels)) {
                return false;
            }
        }
    }
    const SourceNode* spec = nullptr;
    if (!mapField(c, *tmpl, "spec", child(path, "spec"), spec)) {
        return false;
    }
    return spec == nullptr || (decodeHostNetwork(c, *spec, child(path, "spec"), out.host_network) &&
                               decodeContainerPorts(c, *spec, child(path, "spec"), out.ports));
}

bool decodeIp(ObjectContext& c,
              const SourceNode& n,
              std::string_view path,
              std::vector<core::IpAddress>& out) {
    std::string text;
    if (!stringValue(c, n, path, text)) {
        return false;
    }
    if (text.empty() || text == "None") {
        return true;
    }
    auto ip = core::IpAddress::parse(text);
    if (!ip) {
        return c.fail(
            n, path, "Invalid value: " + quotedText(text) + ": must be a valid IP address");
    }
    out.push_back(*ip);
    return true;
}

}  // namespace netpolgen::io::detail
