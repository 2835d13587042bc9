// apply, revert, history and delete-generated end to end: the real command line on a temporary
// SQLite store, with tests/history/fake_kubectl.sh standing in for kubectl. The fake keeps the
// cluster's policies as files, so every test can compare the cluster's objects with the state it
// expects, and logs its calls, so tests can check which calls were made and in which order.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../support/cli_run.h"
#include "../support/store_edit.h"
#include "cli/app.h"
#include "core/policy_state.h"
#include "io/manifest_decoder.h"
#include "io/policy_encoder.h"
#include "io/yaml_writer.h"
#include "store/cluster_history.h"
#include "store/store.h"

namespace netpolgen {
namespace {

namespace fs = std::filesystem;
using core::NetworkPolicy;
using core::PolicyState;

constexpr core::Timestamp kSnapshotTime = 1795168800;  // 2026-11-20T10:00:00Z
const std::string kFakeKubectl = NETPOLGEN_SOURCE_DIR "/tests/history/fake_kubectl.sh";

NetworkPolicy policy(const std::string& ns, const std::string& name, const std::string& app) {
    NetworkPolicy p;
    p.ns = ns;
    p.name = name;
    p.pod_selector.match_labels["app"] = app;
    p.policy_types = {core::PolicyType::kIngress};
    if (name.rfind(core::kGeneratedNamePrefix, 0) == 0) {
        p.labels[std::string(core::kGeneratedLabelKey)] = "true";
    }
    return p;
}

NetworkPolicy withPort(NetworkPolicy p, uint32_t port) {
    core::PolicyRule rule;
    rule.ports.push_back({core::Protocol::kTcp, true, core::PortValue{port, ""}, {}});
    p.ingress = {rule};
    return p;
}

std::string yamlOf(const NetworkPolicy& p) {
    return io::writeYaml(io::policyToJson(p));
}

class HistoryCli : public testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("netpolgen-history-" + std::to_string(::getpid()) + "-" +
                testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "cluster");
        db_ = (dir_ / "history.db").string();
        ::setenv("FAKE_KUBECTL_DIR", (dir_ / "cluster").c_str(), 1);
        ::setenv("FAKE_KUBECTL_LOG", (dir_ / "kubectl.log").c_str(), 1);
        ::unsetenv("FAKE_KUBECTL_FAIL_ON");
        initial_ = {policy("shop", "allow-web", "web"),
                    policy("shop", "stackrox-generated-db", "db"),
                    policy("pay", "stackrox-generated-api", "api")};
        seedCluster(initial_);
    }
    void TearDown() override {
        ::unsetenv("FAKE_KUBECTL_FAIL_ON");
        ::unsetenv("FAKE_KUBECTL_DELAY");
        fs::remove_all(dir_);
    }

    // The same policies in the fake cluster and in a snapshot of the store.
    void seedCluster(const std::vector<NetworkPolicy>& policies) {
        std::string all;
        for (const NetworkPolicy& p : policies) {
            fs::create_directories(dir_ / "cluster" / p.ns);
            std::ofstream(dir_ / "cluster" / p.ns / (p.name + ".yaml")) << yamlOf(p);
            all += "---\n" + yamlOf(p);
        }
        auto store = store::openStore(db_);
        ASSERT_TRUE(store.ok()) << store.error();
        store::Snapshot snapshot;
        snapshot.cluster = "default";
        snapshot.taken_at = kSnapshotTime;
        snapshot.files = {{"cluster/policies.yaml", all}};
        auto id = (*store)->putSnapshot(snapshot);
        ASSERT_TRUE(id.ok()) << id.error();
    }

    std::string write(const std::string& name, const std::string& text) {
        const std::string path = (dir_ / name).string();
        std::ofstream(path) << text;
        return path;
    }

    // `netpolgen ARGS…` with the store and, where asked, the fake kubectl.
    int run(std::vector<std::string> args) {
        const testing_support::CliRun r = testing_support::runNetpolgen(std::move(args));
        out_.str(r.out);
        err_.str(r.err);
        return r.status;
    }

    int apply(const std::string& file, const std::string& now, bool kubectl = true) {
        std::vector<std::string> args{
            "apply", "--db", db_, file, "--user", "alice@test", "--now", now};
        if (kubectl) {
            args.insert(args.end(), {"--kubectl", "--kubectl-path", kFakeKubectl});
        }
        return run(args);
    }

    int revert(std::vector<std::string> args, const std::string& now) {
        args.insert(args.begin(), {"revert", "--db", db_, "--user", "bob@test", "--now", now});
        args.insert(args.end(), {"--kubectl", "--kubectl-path", kFakeKubectl});
        return run(args);
    }

    // The policies in the fake cluster, decoded as netpolgen decodes manifests.
    PolicyState clusterState() const {
        core::ClusterObjects objects;
        io::ManifestStats stats;
        for (const auto& entry : fs::recursive_directory_iterator(dir_ / "cluster")) {
            if (entry.path().extension() != ".yaml") {
                continue;
            }
            std::ifstream in(entry.path());
            const std::string text{std::istreambuf_iterator<char>(in), {}};
            auto st = io::decodeManifests(text, entry.path().string(), {}, objects, stats);
            EXPECT_TRUE(st.ok()) << st.error();
        }
        std::vector<NetworkPolicy> policies;
        for (auto& o : objects.policies) {
            policies.push_back(o.policy);
        }
        auto state = core::policyStateOf(policies);
        EXPECT_TRUE(state.ok()) << state.error();
        return state.ok() ? *state : PolicyState{};
    }

    static PolicyState stateOf(const std::vector<NetworkPolicy>& policies) {
        auto state = core::policyStateOf(policies);
        EXPECT_TRUE(state.ok()) << state.error();
        return state.ok() ? *state : PolicyState{};
    }

    // The argv lines of the kubectl log, in call order.
    std::vector<std::string> kubectlCalls() const {
        std::ifstream in(dir_ / "kubectl.log");
        std::vector<std::string> out;
        for (std::string line; std::getline(in, line);) {
            if (line.rfind("argv: ", 0) == 0) {
                out.push_back(line.substr(6));
            }
        }
        return out;
    }

    void clearKubectlLog() { fs::remove(dir_ / "kubectl.log"); }

    // Creates shop/new, replaces shop/allow-web (port 8080), deletes pay/stackrox-generated-api.
    std::string firstModification() {
        return write("m1.yaml",
                     "# kubectl -n shop delete networkpolicy allow-web\n"
                     "# kubectl -n pay delete networkpolicy stackrox-generated-api\n---\n" +
                         yamlOf(policy("shop", "new", "new")) + "---\n" +
                         yamlOf(withPort(policy("shop", "allow-web", "web"), 8080)));
    }

    std::vector<NetworkPolicy> initial_;
    fs::path dir_;
    std::string db_;
    std::ostringstream out_;
    std::ostringstream err_;
};

TEST_F(HistoryCli, ApplyRunsCreateReplaceAndDeleteInTheSensorsOrder) {
    ASSERT_EQ(apply(firstModification(), "2026-11-20T10:01:00Z"), 0) << err_.str();
    EXPECT_EQ(kubectlCalls(),
              (std::vector<std::string>{"create -f -",
                                        "replace -f -",
                                        "delete networkpolicy -n pay -- stackrox-generated-api"}));
    EXPECT_EQ(clusterState(),
              stateOf({policy("shop", "new", "new"),
                       withPort(policy("shop", "allow-web", "web"), 8080),
                       policy("shop", "stackrox-generated-db", "db")}));
    EXPECT_EQ(out_.str(),
              "created networkpolicy shop/new\n"
              "replaced networkpolicy shop/allow-web\n"
              "deleted networkpolicy pay/stackrox-generated-api\n"
              "recorded apply #1 for cluster \"default\": 1 created, 1 replaced, 1 deleted, via "
              "kubectl\n");
}

TEST_F(HistoryCli, ContextIsPassedToEveryKubectlCall) {
    const std::string m = write("m.yaml", "# kubectl -n shop delete networkpolicy allow-web\n");
    ASSERT_EQ(run({"apply",
                   "--db",
                   db_,
                   m,
                   "--kubectl",
                   "--kubectl-path",
                   kFakeKubectl,
                   "--context",
                   "kind-test"}),
              0)
        << err_.str();
    EXPECT_EQ(kubectlCalls(),
              (std::vector<std::string>{
                  "--context kind-test delete networkpolicy -n shop -- allow-web"}));
}

TEST_F(HistoryCli, AFailureInTheMiddleRollsBackAndRecordsNothing) {
    // replace allow-web, delete stackrox-generated-db, then deleting the api policy fails.
    const std::string m =
        write("m.yaml",
              "# kubectl -n shop delete networkpolicy allow-web\n"
              "# kubectl -n shop delete networkpolicy stackrox-generated-db\n"
              "# kubectl -n pay delete networkpolicy stackrox-generated-api\n---\n" +
                  yamlOf(withPort(policy("shop", "allow-web", "web"), 9090)));
    ::setenv("FAKE_KUBECTL_FAIL_ON", "stackrox-generated-api", 1);
    EXPECT_EQ(apply(m, "2026-11-20T10:01:00Z"), 1);
    EXPECT_EQ(kubectlCalls(),
              (std::vector<std::string>{"replace -f -",
                                        "delete networkpolicy -n shop -- stackrox-generated-db",
                                        "delete networkpolicy -n pay -- stackrox-generated-api",
                                        "create -f -",
                                        "replace -f -"}));
    EXPECT_EQ(clusterState(), stateOf(initial_));
    EXPECT_NE(err_.str().find("netpolgen: kubectl delete networkpolicy pay/stackrox-generated-api "
                              "failed (exit 1): Error from server (Forbidden)"),
              std::string::npos)
        << err_.str();
    EXPECT_NE(err_.str().find("netpolgen: rolled back 2 change(s) done before\n"
                              "netpolgen: nothing recorded\n"),
              std::string::npos)
        << err_.str();
    EXPECT_NE(out_.str().find("rolled back: created networkpolicy shop/stackrox-generated-db\n"
                              "rolled back: replaced networkpolicy shop/allow-web\n"),
              std::string::npos)
        << out_.str();
    ASSERT_EQ(run({"history", "--db", db_}), 0);
    EXPECT_EQ(out_.str(), "no applied modification recorded for cluster \"default\"\n");
}

TEST_F(HistoryCli, ACreateThatFailsRollsBackTheCreatesBeforeIt) {
    const std::string m =
        write("m.yaml",
              "---\n" + yamlOf(policy("shop", "a", "a")) + "---\n" +
                  yamlOf(policy("shop", "b", "b")) + "---\n" + yamlOf(policy("shop", "c", "c")));
    ::setenv("FAKE_KUBECTL_FAIL_ON", "b", 1);
    EXPECT_EQ(apply(m, "2026-11-20T10:01:00Z"), 1);
    EXPECT_EQ(kubectlCalls(),
              (std::vector<std::string>{
                  "create -f -", "create -f -", "delete networkpolicy -n shop -- a"}));
    EXPECT_EQ(clusterState(), stateOf(initial_));
}

TEST_F(HistoryCli, ApplyThenRevertRestoresThePriorPolicies) {
    ASSERT_EQ(apply(firstModification(), "2026-11-20T10:01:00Z"), 0) << err_.str();
    ASSERT_NE(clusterState(), stateOf(initial_));
    clearKubectlLog();
    ASSERT_EQ(revert({"--steps", "1"}, "2026-11-20T10:02:00Z"), 0) << err_.str();
    EXPECT_EQ(clusterState(), stateOf(initial_));
    // Recreate the deleted, replace back the replaced, delete the created: sorted by name.
    EXPECT_EQ(kubectlCalls(),
              (std::vector<std::string>{
                  "create -f -", "replace -f -", "delete networkpolicy -n shop -- new"}));
    EXPECT_NE(out_.str().find("recorded revert #2 for cluster \"default\" (back to before apply "
                              "#1): 1 created, 1 replaced, 1 deleted, via kubectl\n"),
              std::string::npos)
        << out_.str();
    // Nothing left to revert back to before #1.
    ASSERT_EQ(run({"revert", "--db", db_, "--to", "1"}), 0) << err_.str();
    EXPECT_EQ(out_.str(), "# No policies need to be created or deleted.\n");
}

TEST_F(HistoryCli, RevertWithoutKubectlPrintsTheModification) {
    ASSERT_EQ(apply(firstModification(), "2026-11-20T10:01:00Z"), 0) << err_.str();
    clearKubectlLog();
    ASSERT_EQ(run({"revert", "--db", db_}), 0) << err_.str();
    EXPECT_EQ(out_.str(),
              "# kubectl -n shop delete networkpolicy allow-web\n"
              "# kubectl -n shop delete networkpolicy new\n---\n" +
                  yamlOf(policy("pay", "stackrox-generated-api", "api")) + "---\n" +
                  yamlOf(policy("shop", "allow-web", "web")));
    EXPECT_NE(err_.str().find("revert of cluster \"default\" to before apply #1 "
                              "(2026-11-20T10:01:00Z, alice@test): 1 created, 1 replaced, 1 "
                              "deleted; not applied"),
              std::string::npos)
        << err_.str();
    EXPECT_TRUE(kubectlCalls().empty());
    ASSERT_EQ(run({"history", "--db", db_, "--format", "json"}), 0);
    EXPECT_EQ(out_.str().find("\"action\": \"revert\""), std::string::npos) << "nothing recorded";
}

TEST_F(HistoryCli, RevertTwoStepsAcrossTwoApplies) {
    ASSERT_EQ(apply(firstModification(), "2026-11-20T10:01:00Z"), 0) << err_.str();
    // The second apply changes what the first created and deletes a policy of the snapshot.
    const std::string m2 = write("m2.yaml",
                                 "# kubectl -n shop delete networkpolicy new\n"
                                 "# kubectl -n shop delete networkpolicy stackrox-generated-db\n"
                                 "---\n" +
                                     yamlOf(withPort(policy("shop", "new", "new"), 443)));
    ASSERT_EQ(apply(m2, "2026-11-20T10:02:00Z"), 0) << err_.str();
    ASSERT_EQ(revert({"--steps", "2"}, "2026-11-20T10:03:00Z"), 0) << err_.str();
    EXPECT_EQ(clusterState(), stateOf(initial_));
    EXPECT_EQ(run({"revert", "--db", db_, "--steps", "4"}), 2);
    EXPECT_EQ(err_.str(),
              "netpolgen: --steps 4: cluster \"default\" has 3 recorded change(s); --steps takes "
              "1 to 3\n");
}

TEST_F(HistoryCli, RevertToAnIdGoesBackToTheStateBeforeIt) {
    ASSERT_EQ(apply(firstModification(), "2026-11-20T10:01:00Z"), 0) << err_.str();
    const PolicyState after_first = clusterState();
    const std::string m2 = write("m2.yaml", "---\n" + yamlOf(policy("shop", "second", "x")));
    ASSERT_EQ(apply(m2, "2026-11-20T10:02:00Z"), 0) << err_.str();
    const std::string m3 = write("m3.yaml",
                                 "# kubectl -n shop delete networkpolicy second\n---\n" +
                                     yamlOf(policy("pay", "third", "y")));
    ASSERT_EQ(apply(m3, "2026-11-20T10:03:00Z"), 0) << err_.str();
    ASSERT_EQ(revert({"--to", "2"}, "2026-11-20T10:04:00Z"), 0) << err_.str();
    EXPECT_EQ(clusterState(), after_first);
    // Reverting the revert brings back the state after apply #3.
    ASSERT_EQ(revert({}, "2026-11-20T10:05:00Z"), 0) << err_.str();
    EXPECT_NE(clusterState(), after_first);
    EXPECT_NE(clusterState().find({"pay", "third"}), nullptr);
    EXPECT_EQ(clusterState().find({"shop", "second"}), nullptr);

    EXPECT_EQ(run({"revert", "--db", db_, "--to", "42"}), 2);
    EXPECT_EQ(err_.str(),
              "netpolgen: --to 42: no apply #42 recorded for cluster \"default\" (ids 1–5)\n");
}

TEST_F(HistoryCli, HistoryListsAppliesAndReverts) {
    ASSERT_EQ(apply(firstModification(), "2026-11-20T10:01:00Z"), 0) << err_.str();
    const std::string m2 = write("m2.yaml", "---\n" + yamlOf(policy("shop", "second", "x")));
    ASSERT_EQ(apply(m2, "2026-11-20T10:02:00Z", false), 0) << err_.str();
    EXPECT_EQ(out_.str(),
              "recorded apply #2 for cluster \"default\": 1 created, 0 replaced, 0 deleted; not "
              "applied by netpolgen (no --kubectl or --kube): recorded as applied by other means "
              "(GitOps, kubectl)\n");
    // Recorded as applied by other means: the fake cluster never saw apply #2.
    ASSERT_EQ(run({"revert",
                   "--db",
                   db_,
                   "--to",
                   "1",
                   "--record",
                   "--user",
                   "bob@test",
                   "--now",
                   "2026-11-20T10:03:00Z"}),
              0)
        << err_.str();
    EXPECT_TRUE(kubectlCalls().size() == 3u) << "only apply #1 ran kubectl";

    ASSERT_EQ(run({"history", "--db", db_}), 0) << err_.str();
    EXPECT_EQ(out_.str(),
              "ID  TIME                  USER        ACTION              CREATED  REPLACED  "
              "DELETED  VIA\n"
              "1   2026-11-20T10:01:00Z  alice@test  apply               1        1         1 "
              "       kubectl\n"
              "2   2026-11-20T10:02:00Z  alice@test  apply               1        0         0 "
              "       recorded\n"
              "3   2026-11-20T10:03:00Z  bob@test    revert (before #1)  1        1         2 "
              "       recorded\n");
}

TEST_F(HistoryCli, HistoryJsonAndShow) {
    ASSERT_EQ(apply(firstModification(), "2026-11-20T10:01:00Z"), 0) << err_.str();
    ASSERT_EQ(run({"history", "--db", db_, "--format", "json"}), 0) << err_.str();
    EXPECT_EQ(out_.str(), R"({
  "cluster": "default",
  "history": [
    {
      "action": "apply",
      "created": 1,
      "deleted": 1,
      "id": 1,
      "replaced": 1,
      "revertsTo": null,
      "time": "2026-11-20T10:01:00Z",
      "user": "alice@test",
      "via": "kubectl"
    }
  ]
}
)");
    ASSERT_EQ(run({"history", "--db", db_, "--show", "1"}), 0) << err_.str();
    const std::string show = out_.str();
    EXPECT_EQ(show.rfind("# apply #1 of cluster \"default\" at 2026-11-20T10:01:00Z by alice@test, "
                         "via kubectl: 1 created, 1 replaced, 1 deleted\n# --- modification ---\n"
                         "# kubectl -n shop delete networkpolicy allow-web\n",
                         0),
              0u)
        << show;
    EXPECT_NE(show.find("# --- undo ---\n# kubectl -n shop delete networkpolicy allow-web\n"
                        "# kubectl -n shop delete networkpolicy new\n"),
              std::string::npos)
        << show;
    EXPECT_EQ(run({"history", "--db", db_, "--show", "7"}), 2);
    EXPECT_EQ(err_.str(), "netpolgen: --show 7: no apply #7 recorded for cluster \"default\"\n");
}

TEST_F(HistoryCli, RevertWithoutHistoryUsesStackRoxsWording) {
    EXPECT_EQ(run({"revert", "--db", db_}), 2);
    EXPECT_EQ(err_.str(), "netpolgen: no applied modification recorded for cluster \"default\"\n");
    EXPECT_EQ(run({"revert", "--db", db_, "--cluster-name", "prod"}), 2);
    EXPECT_NE(err_.str().find("no snapshot of cluster \"prod\""), std::string::npos) << err_.str();
}

TEST_F(HistoryCli, InvalidModificationsAreRefusedWithEveryReason) {
    const std::string m = write("bad.yaml",
                                "# kubectl -n shop delete networkpolicy missing\n---\n" +
                                    yamlOf(policy("shop", "allow-web", "other")));
    EXPECT_EQ(apply(m, "2026-11-20T10:01:00Z"), 2);
    EXPECT_EQ(err_.str(),
              "netpolgen: " + m + ": the modification does not apply to cluster \"default\":\n" +
                  "netpolgen: policy allow-web in namespace shop already exists (to replace it, "
                  "also mark it for deletion: # kubectl -n shop delete networkpolicy "
                  "allow-web)\n"
                  "netpolgen: policy missing in namespace shop marked for deletion does not "
                  "exist\n");
    EXPECT_TRUE(kubectlCalls().empty());
    const std::string empty = write("empty.yaml", "# No policies need to be created or deleted.\n");
    EXPECT_EQ(apply(empty, "2026-11-20T10:01:00Z"), 2);
    EXPECT_EQ(
        err_.str(),
        "netpolgen: " + empty + ": the modification is empty: no policy to apply or delete\n");
}

TEST_F(HistoryCli, RecordedAppliesAreReplayedOnTheSnapshot) {
    const std::string m = write("m.yaml", "---\n" + yamlOf(policy("shop", "second", "x")));
    ASSERT_EQ(apply(m, "2026-11-20T10:01:00Z", false), 0) << err_.str();
    EXPECT_TRUE(kubectlCalls().empty());
    EXPECT_EQ(clusterState(), stateOf(initial_)) << "without --kubectl the cluster is untouched";
    // The recorded apply is part of the current state: creating it again is refused.
    EXPECT_EQ(apply(m, "2026-11-20T10:02:00Z", false), 2);
    EXPECT_NE(err_.str().find("policy second in namespace shop already exists"), std::string::npos)
        << err_.str();
}

TEST_F(HistoryCli, SimulateAndCompareFromTheStoreSeeTheRecordedApplies) {
    const std::string m = write("m.yaml", "---\n" + yamlOf(policy("shop", "second", "x")));
    ASSERT_EQ(apply(m, "2026-11-20T10:01:00Z", false), 0) << err_.str();
    // The undo of that apply deletes shop/second: it exists only through the recorded apply.
    const std::string undo = write("undo.yaml", "# kubectl -n shop delete networkpolicy second\n");
    ASSERT_EQ(run({"simulate", "--db", db_, "--apply", undo, "--format", "json"}), 0) << err_.str();
    EXPECT_NE(out_.str().find("\"DELETED\""), std::string::npos) << out_.str();
    ASSERT_EQ(run({"compare", "--db", db_, "--apply", undo}), 0) << err_.str();
}

TEST_F(HistoryCli, AnApplyThatNoLongerReplaysOnTheSnapshotIsReported) {
    const std::string m = write("m.yaml", "---\n" + yamlOf(policy("shop", "second", "x")));
    ASSERT_EQ(apply(m, "2026-11-20T10:01:00Z", false), 0) << err_.str();
    // A newer snapshot, dated before the apply, that already holds the policy it created.
    std::vector<NetworkPolicy> with_second = initial_;
    with_second.push_back(policy("shop", "second", "x"));
    seedCluster(with_second);
    EXPECT_EQ(run({"history", "--db", db_}), 0) << "history needs no snapshot";
    EXPECT_EQ(run({"revert", "--db", db_}), 2);
    EXPECT_EQ(err_.str(),
              "netpolgen: the history of cluster \"default\" no longer replays, so its current "
              "policies are unknown: cannot replay apply #1 (2026-11-20T10:01:00Z, alice@test) on "
              "snapshot #2 of cluster \"default\" (2026-11-20T10:00:00Z); the cluster changed "
              "outside netpolgen: take a new snapshot:\n"
              "netpolgen: policy second in namespace shop already exists (to replace it, also "
              "mark it for deletion: # kubectl -n shop delete networkpolicy second)\n"
              "netpolgen: changes are refused until a new snapshot of the cluster is taken "
              "(netpolgen snapshot); history and revert to a point after the snapshot work again "
              "then\n");
    // Reading the cluster does not depend on the record: generate answers, with a warning.
    EXPECT_EQ(run({"generate", "--db", db_, "--no-traffic"}), 0) << err_.str();
}

TEST_F(HistoryCli, NamesKubectlWouldReadAsFlagsAreRefusedBeforeAnyCall) {
    const std::string m = write("m.yaml", "# kubectl -n shop delete networkpolicy --all\n");
    EXPECT_EQ(apply(m, "2026-11-20T10:01:00Z"), 2);
    EXPECT_NE(err_.str().find("m.yaml:1: kubectl delete networkpolicy: name: Invalid value: "
                              "\"--all\": a lowercase RFC 1123 subdomain"),
              std::string::npos)
        << err_.str();
    NetworkPolicy all = policy("shop", "x", "x");
    all.name = "--all";
    EXPECT_EQ(apply(write("p.yaml", yamlOf(all)), "2026-11-20T10:01:00Z"), 2);
    EXPECT_NE(err_.str().find("metadata.name: Invalid value: \"--all\""), std::string::npos)
        << err_.str();
    EXPECT_TRUE(kubectlCalls().empty());
    EXPECT_EQ(clusterState(), stateOf(initial_));
}

// What a netpolgen before the name checks recorded for a policy named "x" + a line break + an
// allow-all policy: its undo, written as YAML with "# kubectl" comment lines, holds the allow-all
// as a document of its own. The record is refused by name, and revert creates nothing.
TEST_F(HistoryCli, AnInjectedDocumentInAnOldRecordNeverReachesTheCluster) {
    NetworkPolicy allow_all = policy("shop", "allow-all", "web");
    allow_all.pod_selector = {};
    allow_all.ingress = {core::PolicyRule{}};
    core::Modification injected;
    NetworkPolicy named = policy("shop", "x\n---\n" + yamlOf(allow_all), "x");
    injected.apply = {named};
    core::Modification undo;
    undo.to_delete = {{"shop", named.name}};
    ASSERT_EQ(apply(write("m.yaml", "---\n" + yamlOf(policy("shop", "fine", "x"))),
                    "2026-11-20T10:01:00Z"),
              0)
        << err_.str();
    testing_support::editStore(
        db_,
        "UPDATE applies SET encoding = 'yaml', modification = " +
            testing_support::sqlText(io::modificationToYaml(injected)) +
            ", undo = " + testing_support::sqlText(io::modificationToYaml(undo)) + " WHERE id = 1");
    ASSERT_NE(io::modificationToYaml(undo).find("\n---\n"), std::string::npos)
        << "the old YAML undo does hold a second document";
    clearKubectlLog();
    EXPECT_EQ(revert({}, "2026-11-20T10:02:00Z"), 2);
    EXPECT_NE(err_.str().find("no longer replays"), std::string::npos) << err_.str();
    EXPECT_NE(err_.str().find("apply #1 (2026-11-20T10:01:00Z, alice@test): the record does not "
                              "decode"),
              std::string::npos)
        << err_.str();
    EXPECT_TRUE(kubectlCalls().empty());
    // The same injection edited into a record of the structured form is refused by name too.
    testing_support::editStore(
        db_,
        "UPDATE applies SET encoding = 'json', modification = " +
            testing_support::sqlText(io::modificationToJson(injected)) +
            ", undo = " + testing_support::sqlText(io::modificationToJson(undo)) + " WHERE id = 1");
    EXPECT_EQ(revert({}, "2026-11-20T10:02:00Z"), 2);
    EXPECT_NE(err_.str().find("apply #1 (2026-11-20T10:01:00Z, alice@test): the record does not "
                              "decode"),
              std::string::npos)
        << err_.str();
    EXPECT_TRUE(kubectlCalls().empty());
    EXPECT_EQ(clusterState().find({"shop", "allow-all"}), nullptr);
    // history still lists it, and --show prints it for diagnosis only, every line commented out.
    ASSERT_EQ(run({"history", "--db", db_}), 0) << err_.str();
    EXPECT_NE(out_.str().find("  ?  "), std::string::npos) << "no counts: " << out_.str();
    EXPECT_NE(err_.str().find("warning: apply #1"), std::string::npos) << err_.str();
    ASSERT_EQ(run({"history", "--db", db_, "--show", "1"}), 0) << err_.str();
    std::istringstream shown(out_.str());
    for (std::string line; std::getline(shown, line);) {
        EXPECT_EQ(line.rfind("#", 0), 0u) << line;
    }
}

// After a new snapshot, a record that does not decode is in the past: applies and reverts of the
// later history work again, and only a revert that would have to undo it names it.
TEST_F(HistoryCli, ABrokenRecordBeforeTheSnapshotOnlyStopsRevertsAcrossIt) {
    ASSERT_EQ(apply(write("m.yaml", "---\n" + yamlOf(policy("shop", "one", "x"))),
                    "2026-11-20T09:00:00Z",
                    false),
              0)
        << err_.str();
    // Recorded at 09:00, before the snapshot of 10:00: not replayed, only undone by reverts.
    testing_support::editStore(db_, "UPDATE applies SET undo = '{\"apply\": 1}' WHERE id = 1");
    ASSERT_EQ(apply(write("m2.yaml", "---\n" + yamlOf(policy("shop", "two", "x"))),
                    "2026-11-20T10:01:00Z"),
              0)
        << err_.str();
    EXPECT_EQ(revert({"--steps", "1"}, "2026-11-20T10:02:00Z"), 0) << err_.str();
    EXPECT_EQ(clusterState(), stateOf(initial_));
    EXPECT_EQ(revert({"--to", "1"}, "2026-11-20T10:03:00Z"), 2);
    EXPECT_NE(err_.str().find("cannot undo apply #1 (2026-11-20T09:00:00Z, alice@test): the "
                              "record does not decode"),
              std::string::npos)
        << err_.str();
    EXPECT_EQ(run({"history", "--db", db_, "--show", "2"}), 0) << err_.str();
}

// `apply --kubectl` changes the cluster before it records; when another apply is recorded while
// its kubectl calls run, its record is a conflict: kubectl's changes are rolled back, exit 2.
TEST_F(HistoryCli, AnApplyOvertakenWhileKubectlRunsIsRolledBackAndNotRecorded) {
    const std::string slow = write(
        "slow.yaml",
        "---\n" + yamlOf(policy("shop", "a", "a")) + "---\n" + yamlOf(policy("shop", "b", "b")));
    const std::string quick = write("quick.yaml", "---\n" + yamlOf(policy("pay", "c", "c")));
    ::setenv("FAKE_KUBECTL_DELAY", "0.5", 1);
    testing_support::CliRun overtaken;
    std::thread slow_apply([&] {
        overtaken = testing_support::runNetpolgen({"apply",
                                                   "--db",
                                                   db_,
                                                   slow,
                                                   "--kubectl",
                                                   "--kubectl-path",
                                                   kFakeKubectl,
                                                   "--now",
                                                   "2026-11-20T10:01:00Z"});
    });
    ::usleep(300 * 1000);  // within the first kubectl call (0.5 s)
    const testing_support::CliRun quick_apply = testing_support::runNetpolgen(
        {"apply", "--db", db_, quick, "--now", "2026-11-20T10:01:00Z"});
    slow_apply.join();
    ::unsetenv("FAKE_KUBECTL_DELAY");
    EXPECT_EQ(quick_apply.status, 0) << quick_apply.err;
    EXPECT_EQ(overtaken.status, 2) << overtaken.err;
    EXPECT_NE(overtaken.err.find("netpolgen: another change (#1) was recorded for cluster "
                                 "\"default\" after this one was planned"),
              std::string::npos)
        << overtaken.err;
    EXPECT_NE(overtaken.err.find("kubectl changes rolled back"), std::string::npos)
        << overtaken.err;
    EXPECT_EQ(clusterState(), stateOf(initial_)) << "the overtaken apply's creates are undone";
    ASSERT_EQ(run({"history", "--db", db_, "--format", "json"}), 0) << err_.str();
    EXPECT_EQ(nlohmann::json::parse(out_.str())["history"].size(), 1u);
}

// Two `revert --record` of the same step planned on the same history: the store takes one.
TEST_F(HistoryCli, ARevertPlannedOnAnOlderHistoryIsAConflict) {
    ASSERT_EQ(apply(firstModification(), "2026-11-20T10:01:00Z", false), 0) << err_.str();
    auto store = store::openStore(db_);
    ASSERT_TRUE(store.ok()) << store.error();
    auto plan = store::planRevert(**store, "default", db_, {});
    ASSERT_TRUE(plan.ok()) << plan.error();
    ASSERT_EQ(run({"revert", "--db", db_, "--record", "--now", "2026-11-20T10:02:00Z"}), 0)
        << err_.str();
    // The plan made before that revert was recorded: it would revert the same step again.
    auto change = store::planChange(plan->current, plan->modification, "revert");
    ASSERT_TRUE(change.ok()) << change.error();
    change->reverts_to = plan->back_to.id;
    auto outcome = (*store)->recordApply(
        store::recordOf(*change, "default", kSnapshotTime + 180, "late", false), plan->latest_id);
    ASSERT_TRUE(outcome.ok()) << outcome.error();
    EXPECT_FALSE(outcome->id);
    EXPECT_EQ(store::conflictText("default", *outcome),
              "another change (#2) was recorded for cluster \"default\" after this one was "
              "planned; nothing recorded: look at the history and try again");
}

TEST_F(HistoryCli, NamespaceLabelsAreSetFirstAndNeverUndone) {
    const std::string m = write(
        "m.yaml",
        "# kubectl label namespace shop team=a\n---\n" + yamlOf(policy("shop", "new", "new")));
    ASSERT_EQ(apply(m, "2026-11-20T10:01:00Z"), 0) << err_.str();
    EXPECT_EQ(
        kubectlCalls(),
        (std::vector<std::string>{"label --overwrite namespace -- shop team=a", "create -f -"}));
    ASSERT_EQ(revert({}, "2026-11-20T10:02:00Z"), 0) << err_.str();
    EXPECT_EQ(kubectlCalls().back(), "delete networkpolicy -n shop -- new");
    EXPECT_EQ(kubectlCalls().size(), 3u);
    EXPECT_EQ(clusterState(), stateOf(initial_));
}

TEST_F(HistoryCli, DryRunAppliesAndRecordsNothing) {
    ASSERT_EQ(run({"apply", "--db", db_, firstModification(), "--dry-run"}), 0) << err_.str();
    EXPECT_EQ(out_.str(),
              "would create networkpolicy shop/new\n"
              "would replace networkpolicy shop/allow-web\n"
              "would delete networkpolicy pay/stackrox-generated-api\n"
              "dry run: apply to cluster \"default\" would make 1 created, 1 replaced, 1 deleted; "
              "nothing applied or recorded\n");
    ASSERT_EQ(run({"history", "--db", db_}), 0);
    EXPECT_EQ(out_.str(), "no applied modification recorded for cluster \"default\"\n");
}

TEST_F(HistoryCli, DeleteGeneratedThroughTheApiServerNeedsAStoreForItsUndo) {
    EXPECT_EQ(run({"delete-generated", "--kube", "--kubeconfig", (dir_ / "none").string()}), 2);
    EXPECT_EQ(err_.str(),
              "netpolgen: delete-generated --kube records the deletion with its undo (revert "
              "--kube brings the policies back): pass --db FILE (SQLite) or --db "
              "postgresql://…\n");
    EXPECT_NE(run({"delete-generated", "--db", db_, "--dry-run"}), 0);  // --dry-run needs --kube
    EXPECT_NE(run({"delete-generated", "--cluster", db_, "--kube"}), 0);
}

TEST_F(HistoryCli, DeleteGeneratedLeavesBackupCopies) {
    core::NetworkPolicy backup = policy("shop", "deleted-stackrox-generated-db-x7k2p", "db");
    backup.labels["network-policy-generator.stackrox.io/generated"] = "true";
    backup.annotations["network-policies.stackrox.io/deleted"] = "kept";
    const std::string cluster = write("backup.yaml", yamlOf(backup));
    ASSERT_EQ(run({"delete-generated", "--cluster", cluster}), 0) << err_.str();
    EXPECT_EQ(out_.str(), "# No policies need to be created or deleted.\n");
}

TEST_F(HistoryCli, DeleteGeneratedListsTheLabelledPolicies) {
    ASSERT_EQ(run({"delete-generated", "--db", db_}), 0) << err_.str();
    EXPECT_EQ(out_.str(),
              "# kubectl -n pay delete networkpolicy stackrox-generated-api\n"
              "# kubectl -n shop delete networkpolicy stackrox-generated-db\n");
    EXPECT_EQ(err_.str(),
              "2 generated policies to delete in 2 namespace(s); with kubectl:\n"
              "kubectl delete networkpolicy -l network-policy-generator.stackrox.io/generated=true "
              "-A\n");
    ASSERT_EQ(run({"delete-generated", "--cluster", (dir_ / "cluster").string(), "-n", "shop"}), 0)
        << err_.str();
    EXPECT_EQ(out_.str(), "# kubectl -n shop delete networkpolicy stackrox-generated-db\n");
    EXPECT_EQ(err_.str(),
              "1 generated policies to delete in 1 namespace(s); with kubectl:\n"
              "kubectl delete networkpolicy -l network-policy-generator.stackrox.io/generated=true "
              "-n shop\n");
    // The output applies: apply it and nothing generated is left.
    const std::string m = write("delete.yaml", "");
    ASSERT_EQ(run({"delete-generated", "--db", db_, "-o", m}), 0) << err_.str();
    ASSERT_EQ(apply(m, "2026-11-20T10:01:00Z"), 0) << err_.str();
    EXPECT_EQ(clusterState(), stateOf({policy("shop", "allow-web", "web")}));
    ASSERT_EQ(run({"delete-generated", "--db", db_}), 0) << err_.str();
    EXPECT_EQ(out_.str(), "# No policies need to be created or deleted.\n");
}

}  // namespace
}  // namespace netpolgen
