#include "core/network_policy.h"

#include <algorithm>

namespace netpolgen::core {
namespace {

bool hasType(const std::vector<PolicyType>& types, PolicyType t) {
    return std::find(types.begin(), types.end(), t) != types.end();
}

}  // namespace

bool NetworkPolicy::affectsIngress() const {
    return policy_types.empty() || hasType(policy_types, PolicyType::kIngress);
}

bool NetworkPolicy::affectsEgress() const {
    if (policy_types.empty()) {
        return !egress.empty();
    }
    return hasType(policy_types, PolicyType::kEgress);
}

}  // namespace netpolgen::core
