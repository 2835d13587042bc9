// PolicyState: the NetworkPolicies of one cluster, keyed by (namespace, name), and what apply,
// undo and revert do to it (docs/stackrox-generator.md §5.1).
//
// A Modification applies the way StackRox's sensor applies it (and `kubectl create|replace|delete`
// would): a policy of `apply` whose (namespace, name) is also in `to_delete` replaces the existing
// object; any other policy of `apply` is created and must not exist yet; the remaining `to_delete`
// refs are deleted and must exist. Namespace labels are not policies: they leave the state alone.
//
//   auto plan = planApply(state, modification);       // the steps, or every validation error
//   auto after = applyModification(state, modification);
//   auto undo = undoOf(state, modification);           // apply(apply(s, m), undoOf(s, m)) == s
//   Modification revert = modificationBetween(*after, state);
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "core/cluster.h"
#include "core/generator.h"
#include "core/network_policy.h"
#include "core/result.h"

namespace netpolgen::core {

struct PolicyState {
    std::map<ObjectRef, NetworkPolicy> policies;

    const NetworkPolicy* find(const ObjectRef& ref) const;
    bool operator==(const PolicyState&) const = default;
};

// Errors: a (namespace, name) that appears twice ("policy NAME in namespace NS appears more than
// once"), a policy without namespace or name.
Result<PolicyState> policyStateOf(std::vector<NetworkPolicy> policies);

enum class ApplyAction : uint8_t { kCreate, kReplace, kDelete };

// "create", "replace", "delete".
std::string_view applyActionName(ApplyAction action);

// One change to one object, with what it needs to be done and undone.
struct ApplyStep {
    ApplyAction action = ApplyAction::kCreate;
    ObjectRef ref;
    std::optional<NetworkPolicy> policy;    // create, replace: the object afterwards
    std::optional<NetworkPolicy> previous;  // replace, delete: the object before
};

// The steps of a modification on `state`: creates and replaces in the order of
// Modification::apply, then deletes in the order of Modification::to_delete (the sensor's order).
// Every step touches another object. A replace of an object that does not exist is a create, as
// the sensor falls back to create when its GET finds nothing.
//
// An empty modification has no steps and is valid here (revert may compute one); callers that
// refuse it say so themselves. Errors: every problem, one per line, in the modification's order:
//   policy in namespace <ns> has no name
//   policy <name> has no namespace
//   policy <name>: metadata.namespace: Invalid value: "<ns>": a lowercase RFC 1123 label must …
//   policy in namespace <ns>: metadata.name: Invalid value: "<name>": a lowercase RFC 1123 …
//     (names the API server refuses, core/kubernetes_names.h: they would reach kubectl's argv)
//   policy <name> in namespace <ns> appears more than once in the modification
//   policy <name> in namespace <ns> is marked for deletion more than once
//   policy <name> in namespace <ns> already exists (to replace it, also mark it for deletion:
//     # kubectl -n <ns> delete networkpolicy <name>)
//   policy <name> in namespace <ns> marked for deletion does not exist   (StackRox's wording)
Result<std::vector<ApplyStep>> planApply(const PolicyState& state,
                                         const Modification& modification);

// The step that undoes `step`: a create becomes a delete, a replace a replace by the previous
// object, a delete a create of the previous object.
ApplyStep inverseOf(const ApplyStep& step);

// The modification that performs `steps`: creates go to `apply`, deletes to `to_delete`, a replace
// to both (so that it applies as a replace). Policies and refs keep the order of the steps.
Modification modificationOf(const std::vector<ApplyStep>& steps);

// The state once `steps` are done. REQUIRES: steps from planApply on `state`.
PolicyState applySteps(PolicyState state, const std::vector<ApplyStep>& steps);

// planApply then applySteps. Errors: those of planApply.
Result<PolicyState> applyModification(const PolicyState& state, const Modification& modification);

// The modification that undoes `modification` applied to `before`, assembled as the sensor does
// from the rollback actions in reverse order (§5.1): a create becomes a deletion, a replace the
// old object plus its deletion (so that it applies as a replace), a delete the old object (a
// re-create). Namespace labels are not undone. Errors: those of planApply.
Result<Modification> undoOf(const PolicyState& before, const Modification& modification);

// The modification that turns `current` into `target`: creates, replaces and deletes, policies
// equal in both left alone. `apply` and `to_delete` are sorted by (namespace, name), so the same
// two states always give the same text.
Modification modificationBetween(const PolicyState& current, const PolicyState& target);

struct ChangeCounts {
    size_t created = 0;
    size_t replaced = 0;
    size_t deleted = 0;
};

// What a modification does, read from the modification alone: a policy of `apply` that is also
// in `to_delete` counts as replaced, any other as created, any other deletion as deleted.
ChangeCounts countChanges(const Modification& modification);

// True when the modification neither applies nor deletes a policy nor labels a namespace.
bool isEmpty(const Modification& modification);

}  // namespace netpolgen::core
