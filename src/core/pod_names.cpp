#include "core/pod_names.h"

#include <algorithm>

namespace netpolgen::core {
namespace {

constexpr size_t kRandomSuffix = 5;
constexpr size_t kMaxHash = 10;       // pod-template-hash: up to 10 characters (a uint32 encoded)
constexpr size_t kMinCronDigits = 8;  // CronJob jobs: <cronjob>-<scheduled time in minutes>

// k8s.io/apimachinery/pkg/util/rand: no vowels, no 0 1 3, so that names spell no words.
bool isRandomChar(char c) {
    constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
    return kAlphabet.find(c) != std::string_view::npos;
}

bool isDigit(char c) {
    return c >= '0' && c <= '9';
}

bool isLowerAlnum(char c) {
    return isDigit(c) || (c >= 'a' && c <= 'z');
}

// Splits "<prefix>-<last>" at the last dash; false without one or with an empty side.
bool splitLast(std::string_view name, std::string_view& prefix, std::string_view& last) {
    const size_t dash = name.rfind('-');
    if (dash == std::string_view::npos || dash == 0 || dash + 1 == name.size()) {
        return false;
    }
    prefix = name.substr(0, dash);
    last = name.substr(dash + 1);
    return true;
}

bool isRandomSuffix(std::string_view s) {
    return s.size() == kRandomSuffix && std::all_of(s.begin(), s.end(), isRandomChar);
}

bool isHash(std::string_view s) {
    return !s.empty() && s.size() <= kMaxHash && std::all_of(s.begin(), s.end(), isLowerAlnum);
}

bool isDigits(std::string_view s, size_t min_size) {
    return s.size() >= min_size && std::all_of(s.begin(), s.end(), isDigit);
}

}  // namespace

std::vector<ControllerGuess> ownerGuesses(WorkloadKind kind, std::string_view name) {
    std::vector<ControllerGuess> out;
    std::string_view prefix;
    std::string_view last;
    if (!splitLast(name, prefix, last)) {
        return out;
    }
    if (kind == WorkloadKind::kReplicaSet && isHash(last)) {
        out.push_back({WorkloadKind::kDeployment, prefix, last});
    } else if (kind == WorkloadKind::kJob && isDigits(last, kMinCronDigits)) {
        out.push_back({WorkloadKind::kCronJob, prefix, {}});
    }
    return out;
}

std::vector<ControllerGuess> controllerGuesses(std::string_view pod) {
    std::vector<ControllerGuess> out;
    std::string_view prefix;
    std::string_view last;
    if (!splitLast(pod, prefix, last)) {
        return out;
    }
    if (isDigits(last, 1)) {
        out.push_back({WorkloadKind::kStatefulSet, prefix, {}});
    }
    if (!isRandomSuffix(last)) {
        return out;
    }
    // <prefix> is a ReplicaSet or Job whose own owner may be a Deployment or CronJob.
    for (WorkloadKind owned : {WorkloadKind::kReplicaSet, WorkloadKind::kJob}) {
        for (const auto& g : ownerGuesses(owned, prefix)) {
            out.push_back(g);
        }
    }
    for (WorkloadKind kind : {WorkloadKind::kReplicaSet,
                              WorkloadKind::kDaemonSet,
                              WorkloadKind::kJob,
                              WorkloadKind::kReplicationController}) {
        out.push_back({kind, prefix, {}});
    }
    return out;
}

}  // namespace netpolgen::core
