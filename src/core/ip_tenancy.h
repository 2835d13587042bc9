// IpTenancies: which pod held an address when. Pod addresses are reused: a flow that names only an
// address must be resolved with the pod that held it at the flow's time, not with today's pod
// (issue 12 point 3). The watching cache (kube/cluster_watch.h) opens a tenancy when it sees a pod
// with an address and closes it when the pod is deleted, finishes or changes address; the store
// keeps them beside the snapshots; FlowAggregator asks tenantAt() for dated flows to addresses.
//
//   IpTenancies t;
//   t.open(ip, {"shop", "web-5d9-x2x", "ReplicaSet", "web-5d9"}, 100);
//   t.close(ip, "shop", "web-5d9-x2x", 160);
//   t.tenantAt(ip, 130);   // the web pod; at 170: nothing
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/flow.h"
#include "core/ip_address.h"

namespace netpolgen::core {

// A pod as its address's tenant: enough to find its workload through the EndpointResolver (the
// controller's kind and name; a ReplicaSet or Job leads to its Deployment or CronJob).
struct PodTenant {
    std::string ns;
    std::string pod;
    std::string owner_kind;  // "ReplicaSet", "StatefulSet", …; empty for a pod without controller
    std::string owner_name;

    auto operator<=>(const PodTenant&) const = default;
};

struct IpTenancy {
    IpAddress ip;
    PodTenant tenant;
    Timestamp since = 0;
    std::optional<Timestamp> until;  // none: still held

    auto operator<=>(const IpTenancy&) const = default;
};

class IpTenancies {
public:
    // `tenant` holds `ip` from `at` on. Nothing changes when it already holds it; a tenancy of
    // another pod still open on that address is closed at `at` (the address moved on, and the
    // close may not have been seen).
    void open(const IpAddress& ip, const PodTenant& tenant, Timestamp at);
    // The pod no longer holds `ip` from `at` on (no-op when it does not hold it).
    void close(const IpAddress& ip, const std::string& ns, const std::string& pod, Timestamp at);
    // Closes every open tenancy of this pod, whatever its address (deleted pod).
    void closePod(const std::string& ns, const std::string& pod, Timestamp at);
    // A tenancy as stored (loading): kept as given, merged into the address's timeline.
    void add(IpTenancy tenancy);

    // The pod holding `ip` at `t` (since <= t < until), the latest opened when several.
    const PodTenant* tenantAt(const IpAddress& ip, Timestamp t) const;

    // Every tenancy, ordered by address, then since.
    std::vector<IpTenancy> all() const;
    // Tenancies changed (opened or closed) since the last takeChanged(), in that order; for the
    // store, which writes them as rows keyed by (ip, ns, pod, since).
    std::vector<IpTenancy> takeChanged();
    size_t size() const { return count_; }

    // Drops tenancies closed before `before` (history older than anything kept).
    void forgetBefore(Timestamp before);

private:
    struct Entry {
        PodTenant tenant;
        Timestamp since;
        std::optional<Timestamp> until;
        bool changed = false;
    };
    std::map<IpAddress, std::vector<Entry>> by_ip_;  // per address, in since order
    std::map<std::pair<std::string, std::string>, std::vector<IpAddress>> open_by_pod_;
    size_t count_ = 0;
};

}  // namespace netpolgen::core
