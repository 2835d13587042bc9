#include "core/rule_ports.h"

#include <algorithm>

namespace netpolgen::core::detail {

ConnectionSet resolveNamed(const NamedPorts& named, const std::vector<ContainerPort>& ports) {
    ConnectionSet out;
    for (const auto& [protocol, name] : named) {
        for (const ContainerPort& cp : ports) {
            if (cp.name == name && cp.protocol == protocol) {
                out.add(protocol, cp.port, cp.port);
            }
        }
    }
    return out;
}

ConnectionSet staticPorts(const std::vector<PolicyPort>& ports, NamedPorts& named) {
    if (ports.empty()) {
        return ConnectionSet::all();
    }
    ConnectionSet out;
    for (const PolicyPort& e : ports) {
        if (!e.port) {
            out.addAll(e.protocol);
        } else if (e.port->isNamed()) {
            named.emplace_back(e.protocol, e.port->name);
        } else {
            const uint32_t lo = e.port->number;
            out.add(e.protocol, lo, std::max(lo, e.end_port.value_or(lo)));
        }
    }
    std::sort(named.begin(), named.end());
    named.erase(std::unique(named.begin(), named.end()), named.end());
    return out;
}

bool affects(const NetworkPolicy& p, size_t dir) {
    return dir == kIngress ? p.affectsIngress() : p.affectsEgress();
}

const std::vector<PolicyRule>& rulesOf(const NetworkPolicy& p, size_t dir) {
    return dir == kIngress ? p.ingress : p.egress;
}

}  // namespace netpolgen::core::detail
