// libFuzzer target for what `serve` decodes from its users: a notifier body (POST/PUT
// /v1/notifiers) and a notifier file, a modification body (simulate, notify, apply), a token file
// and a scope query. The first byte chooses the decoder, the rest is its input.
//
// Every decoder must succeed or fail with a message naming the input. A notifier that decodes must
// come back unchanged from its stored form (notifierJson with secrets → parseStoredNotifier), as
// the store keeps it, and its redacted form must decode too. A body never names a certificate file
// and no header-bound field holds CR or LF. Any broken property aborts.
//
//   ./fuzz_api_inputs -max_total_time=300 /tmp/scratch tests/fuzz/corpus/api_inputs/
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "io/modification_decoder.h"
#include "notify/notifier_config.h"
#include "server/access_tokens.h"
#include "server/scope_query.h"

namespace {

namespace notify = netpolgen::notify;
constexpr size_t kMaxInputBytes = 1u << 16;

[[noreturn]] void fail(const char* what, const std::string& detail) {
    std::fprintf(stderr, "fuzz_api_inputs: %s\n%s\n", what, detail.c_str());
    std::abort();
}

void expectNamed(const std::string& error, std::string_view name) {
    if (error.find(name) == std::string::npos) {
        fail("an error that does not name its input", error);
    }
}

void notifierBody(std::string_view text) {
    auto notifier = notify::parseNotifier(text, "body");
    if (!notifier) {
        expectNamed(notifier.error(), "body");
        return;
    }
    const std::string stored = notify::notifierJson(*notifier, notify::Secrets::kInclude);
    for (const notify::TlsOptions* tls : {&notifier->webhook.tls, &notifier->jira.tls}) {
        if (!tls->ca_cert_file.empty() || !tls->client_cert_file.empty() ||
            !tls->client_key_file.empty()) {
            fail("a body named a certificate file", stored);
        }
    }
    std::string header_bound = notifier->email.from + notifier->email.server;
    for (const std::string& to : notifier->email.to) {
        header_bound += to;
    }
    for (const notify::KeyValue& h : notifier->webhook.headers) {
        header_bound += h.key + h.value;
    }
    if (header_bound.find_first_of("\r\n") != std::string::npos) {
        fail("a line break in a header-bound field", stored);
    }
    auto again = notify::parseStoredNotifier(stored, "stored");
    if (!again) {
        fail("the stored form of a notifier does not decode", stored + "\n" + again.error());
    }
    if (notify::notifierJson(*again, notify::Secrets::kInclude) != stored) {
        fail("a notifier changed through its stored form", stored);
    }
    const std::string shown = notify::notifierJson(*notifier, notify::Secrets::kRedact);
    if (auto redacted = notify::parseNotifier(shown, "shown"); !redacted) {
        // What GET shows may lack a required secret; it must still fail cleanly, naming it.
        expectNamed(redacted.error(), "shown");
    }
}

void notifierFile(std::string_view text) {
    if (auto notifiers = notify::parseNotifierConfigs(text, "notifiers.yaml"); !notifiers) {
        expectNamed(notifiers.error(), "notifiers.yaml");
    }
}

void modificationBody(std::string_view text) {
    netpolgen::io::DecodedModification out;
    if (auto st = netpolgen::io::decodeModification(text, "body", {}, out); !st) {
        expectNamed(st.error(), "body");
    }
}

void tokenFile(std::string_view text) {
    if (auto tokens = netpolgen::server::AccessTokens::parse(text, "tokens.txt"); !tokens) {
        expectNamed(tokens.error(), "tokens.txt");
    }
}

void scopeQuery(std::string_view text) {
    if (auto scope = netpolgen::server::parseScopeQuery(text); !scope) {
        expectNamed(scope.error(), "query");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0 || size > kMaxInputBytes) {
        return -1;
    }
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 5) {
        case 0:
            notifierBody(text);
            break;
        case 1:
            notifierFile(text);
            break;
        case 2:
            modificationBody(text);
            break;
        case 3:
            tokenFile(text);
            break;
        default:
            scopeQuery(text);
            break;
    }
    return 0;
}
