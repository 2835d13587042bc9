// Real Hubble exports (tests/data/hubble-real, SOURCE.md) through the reader and the resolver:
// what each line's endpoints resolve to against a cluster snapshot written for them.
//
// Most real lines are replies, dropped or non-opening segments, which the reader skips before it
// looks at endpoints. So each line is checked twice: as read (what the reader counts), and with
// its real `source` and `destination` objects, unchanged, in an opening TCP SYN, in the
// {"flow":…} envelope and as a bare Flow.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/cluster_builder.h"
#include "core/flow_aggregator.h"
#include "io/flow_reader.h"
#include "io/manifest_decoder.h"

namespace netpolgen {
namespace {

using nlohmann::json;

const std::string kDir = NETPOLGEN_SOURCE_DIR "/tests/data/hubble-real/";

std::vector<std::string> lines(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) {
        out.push_back(line);
    }
    return out;
}

class RealExport : public ::testing::Test {
protected:
    void load(const std::string& folder) {
        folder_ = kDir + folder;
        core::ClusterObjects objects;
        io::ManifestStats stats;
        const core::Status st = io::loadManifests(folder_ + "/cluster.yaml", {}, objects, stats);
        ASSERT_TRUE(st.ok()) << st.error();
        std::vector<std::string> warnings;
        cluster_ = core::buildCluster(std::move(objects), warnings);
        index_ = std::make_unique<core::ClusterIndex>(cluster_);
        flows_ = lines(folder_ + "/flows.jsonl");
        ASSERT_FALSE(flows_.empty());
    }

    // "src -> dst" per edge ("Kind/name", or "internal"/"internet"), and the aggregation counts.
    std::vector<std::string> resolve(const std::string& text,
                                     core::AggregationStats* stats = nullptr) {
        core::FlowAggregator agg(*index_, {});
        io::FlowReadStats read;
        const core::Status st = io::readFlowBuffer(
            text, "flows", {}, read, [&](const core::FlowObservation& f) { return agg.add(f); });
        EXPECT_TRUE(st.ok()) << st.error();
        if (stats != nullptr) {
            *stats = agg.stats();
        }
        std::vector<std::string> out;
        for (const auto& e : agg.graph().edges()) {
            out.push_back(name(e.first.src) + " -> " + name(e.first.dst));
        }
        return out;
    }

    std::string name(core::EntityId id) const {
        if (!core::isWorkloadEntity(id)) {
            return id == core::kInternetEntity ? "internet" : "internal";
        }
        const core::Workload& w = cluster_.workloads[core::workloadIndex(id)];
        return std::string(core::workloadKindName(w.kind)) + "/" + w.name;
    }

    // The line's own endpoints in an opening SYN: the envelope, or the bare Flow.
    static std::string opening(const std::string& line, bool envelope) {
        json flow = json::parse(line).at("flow");
        json syn = {
            {"IP", flow.at("IP")},
            {"l4",
             {{"TCP",
               {{"source_port", 40000}, {"destination_port", 80}, {"flags", {{"SYN", true}}}}}}},
            {"source", flow.at("source")},
            {"destination", flow.at("destination")},
            {"verdict", "FORWARDED"}};
        return envelope ? json{{"flow", syn}}.dump() : syn.dump();
    }

    // The same without `workloads`, as exporters with a field mask and older Hubble write them.
    static std::string withoutWorkloads(const std::string& line) {
        json j = json::parse(line);
        j["flow"]["source"].erase("workloads");
        j["flow"]["destination"].erase("workloads");
        return j.dump();
    }

    std::string folder_;
    core::Cluster cluster_;
    std::unique_ptr<core::ClusterIndex> index_;
    std::vector<std::string> flows_;
};

TEST_F(RealExport, CiliumExporterWithAFieldMaskResolvesPodNames) {
    load("cilium-docs-exporter");
    io::FlowReadStats read;
    ASSERT_TRUE(io::readFlowBuffer(flows_[0] + "\n" + flows_[1] + "\n",
                                   "export",
                                   {},
                                   read,
                                   [](const core::FlowObservation&) { return core::Status(); })
                    .ok());
    EXPECT_EQ(read.skipped_dropped, 2u);  // both lines are drops: nothing to aggregate as read
    // xwing is a Pod of the snapshot; deathstar-7848d6c4d5-th9v2 has no Pod object, its name
    // carries the hash of the Deployment's ReplicaSet.
    for (bool envelope : {true, false}) {
        EXPECT_EQ(resolve(opening(flows_[1], envelope)),
                  std::vector<std::string>{"Pod/xwing -> Deployment/deathstar"})
            << (envelope ? "envelope" : "bare Flow");
    }
}

TEST_F(RealExport, CiliumExporterPodsOfAnotherRolloutAreCountedNotGuessed) {
    load("cilium-docs-exporter");
    std::string line = opening(flows_[1], true);
    line.replace(line.find("7848d6c4d5"), 10, "5f6b7c8d9f");  // a hash the snapshot lacks
    core::AggregationStats stats;
    EXPECT_TRUE(resolve(line, &stats).empty());
    EXPECT_EQ(stats.unresolved, 1u);
    ASSERT_EQ(stats.top_unresolved.size(), 1u);
    EXPECT_EQ(stats.top_unresolved[0].first, "default/deathstar");
}

TEST_F(RealExport, AksFlowLogsResolveByWorkloadsPodNamesAndLabels) {
    load("aks-docker-provider");
    io::FlowReadStats read;
    std::string all;
    for (const auto& l : flows_) {
        all += l + "\n";
    }
    ASSERT_TRUE(io::readFlowBuffer(all, "aks", {}, read, [](const core::FlowObservation&) {
                    return core::Status();
                }).ok());
    EXPECT_EQ(read.skipped_replies, 2u);
    EXPECT_EQ(read.skipped_not_initial, 1u);  // ACK+FIN of an established connection
    const std::vector<std::string> good_to_bad{
        "Deployment/kapinger-good -> Deployment/kapinger-bad"};
    const std::vector<std::string> bad_to_good{
        "Deployment/kapinger-bad -> Deployment/kapinger-good"};
    for (bool envelope : {true, false}) {
        EXPECT_EQ(resolve(opening(flows_[0], envelope)), good_to_bad);
        EXPECT_EQ(resolve(opening(flows_[2], envelope)), bad_to_good);
        // Without `workloads`: by the pod names (no Pods, no ReplicaSets in the snapshot).
        EXPECT_EQ(resolve(opening(withoutWorkloads(flows_[0]), envelope)), good_to_bad);
    }
    // Without `workloads` and pod names: by the labels (app=kapinger,server=bad selects one).
    json j = json::parse(withoutWorkloads(flows_[2]));
    j["flow"]["source"].erase("pod_name");
    j["flow"]["destination"].erase("pod_name");
    EXPECT_EQ(resolve(opening(j.dump(), true)), bad_to_good);
}

TEST_F(RealExport, GkeSampleWithoutWorkloadsResolvesByPodNamesAndLabels) {
    load("hubble-otel-gke");
    std::string all;
    for (const auto& l : flows_) {
        all += l + "\n";
    }
    // As read: only the SYN opens a connection; its destination has a pod name and no workloads.
    core::AggregationStats stats;
    EXPECT_EQ(resolve(all, &stats), std::vector<std::string>{"internal -> Deployment/kube-dns"});
    EXPECT_EQ(stats.unresolved, 0u);
    for (bool envelope : {true, false}) {
        EXPECT_EQ(resolve(opening(flows_[0], envelope)),
                  std::vector<std::string>{"Deployment/prometheus -> Deployment/reviews-v1"});
        EXPECT_EQ(
            resolve(opening(flows_[1], envelope)),
            std::vector<std::string>{"Deployment/istio-telemetry -> Deployment/istio-galley"});
    }
    // Without pod names: the labels, Istio's per-pod security.istio.io/tlsMode included, still
    // select one workload each.
    json j = json::parse(flows_[0]);
    j["flow"]["source"].erase("pod_name");
    j["flow"]["destination"].erase("pod_name");
    EXPECT_EQ(resolve(opening(j.dump(), true)),
              std::vector<std::string>{"Deployment/prometheus -> Deployment/reviews-v1"});
}

}  // namespace
}  // namespace netpolgen
