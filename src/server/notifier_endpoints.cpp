// Notifier configuration through the API (server/endpoints.h, server/notifier_registry.h):
// list, get, create, replace, delete and test. Every answer shows a notifier as GET does, with
// its secrets masked by notify::notifierJson; error messages name fields, never their values.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "notify/sender.h"
#include "server/endpoints.h"
#include "server/notifier_registry.h"
#include "server/request_params.h"

namespace netpolgen::server {
namespace {

using nlohmann::json;

// What the test endpoint sends: a comment, which is valid YAML, so receivers that parse the YAML
// of a shared policy accept it.
constexpr const char* kTestYaml =
    "# netpolgen: a test message; this notifier can receive network policies.\n";

json shownJson(const KnownNotifier& n) {
    json out = json::parse(notify::notifierJson(n.config, notify::Secrets::kRedact));
    out["source"] = n.source == NotifierSource::kFile ? "file" : "api";
    return out;
}

// What every notifier endpoint starts with: no query parameters, and the registry read into
// `out`. The answer to give instead when either fails.
std::optional<ApiResponse> openRegistry(const ServerOptions& options,
                                        const ApiRequest& request,
                                        NotifierRegistry& out) {
    if (auto st = checkParams(request.params, {}); !st) {
        return apiError(400, st.error());
    }
    auto registry = openNotifierRegistry(options);
    if (!registry) {
        return apiError(500, registry.error());
    }
    out = std::move(*registry);
    return std::nullopt;
}

ApiResponse notFound(const std::string& id) {
    return apiError(404, "no notifier \"" + id + "\" (GET /v1/notifiers lists them)");
}

ApiResponse fromFile(const std::string& id) {
    return apiError(409,
                    "notifier \"" + id +
                        "\" comes from the notifier file"
                        " (serve --notifiers): change it there and restart; only notifiers "
                        "created through the API can be changed through it");
}

// The body as a notifier with a valid id. `stored`: the notifier an update replaces.
// The notifier's HTTP destination and the field that names it ("" for e-mail).
std::pair<std::string_view, std::string_view> destination(const notify::NotifierConfig& n) {
    switch (n.type) {
        case notify::NotifierType::kWebhook:
            return {"webhook.url", n.webhook.url};
        case notify::NotifierType::kSlack:
            return {"slack.webhookUrl", n.chat.webhook_url};
        case notify::NotifierType::kTeams:
            return {"teams.webhookUrl", n.chat.webhook_url};
        case notify::NotifierType::kJira:
            return {"jira.url", n.jira.url};
        default:
            return {"", ""};
    }
}

// A notifier of the request body, refused when the sender would refuse it anyway (an http URL):
// the error belongs to the request that configures it, not to the first share.
core::Result<notify::NotifierConfig> bodyNotifier(const ServerOptions& options,
                                                  const ApiRequest& request,
                                                  const notify::NotifierConfig* stored) {
    auto n = notify::parseNotifier(request.body, "body", stored);
    if (!n) {
        return n;
    }
    if (auto st = checkId(n->id, "body: id"); !st) {
        return core::Error{st.error() + " (the id defaults to the name: give an id)"};
    }
    const auto [field, url] = destination(*n);
    if (!field.empty() && !options.send_options.allow_plain_http && url.rfind("https://", 0) != 0) {
        return core::Error{
            "body: " + std::string(field) + ": only https URLs are allowed, got \"" +
            notify::displayUrl(url, field.find("webhookUrl") != std::string_view::npos) +
            "\""};  // a Slack/Teams URL's path is its credential
    }
    return n;
}

}  // namespace

ApiResponse notifiersEndpoint(const ServerOptions& options, const ApiRequest& request) {
    NotifierRegistry registry;
    if (auto refused = openRegistry(options, request, registry)) {
        return *refused;
    }
    json list = json::array();
    for (const KnownNotifier& n : registry.known) {
        list.push_back(shownJson(n));
    }
    return {200, {{"notifiers", std::move(list)}}};
}

ApiResponse notifierEndpoint(const ServerOptions& options, const ApiRequest& request) {
    NotifierRegistry registry;
    if (auto refused = openRegistry(options, request, registry)) {
        return *refused;
    }
    const auto found = findNotifier(registry.known, request.id);
    return found ? ApiResponse{200, shownJson(*found)} : notFound(request.id);
}

ApiResponse createNotifierEndpoint(const ServerOptions& options, const ApiRequest& request) {
    NotifierRegistry registry;
    if (auto refused = openRegistry(options, request, registry)) {
        return *refused;
    }
    auto n = bodyNotifier(options, request, nullptr);
    if (!n) {
        return apiError(400, n.error());
    }
    const auto existing = findNotifier(registry.known, n->id);
    if (existing && existing->source == NotifierSource::kFile) {
        return fromFile(n->id);
    }
    auto created =
        existing ? core::Result<bool>(false) : registry.store->createNotifier(notifierRecord(*n));
    if (!created) {
        return apiError(500, created.error());
    }
    if (!*created) {
        return apiError(
            409, "notifier \"" + n->id + "\" exists: PUT /v1/notifiers/" + n->id + " replaces it");
    }
    return {201, shownJson({*n, NotifierSource::kApi})};
}

ApiResponse updateNotifierEndpoint(const ServerOptions& options, const ApiRequest& request) {
    NotifierRegistry registry;
    if (auto refused = openRegistry(options, request, registry)) {
        return *refused;
    }
    const auto stored = findNotifier(registry.known, request.id);
    if (!stored) {
        return notFound(request.id);
    }
    if (stored->source == NotifierSource::kFile) {
        return fromFile(request.id);
    }
    auto n = bodyNotifier(options, request, &stored->config);
    if (!n) {
        return apiError(400, n.error());
    }
    if (n->id != request.id) {
        return apiError(400,
                        "body: id: \"" + n->id + "\" is not the id of the path \"" + request.id +
                            "\": an id cannot change (create a new notifier and delete this one)");
    }
    // Only over the definition read above: the secrets kept come from it, and another request
    // may have replaced it (with new secrets) or deleted it since.
    auto replaced = registry.store->replaceNotifierIf(notifierRecord(*n), stored->definition);
    if (!replaced) {
        return apiError(500, replaced.error());
    }
    if (*replaced) {
        return {200, shownJson({*n, NotifierSource::kApi})};
    }
    auto now = registry.store->notifiers();
    if (!now) {
        return apiError(500, now.error());
    }
    const bool exists = std::any_of(now->begin(), now->end(), [&](const store::NotifierRecord& r) {
        return r.id == request.id;
    });
    return exists ? apiError(409,
                             "notifier \"" + request.id +
                                 "\" was changed by another request meanwhile: GET it and send "
                                 "the change again")
                  : notFound(request.id);  // deleted by another request meanwhile
}

// Decodes nothing stored: a definition that no longer decodes (written by another version) can
// still be deleted, while listing it fails.
ApiResponse deleteNotifierEndpoint(const ServerOptions& options, const ApiRequest& request) {
    if (auto st = checkParams(request.params, {}); !st) {
        return apiError(400, st.error());
    }
    const auto in_file = [&](const notify::NotifierConfig& n) { return n.id == request.id; };
    if (std::any_of(options.notifiers.begin(), options.notifiers.end(), in_file)) {
        return fromFile(request.id);
    }
    auto store = store::openExistingStoreAt(options.db);
    if (!store) {
        return apiError(500, store.error());
    }
    auto deleted = (*store)->deleteNotifier(request.id);
    if (!deleted) {
        return apiError(500, deleted.error());
    }
    return *deleted ? ApiResponse{200, {{"id", request.id}, {"deleted", true}}}
                    : notFound(request.id);
}

// StackRox's POST /v1/notifiers/test: sends a short message with the notifier of the body, which
// need not be stored. When its id names a known notifier, masked or absent secrets are that
// notifier's (as an update would keep them), so an edited notifier can be tried before saving.
ApiResponse testNotifierEndpoint(const ServerOptions& options, const ApiRequest& request) {
    NotifierRegistry registry;
    if (auto refused = openRegistry(options, request, registry)) {
        return *refused;
    }
    // Only the id is read here, so the paths of a notifier of the file, sent back as GET shows
    // them, pass; bodyNotifier below refuses any other path.
    auto plain = notify::parseStoredNotifier(request.body, "body");
    if (!plain) {
        return apiError(400, plain.error());
    }
    const auto stored = findNotifier(registry.known, plain->id);
    auto n = bodyNotifier(options, request, stored ? &stored->config : nullptr);
    if (!n) {
        return apiError(400, n.error());
    }
    const notify::NotifierResult result =
        notify::Sender(options.send_options).send(*n, request.cluster, kTestYaml);
    if (!result.status) {
        // The notifier's service failed, not the request.
        return {502,
                {{"error", result.status.error()}, {"code", 502}, {"attempts", result.attempts}}};
    }
    return {200, {{"ok", true}, {"attempts", result.attempts}}};
}

}  // namespace netpolgen::server
