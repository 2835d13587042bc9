#include "core/ip_tenancy.h"

#include <algorithm>

namespace netpolgen::core {

void IpTenancies::open(const IpAddress& ip, const PodTenant& tenant, Timestamp at) {
    std::vector<Entry>& timeline = by_ip_[ip];
    for (Entry& e : timeline) {
        if (e.until) {
            continue;
        }
        if (e.tenant == tenant) {
            return;  // already held
        }
        e.until = std::max(at, e.since);
        e.changed = true;
        auto& held = open_by_pod_[{e.tenant.ns, e.tenant.pod}];
        held.erase(std::remove(held.begin(), held.end(), ip), held.end());
    }
    timeline.push_back({tenant, at, std::nullopt, true});
    open_by_pod_[{tenant.ns, tenant.pod}].push_back(ip);
    ++count_;
}

void IpTenancies::close(const IpAddress& ip,
                        const std::string& ns,
                        const std::string& pod,
                        Timestamp at) {
    auto it = by_ip_.find(ip);
    if (it == by_ip_.end()) {
        return;
    }
    for (Entry& e : it->second) {
        if (!e.until && e.tenant.ns == ns && e.tenant.pod == pod) {
            e.until = std::max(at, e.since);
            e.changed = true;
        }
    }
    auto held = open_by_pod_.find({ns, pod});
    if (held != open_by_pod_.end()) {
        auto& ips = held->second;
        ips.erase(std::remove(ips.begin(), ips.end(), ip), ips.end());
        if (ips.empty()) {
            open_by_pod_.erase(held);
        }
    }
}

void IpTenancies::closePod(const std::string& ns, const std::string& pod, Timestamp at) {
    auto held = open_by_pod_.find({ns, pod});
    if (held == open_by_pod_.end()) {
        return;
    }
    const std::vector<IpAddress> ips = held->second;
    for (const IpAddress& ip : ips) {
        close(ip, ns, pod, at);
    }
}

void IpTenancies::add(IpTenancy t) {
    std::vector<Entry>& timeline = by_ip_[t.ip];
    for (Entry& e : timeline) {
        if (e.tenant == t.tenant && e.since == t.since) {
            e.until = t.until;  // the stored row is the newer word on it
            return;
        }
    }
    const auto pos = std::upper_bound(
        timeline.begin(), timeline.end(), t.since, [](Timestamp s, const Entry& e) {
            return s < e.since;
        });
    timeline.insert(pos, {t.tenant, t.since, t.until, false});
    if (!t.until) {
        open_by_pod_[{t.tenant.ns, t.tenant.pod}].push_back(t.ip);
    }
    ++count_;
}

const PodTenant* IpTenancies::tenantAt(const IpAddress& ip, Timestamp t) const {
    auto it = by_ip_.find(ip);
    if (it == by_ip_.end()) {
        return nullptr;
    }
    const PodTenant* found = nullptr;
    for (const Entry& e : it->second) {
        if (e.since > t) {
            break;
        }
        if (!e.until || t < *e.until) {
            found = &e.tenant;
        }
    }
    return found;
}

std::vector<IpTenancy> IpTenancies::all() const {
    std::vector<IpTenancy> out;
    out.reserve(count_);
    for (const auto& [ip, timeline] : by_ip_) {
        for (const Entry& e : timeline) {
            out.push_back({ip, e.tenant, e.since, e.until});
        }
    }
    return out;
}

std::vector<IpTenancy> IpTenancies::takeChanged() {
    std::vector<IpTenancy> out;
    for (auto& [ip, timeline] : by_ip_) {
        for (Entry& e : timeline) {
            if (e.changed) {
                out.push_back({ip, e.tenant, e.since, e.until});
                e.changed = false;
            }
        }
    }
    return out;
}

void IpTenancies::forgetBefore(Timestamp before) {
    for (auto it = by_ip_.begin(); it != by_ip_.end();) {
        auto& timeline = it->second;
        const auto gone = std::remove_if(timeline.begin(), timeline.end(), [&](const Entry& e) {
            return e.until && *e.until < before;
        });
        count_ -= static_cast<size_t>(timeline.end() - gone);
        timeline.erase(gone, timeline.end());
        it = timeline.empty() ? by_ip_.erase(it) : std::next(it);
    }
}

}  // namespace netpolgen::core
