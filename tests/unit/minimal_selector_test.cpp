// `generate --selectors minimal` (core/minimal_selector.h): the fewest stable labels that tell a
// workload's pods from the other pods of its namespace.
#include "core/minimal_selector.h"

#include <gtest/gtest.h>

#include "core/generator.h"

namespace netpolgen::core {
namespace {

Workload workload(std::string ns, std::string name, Labels labels) {
    Workload w;
    w.ns = std::move(ns);
    w.name = std::move(name);
    w.selector = selectorFromLabels(labels);
    w.pod_labels = std::move(labels);
    return w;
}

Labels selected(const Cluster& c, size_t i) {
    return minimalSelectors(c)[i].selector.match_labels;
}

TEST(MinimalSelector, PrefersTheApplicationNameAndDropsTheRest) {
    Cluster c;
    c.workloads = {
        workload("shop",
                 "cart",
                 {{"app.kubernetes.io/name", "cart"},
                  {"app.kubernetes.io/version", "1.4.2"},
                  {"team", "payments"},
                  {"pod-template-hash", "7d9f8c6b5"}}),
        workload("shop", "web", {{"app.kubernetes.io/name", "web"}, {"team", "payments"}})};
    EXPECT_EQ(selected(c, 0), (Labels{{"app.kubernetes.io/name", "cart"}}));
    EXPECT_EQ(selected(c, 1), (Labels{{"app.kubernetes.io/name", "web"}}));
}

TEST(MinimalSelector, AddsALabelWhenOneIsShared) {
    // Istio's bookinfo: reviews-v1, -v2 and -v3 share app=reviews.
    Cluster c;
    for (const char* v : {"v1", "v2", "v3"}) {
        c.workloads.push_back(workload(
            "bookinfo", std::string("reviews-") + v, {{"app", "reviews"}, {"version", v}}));
    }
    EXPECT_EQ(selected(c, 1), (Labels{{"app", "reviews"}, {"version", "v2"}}));
    EXPECT_TRUE(minimalSelectors(c)[1].also_selects.empty());
}

TEST(MinimalSelector, OtherNamespacesDoNotCount) {
    Cluster c;
    c.workloads = {workload("a", "api", {{"app", "api"}, {"tier", "backend"}}),
                   workload("b", "api", {{"app", "api"}, {"tier", "backend"}})};
    EXPECT_EQ(selected(c, 0), (Labels{{"app", "api"}}));
}

TEST(MinimalSelector, NeverUsesLabelsControllersWritePerRevisionPodOrRun) {
    for (const char* key : {"pod-template-hash",
                            "controller-revision-hash",
                            "statefulset.kubernetes.io/pod-name",
                            "controller-uid",
                            "batch.kubernetes.io/controller-uid",
                            "batch.kubernetes.io/job-name",
                            "job-name",
                            "pod-template-generation",
                            "apps.kubernetes.io/pod-index"}) {
        EXPECT_TRUE(isUnstableLabelKey(key)) << key;
    }
    EXPECT_FALSE(isUnstableLabelKey("app"));
    EXPECT_FALSE(isUnstableLabelKey("app.kubernetes.io/instance"));
    // Only a revision hash tells these two apart: no stable subset is exact.
    Cluster c;
    c.workloads = {workload("ns", "old", {{"app", "x"}, {"controller-revision-hash", "1"}}),
                   workload("ns", "new", {{"app", "x"}, {"controller-revision-hash", "2"}})};
    auto all = minimalSelectors(c);
    EXPECT_EQ(all[0].selector.match_labels, (Labels{{"app", "x"}}));
    EXPECT_EQ(all[0].also_selects, (std::vector<std::string>{"ns/new"}));
}

TEST(MinimalSelector, AWorkloadWithoutStableLabelsKeepsItsOwnSelector) {
    Cluster c;
    c.workloads = {workload("ns", "job", {{"job-name", "job"}}),
                   workload("ns", "web", {{"app", "web"}})};
    EXPECT_EQ(selected(c, 0), (Labels{{"job-name", "job"}}));
}

TEST(MinimalSelector, TheGeneratorUsesItOnlyWhenAsked) {
    Cluster c;
    c.namespaces = {Namespace{"shop", {{std::string(kNamespaceNameLabel), "shop"}}, true, {}}};
    c.workloads = {
        workload("shop", "db", {{"app", "db"}, {"pod-template-hash", "abc"}, {"tier", "data"}}),
        workload("shop", "web", {{"app", "web"}, {"pod-template-hash", "def"}})};
    FlowGraph graph;
    GenerateOptions options;
    auto stackrox = generatePolicies(c, graph, options);
    ASSERT_TRUE(stackrox);
    EXPECT_EQ(stackrox->modification.apply.at(0).pod_selector.match_labels.size(), 3u);
    options.selectors = SelectorStyle::kMinimal;
    auto minimal = generatePolicies(c, graph, options);
    ASSERT_TRUE(minimal);
    EXPECT_EQ(minimal->modification.apply.at(0).pod_selector.match_labels, (Labels{{"app", "db"}}));
}

}  // namespace
}  // namespace netpolgen::core
