// PolicyState: apply, undo and revert of modifications (docs/stackrox-generator.md §5.1), with
// properties on random states: undo restores the state, modificationBetween reaches the target.
#include "core/policy_state.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace netpolgen::core {
namespace {

NetworkPolicy policy(const std::string& ns, const std::string& name, const std::string& app = "a") {
    NetworkPolicy p;
    p.ns = ns;
    p.name = name;
    p.pod_selector.match_labels["app"] = app;
    p.policy_types = {PolicyType::kIngress};
    return p;
}

PolicyState stateOf(std::vector<NetworkPolicy> policies) {
    auto state = policyStateOf(std::move(policies));
    EXPECT_TRUE(state.ok()) << state.error();
    return state.ok() ? *state : PolicyState{};
}

std::vector<std::string> refs(const PolicyState& s) {
    std::vector<std::string> out;
    for (const auto& [ref, p] : s.policies) {
        out.push_back(ref.ns + "/" + ref.name);
    }
    return out;
}

TEST(PolicyState, DuplicatesAndMissingNamesAreRefused) {
    auto state = policyStateOf({policy("shop", "a"), policy("shop", "a"), policy("", "b")});
    ASSERT_FALSE(state.ok());
    EXPECT_EQ(state.error(),
              "policy a in namespace shop appears more than once\npolicy b has no namespace");
}

TEST(PolicyState, CreateReplaceAndDeleteInTheSensorsOrder) {
    const PolicyState before =
        stateOf({policy("shop", "keep"), policy("shop", "old", "x"), policy("shop", "gone")});
    Modification m;
    m.apply = {policy("shop", "new"), policy("shop", "old", "y")};
    m.to_delete = {{"shop", "gone"}, {"shop", "old"}};
    auto steps = planApply(before, m);
    ASSERT_TRUE(steps.ok()) << steps.error();
    ASSERT_EQ(steps->size(), 3u);
    EXPECT_EQ((*steps)[0].action, ApplyAction::kCreate);
    EXPECT_EQ((*steps)[0].ref.name, "new");
    EXPECT_EQ((*steps)[1].action, ApplyAction::kReplace);
    EXPECT_EQ((*steps)[1].previous->pod_selector.match_labels.at("app"), "x");
    EXPECT_EQ((*steps)[2].action, ApplyAction::kDelete);
    EXPECT_EQ((*steps)[2].ref.name, "gone");

    auto after = applyModification(before, m);
    ASSERT_TRUE(after.ok()) << after.error();
    EXPECT_EQ(refs(*after), (std::vector<std::string>{"shop/keep", "shop/new", "shop/old"}));
    EXPECT_EQ(after->find({"shop", "old"})->pod_selector.match_labels.at("app"), "y");
}

TEST(PolicyState, CreatingAnExistingPolicyIsAnError) {
    const PolicyState before = stateOf({policy("shop", "web")});
    Modification m;
    m.apply = {policy("shop", "web", "b")};
    auto after = applyModification(before, m);
    ASSERT_FALSE(after.ok());
    EXPECT_EQ(after.error(),
              "policy web in namespace shop already exists (to replace it, also mark it for "
              "deletion: # kubectl -n shop delete networkpolicy web)");
}

TEST(PolicyState, EveryValidationErrorIsReportedInOrder) {
    const PolicyState before = stateOf({policy("shop", "web")});
    Modification m;
    m.apply = {policy("shop", "a"), policy("shop", "a"), policy("shop", ""), policy("", "b")};
    m.to_delete = {{"shop", "missing"}, {"shop", "web"}, {"shop", "web"}};
    auto after = applyModification(before, m);
    ASSERT_FALSE(after.ok());
    EXPECT_EQ(after.error(),
              "policy web in namespace shop is marked for deletion more than once\n"
              "policy a in namespace shop appears more than once in the modification\n"
              "policy in namespace shop has no name\n"
              "policy b has no namespace\n"
              "policy missing in namespace shop marked for deletion does not exist");
}

TEST(PolicyState, AReplaceOfAMissingPolicyIsACreate) {
    Modification m;
    m.apply = {policy("shop", "web")};
    m.to_delete = {{"shop", "web"}};
    auto steps = planApply(PolicyState{}, m);
    ASSERT_TRUE(steps.ok()) << steps.error();
    ASSERT_EQ(steps->size(), 1u);
    EXPECT_EQ((*steps)[0].action, ApplyAction::kCreate);
}

TEST(PolicyState, UndoFollowsTheSensorsRollbackOrder) {
    const PolicyState before = stateOf({policy("shop", "old", "x"), policy("shop", "gone")});
    Modification m;
    m.apply = {policy("shop", "new"), policy("shop", "old", "y")};
    m.to_delete = {{"shop", "old"}, {"shop", "gone"}};
    auto undo = undoOf(before, m);
    ASSERT_TRUE(undo.ok()) << undo.error();
    // Reverse order: re-create gone, replace old back, delete new.
    ASSERT_EQ(undo->apply.size(), 2u);
    EXPECT_EQ(undo->apply[0].name, "gone");
    EXPECT_EQ(undo->apply[1].name, "old");
    EXPECT_EQ(undo->apply[1].pod_selector.match_labels.at("app"), "x");
    EXPECT_EQ(undo->to_delete, (std::vector<ObjectRef>{{"shop", "old"}, {"shop", "new"}}));
    const ChangeCounts counts = countChanges(*undo);
    EXPECT_EQ(counts.created, 1u);
    EXPECT_EQ(counts.replaced, 1u);
    EXPECT_EQ(counts.deleted, 1u);
}

TEST(PolicyState, NamespaceLabelsLeaveTheStateAlone) {
    const PolicyState before = stateOf({policy("shop", "web")});
    Modification m;
    m.namespace_labels = {{"shop", "team", "a"}};
    EXPECT_FALSE(isEmpty(m));
    auto after = applyModification(before, m);
    ASSERT_TRUE(after.ok()) << after.error();
    EXPECT_EQ(*after, before);
    auto undo = undoOf(before, m);
    ASSERT_TRUE(undo.ok());
    EXPECT_TRUE(isEmpty(*undo));
}

TEST(PolicyState, ModificationBetweenIsSortedAndSkipsEqualPolicies) {
    const PolicyState current =
        stateOf({policy("b", "z"), policy("a", "same"), policy("a", "changed", "x")});
    const PolicyState target = stateOf({policy("a", "same"),
                                        policy("a", "changed", "y"),
                                        policy("c", "new"),
                                        policy("a", "added")});
    const Modification m = modificationBetween(current, target);
    std::vector<std::string> applied;
    for (const auto& p : m.apply) {
        applied.push_back(p.ns + "/" + p.name);
    }
    EXPECT_EQ(applied, (std::vector<std::string>{"a/added", "a/changed", "c/new"}));
    EXPECT_EQ(m.to_delete, (std::vector<ObjectRef>{{"a", "changed"}, {"b", "z"}}));
    EXPECT_TRUE(isEmpty(modificationBetween(current, current)));
}

// ---------------------------------------------------------------------------------------------
// Properties on random states: names from a small pool so that creates, replaces and deletes
// collide often, contents from a few label values so that equal and different objects both occur.

struct RandomStates {
    std::mt19937 rng;

    explicit RandomStates(uint32_t seed) : rng(seed) {}

    int pick(int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); }

    NetworkPolicy randomPolicy(const ObjectRef& ref) {
        NetworkPolicy p =
            policy(ref.ns, ref.name, std::string(1, static_cast<char>('a' + pick(3))));
        if (pick(3) == 0) {
            p.labels[std::string(kGeneratedLabelKey)] = "true";
        }
        if (pick(2) == 0) {
            PolicyRule rule;
            rule.ports.push_back(
                {Protocol::kTcp, true, PortValue{static_cast<uint32_t>(80 + pick(3)), ""}, {}});
            p.ingress.push_back(rule);
        }
        return p;
    }

    ObjectRef randomRef() {
        return {"ns" + std::to_string(pick(3)), "p" + std::to_string(pick(6))};
    }

    PolicyState randomState() {
        PolicyState s;
        const int n = pick(10);
        for (int i = 0; i < n; ++i) {
            const ObjectRef ref = randomRef();
            s.policies.insert_or_assign(ref, randomPolicy(ref));
        }
        return s;
    }

    // A valid modification of `s`: each existing policy is kept, replaced or deleted, and a few
    // absent names are created; apply and to_delete shuffled.
    Modification randomModification(const PolicyState& s) {
        Modification m;
        for (const auto& [ref, p] : s.policies) {
            const int what = pick(3);
            if (what == 1) {
                m.apply.push_back(randomPolicy(ref));
                m.to_delete.push_back(ref);
            } else if (what == 2) {
                m.to_delete.push_back(ref);
            }
        }
        for (int i = pick(4); i > 0; --i) {
            const ObjectRef ref = randomRef();
            const bool taken = s.find(ref) != nullptr ||
                               std::any_of(m.apply.begin(), m.apply.end(), [&](const auto& p) {
                                   return p.ns == ref.ns && p.name == ref.name;
                               });
            if (!taken) {
                m.apply.push_back(randomPolicy(ref));
            }
        }
        std::shuffle(m.apply.begin(), m.apply.end(), rng);
        std::shuffle(m.to_delete.begin(), m.to_delete.end(), rng);
        return m;
    }
};

TEST(PolicyStateProperty, ApplyingTheUndoRestoresTheState) {
    for (uint32_t seed = 1; seed <= 2000; ++seed) {
        RandomStates r(seed);
        const PolicyState s = r.randomState();
        const Modification m = r.randomModification(s);
        auto after = applyModification(s, m);
        ASSERT_TRUE(after.ok()) << "seed " << seed << ": " << after.error();
        auto undo = undoOf(s, m);
        ASSERT_TRUE(undo.ok()) << "seed " << seed << ": " << undo.error();
        auto restored = applyModification(*after, *undo);
        ASSERT_TRUE(restored.ok()) << "seed " << seed << ": " << restored.error();
        EXPECT_EQ(*restored, s) << "seed " << seed;
        // The undo of the undo redoes the modification.
        auto redo = undoOf(*after, *undo);
        ASSERT_TRUE(redo.ok()) << "seed " << seed << ": " << redo.error();
        auto again = applyModification(s, *redo);
        ASSERT_TRUE(again.ok()) << "seed " << seed << ": " << again.error();
        EXPECT_EQ(*again, *after) << "seed " << seed;
    }
}

TEST(PolicyStateProperty, ModificationBetweenReachesTheTarget) {
    for (uint32_t seed = 1; seed <= 2000; ++seed) {
        RandomStates r(seed);
        const PolicyState current = r.randomState();
        const PolicyState target = r.randomState();
        const Modification m = modificationBetween(current, target);
        auto reached = applyModification(current, m);
        ASSERT_TRUE(reached.ok()) << "seed " << seed << ": " << reached.error();
        EXPECT_EQ(*reached, target) << "seed " << seed;
        // Only what differs is touched.
        for (const auto& p : m.apply) {
            const NetworkPolicy* old = current.find({p.ns, p.name});
            EXPECT_TRUE(old == nullptr || !(*old == p)) << "seed " << seed;
        }
    }
}

TEST(PolicyStateProperty, CountsMatchThePlannedSteps) {
    for (uint32_t seed = 1; seed <= 500; ++seed) {
        RandomStates r(seed);
        const PolicyState s = r.randomState();
        const Modification m = r.randomModification(s);
        auto steps = planApply(s, m);
        ASSERT_TRUE(steps.ok()) << steps.error();
        ChangeCounts planned;
        for (const ApplyStep& step : *steps) {
            ++(step.action == ApplyAction::kCreate    ? planned.created
               : step.action == ApplyAction::kReplace ? planned.replaced
                                                      : planned.deleted);
        }
        const ChangeCounts counted = countChanges(m);
        EXPECT_EQ(counted.created, planned.created) << "seed " << seed;
        EXPECT_EQ(counted.replaced, planned.replaced) << "seed " << seed;
        EXPECT_EQ(counted.deleted, planned.deleted) << "seed " << seed;
    }
}

}  // namespace
}  // namespace netpolgen::core
