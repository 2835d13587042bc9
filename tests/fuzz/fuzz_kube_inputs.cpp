// libFuzzer target for what the Kubernetes client decodes from outside: a kubeconfig file, an exec
// credential plugin's answer, base64 *-data fields, an API server's error answer, a list page, a
// watch event and a pod's addresses (kube/object_text.h). The first byte chooses the decoder, the
// rest is its input.
//
// Every decoder must succeed or fail with a message; a kubeconfig error names the file; a base64
// text that decodes must encode back to the same bytes once whitespace and padding are normalised;
// an error line for any answer is one line; an object kept from a list or an event is still one
// JSON object, without metadata.managedFields. Any broken property aborts.
//
//   ./fuzz_kube_inputs -max_total_time=300 /tmp/scratch tests/fuzz/corpus/kube_inputs/
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "kube/api_client.h"
#include "kube/credentials.h"
#include "kube/kubeconfig.h"
#include "kube/object_text.h"
#include "nlohmann/json.hpp"

namespace {

namespace kube = netpolgen::kube;
constexpr size_t kMaxInputBytes = 1u << 16;

[[noreturn]] void fail(const char* what, const std::string& detail) {
    std::fprintf(stderr, "fuzz_kube_inputs: %s\n%s\n", what, detail.c_str());
    std::abort();
}

void kubeconfig(const std::string& text) {
    // A file the loader reads by path, without touching the disk.
    const int fd = ::memfd_create("kubeconfig", 0);
    if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
        if (fd >= 0) {
            ::close(fd);
        }
        return;
    }
    const std::string path = "/proc/self/fd/" + std::to_string(fd);
    kube::KubeconfigRequest request;
    request.explicit_path = path;
    auto config = kube::loadKubeconfig(request);
    ::close(fd);
    if (!config && config.error().find(path) == std::string::npos &&
        config.error().find("context") == std::string::npos) {
        fail("a kubeconfig error that names neither the file nor the context", config.error());
    }
}

void execCredential(const std::string& text) {
    auto c = kube::parseExecCredential(text, "client.authentication.k8s.io/v1");
    if (c && c->auth.token.empty() && c->auth.client_cert_pem.empty()) {
        fail("an exec credential without a token or certificate was accepted", text);
    }
}

void base64(const std::string& text) {
    auto bytes = kube::decodeBase64(text);
    if (!bytes) {
        return;
    }
    auto again = kube::decodeBase64(kube::encodeBase64(*bytes));
    if (!again || *again != *bytes) {
        fail("base64 does not round-trip", text);
    }
}

void apiAnswer(const std::string& text, uint8_t code) {
    kube::ApiResponse r{400 + code % 200, text, {}};
    const std::string line =
        kube::describeFailure("GET", "/apis/networking.k8s.io/v1/networkpolicies?limit=500", r);
    if (line.find('\n') != std::string::npos || line.find('\r') != std::string::npos) {
        fail("an error line with a line break", line);
    }
}

// What the watching cache keeps of an object must still be the object, minus managedFields.
void checkKept(const kube::ObjectText& o, const std::string& input) {
    const auto j = nlohmann::json::parse(o.text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        fail("a kept object is not a JSON object", input + "\n→ " + o.text);
    }
    auto m = j.find("metadata");
    if (m == j.end() || !m->is_object() || m->contains("managedFields")) {
        fail("a kept object lost its metadata or kept managedFields", input + "\n→ " + o.text);
    }
}

void listPage(const std::string& text) {
    auto page = kube::listPage(text);
    if (page) {
        for (const auto& item : page->items) {
            checkKept(item, text);
        }
    }
}

void watchEvent(const std::string& text) {
    auto event = kube::watchEvent(text);
    if (event && (event->type == kube::WatchEvent::Type::kAdded ||
                  event->type == kube::WatchEvent::Type::kModified ||
                  event->type == kube::WatchEvent::Type::kDeleted)) {
        checkKept(event->object, text);
    }
    (void)kube::podAddresses(text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1 || size > kMaxInputBytes) {
        return 0;
    }
    const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 7) {
        case 0:
            kubeconfig(text);
            break;
        case 1:
            execCredential(text);
            break;
        case 2:
            base64(text);
            break;
        case 3:
            apiAnswer(text, data[0]);
            break;
        case 4:
            listPage(text);
            break;
        default:
            watchEvent(text);
            break;
    }
    return 0;
}
