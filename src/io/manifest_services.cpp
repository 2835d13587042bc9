#include "io/manifest_services.h"

#include <string>
#include <utility>

#include "core/ip_address.h"
#include "core/kubernetes_names.h"
#include "core/protocol.h"
#include "io/manifest_meta.h"

namespace netpolgen::io::detail {

using core::quotedText;

namespace {

bool decodeServicePort(ObjectContext& c,
                       const SourceNode& n,
                       std::string_view path,
                       core::ServicePort& out) {
    if (!n.isMapping()) {
        return typeError(c, n, path, "map");
    }
    if (!stringField(c, n, "name", child(path, "name"), out.name)) {
        return false;
    }
    const SourceNode* port = present(n, "port");
    if (port == nullptr) {
        return c.fail(n, child(path, "port"), "Required value");
    }
    int64_t number = 0;
    if (!intValue(c, *port, child(path, "port"), number)) {
        return false;
    }
    if (!validPort(number)) {
        return c.fail(*port,
                      child(path, "port"),
                      "Invalid value: " + std::to_string(number) + ": " + std::string(kPortRange));
    }
    out.port = static_cast<uint32_t>(number);
    if (!protocolField(c, n, child(path, "protocol"), out.protocol, nullptr)) {
        return false;
    }
    if (const SourceNode* target = present(n, "targetPort")) {
        IntOrString value;
        const std::string tpath = child(path, "targetPort");
        if (!intOrStringValue(c, *target, tpath, value)) {
            return false;
        }
        if (value.numeric) {
            // 0 is what the API server defaults to `port`; ServicePort keeps it as "same as port".
            if (value.number != 0 && !validPort(value.number)) {
                return c.fail(*target,
                              tpath,
                              "Invalid value: " + std::to_string(value.number) + ": " +
                                  std::string(kPortRange));
            }
            out.target_port.number = static_cast<uint32_t>(value.number);
        } else if (!value.name.empty()) {
            if (auto problem = portNameProblem(value.name)) {
                return c.fail(
                    *target, tpath, "Invalid value: " + quotedText(value.name) + ": " + *problem);
            }
            out.target_port.name = value.name;
        }
    }
    if (const SourceNode* node_port = present(n, "nodePort")) {
        int64_t value = 0;
        if (!intValue(c, *node_port, child(path, "nodePort"), value)) {
            return false;
        }
        if (value != 0 && !validPort(value)) {
            return c.fail(
                *node_port,
                child(path, "nodePort"),
                "Invalid value: " + std::to_string(value) + ": " + std::string(kPortRange));
        }
        out.node_port = static_cast<uint32_t>(value);
    }
    return true;
}

// spec.to or an alternateBackends item: {kind: Service, name, weight}.
bool decodeRouteTarget(ObjectContext& c,
                       const SourceNode& n,
                       std::string_view path,
                       std::vector<std::string>& services) {
    if (!n.isMapping()) {
        return typeError(c, n, path, "map");
    }
    std::string kind = "Service";
    std::string name;
    if (!stringField(c, n, "kind", child(path, "kind"), kind) ||
        !stringField(c, n, "name", child(path, "name"), name)) {
        return false;
    }
    if (kind.empty()) {
        kind = "Service";
    }
    if (kind != "Service") {
        return c.fail(*present(n, "kind"),
                      child(path, "kind"),
                      "Unsupported value: " + quotedText(kind) + ": supported values: \"Service\"");
    }
    if (name.empty()) {
        return c.fail(n, child(path, "name"), "Required value");
    }
    services.push_back(std::move(name));
    return true;
}

}  // namespace

bool decodeService(ObjectContext& c, const SourceNode& obj, core::Service& out) {
    ObjectMeta m;
    if (!decodeMetadata(c, obj, true, m)) {
        return false;
    }
    out.ns = std::move(m.ns);
    out.name = std::move(m.name);
    const SourceNode* spec = nullptr;
    if (!mapField(c, obj, "spec", "spec", spec)) {
        return false;
    }
    if (spec == nullptr) {
        return true;
    }
    if (!stringField(c, *spec, "type", "spec.type", out.type)) {
        return false;
    }
    if (out.type.empty()) {
        out.type = "ClusterIP";
    }
    if (out.type != "ClusterIP" && out.type != "NodePort" && out.type != "LoadBalancer" &&
        out.type != "ExternalName") {
        return c.fail(*present(*spec, "type"),
                      "spec.type",
                      "Unsupported value: " + quotedText(out.type) +
                          ": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", "
                          "\"NodePort\"");
    }
    if (const SourceNode* selector = present(*spec, "selector")) {
        core::Labels labels;
        if (!stringMap(c, *selector, "spec.selector", labels)) {
            return false;
        }
        out.selector = std::move(labels);
    }
    const SourceNode* ports = nullptr;
    if (!listField(c, *spec, "ports", "spec.ports", ports)) {
        return false;
    }
    if (ports != nullptr) {
        for (size_t i = 0; i < ports->children.size(); ++i) {
            core::ServicePort port;
            if (!decodeServicePort(c, ports->children[i], indexed("spec.ports", i), port)) {
                return false;
            }
            out.ports.push_back(std::move(port));
        }
    }
    if (const SourceNode* ip = present(*spec, "clusterIP")) {
        if (!decodeIp(c, *ip, "spec.clusterIP", out.cluster_ips)) {
            return false;
        }
    }
    const SourceNode* ips = nullptr;
    if (!listField(c, *spec, "clusterIPs", "spec.clusterIPs", ips)) {
        return false;
    }
    if (ips != nullptr) {
        for (size_t i = 0; i < ips->children.size(); ++i) {
            if (!decodeIp(c, ips->children[i], indexed("spec.clusterIPs", i), out.cluster_ips)) {
                return false;
            }
        }
    }
    dedupeStable(out.cluster_ips);
    return true;
}

bool decodeRoute(ObjectContext& c, const SourceNode& obj, core::Route& out) {
    ObjectMeta m;
    if (!decodeMetadata(c, obj, true, m)) {
        return false;
    }
    out.ns = std::move(m.ns);
    out.name = std::move(m.name);
    const SourceNode* spec = nullptr;
    if (!mapField(c, obj, "spec", "spec", spec)) {
        return false;
    }
    if (spec == nullptr) {
        return c.fail(obj, "spec.to.name", "Required value");
    }
    const SourceNode* to = present(*spec, "to");
    if (to == nullptr) {
        return c.fail(*spec, "spec.to.name", "Required value");
    }
    if (!decodeRouteTarget(c, *to, "spec.to", out.services)) {
        return false;
    }
    const SourceNode* alternates = nullptr;
    if (!listField(c, *spec, "alternateBackends", "spec.alternateBackends", alternates)) {
        return false;
    }
    if (alternates != nullptr) {
        for (size_t i = 0; i < alternates->children.size(); ++i) {
            if (!decodeRouteTarget(c,
                                   alternates->children[i],
                                   indexed("spec.alternateBackends", i),
                                   out.services)) {
                return false;
            }
        }
    }
    dedupeStable(out.services);
    const SourceNode* port = nullptr;
    if (!mapField(c, *spec, "port", "spec.port", port)) {
        return false;
    }
    if (port == nullptr) {
        return true;
    }
    const SourceNode* target = present(*port, "targetPort");
    if (target == nullptr) {
        return c.fail(*port, "spec.port.targetPort", "Required value");
    }
    IntOrString value;
    if (!intOrStringValue(c, *target, "spec.port.targetPort", value)) {
        return false;
    }
    if (value.numeric) {
        if (!validPort(value.number)) {
            return c.fail(
                *target,
                "spec.port.targetPort",
                "Invalid value: " + std::to_string(value.number) + ": " + std::string(kPortRange));
        }
        out.target_port = core::PortValue{static_cast<uint32_t>(value.number), {}};
    } else {
        if (value.name.empty()) {
            return c.fail(*target, "spec.port.targetPort", "Required value");
        }
        // A Route names the Service's port (a DNS label), not a container port: no IANA check.
        out.target_port = core::PortValue{0, value.name};
    }
    return true;
}

}  // namespace netpolgen::io::detail
