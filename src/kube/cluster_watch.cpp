#include "kube/cluster_watch.h"

#include <curl/curl.h>

#include <algorithm>
#include <random>

#include "io/json_framer.h"

namespace netpolgen::kube {
namespace {

using core::Error;

// A watch event larger than this ends the stream (then the kind is listed again): no object of
// the watched kinds comes near it, and the buffer must not grow without bound.
constexpr size_t kMaxEventBytes = 64u << 20;

std::string escapeQuery(const std::string& s) {
    char* e = curl_easy_escape(nullptr, s.data(), static_cast<int>(s.size()));
    std::string out = e != nullptr ? e : "";
    curl_free(e);
    return out;
}

bool isRefusal(const std::string& problem) {
    return problem.find("(403 Forbidden)") != std::string::npos ||
           problem.find("(404 Not Found)") != std::string::npos;
}

bool isAuthFailure(const std::string& problem) {
    return problem.find("(401 Unauthorized)") != std::string::npos ||
           problem.find("(403 Forbidden)") != std::string::npos;
}

}  // namespace

struct ClusterWatch::KindState {
    ApiKind kind;
    std::map<std::string, std::string> objects;  // "ns/name" → object JSON
    std::string resource_version;                // the last seen
    bool synced = false;                         // listed at least once (or refused, optional)
    bool listed = false;
    bool fatal = false;  // the first list was refused (401/403): waitSynced gives up
    std::string problem;
    std::chrono::milliseconds backoff{0};
};

ClusterWatch::ClusterWatch(ApiClient& client, WatchOptions options)
    : client_(client), options_(std::move(options)) {
    if (!options_.now) {
        options_.now = [] {
            return std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                .count();
        };
    }
}

ClusterWatch::~ClusterWatch() {
    stop();
}

int64_t ClusterWatch::now() const {
    return options_.now();
}

core::Status ClusterWatch::start() {
    ReadReport report;
    auto served = servedGroupVersions(client_, report);
    if (!served) {
        return Error{served.error()};
    }
    auto add = [&](const ApiKind& k) {
        auto state = std::make_unique<KindState>();
        state->kind = k;
        state->backoff = options_.backoff_initial;
        kinds_.push_back(std::move(state));
    };
    for (const ApiKind& k : kApiKinds) {
        add(k);
    }
    for (const ApiKind& k : kOpenShiftKinds) {
        if (std::find(served->begin(), served->end(), k.prefix) != served->end()) {
            add(k);
        }
    }
    for (auto& k : kinds_) {
        threads_.emplace_back([this, state = k.get()] { run(*state); });
    }
    return {};
}

void ClusterWatch::stop() {
    stop_ = true;
    changed_.notify_all();
    for (auto& t : threads_) {
        if (t.joinable()) {
            t.join();
        }
    }
    threads_.clear();
}

bool ClusterWatch::waitSynced(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, timeout, [&] {
        bool all = true;
        for (const auto& k : kinds_) {
            if (k->fatal && !k->synced) {
                return true;  // given up: the caller reads problems()
            }
            all = all && k->synced;
        }
        return all || stop_.load();
    }) && std::all_of(kinds_.begin(), kinds_.end(), [](const auto& k) { return k->synced; });
}

void ClusterWatch::sleepFor(std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait_for(lock, d, [&] { return stop_.load(); });
}

void ClusterWatch::fail(KindState& k, const std::string& problem) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        k.problem = problem;
        ++counters_.failures;
        if (!k.listed && isAuthFailure(problem) && !k.kind.optional) {
            k.fatal = true;
        }
    }
    changed_.notify_all();
    // Backoff with jitter (factor 2, jitter 1.0, capped), as client-go's reflector.
    thread_local std::mt19937 rng(std::random_device{}());
    const auto base = k.backoff;
    const auto jitter = std::uniform_int_distribution<int64_t>(0, base.count())(rng);
    sleepFor(base + std::chrono::milliseconds(jitter));
    k.backoff = std::min(options_.backoff_max, base * 2);
}

void ClusterWatch::run(KindState& k) {
    bool need_list = true;
    while (!stop_) {
        if (need_list) {
            need_list = !listKind(k);
            continue;
        }
        need_list = !watchKind(k);
    }
}

bool ClusterWatch::listKind(KindState& k) {
    std::vector<ListedPage> pages;
    ReadReport report;
    // The first list from the API server's watch cache, as client-go's reflector does (one cheap
    // answer per kind); a relist, after a 410 or a failure, reads the latest state.
    const ListFrom from = k.listed ? ListFrom::kLatest : options_.first_list;
    core::Status st =
        listPages(client_, clusterPath(k.kind), options_.page_size, from, pages, report);
    if (!st && k.kind.optional && isRefusal(st.error())) {
        {
            std::lock_guard<std::mutex> lock(mu_);
            k.synced = true;
            k.problem = st.error() + "; " + k.kind.resource + " are left out";
        }
        changed_.notify_all();
        sleepFor(options_.backoff_max);  // asked again now and then: RBAC may change
        return false;
    }
    if (!st) {
        fail(k, st.error());
        return false;
    }
    std::vector<ObjectText> objects;
    std::string rv;
    for (ListedPage& page : pages) {
        auto parsed = listPage(page.text);
        if (!parsed) {
            fail(k, page.name + ": " + parsed.error());
            return false;
        }
        std::string().swap(page.text);  // its items are copied out: 150 MB for 50,000 pods
        rv = parsed->resource_version;
        for (auto& o : parsed->items) {
            objects.push_back(std::move(o));
        }
    }
    replaceObjects(k, std::move(objects), !k.listed);
    {
        std::lock_guard<std::mutex> lock(mu_);
        k.resource_version = rv;
        k.synced = k.listed = true;
        k.problem.clear();
        k.backoff = options_.backoff_initial;
        ++counters_.lists;
    }
    changed_.notify_all();
    return true;
}

// One watch request, read to its end. True: watch again from the last resourceVersion; false:
// list again (after a backoff when it failed).
bool ClusterWatch::watchKind(KindState& k) {
    thread_local std::mt19937 rng(std::random_device{}());
    const int64_t min = options_.watch_timeout.count();
    const int64_t timeout = std::uniform_int_distribution<int64_t>(min, 2 * min - 1)(rng);
    std::string rv;
    {
        std::lock_guard<std::mutex> lock(mu_);
        rv = k.resource_version;
        ++counters_.watches;
    }
    const std::string path =
        clusterPath(k.kind) +
        "?watch=1&allowWatchBookmarks=true&resourceVersion=" + escapeQuery(rv) +
        "&timeoutSeconds=" + std::to_string(timeout);
    std::string buffer;
    io::detail::JsonFramer framer(1);
    bool gone = false;
    std::string problem;
    uint64_t events = 0;
    auto on_data = [&](std::string_view data) {
        buffer.append(data);
        using Event = io::detail::JsonFramer::Event;
        for (auto e = framer.next(buffer.data(), buffer.size()); e != Event::kNeedMore;
             e = framer.next(buffer.data(), buffer.size())) {
            if (e != Event::kRecord) {
                problem = "the watch stream is not JSON: " + framer.message();
                return false;
            }
            const auto& r = framer.record();
            auto event = watchEvent(std::string_view(buffer).substr(r.begin, r.end - r.begin));
            if (!event) {
                problem = event.error();
                return false;
            }
            if (event->type == WatchEvent::Type::kError) {
                gone = event->error_code == 410;
                problem = "watch ended by the server: " + event->error_message;
                return false;
            }
            ++events;
            applyEvent(k, *event);
        }
        const size_t keep = framer.keepFrom();
        buffer.erase(0, keep);
        framer.shift(keep);
        if (buffer.size() > kMaxEventBytes) {
            problem = "a watch event larger than 64 MiB";
            return false;
        }
        return true;
    };
    const auto started = std::chrono::steady_clock::now();
    auto r = client_.stream(path, on_data, stop_, std::chrono::seconds(timeout + 60));
    if (stop_) {
        return true;
    }
    if (!r) {
        // A dropped connection: resume from the last resourceVersion, as client-go does for an
        // EOF mid-stream; a connection that never delivered backs off first.
        if (events == 0) {
            fail(k, r.error());
        }
        return true;
    }
    if (r->status == 410 || gone) {
        std::lock_guard<std::mutex> lock(mu_);
        ++counters_.relists;
        return false;
    }
    if (r->status == 429) {
        fail(k, describeFailure("GET", path, r->failure));
        return true;
    }
    if (r->status < 200 || r->status >= 300) {
        fail(k, client_.config().server + ": " + describeFailure("GET", path, r->failure));
        std::lock_guard<std::mutex> lock(mu_);
        ++counters_.relists;
        return false;
    }
    if (!problem.empty()) {
        fail(k, clusterPath(k.kind) + ": " + problem);
        std::lock_guard<std::mutex> lock(mu_);
        ++counters_.relists;
        return false;
    }
    if (events == 0 && std::chrono::steady_clock::now() - started < std::chrono::seconds(1)) {
        fail(k, clusterPath(k.kind) + ": very short watch (closed at once without events)");
        std::lock_guard<std::mutex> lock(mu_);
        ++counters_.relists;
        return false;
    }
    return true;
}

void ClusterWatch::replaceObjects(KindState& k, std::vector<ObjectText> objects, bool first_list) {
    std::map<std::string, std::string> next;
    for (auto& o : objects) {
        next[o.key()] = std::move(o.text);
    }
    {
        std::lock_guard<std::mutex> lock(mu_);
        const bool pods = std::string_view(k.kind.resource) == "pods";
        if (pods) {
            for (const auto& [key, text] : k.objects) {
                if (next.count(key) == 0) {
                    podChanged(&text, nullptr, false);
                }
            }
            for (const auto& [key, text] : next) {
                auto old = k.objects.find(key);
                if (old == k.objects.end() || old->second != text) {
                    podChanged(old == k.objects.end() ? nullptr : &old->second, &text, first_list);
                }
            }
        }
        if (next != k.objects) {
            ++generation_;
        }
        k.objects = std::move(next);
    }
    changed_.notify_all();
}

void ClusterWatch::applyEvent(KindState& k, WatchEvent& event) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!event.object.resource_version.empty()) {
        k.resource_version = event.object.resource_version;
    }
    if (event.type == WatchEvent::Type::kBookmark) {
        ++counters_.bookmarks;
        return;
    }
    ++counters_.events;
    k.backoff = options_.backoff_initial;
    const bool pods = std::string_view(k.kind.resource) == "pods";
    const std::string key = event.object.key();
    auto old = k.objects.find(key);
    if (event.type == WatchEvent::Type::kDeleted) {
        if (old != k.objects.end()) {
            if (pods) {
                podChanged(&old->second, nullptr, false);
            }
            k.objects.erase(old);
            ++generation_;
        }
        return;
    }
    if (pods) {
        podChanged(old == k.objects.end() ? nullptr : &old->second, &event.object.text, false);
    }
    k.objects[key] = std::move(event.object.text);
    ++generation_;
}

// REQUIRES: mu_ held.
void ClusterWatch::podChanged(const std::string* before,
                              const std::string* after,
                              bool first_list) {
    const int64_t t = now();
    std::optional<PodAddresses> was;
    if (before != nullptr) {
        if (auto b = podAddresses(*before)) {
            was = std::move(*b);
        }
    }
    if (after == nullptr) {
        if (was) {
            tenancies_.closePod(was->tenant.ns, was->tenant.pod, t);
        }
        return;
    }
    auto is = podAddresses(*after);
    if (!is) {
        return;
    }
    if (is->finished || is->ips.empty()) {
        tenancies_.closePod(is->tenant.ns, is->tenant.pod, t);
        return;
    }
    if (was) {
        for (const auto& ip : was->ips) {
            if (std::find(is->ips.begin(), is->ips.end(), ip) == is->ips.end()) {
                tenancies_.close(ip, was->tenant.ns, was->tenant.pod, t);
            }
        }
    }
    // A pod of the first list has held its address since it started, as far as can be known.
    const int64_t since = first_list && is->started ? std::min(*is->started, t) : t;
    for (const auto& ip : is->ips) {
        tenancies_.open(ip, is->tenant, since);
    }
}

std::vector<ListedPage> ClusterWatch::pages() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<ListedPage> out;
    for (const auto& k : kinds_) {
        if (!k->listed) {
            continue;
        }
        std::string text = std::string("{\"kind\":\"") + k->kind.kind + "List\",\"apiVersion\":\"" +
                           k->kind.api_version + "\",\"items\":[";
        bool first = true;
        for (const auto& [key, object] : k->objects) {
            if (!first) {
                text += ',';
            }
            first = false;
            text += object;
        }
        text += "]}\n";
        out.push_back(
            {client_.config().server + clusterPath(k->kind) + " (watched)", std::move(text)});
    }
    return out;
}

size_t ClusterWatch::objectCount() const {
    std::lock_guard<std::mutex> lock(mu_);
    size_t n = 0;
    for (const auto& k : kinds_) {
        n += k->objects.size();
    }
    return n;
}

uint64_t ClusterWatch::generation() const {
    std::lock_guard<std::mutex> lock(mu_);
    return generation_;
}

WatchCounters ClusterWatch::counters() const {
    std::lock_guard<std::mutex> lock(mu_);
    return counters_;
}

std::vector<std::string> ClusterWatch::problems() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    for (const auto& k : kinds_) {
        if (!k->problem.empty()) {
            out.push_back(k->problem);
        }
    }
    return out;
}

std::string ClusterWatch::fatalProblem() const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& k : kinds_) {
        if (k->fatal && !k->synced) {
            return k->problem;
        }
    }
    return {};
}

std::vector<core::IpTenancy> ClusterWatch::takeTenancyChanges() {
    std::lock_guard<std::mutex> lock(mu_);
    return tenancies_.takeChanged();
}

std::vector<core::IpTenancy> ClusterWatch::tenancies() const {
    std::lock_guard<std::mutex> lock(mu_);
    return tenancies_.all();
}

}  // namespace netpolgen::kube
