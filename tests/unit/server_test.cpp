// The HTTP API of `netpolgen serve` (src/server), in process: a server on a free loopback port over
// a temporary SQLite store filled by the real snapshot and ingest commands, called with
// httplib::Client. Answers are compared with what the command line prints for the same store.
#include "server/server.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../support/cli_run.h"
#include "cli/app.h"
#include "notify/notifier_config.h"
#include "server/access_tokens.h"
#include "server/json_text.h"
#include "server/listen_address.h"
#include "server/scope_query.h"
#include "server/traffic_graph.h"
#include "store/inputs.h"
#include "store/stored_inputs.h"

namespace netpolgen {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kCluster = NETPOLGEN_SOURCE_DIR "/tests/golden/multi-ns/cluster.yaml";
const std::string kFlows = NETPOLGEN_SOURCE_DIR "/tests/golden/multi-ns/flows.jsonl";

// A NetworkPolicy denying all ingress to data/db: blocks the observed traffic into it.
const std::string kDenyDb = R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-db
  namespace: data
spec:
  podSelector:
    matchLabels:
      app: db
  policyTypes:
  - Ingress
)";

using testing_support::CliRun;

CliRun runCli(std::vector<std::string> args) {
    return testing_support::runNetpolgen(std::move(args));
}

// A store with the multi-ns snapshot and flows, and a server on it.
class ServerApi : public testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("netpolgen-server-" + std::to_string(::getpid()) + "-" +
                testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        db_ = (dir_ / "store.db").string();
        ASSERT_EQ(runCli({"snapshot", "--db", db_, "--cluster", kCluster, "-q"}).status, 0);
        ASSERT_EQ(runCli({"ingest", "--db", db_, "--flows", kFlows, "-q"}).status, 0);
    }
    void TearDown() override {
        stop();
        fs::remove_all(dir_);
    }

    void start(server::ServerOptions options) {
        options.db = db_;
        options.port = 0;
        auto created = server::Server::create(std::move(options));
        ASSERT_TRUE(created) << created.error();
        server_ = std::move(*created);
        ASSERT_TRUE(server_->bind());
        thread_ = std::thread([this] { server_->run(); });
        client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    }
    void start() { start({}); }
    void stop() {
        if (server_) {
            server_->stop();
            thread_.join();
            server_.reset();
        }
    }

    // The JSON answer of GET `path` with `status` expected.
    json get(const std::string& path, int status = 200, const httplib::Headers& headers = {}) {
        auto res = client_->Get(path.c_str(), headers);
        EXPECT_TRUE(res) << path;
        if (!res) {
            return {};
        }
        EXPECT_EQ(res->status, status) << path << ": " << res->body;
        EXPECT_EQ(res->get_header_value("Content-Type"), "application/json; charset=utf-8");
        bodies_ += res->body;
        json parsed = json::parse(res->body, nullptr, false);
        // Every answer is dump(2) of its value, spliced ones (generate) included.
        EXPECT_EQ(res->body, server::jsonText(parsed) + "\n") << path;
        return parsed;
    }
    json post(const std::string& path,
              const std::string& body,
              int status = 200,
              const httplib::Headers& headers = {}) {
        return answer(path, status, client_->Post(path.c_str(), headers, body, "application/json"));
    }
    json put(const std::string& path,
             const std::string& body,
             int status = 200,
             const httplib::Headers& headers = {}) {
        return answer(path, status, client_->Put(path.c_str(), headers, body, "application/json"));
    }
    json del(const std::string& path, int status = 200, const httplib::Headers& headers = {}) {
        return answer(path, status, client_->Delete(path.c_str(), headers));
    }
    json answer(const std::string& path, int status, const httplib::Result& res) {
        EXPECT_TRUE(res) << path;
        if (!res) {
            return {};
        }
        EXPECT_EQ(res->status, status) << path << ": " << res->body;
        bodies_ += res->body;
        return json::parse(res->body, nullptr, false);
    }

    fs::path dir_;
    std::string db_;
    std::unique_ptr<server::Server> server_;
    std::thread thread_;
    std::unique_ptr<httplib::Client> client_;
    std::string bodies_;  // every answer's body, to check that no secret ever leaves
};

TEST_F(ServerApi, HealthzAnswersOk) {
    start();
    EXPECT_EQ(get("/v1/healthz"), json({{"status", "ok"}}));
}

TEST_F(ServerApi, GenerateGivesTheBytesOfTheGenerateCommand) {
    start();
    const CliRun cli = runCli({"generate", "--db", db_, "-q"});
    ASSERT_EQ(cli.status, 0) << cli.err;
    ASSERT_NE(cli.out.find("kind: NetworkPolicy"), std::string::npos);
    const json answer = get("/v1/networkpolicies/generate/default");
    EXPECT_EQ(answer["modification"]["applyYaml"], cli.out);
    EXPECT_EQ(answer["modification"]["toDelete"], json::array());
}

TEST_F(ServerApi, GenerateWarnsWhenNoStoredFlowMapsOntoTheCluster) {
    // A newer snapshot of another cluster: none of the stored edges' workloads exists in it.
    const std::string other =
        NETPOLGEN_SHARED_DIR "/samples/online-boutique/kubernetes-manifests.yaml";
    ASSERT_EQ(runCli({"snapshot", "--db", db_, "--cluster", other, "-q"}).status, 0);
    start();
    const json answer = get("/v1/networkpolicies/generate/default");
    ASSERT_TRUE(answer.contains("warnings")) << answer.dump();
    EXPECT_NE(answer["warnings"][0].get<std::string>().find("workloads no longer in the cluster"),
              std::string::npos)
        << answer.dump();
    // The command refuses what the endpoint only warns about.
    const CliRun cli = runCli({"generate", "--db", db_, "-q"});
    EXPECT_EQ(cli.status, 2);
    EXPECT_NE(cli.err.find("is between workloads of the cluster"), std::string::npos) << cli.err;
}

TEST_F(ServerApi, GenerateScopeAndOptionsMatchTheCommandFlags) {
    start();
    const CliRun cli = runCli({"generate",
                               "--db",
                               db_,
                               "-q",
                               "--namespace",
                               "data",
                               "--exclude-ports",
                               "--since",
                               "2026-11-22T00:00:00Z"});
    ASSERT_EQ(cli.status, 0) << cli.err;
    const json answer =
        get("/v1/networkpolicies/generate/default?query=Namespace:data&includePorts=false"
            "&networkDataSince=2026-11-22T00:00:00Z&deleteExisting=NONE");
    EXPECT_EQ(answer["modification"]["applyYaml"], cli.out);
    EXPECT_EQ(cli.out.find("namespace: web"), std::string::npos);

    const CliRun one = runCli({"generate", "--db", db_, "-q", "-n", "data", "--deployment", "api"});
    ASSERT_EQ(one.status, 0) << one.err;
    EXPECT_EQ(get("/v1/networkpolicies/generate/default?query=Namespace:data+Deployment:api")
                  ["modification"]["applyYaml"],
              one.out);
}

TEST_F(ServerApi, GenerateDeleteAllListsTheExistingPolicy) {
    start();
    const json answer = get("/v1/networkpolicies/generate/default?deleteExisting=ALL");
    EXPECT_EQ(answer["modification"]["toDelete"],
              json::parse(R"([{"namespace":"data","name":"cache-from-api"}])"));
}

TEST_F(ServerApi, SimulateOfAnUploadedPolicyShowsItAddedAndTheTrafficItBlocks) {
    start();
    const json answer = post("/v1/networkpolicies/simulate/default", kDenyDb);
    ASSERT_TRUE(answer.is_object());
    EXPECT_EQ(answer["valid"], true);
    bool added = false;
    for (const json& p : answer["policies"]) {
        added = added || (p["name"] == "deny-db" && p["status"] == "ADDED");
    }
    EXPECT_TRUE(added) << answer["policies"].dump();
    EXPECT_GT(answer["replay"]["totals"]["newlyBlocked"]["edges"].get<int>(), 0);
}

// The ids of the workloads the simulate answer lists as selected by policy `name`.
std::vector<std::string> selectedBy(const json& answer, const std::string& name) {
    for (const json& p : answer["policies"]) {
        if (p["name"] == name) {
            return p.value("selectedWorkloads", std::vector<std::string>{});
        }
    }
    ADD_FAILURE() << name << " not in " << answer["policies"].dump();
    return {};
}

TEST_F(ServerApi, SimulateListsTheWorkloadsEachChangedPolicySelects) {
    start();
    // app NotIn (db) and app Exists: api and cache of data; not db, not the unlabelled backup
    // (job: backup) and debug, nothing of web.
    const std::string not_db = R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: not-db
  namespace: data
spec:
  podSelector:
    matchExpressions:
    - {key: app, operator: NotIn, values: [db]}
    - {key: app, operator: Exists}
  policyTypes:
  - Ingress
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: all-web
  namespace: web
spec:
  podSelector: {}
)";
    const json answer = post("/v1/networkpolicies/simulate/default", not_db);
    EXPECT_EQ(selectedBy(answer, "not-db"),
              (std::vector<std::string>{"data/api[Deployment]", "data/cache[Deployment]"}));
    EXPECT_EQ(selectedBy(answer, "all-web"), std::vector<std::string>{"web/ui[Deployment]"});
    // Unchanged policies list none; a deleted one the workloads its old policy selected.
    EXPECT_EQ(selectedBy(answer, "cache-from-api"), std::vector<std::string>{});
    const json deleted =
        post("/v1/networkpolicies/simulate/default",
             R"({"applyYaml":"","toDelete":[{"namespace":"data","name":"cache-from-api"}]})");
    EXPECT_EQ(selectedBy(deleted, "cache-from-api"),
              std::vector<std::string>{"data/cache[Deployment]"});
}

TEST_F(ServerApi, SimulateListsAtMostDiffLimitConnectivityChangesAndCountsAll) {
    start();
    const json all = post("/v1/networkpolicies/simulate/default", kDenyDb);
    const json& counts = all["connectivityDiffCounts"];
    const int total =
        counts["added"].get<int>() + counts["removed"].get<int>() + counts["changed"].get<int>();
    ASSERT_GT(total, 1) << counts.dump();
    EXPECT_EQ(counts["listed"], total);  // fewer than the default 1,000
    const json one = post("/v1/networkpolicies/simulate/default?diffLimit=1", kDenyDb);
    EXPECT_EQ(one["connectivityDiff"].size(), 1u);
    EXPECT_EQ(one["connectivityDiffCounts"]["listed"], 1);
    EXPECT_EQ(one["connectivityDiffCounts"]["removed"], counts["removed"]);
    EXPECT_EQ(post("/v1/networkpolicies/simulate/default?diffLimit=0", kDenyDb, 400)["code"], 400);
}

TEST_F(ServerApi, SimulateOfADeletionOfAMissingPolicyIs400) {
    start();
    // Posted as curl -d does (a form-encoded body): still the modification, not parameters.
    auto res = client_->Post("/v1/networkpolicies/simulate/default",
                             R"({"applyYaml":"","toDelete":[{"namespace":"data","name":"nope"}]})",
                             "application/x-www-form-urlencoded");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400);
    const json answer = json::parse(res->body);
    EXPECT_NE(answer.value("error", "").find("nope"), std::string::npos) << answer.dump();
}

TEST_F(ServerApi, ApplyThenHistoryUndoAndRevertAsTheCommandsDo) {
    start();
    const json generated = get("/v1/networkpolicies/generate/default");
    const json applied =
        post("/v1/networkpolicies/apply/default", generated["modification"].dump());
    EXPECT_EQ(applied["applyId"], 1);
    EXPECT_GT(applied["counts"]["created"].get<int>(), 0);

    const json history = get("/v1/networkpolicies/history/default");
    ASSERT_EQ(history["applies"].size(), 1u);
    EXPECT_EQ(history["applies"][0]["action"], "apply");
    EXPECT_EQ(history["applies"][0]["viaKubectl"], false);

    // The current policies are the snapshot's and the applied ones, each with the YAML of its
    // document in the applied modification.
    const json current = get("/v1/networkpolicies?clusterId=default");
    EXPECT_EQ(current["networkPolicies"].size(), applied["counts"]["created"].get<size_t>() + 1);
    const std::string applied_yaml = generated["modification"]["applyYaml"];
    for (const json& p : current["networkPolicies"]) {
        if (p["name"] != "cache-from-api") {
            const std::string yaml = p["yaml"];
            EXPECT_NE(applied_yaml.find(yaml), std::string::npos) << yaml;
        }
    }

    const json undo = get("/v1/networkpolicies/undo/default");
    EXPECT_EQ(undo["undoRecord"]["originalModification"], generated["modification"]);
    EXPECT_EQ(undo["undoRecord"]["undoModification"]["toDelete"].size(),
              applied["counts"]["created"].get<size_t>());

    const json revert = post("/v1/networkpolicies/revert/default?steps=1", "");
    const CliRun cli = runCli({"revert", "--db", db_, "--steps", "1"});
    ASSERT_EQ(cli.status, 0) << cli.err;
    EXPECT_EQ(revert["yaml"], cli.out);
    // Both delete what the apply created; the undo lists them in reverse order of the apply.
    std::vector<json> reverted = revert["modification"]["toDelete"];
    std::vector<json> undone = undo["undoRecord"]["undoModification"]["toDelete"];
    std::sort(reverted.begin(), reverted.end());
    std::sort(undone.begin(), undone.end());
    EXPECT_EQ(reverted, undone);

    // The same modification again: its policies exist now.
    post("/v1/networkpolicies/apply/default", generated["modification"].dump(), 409);
}

TEST_F(ServerApi, UndoWithoutAnyApplyIs404) {
    start();
    const json answer = get("/v1/networkpolicies/undo/default", 404);
    EXPECT_EQ(answer["error"], "no undo record stored for cluster \"default\"");
    EXPECT_EQ(answer["code"], 404);
}

TEST_F(ServerApi, PoliciesAndNamespacesOfTheSnapshot) {
    start();
    const json policies = get("/v1/networkpolicies?clusterId=default&namespace=data");
    ASSERT_EQ(policies["networkPolicies"].size(), 1u);
    EXPECT_EQ(policies["networkPolicies"][0]["name"], "cache-from-api");
    EXPECT_NE(policies["networkPolicies"][0]["yaml"].get<std::string>().find("app: api"),
              std::string::npos);
    EXPECT_EQ(get("/v1/networkpolicies?namespace=web")["networkPolicies"], json::array());
    EXPECT_EQ(get("/v1/networkpolicies?namespace=web,data")["networkPolicies"],
              policies["networkPolicies"]);
    EXPECT_NE(get("/v1/networkpolicies?namespace=web,", 400)["error"].get<std::string>().find(
                  "namespace"),
              std::string::npos);
    const json namespaces = get("/v1/namespaces/default");
    ASSERT_EQ(namespaces["namespaces"].size(), 2u);
    EXPECT_EQ(namespaces["namespaces"][0]["name"], "data");
}

// The node of workload ns/name in a graph answer.
json nodeNamed(const json& graph, const std::string& ns, const std::string& name) {
    for (const json& node : graph["nodes"]) {
        if (node.value("namespace", "") == ns && node.value("name", "") == name) {
            return node;
        }
    }
    return {};
}

TEST_F(ServerApi, GraphAggregatesTheObservedTrafficPerWorkloadPair) {
    start();
    const json graph = get("/v1/graph/default");
    EXPECT_EQ(get("/v1/graph/default"), graph);  // deterministic
    const json ui = nodeNamed(graph, "web", "ui");
    const json api = nodeNamed(graph, "data", "api");
    ASSERT_FALSE(ui.is_null()) << graph.dump();
    ASSERT_FALSE(api.is_null());
    EXPECT_EQ(ui["exposed"], true);  // NodePort Service
    EXPECT_EQ(nodeNamed(graph, "data", "cache")["hasIngressPolicy"], true);
    EXPECT_EQ(api["hasIngressPolicy"], false);
    bool ui_to_api = false;
    bool from_external = false;
    for (const json& e : graph["edges"]) {
        if (e["source"] == ui["id"] && e["target"] == api["id"]) {
            ui_to_api = true;
            EXPECT_EQ(e["ports"], json::parse(R"([{"port":9000,"protocol":"TCP"}])"));
            EXPECT_EQ(e["count"], 40);
            EXPECT_EQ(e["lastSeen"], "2026-11-20T10:00:01Z");
        }
        from_external = from_external || (e["source"] == "External" && e["target"] == ui["id"]);
    }
    EXPECT_TRUE(ui_to_api);
    EXPECT_TRUE(from_external);

    const json collapsed = get("/v1/graph/default?collapse=namespaces&namespaces=web");
    std::vector<std::string> ids;
    for (const json& node : collapsed["nodes"]) {
        ids.push_back(node["id"]);
    }
    EXPECT_EQ(ids, (std::vector<std::string>{"External", "data", "web"}));
    get("/v1/graph/default?collapse=pods", 400);
    get("/v1/graph/default?since=2026-11-23T00:00:00Z&until=2026-11-22T00:00:00Z", 400);
}

// A window that starts before every stored flow is answered from the open window's inputs (kept
// by the first request): the same graph; one that starts among the flows is not.
TEST_F(ServerApi, AWindowBeforeEveryFlowGivesTheGraphOfEverythingStored) {
    start();
    const json all = get("/v1/graph/default");
    EXPECT_EQ(get("/v1/graph/default?since=2026-11-20T00:00:00Z"), all);
    EXPECT_EQ(get("/v1/graph/default?since=2000-01-01T00:00:00Z"), all);
    const json later = get("/v1/graph/default?since=2026-11-22T00:00:00Z");
    EXPECT_NE(later["edges"], all["edges"]);
    EXPECT_LT(later["edges"].size(), all["edges"].size());
    const json from_second_flow = get("/v1/graph/default?since=2026-11-20T10:00:01Z");
    EXPECT_NE(from_second_flow["edges"], all["edges"]) << "the first flow is out";
}

// Above max_workloads in view the graph collapses to namespaces by itself (collapse=auto) and
// refuses collapse=none; a namespace filter brings the view under the limit again.
TEST(TrafficGraph, CollapsesAboveTheWorkloadLimitAndRefusesNoneThere) {
    store::InputOptions in;
    in.cluster_paths = {kCluster};
    in.flow_paths = {kFlows};
    auto loaded = store::loadInputs(in);
    ASSERT_TRUE(loaded) << loaded.error();
    const core::Cluster& cluster = (*loaded)->cluster;
    const core::FlowGraph& flows = (*loaded)->graph;
    server::GraphOptions options;
    options.max_workloads = 2;
    ASSERT_GT(cluster.workloads.size(), 2u);

    auto automatic = server::trafficGraph(cluster, flows, options);
    ASSERT_TRUE(automatic) << automatic.error();
    EXPECT_EQ((*automatic)["collapse"], "namespaces");
    EXPECT_EQ((*automatic)["workloads"], cluster.workloads.size());
    EXPECT_NE((*automatic)["notice"].get<std::string>().find("choose namespaces"),
              std::string::npos);
    for (const json& node : (*automatic)["nodes"]) {
        EXPECT_NE(node["type"], "workload") << node.dump();
    }
    options.collapse = server::GraphCollapse::kNamespaces;
    json asked = *server::trafficGraph(cluster, flows, options);
    EXPECT_FALSE(asked.contains("notice"));  // asked for: nothing to explain
    asked["notice"] = (*automatic)["notice"];
    EXPECT_EQ(asked, *automatic);

    options.collapse = server::GraphCollapse::kNone;
    auto refused = server::trafficGraph(cluster, flows, options);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().find("collapse: none refused"), std::string::npos) << refused.error();

    // Few workloads but more edges between them than max_edges: auto collapses, none draws them.
    server::GraphOptions edges;
    edges.max_edges = 2;
    auto by_edges = server::trafficGraph(cluster, flows, edges);
    ASSERT_TRUE(by_edges) << by_edges.error();
    EXPECT_EQ((*by_edges)["collapse"], "namespaces");
    EXPECT_NE((*by_edges)["notice"].get<std::string>().find("edges between workloads in view"),
              std::string::npos)
        << (*by_edges)["notice"];
    edges.collapse = server::GraphCollapse::kNone;
    auto drawn = server::trafficGraph(cluster, flows, edges);
    ASSERT_TRUE(drawn) << drawn.error();
    EXPECT_EQ((*drawn)["collapse"], "none");
    EXPECT_GT((*drawn)["edges"].size(), 2u);

    options.collapse = server::GraphCollapse::kAuto;
    options.namespaces = {"web"};  // fewer workloads in view than the limit
    auto narrowed = server::trafficGraph(cluster, flows, options);
    ASSERT_TRUE(narrowed) << narrowed.error();
    EXPECT_EQ((*narrowed)["collapse"], "none");
    EXPECT_FALSE(narrowed->contains("notice"));
}

TEST_F(ServerApi, BadParametersAre400NamingTheParameter) {
    start();
    const std::string generate = "/v1/networkpolicies/generate/default";
    struct Case {
        std::string query;
        std::string names;
    };
    for (const Case& c :
         std::vector<Case>{{"?includePorts=yes", "includePorts"},
                           {"?deleteExisting=SOME", "deleteExisting"},
                           {"?networkDataSince=yesterday", "networkDataSince"},
                           {"?query=Label:x", "query"},
                           {"?query=Namespace:", "query"},
                           {"?colour=red", "colour"},
                           {"?includePorts=true&includePorts=false", "includePorts"}}) {
        const json answer = get(generate + c.query, 400);
        EXPECT_NE(answer["error"].get<std::string>().find(c.names), std::string::npos)
            << c.query << ": " << answer.dump();
        EXPECT_EQ(answer["code"], 400);
    }
    EXPECT_NE(post("/v1/networkpolicies/revert/default?steps=0", "", 400)["error"]
                  .get<std::string>()
                  .find("steps"),
              std::string::npos);
    EXPECT_NE(post("/v1/networkpolicies/simulate/default", "{not json", 400)["error"]
                  .get<std::string>()
                  .find("body"),
              std::string::npos);
    get("/v1/networkpolicies/generate/bad%20name", 400);
}

TEST_F(ServerApi, UnknownPathsAndClustersAre404) {
    start();
    EXPECT_EQ(get("/v1/nothing", 404)["code"], 404);
    EXPECT_NE(get("/v1/networkpolicies/generate/prod", 404)["error"].get<std::string>().find(
                  "no cluster snapshot stored for cluster \"prod\""),
              std::string::npos);
}

TEST_F(ServerApi, BodiesAboveTheLimitAre413) {
    server::ServerOptions options;
    options.max_body = 1024;
    start(options);
    EXPECT_EQ(post("/v1/networkpolicies/simulate/default", std::string(2048, ' '), 413)["code"],
              413);
    post("/v1/networkpolicies/simulate/default", kDenyDb);
}

TEST_F(ServerApi, TokensGiveReadOrAdminAccess) {
    server::ServerOptions options;
    auto tokens = server::AccessTokens::parse("# team\nr3ad read\nadm1n admin\n", "tokens");
    ASSERT_TRUE(tokens) << tokens.error();
    options.tokens = std::move(*tokens);
    start(options);
    const std::string generate = "/v1/networkpolicies/generate/default";
    const httplib::Headers read{{"Authorization", "Bearer r3ad"}};
    const httplib::Headers admin{{"Authorization", "Bearer adm1n"}};
    get("/v1/healthz");
    EXPECT_EQ(get(generate, 401)["code"], 401);
    EXPECT_EQ(client_->Get(generate.c_str())->get_header_value("WWW-Authenticate"), "Bearer");
    get(generate, 401, {{"Authorization", "Bearer wrong"}});
    get(generate, 401, {{"Authorization", "Basic r3ad"}});
    const json generated = get(generate, 200, read);
    post("/v1/networkpolicies/simulate/default", kDenyDb, 200, read);
    const std::string body = generated["modification"].dump();
    EXPECT_EQ(post("/v1/networkpolicies/apply/default", body, 403, read)["code"], 403);
    post("/v1/networkpolicies/revert/default", "", 403, read);
    post("/v1/networkpolicies/apply/default", body, 200, admin);
}

// A webhook receiver on a free loopback port that keeps the bodies it is sent, and with each
// the credentials that came with it.
class WebhookReceiver {
public:
    WebhookReceiver() {
        server_.Post("/hook", [this](const httplib::Request& req, httplib::Response&) {
            const std::lock_guard<std::mutex> lock(mutex_);
            bodies_.push_back(req.body);
            credentials_.push_back(req.get_header_value("Authorization") + " " +
                                   req.get_header_value("X-Key") + " " +
                                   req.get_param_value("token"));
        });
        port_ = server_.bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        while (!server_.is_running()) {  // stop() before listening would leave the thread running
            std::this_thread::yield();
        }
    }
    ~WebhookReceiver() {
        server_.stop();
        thread_.join();
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
    std::vector<std::string> bodies() {
        const std::lock_guard<std::mutex> lock(mutex_);
        return bodies_;
    }
    // "AUTHORIZATION X-KEY TOKEN" of each request.
    std::vector<std::string> credentials() {
        const std::lock_guard<std::mutex> lock(mutex_);
        return credentials_;
    }

private:
    httplib::Server server_;
    int port_ = 0;
    std::thread thread_;
    std::mutex mutex_;
    std::vector<std::string> bodies_;
    std::vector<std::string> credentials_;
};

// ---- notifiers configured through the API -------------------------------------------------------

// A server with tokens r (read) and a (admin), one notifier `file-hook` from a file, and plain
// HTTP allowed so that notifiers can send to a local receiver.
class ServerNotifiers : public ServerApi {
protected:
    void startWithFileNotifier(const std::string& url, bool allow_plain_http = true) {
        server::ServerOptions options;
        auto notifiers = notify::parseNotifierConfigs(
            "notifiers:\n- {id: file-hook, name: ops, type: webhook, webhook: {url: \"" + url +
                "\", username: ops-bot, password: file-s3cret}}\n",
            "notifiers.yaml");
        ASSERT_TRUE(notifiers) << notifiers.error();
        options.notifiers = *notifiers;
        options.notifiers_file = "notifiers.yaml";
        options.send_options.allow_plain_http = allow_plain_http;
        options.send_options.attempts = 1;
        auto tokens = server::AccessTokens::parse("r read\na admin\n", "tokens");
        ASSERT_TRUE(tokens);
        options.tokens = std::move(*tokens);
        start(options);
    }

    // A webhook to `url` with a password, a secret header and a secret in the query.
    static std::string apiHook(const std::string& url, const std::string& id = "api-hook") {
        return json{{"id", id},
                    {"name", "api"},
                    {"type", "webhook"},
                    {"webhook",
                     {{"url", url + "?token=tok-s3cret"},
                      {"username", "bot"},
                      {"password", "pw-s3cret"},
                      {"headers", {{{"key", "X-Key"}, {"value", "hdr-s3cret"}}}}}}}
            .dump();
    }

    const httplib::Headers read_{{"Authorization", "Bearer r"}};
    const httplib::Headers admin_{{"Authorization", "Bearer a"}};
};

TEST_F(ServerNotifiers, NotifySendsTheYamlToTheChosenNotifiers) {
    WebhookReceiver receiver;
    startWithFileNotifier(receiver.url());
    const json listed = get("/v1/notifiers", 200, read_);
    ASSERT_EQ(listed["notifiers"].size(), 1u);
    EXPECT_EQ(listed["notifiers"][0]["id"], "file-hook");
    EXPECT_EQ(listed["notifiers"][0]["name"], "ops");
    EXPECT_EQ(listed["notifiers"][0]["type"], "webhook");
    EXPECT_EQ(listed["notifiers"][0]["source"], "file");
    EXPECT_EQ(listed["notifiers"][0]["webhook"]["url"], receiver.url());
    const std::string notify = "/v1/networkpolicies/simulate/default/notify";
    post(notify + "?notifierIds=file-hook", kDenyDb, 403, read_);
    EXPECT_NE(
        post(notify + "?notifierIds=nope", kDenyDb, 400, admin_)["error"].get<std::string>().find(
            "notifierIds"),
        std::string::npos);
    post(notify, kDenyDb, 400, admin_);
    const json sent = post(notify + "?notifierIds=file-hook", kDenyDb, 200, admin_);
    EXPECT_EQ(sent["results"][0]["ok"], true) << sent.dump();
    const std::vector<std::string> bodies = receiver.bodies();
    ASSERT_EQ(bodies.size(), 1u);
    const json payload = json::parse(bodies[0]);
    EXPECT_EQ(payload["networkpolicy"]["cluster"], "default");
    EXPECT_NE(payload["networkpolicy"]["yaml"].get<std::string>().find("name: deny-db"),
              std::string::npos);
}

TEST_F(ServerNotifiers, CreateListGetReplaceDeleteWithSecretsMasked) {
    WebhookReceiver receiver;
    startWithFileNotifier(receiver.url());
    const json created = post("/v1/notifiers", apiHook(receiver.url()), 201, admin_);
    EXPECT_EQ(created["id"], "api-hook");
    EXPECT_EQ(created["source"], "api");
    EXPECT_EQ(created["webhook"]["url"], receiver.url()) << "no query: it may hold a secret";
    EXPECT_EQ(created["webhook"]["password"], "******");
    EXPECT_EQ(created["webhook"]["headers"][0], json({{"key", "X-Key"}, {"value", "******"}}));
    EXPECT_EQ(created["webhook"]["username"], "bot");

    const json list = get("/v1/notifiers", 200, read_);
    ASSERT_EQ(list["notifiers"].size(), 2u);
    EXPECT_EQ(list["notifiers"][0]["id"], "file-hook");
    EXPECT_EQ(list["notifiers"][0]["source"], "file");
    EXPECT_EQ(list["notifiers"][0]["webhook"]["password"], "******");
    EXPECT_EQ(list["notifiers"][1], created);
    EXPECT_EQ(get("/v1/notifiers/api-hook", 200, read_), created);
    EXPECT_EQ(get("/v1/notifiers/file-hook", 200, read_), list["notifiers"][0]);
    get("/v1/notifiers/nope", 404, read_);

    // What GET showed, sent back with a new name: every secret is kept.
    json edited = created;
    edited["name"] = "renamed";
    const json replaced = put("/v1/notifiers/api-hook", edited.dump(), 200, admin_);
    EXPECT_EQ(replaced["name"], "renamed");
    EXPECT_EQ(get("/v1/notifiers/api-hook", 200, read_), replaced);
    const json sent = post(
        "/v1/networkpolicies/simulate/default/notify?notifierIds=api-hook", kDenyDb, 200, admin_);
    EXPECT_EQ(sent["results"][0]["ok"], true) << sent.dump();
    ASSERT_EQ(receiver.credentials().size(), 1u);
    // Basic bot:pw-s3cret.
    EXPECT_EQ(receiver.credentials()[0], "Basic Ym90OnB3LXMzY3JldA== hdr-s3cret tok-s3cret");

    EXPECT_EQ(del("/v1/notifiers/api-hook", 200, admin_),
              json({{"id", "api-hook"}, {"deleted", true}}));
    get("/v1/notifiers/api-hook", 404, read_);
    del("/v1/notifiers/api-hook", 404, admin_);
    put("/v1/notifiers/api-hook", edited.dump(), 404, admin_);
    EXPECT_EQ(get("/v1/notifiers", 200, read_)["notifiers"].size(), 1u);
    EXPECT_EQ(bodies_.find("s3cret"), std::string::npos) << "a secret in an answer: " << bodies_;
}

TEST_F(ServerNotifiers, ACreatedNotifierIsUsedByNotifyAtOnce) {
    WebhookReceiver receiver;
    startWithFileNotifier("https://hooks.example.com/np");
    const std::string notify = "/v1/networkpolicies/simulate/default/notify?notifierIds=";
    post(notify + "new-hook", kDenyDb, 400, admin_);
    post("/v1/notifiers", apiHook(receiver.url(), "new-hook"), 201, admin_);
    const json sent = post(notify + "new-hook", kDenyDb, 200, admin_);
    EXPECT_EQ(sent["results"][0]["id"], "new-hook") << sent.dump();
    ASSERT_EQ(receiver.bodies().size(), 1u);
    EXPECT_NE(receiver.bodies()[0].find("deny-db"), std::string::npos);
}

TEST_F(ServerNotifiers, FileNotifiersAndTakenIdsAre409) {
    startWithFileNotifier("https://hooks.example.com/np");
    const std::string from_file = "comes from the file notifiers.yaml";
    const std::string body = apiHook("https://hooks.example.com/np", "file-hook");
    for (const json& refused : {put("/v1/notifiers/file-hook", body, 409, admin_),
                                del("/v1/notifiers/file-hook", 409, admin_),
                                post("/v1/notifiers", body, 409, admin_)}) {
        EXPECT_NE(refused["error"].get<std::string>().find(from_file), std::string::npos)
            << refused.dump();
    }
    post("/v1/notifiers", apiHook("https://hooks.example.com/np"), 201, admin_);
    const json twice = post("/v1/notifiers", apiHook("https://hooks.example.com/x"), 409, admin_);
    EXPECT_EQ(twice["error"],
              "notifier \"api-hook\" exists: PUT /v1/notifiers/api-hook replaces it");
    EXPECT_EQ(get("/v1/notifiers/api-hook", 200, read_)["webhook"]["url"],
              "https://hooks.example.com/np")
        << "the refused create changed nothing";
}

// A stored definition that no longer decodes (another version wrote it) fails the list with a
// message naming it, and can still be deleted.
TEST_F(ServerNotifiers, AStoredNotifierThatNoLongerDecodesCanBeDeleted) {
    startWithFileNotifier("https://hooks.example.com/np");
    {
        auto store = store::openStoreAt(db_);
        ASSERT_TRUE(store) << store.error();
        auto created = (*store)->createNotifier({"broken", R"({"name":"broken","type":"pager"})"});
        ASSERT_TRUE(created) << created.error();
    }
    const json listed = get("/v1/notifiers", 500, read_);
    EXPECT_NE(listed["error"].get<std::string>().find("broken"), std::string::npos) << listed;
    del("/v1/notifiers/broken", 200, admin_);
    EXPECT_EQ(get("/v1/notifiers", 200, read_)["notifiers"].size(), 1u);
}

// The sender refuses http URLs (outside tests): so does the configuration, naming the field,
// without showing the URL's credentials.
TEST_F(ServerNotifiers, HttpDestinationsAreRefusedWhenTheSenderWouldRefuseThem) {
    startWithFileNotifier("https://hooks.example.com/np", false);
    const json refused = post("/v1/notifiers", apiHook("http://hooks.example.com/np"), 400, admin_);
    EXPECT_EQ(
        refused["error"],
        "body: webhook.url: only https URLs are allowed, got \"http://hooks.example.com/np\"");
    EXPECT_EQ(
        post("/v1/notifiers",
             R"({"name":"chat","type":"slack","slack":{"webhookUrl":"http://hooks.slack.com/x"}})",
             400,
             admin_)["error"],
        "body: slack.webhookUrl: only https URLs are allowed, got "
        "\"http://hooks.slack.com/******\"");
    post("/v1/notifiers", apiHook("https://hooks.example.com/np"), 201, admin_);
    post("/v1/notifiers/test", apiHook("http://hooks.example.com/np", "t"), 400, admin_);
}

TEST_F(ServerNotifiers, WritesNeedAnAdminToken) {
    startWithFileNotifier("https://hooks.example.com/np");
    const std::string body = apiHook("https://hooks.example.com/np");
    post("/v1/notifiers", body, 403, read_);
    post("/v1/notifiers", body, 401);
    post("/v1/notifiers/test", body, 403, read_);
    post("/v1/notifiers", body, 201, admin_);
    put("/v1/notifiers/api-hook", body, 403, read_);
    del("/v1/notifiers/api-hook", 403, read_);
    get("/v1/notifiers/api-hook", 200, read_);
    get("/v1/notifiers", 401);
}

TEST_F(ServerNotifiers, BadBodiesAndIdsAre400NamingTheField) {
    startWithFileNotifier("https://hooks.example.com/np");
    EXPECT_EQ(post("/v1/notifiers", R"({"name":"a","type":"webhook","webhook":{}})", 400, admin_),
              json({{"error", "body:1: webhook.url: required for type webhook"}, {"code", 400}}));
    EXPECT_EQ(
        post("/v1/notifiers", R"({"name":"a","type":"webhook","webhok":{}})", 400, admin_)["error"],
        "body:1: webhok: unknown field");
    EXPECT_EQ(post("/v1/notifiers", "not: [json", 400, admin_)["error"].get<std::string>().rfind(
                  "body: ", 0),
              0u);
    const json spaced =
        post("/v1/notifiers",
             R"({"name":"ops team","type":"slack","slack":{"webhookUrl":"https://x/y"}})",
             400,
             admin_);
    EXPECT_NE(spaced["error"].get<std::string>().find("body: id: expected 1 to 253 letters"),
              std::string::npos)
        << spaced.dump();
    EXPECT_NE(post("/v1/notifiers", apiHook("https://x/y", "..x"), 400, admin_)["error"]
                  .get<std::string>()
                  .find("body: id: must start with a letter or digit"),
              std::string::npos);
    EXPECT_NE(get("/v1/notifiers/..", 400, read_)["error"].get<std::string>().find("notifier id"),
              std::string::npos);
    post("/v1/notifiers", apiHook("https://hooks.example.com/np"), 201, admin_);
    EXPECT_EQ(put("/v1/notifiers/api-hook",
                  apiHook("https://hooks.example.com/np", "other"),
                  400,
                  admin_)["error"],
              "body: id: \"other\" is not the id of the path \"api-hook\": an id cannot change "
              "(create a new notifier and delete this one)");
    // Keeping the stored secrets while sending them elsewhere is refused.
    json moved = get("/v1/notifiers/api-hook", 200, read_);
    moved["webhook"]["url"] = "https://evil.example/np";
    EXPECT_NE(
        put("/v1/notifiers/api-hook", moved.dump(), 400, admin_)["error"].get<std::string>().find(
            "webhook.password: the destination changed"),
        std::string::npos);
}

TEST_F(ServerNotifiers, TestSendsAShortMessageOr502) {
    WebhookReceiver receiver;
    startWithFileNotifier(receiver.url());
    EXPECT_EQ(post("/v1/notifiers/test", apiHook(receiver.url()), 200, admin_)["ok"], true);
    ASSERT_EQ(receiver.bodies().size(), 1u);
    EXPECT_NE(receiver.bodies()[0].find("a test message"), std::string::npos);
    // The file notifier as GET shows it: its masked password is the stored one.
    const json shown = get("/v1/notifiers/file-hook", 200, read_);
    post("/v1/notifiers/test", shown.dump(), 200, admin_);
    ASSERT_EQ(receiver.credentials().size(), 2u);  // Basic ops-bot:file-s3cret
    EXPECT_EQ(receiver.credentials()[1].rfind("Basic b3BzLWJvdDpmaWxlLXMzY3JldA==", 0), 0u)
        << receiver.credentials()[1];
    const json failed = post("/v1/notifiers/test", apiHook("http://127.0.0.1:1/hook"), 502, admin_);
    EXPECT_NE(failed["error"].get<std::string>().find("notifier api (webhook)"), std::string::npos)
        << failed.dump();
    EXPECT_EQ(bodies_.find("s3cret"), std::string::npos) << bodies_;
}

TEST(ServerOptions, NoTokensOnlyOnLoopback) {
    server::ServerOptions options;
    options.host = "0.0.0.0";
    auto refused = server::Server::create(options);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().find("--token-file"), std::string::npos);
    options.host = "127.0.0.1";
    EXPECT_TRUE(server::Server::create(options));
}

TEST(ServerOptions, TokenFileErrorsNameTheLine) {
    auto bad = server::AccessTokens::parse("a read\n\nb write\n", "tokens.txt");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error(), "tokens.txt:3: unknown role \"write\": expected read or admin");
    auto twice = server::AccessTokens::parse("a read\na admin\n", "t");
    ASSERT_FALSE(twice);
    EXPECT_EQ(twice.error(), "t:2: token given twice");
    EXPECT_FALSE(server::AccessTokens::parse("lonely\n", "t"));
}

TEST(ServerOptions, ListenAddressesAndScopeQueries) {
    auto v6 = server::parseListenAddress("[::1]:0");
    ASSERT_TRUE(v6) << v6.error();
    EXPECT_EQ(v6->host, "::1");
    EXPECT_TRUE(server::isLoopback(v6->host));
    EXPECT_FALSE(server::parseListenAddress("127.0.0.1"));
    EXPECT_FALSE(server::parseListenAddress("127.0.0.1:70000"));
    auto scope = server::parseScopeQuery("Namespace:a,\"b\"+deployment:x+Cluster:c");
    ASSERT_TRUE(scope) << scope.error();
    EXPECT_EQ(scope->namespaces, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(scope->workloads, (std::vector<std::string>{"x"}));
}

}  // namespace
}  // namespace netpolgen
