#include "core/policy_state.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "core/kubernetes_names.h"

namespace netpolgen::core {
namespace {

std::string refText(const ObjectRef& ref) {
    return "policy " + ref.name + " in namespace " + ref.ns;
}

// Empty namespace or name: neither kubectl nor the sensor can address such an object. A name the
// API server refuses is checked here again, whatever decoded it: it would reach kubectl's argv.
std::optional<std::string> missingIdentity(const ObjectRef& ref) {
    if (ref.name.empty()) {
        return "policy in namespace " + shortText(ref.ns) + " has no name";
    }
    if (ref.ns.empty()) {
        return "policy " + shortText(ref.name) + " has no namespace";
    }
    if (auto problem = dns1123LabelProblem(ref.ns)) {
        return "policy " + shortText(ref.name) + ": " +
               invalidValue("metadata.namespace", ref.ns, *problem);
    }
    if (auto problem = dns1123SubdomainProblem(ref.name)) {
        return "policy in namespace " + ref.ns + ": " +
               invalidValue("metadata.name", ref.name, *problem);
    }
    return std::nullopt;
}

std::string joinLines(const std::vector<std::string>& lines) {
    std::string out;
    for (const std::string& line : lines) {
        out += out.empty() ? line : "\n" + line;
    }
    return out;
}

// The deletions, checked for identity and duplicates. Each ref appears once in the result.
std::set<ObjectRef> deletionsOf(const Modification& m, std::vector<std::string>& errors) {
    std::set<ObjectRef> out;
    for (const ObjectRef& ref : m.to_delete) {
        if (auto missing = missingIdentity(ref)) {
            errors.push_back(*missing);
        } else if (!out.insert(ref).second) {
            errors.push_back(refText(ref) + " is marked for deletion more than once");
        }
    }
    return out;
}

}  // namespace

const NetworkPolicy* PolicyState::find(const ObjectRef& ref) const {
    auto it = policies.find(ref);
    return it == policies.end() ? nullptr : &it->second;
}

Result<PolicyState> policyStateOf(std::vector<NetworkPolicy> policies) {
    PolicyState state;
    std::vector<std::string> errors;
    for (NetworkPolicy& p : policies) {
        ObjectRef ref{p.ns, p.name};
        if (auto missing = missingIdentity(ref)) {
            errors.push_back(*missing);
        } else if (!state.policies.emplace(ref, std::move(p)).second) {
            errors.push_back(refText(ref) + " appears more than once");
        }
    }
    if (!errors.empty()) {
        return Error{joinLines(errors)};
    }
    return state;
}

std::string_view applyActionName(ApplyAction action) {
    switch (action) {
        case ApplyAction::kCreate:
            return "create";
        case ApplyAction::kReplace:
            return "replace";
        case ApplyAction::kDelete:
            break;
    }
    return "delete";
}

Result<std::vector<ApplyStep>> planApply(const PolicyState& state, const Modification& m) {
    std::vector<std::string> errors;
    std::set<ObjectRef> deletions = deletionsOf(m, errors);
    std::set<ObjectRef> applied;
    std::vector<ApplyStep> steps;
    for (const NetworkPolicy& p : m.apply) {
        const ObjectRef ref{p.ns, p.name};
        if (auto missing = missingIdentity(ref)) {
            errors.push_back(*missing);
            continue;
        }
        if (!applied.insert(ref).second) {
            errors.push_back(refText(ref) + " appears more than once in the modification");
            continue;
        }
        const NetworkPolicy* existing = state.find(ref);
        const bool replaces = deletions.erase(ref) > 0;
        if (existing != nullptr && !replaces) {
            errors.push_back(refText(ref) +
                             " already exists (to replace it, also mark it for deletion: "
                             "# kubectl -n " +
                             ref.ns + " delete networkpolicy " + ref.name + ")");
            continue;
        }
        ApplyStep step{existing != nullptr ? ApplyAction::kReplace : ApplyAction::kCreate,
                       ref,
                       p,
                       existing != nullptr ? std::optional(*existing) : std::nullopt};
        steps.push_back(std::move(step));
    }
    // The deletions left are real deletes, in the modification's order.
    for (const ObjectRef& ref : m.to_delete) {
        if (deletions.erase(ref) == 0) {
            continue;  // a replace, a duplicate or a missing identity, handled above
        }
        const NetworkPolicy* existing = state.find(ref);
        if (existing == nullptr) {
            errors.push_back(refText(ref) + " marked for deletion does not exist");
            continue;
        }
        ApplyStep step{ApplyAction::kDelete, ref, std::nullopt, *existing};
        steps.push_back(std::move(step));
    }
    if (!errors.empty()) {
        return Error{joinLines(errors)};
    }
    return steps;
}

ApplyStep inverseOf(const ApplyStep& step) {
    ApplyStep out{step.action, step.ref, std::nullopt, std::nullopt};
    switch (step.action) {
        case ApplyAction::kCreate:
            out.action = ApplyAction::kDelete;
            out.previous = step.policy;
            break;
        case ApplyAction::kReplace:
            out.policy = step.previous;
            out.previous = step.policy;
            break;
        case ApplyAction::kDelete:
            out.action = ApplyAction::kCreate;
            out.policy = step.previous;
            break;
    }
    return out;
}

Modification modificationOf(const std::vector<ApplyStep>& steps) {
    Modification out;
    for (const ApplyStep& step : steps) {
        if (step.action != ApplyAction::kDelete) {
            out.apply.push_back(*step.policy);
        }
        if (step.action != ApplyAction::kCreate) {
            out.to_delete.push_back(step.ref);
        }
    }
    return out;
}

PolicyState applySteps(PolicyState state, const std::vector<ApplyStep>& steps) {
    for (const ApplyStep& step : steps) {
        if (step.action == ApplyAction::kDelete) {
            state.policies.erase(step.ref);
        } else {
            state.policies.insert_or_assign(step.ref, *step.policy);
        }
    }
    return state;
}

Result<PolicyState> applyModification(const PolicyState& state, const Modification& m) {
    auto steps = planApply(state, m);
    if (!steps) {
        return Error{steps.error()};
    }
    return applySteps(state, *steps);
}

Result<Modification> undoOf(const PolicyState& before, const Modification& m) {
    auto steps = planApply(before, m);
    if (!steps) {
        return Error{steps.error()};
    }
    std::vector<ApplyStep> inverse;
    inverse.reserve(steps->size());
    for (auto it = steps->rbegin(); it != steps->rend(); ++it) {
        inverse.push_back(inverseOf(*it));
    }
    return modificationOf(inverse);
}

Modification modificationBetween(const PolicyState& current, const PolicyState& target) {
    Modification out;
    // Both maps are sorted by (namespace, name): one merge pass gives sorted output.
    auto cur = current.policies.begin();
    auto tgt = target.policies.begin();
    while (cur != current.policies.end() || tgt != target.policies.end()) {
        const bool take_current = tgt == target.policies.end() ||
                                  (cur != current.policies.end() && cur->first < tgt->first);
        const bool take_target = cur == current.policies.end() ||
                                 (tgt != target.policies.end() && tgt->first < cur->first);
        if (take_current) {
            out.to_delete.push_back(cur->first);
            ++cur;
        } else if (take_target) {
            out.apply.push_back(tgt->second);
            ++tgt;
        } else {
            if (!(cur->second == tgt->second)) {
                out.apply.push_back(tgt->second);
                out.to_delete.push_back(cur->first);
            }
            ++cur;
            ++tgt;
        }
    }
    return out;
}

ChangeCounts countChanges(const Modification& m) {
    const std::set<ObjectRef> deletions(m.to_delete.begin(), m.to_delete.end());
    std::set<ObjectRef> replaced;
    ChangeCounts out;
    for (const NetworkPolicy& p : m.apply) {
        if (deletions.count({p.ns, p.name}) > 0) {
            replaced.insert({p.ns, p.name});
        } else {
            ++out.created;
        }
    }
    out.replaced = replaced.size();
    out.deleted = deletions.size() - replaced.size();
    return out;
}

bool isEmpty(const Modification& m) {
    return m.apply.empty() && m.to_delete.empty() && m.namespace_labels.empty();
}

}  // namespace netpolgen::core
