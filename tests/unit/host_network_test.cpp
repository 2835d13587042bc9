// hostNetwork workloads: their pods share the node's network namespace, which NetworkPolicies do
// not isolate (docs/egress-and-flavours.md §1.8). No policy is generated for them, their traffic
// counts as the node's, and connectivity shows them as not isolated.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "../support/cli_run.h"

namespace netpolgen {
namespace {

using testing_support::runNetpolgen;

constexpr const char* kCluster = R"(apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: shop}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      hostNetwork: true
      containers: [{name: a, image: a, ports: [{containerPort: 9100}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: w, image: w, ports: [{containerPort: 8080}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: w, image: w}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec:
  podSelector: {}
)";

constexpr const char* kFlows =
    R"({"src":"shop/agent","dst":"shop/web","port":8080,"protocol":"TCP"}
{"src":"shop/api","dst":"shop/web","port":8080,"protocol":"TCP"}
{"src":"shop/api","dst":"shop/agent","port":9100,"protocol":"TCP"}
)";

class HostNetwork : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("netpolgen-hostnet-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_);
        std::ofstream(dir_ / "cluster.yaml") << kCluster;
        std::ofstream(dir_ / "flows.jsonl") << kFlows;
        // Without the deny-all policy: what generate sees as unprotected workloads.
        std::string open = kCluster;
        open.resize(open.find("---\napiVersion: networking.k8s.io/v1"));
        std::ofstream(dir_ / "open.yaml") << open;
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::string path(const char* name) const { return (dir_ / name).string(); }

    std::filesystem::path dir_;
};

TEST_F(HostNetwork, NoPolicyIsGeneratedAndItsTrafficIsTheNodes) {
    const auto run =
        runNetpolgen({"generate", "--cluster", path("open.yaml"), "--flows", path("flows.jsonl")});
    ASSERT_EQ(run.status, 0) << run.err;
    EXPECT_EQ(run.out.find("stackrox-generated-agent"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("name: stackrox-generated-web"), std::string::npos) << run.out;
    EXPECT_NE(run.err.find("shop/agent (DaemonSet): hostNetwork"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("sources in hostNetwork pods, counted as their node's traffic: 1"),
              std::string::npos)
        << run.err;
    // agent's flow to web is the node's: web's rule admits api by its pod selector, never agent's
    // labels.
    EXPECT_EQ(run.out.find("app: agent"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("app: api"), std::string::npos) << run.out;
}

TEST_F(HostNetwork, ConnectivityShowsItNotIsolatedAndNeverSelected) {
    const auto run = runNetpolgen({"explain",
                                   "--cluster",
                                   path("cluster.yaml"),
                                   "--src",
                                   "shop/api",
                                   "--dst",
                                   "shop/agent",
                                   "--port",
                                   "9100",
                                   "--format",
                                   "json"});
    ASSERT_EQ(run.status, 0) << run.err;
    EXPECT_NE(run.out.find("\"allowed\": true"), std::string::npos) << run.out;
    const auto back = runNetpolgen({"explain",
                                    "--cluster",
                                    path("cluster.yaml"),
                                    "--src",
                                    "shop/agent",
                                    "--dst",
                                    "shop/web",
                                    "--port",
                                    "8080",
                                    "--format",
                                    "json"});
    ASSERT_EQ(back.status, 0) << back.err;
    EXPECT_NE(back.out.find("\"allowed\": false"), std::string::npos) << back.out;
    const auto map = runNetpolgen({"connectivity", "--cluster", path("cluster.yaml")});
    ASSERT_EQ(map.status, 0) << map.err;
    // The deny-all isolates web and api, not agent: everything may reach agent.
    const std::string api_to_agent =
        "shop/api[Deployment] => shop/agent[DaemonSet] : All Connections";
    EXPECT_NE(map.out.find(api_to_agent), std::string::npos) << map.out;
    EXPECT_EQ(map.out.find("=> shop/web"), std::string::npos) << map.out;
    // netpol-analyzer's view: a hostNetwork pod is a pod like any other, isolated by deny-all.
    const auto as_pods = runNetpolgen(
        {"connectivity", "--cluster", path("cluster.yaml"), "--host-network-exempt=false"});
    ASSERT_EQ(as_pods.status, 0) << as_pods.err;
    EXPECT_EQ(as_pods.out.find(api_to_agent), std::string::npos) << as_pods.out;
    EXPECT_EQ(as_pods.out.find("=> shop/agent"), std::string::npos) << as_pods.out;
}

}  // namespace
}  // namespace netpolgen
