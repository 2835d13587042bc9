#include "kube/kubeconfig.h"

#include <sys/stat.h>

#include <array>
#include <map>
#include <set>

#include "io/manifest_decoder.h"
#include "io/source_tree.h"
#include "nlohmann/json.hpp"

namespace netpolgen::kube {
namespace {

using core::Error;
using core::Result;
using core::Status;
using io::SourceNode;

// One named entry of a kubeconfig (a cluster, user or context) and the file that defined it.
struct Entry {
    const SourceNode* body = nullptr;  // the `cluster:`, `user:` or `context:` mapping
    std::string file;
    std::string dir;  // of `file`, for relative paths
};

struct Merged {
    std::vector<std::vector<SourceNode>> documents;  // keeps the trees the entries point into
    std::map<std::string, Entry> clusters, users, contexts;
    std::string current_context;
    std::string current_context_file;
};

std::string dirOf(const std::string& file) {
    const size_t slash = file.rfind('/');
    return slash == std::string::npos ? "." : file.substr(0, slash);
}

std::string where(const Entry& e, const SourceNode* node) {
    return e.file + ":" + std::to_string(node != nullptr ? node->line : e.body->line);
}

std::string scalar(const SourceNode* mapping, std::string_view key) {
    if (mapping == nullptr) {
        return {};
    }
    const SourceNode* n = mapping->find(key);
    return n != nullptr && n->isScalar() && !io::isNull(*n) ? n->value : std::string();
}

bool has(const SourceNode* mapping, std::string_view key) {
    return !scalar(mapping, key).empty();
}

// kubeconfig files hold JSON-compatible YAML; an entry's nested `extension` is passed on as JSON.
nlohmann::json toJson(const SourceNode& n) {
    if (n.isMapping()) {
        nlohmann::json j = nlohmann::json::object();
        for (const auto& c : n.children) {
            j[c.key] = toJson(c);
        }
        return j;
    }
    if (n.isSequence()) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& c : n.children) {
            j.push_back(toJson(c));
        }
        return j;
    }
    if (io::isNull(n)) {
        return nullptr;
    }
    if (auto b = io::asBool(n); b && !n.quoted) {
        return *b;
    }
    if (auto i = io::asInteger(n); i && !n.quoted) {
        return *i;
    }
    return n.value;
}

Status addEntries(const SourceNode& doc,
                  std::string_view list_key,
                  std::string_view body_key,
                  const std::string& file,
                  std::map<std::string, Entry>& into) {
    const SourceNode* list = doc.find(list_key);
    if (list == nullptr || io::isNull(*list)) {
        return {};
    }
    if (!list->isSequence()) {
        return Error{file + ":" + std::to_string(list->line) + ": " + std::string(list_key) +
                     " must be a list"};
    }
    for (const SourceNode& item : list->children) {
        const std::string name = scalar(&item, "name");
        const SourceNode* body = item.isMapping() ? item.find(body_key) : nullptr;
        if (name.empty() || body == nullptr || !body->isMapping()) {
            return Error{file + ":" + std::to_string(item.line) + ": " + std::string(list_key) +
                         " entries need a name and a " + std::string(body_key) + " mapping"};
        }
        into.emplace(name, Entry{body, file, dirOf(file)});  // first file wins, whole entry
    }
    return {};
}

Status mergeFile(const std::string& file, Merged& m) {
    auto text = io::readManifestFile(file);
    if (!text) {
        return Error{text.error()};
    }
    auto docs = io::parseDocuments(*text, {});
    if (!docs) {
        return Error{file + ": " + docs.error()};
    }
    m.documents.push_back(std::move(*docs));
    for (const SourceNode& doc : m.documents.back()) {
        if (!doc.isMapping()) {
            return Error{file + ":" + std::to_string(doc.line) + ": not a kubeconfig (a mapping)"};
        }
        for (auto [list_key, body_key, map] :
             std::array{std::tuple{"clusters", "cluster", &m.clusters},
                        std::tuple{"users", "user", &m.users},
                        std::tuple{"contexts", "context", &m.contexts}}) {
            if (Status st = addEntries(doc, list_key, body_key, file, *map); !st) {
                return st;
            }
        }
        if (m.current_context.empty()) {
            m.current_context = scalar(&doc, "current-context");
            m.current_context_file = file;
        }
    }
    return {};
}

bool fileExists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

std::vector<std::string> kubeconfigFiles(const KubeconfigRequest& r) {
    if (!r.explicit_path.empty()) {
        return {r.explicit_path};
    }
    std::vector<std::string> files;
    std::set<std::string> seen;
    size_t start = 0;
    while (start <= r.kubeconfig_env.size() && !r.kubeconfig_env.empty()) {
        size_t colon = r.kubeconfig_env.find(':', start);
        if (colon == std::string::npos) {
            colon = r.kubeconfig_env.size();
        }
        std::string f = r.kubeconfig_env.substr(start, colon - start);
        if (!f.empty() && seen.insert(f).second && fileExists(f)) {
            files.push_back(f);
        }
        start = colon + 1;
    }
    if (r.kubeconfig_env.empty() && !r.home.empty()) {
        files.push_back(r.home + "/.kube/config");
    }
    return files;
}

std::string resolvePath(const Entry& e, const std::string& path) {
    return path.empty() || path[0] == '/' ? path : e.dir + "/" + path;
}

// A PEM from `<key>-data` (base64) or the file `<key>`; both set is client-go's validation error.
Result<std::string> pemOf(const Entry& e, const std::string& key) {
    const std::string data = scalar(e.body, key + "-data");
    const std::string path = scalar(e.body, key);
    if (!data.empty() && !path.empty()) {
        return Error{where(e, e.body->find(key)) + ": " + key + " and " + key +
                     "-data are both set; keep one"};
    }
    if (!data.empty()) {
        auto bytes = decodeBase64(data);
        if (!bytes) {
            return Error{where(e, e.body->find(key + "-data")) + ": " + key +
                         "-data: " + bytes.error()};
        }
        return *bytes;
    }
    if (!path.empty()) {
        auto text = io::readManifestFile(resolvePath(e, path));
        if (!text) {
            return Error{where(e, e.body->find(key)) + ": " + key + ": " + text.error()};
        }
        return *text;
    }
    return std::string();
}

Status readCluster(const Entry& e, RestConfig& cfg) {
    cfg.server = scalar(e.body, "server");
    if (cfg.server.empty()) {
        return Error{where(e, nullptr) + ": cluster has no server"};
    }
    while (!cfg.server.empty() && cfg.server.back() == '/') {
        cfg.server.pop_back();
    }
    cfg.tls_server_name = scalar(e.body, "tls-server-name");
    cfg.proxy_url = scalar(e.body, "proxy-url");
    const SourceNode* insecure = e.body->find("insecure-skip-tls-verify");
    cfg.insecure_skip_tls_verify = insecure != nullptr && io::asBool(*insecure).value_or(false);
    auto ca = pemOf(e, "certificate-authority");
    if (!ca) {
        return Error{ca.error()};
    }
    cfg.ca_pem = std::move(*ca);
    if (cfg.insecure_skip_tls_verify && !cfg.ca_pem.empty()) {
        return Error{where(e, insecure) +
                     ": specifying a root certificates file with the insecure flag is not allowed"};
    }
    if (const SourceNode* ext = e.body->find("extensions"); ext != nullptr && ext->isSequence()) {
        for (const SourceNode& x : ext->children) {
            if (scalar(&x, "name") == "client.authentication.k8s.io/exec" && x.find("extension")) {
                cfg.exec_cluster_config = toJson(*x.find("extension"));
            }
        }
    }
    return {};
}

Result<ExecConfig> readExec(const Entry& e, const SourceNode& exec) {
    ExecConfig x;
    x.api_version = scalar(&exec, "apiVersion");
    x.command = scalar(&exec, "command");
    x.interactive_mode = scalar(&exec, "interactiveMode");
    x.install_hint = scalar(&exec, "installHint");
    const std::string at = where(e, &exec) + ": exec: ";
    if (x.api_version != "client.authentication.k8s.io/v1" &&
        x.api_version != "client.authentication.k8s.io/v1beta1") {
        return Error{at + "apiVersion \"" + x.api_version +
                     "\" is not client.authentication.k8s.io/v1 or v1beta1"};
    }
    if (x.command.empty()) {
        return Error{at + "command is required"};
    }
    if (x.interactive_mode.empty()) {
        if (x.api_version == "client.authentication.k8s.io/v1") {
            return Error{at + "interactiveMode must be specified for v1"};
        }
        x.interactive_mode = "IfAvailable";
    }
    if (x.command.find('/') != std::string::npos) {
        x.command = resolvePath(e, x.command);
    }
    if (const SourceNode* args = exec.find("args"); args != nullptr && args->isSequence()) {
        for (const SourceNode& a : args->children) {
            x.args.push_back(a.value);
        }
    }
    if (const SourceNode* env = exec.find("env"); env != nullptr && env->isSequence()) {
        for (const SourceNode& v : env->children) {
            x.env.emplace_back(scalar(&v, "name"), scalar(&v, "value"));
        }
    }
    const SourceNode* info = exec.find("provideClusterInfo");
    x.provide_cluster_info = info != nullptr && io::asBool(*info).value_or(false);
    return x;
}

Status readUser(const Entry& e, RestConfig& cfg) {
    auto cert = pemOf(e, "client-certificate");
    if (!cert) {
        return Error{cert.error()};
    }
    auto key = pemOf(e, "client-key");
    if (!key) {
        return Error{key.error()};
    }
    if (cert->empty() != key->empty()) {
        return Error{where(e, nullptr) +
                     ": a client certificate needs a client key and the other way round"};
    }
    cfg.client_cert_pem = std::move(*cert);
    cfg.client_key_pem = std::move(*key);
    cfg.token = scalar(e.body, "token");
    if (has(e.body, "tokenFile")) {
        cfg.token_file = resolvePath(e, scalar(e.body, "tokenFile"));
    }
    cfg.username = scalar(e.body, "username");
    cfg.password = scalar(e.body, "password");
    if (!cfg.token.empty() && (!cfg.username.empty() || !cfg.password.empty())) {
        return Error{where(e, nullptr) +
                     ": more than one authentication method found (token and "
                     "basic auth)"};
    }
    const SourceNode* exec = e.body->find("exec");
    const SourceNode* provider = e.body->find("auth-provider");
    if (provider != nullptr && !io::isNull(*provider)) {
        return Error{where(e, provider) + ": auth-provider \"" + scalar(provider, "name") +
                     "\" is not supported (client-go removed them); use an exec credential "
                     "plugin (user.exec)"};
    }
    if (exec != nullptr && !io::isNull(*exec)) {
        auto x = readExec(e, *exec);
        if (!x) {
            return Error{x.error()};
        }
        cfg.exec = std::move(*x);
    }
    return {};
}

}  // namespace

Result<RestConfig> loadKubeconfig(const KubeconfigRequest& request) {
    const std::vector<std::string> files = kubeconfigFiles(request);
    if (files.empty()) {
        return Error{"no kubeconfig: none of the files in KUBECONFIG exists"};
    }
    Merged m;
    for (const std::string& f : files) {
        if (Status st = mergeFile(f, m); !st) {
            return Error{st.error()};
        }
    }
    const std::string list = files.size() == 1 ? files[0] : "KUBECONFIG " + request.kubeconfig_env;
    const std::string context = request.context.empty() ? m.current_context : request.context;
    if (context.empty()) {
        return Error{list + ": no current-context; pass --context NAME"};
    }
    auto ctx = m.contexts.find(context);
    if (ctx == m.contexts.end()) {
        return Error{list + ": context \"" + context + "\" does not exist"};
    }
    const std::string cluster = scalar(ctx->second.body, "cluster");
    const std::string user = scalar(ctx->second.body, "user");
    auto cl = m.clusters.find(cluster);
    if (cl == m.clusters.end()) {
        return Error{where(ctx->second, nullptr) + ": context \"" + context + "\": cluster \"" +
                     cluster + "\" does not exist"};
    }
    RestConfig cfg;
    cfg.origin = "kubeconfig " + list + ", context " + context;
    if (Status st = readCluster(cl->second, cfg); !st) {
        return Error{st.error()};
    }
    if (!user.empty()) {
        auto us = m.users.find(user);
        if (us == m.users.end()) {
            return Error{where(ctx->second, nullptr) + ": context \"" + context + "\": user \"" +
                         user + "\" does not exist"};
        }
        if (Status st = readUser(us->second, cfg); !st) {
            return Error{st.error()};
        }
    }
    const std::string ns = scalar(ctx->second.body, "namespace");
    if (!ns.empty()) {
        cfg.ns = ns;
    }
    return cfg;
}

Result<RestConfig> inClusterConfig(const std::string& service_host,
                                   const std::string& service_port,
                                   const std::string& account_dir) {
    if (service_host.empty() || service_port.empty()) {
        return Error{
            "not running in a cluster: KUBERNETES_SERVICE_HOST and "
            "KUBERNETES_SERVICE_PORT must be set (--in-cluster)"};
    }
    RestConfig cfg;
    const bool v6 = service_host.find(':') != std::string::npos;
    cfg.server = "https://" + (v6 ? "[" + service_host + "]" : service_host) + ":" + service_port;
    cfg.token_file = account_dir + "/token";
    auto ca = io::readManifestFile(account_dir + "/ca.crt");
    if (!ca) {
        return Error{"--in-cluster: " + ca.error()};
    }
    cfg.ca_pem = std::move(*ca);
    if (auto ns = io::readManifestFile(account_dir + "/namespace"); ns && !ns->empty()) {
        cfg.ns = *ns;
        while (!cfg.ns.empty() && (cfg.ns.back() == '\n' || cfg.ns.back() == ' ')) {
            cfg.ns.pop_back();
        }
    }
    cfg.origin = "in-cluster service account " + account_dir;
    return cfg;
}

Result<std::string> decodeBase64(const std::string& text) {
    std::string out;
    uint32_t buffer = 0;
    int bits = 0;
    size_t padding = 0;
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        int v = -1;
        if (c >= 'A' && c <= 'Z') {
            v = c - 'A';
        } else if (c >= 'a' && c <= 'z') {
            v = c - 'a' + 26;
        } else if (c >= '0' && c <= '9') {
            v = c - '0' + 52;
        } else if (c == '+') {
            v = 62;
        } else if (c == '/') {
            v = 63;
        } else if (c == '=') {
            ++padding;
            continue;
        } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
            continue;
        }
        if (v < 0 || padding > 0) {
            return Error{"not base64"};
        }
        buffer = (buffer << 6) | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
        }
    }
    if (padding > 2 || bits >= 6) {
        return Error{"not base64"};
    }
    return out;
}

std::string encodeBase64(const std::string& bytes) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const uint32_t n = (uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                           (uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                           static_cast<unsigned char>(bytes[i + 2]);
        for (int s = 18; s >= 0; s -= 6) {
            out.push_back(kAlphabet[(n >> s) & 63]);
        }
    }
    if (i < bytes.size()) {
        uint32_t n = uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
        if (i + 1 < bytes.size()) {
            n |= uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
        }
        out.push_back(kAlphabet[(n >> 18) & 63]);
        out.push_back(kAlphabet[(n >> 12) & 63]);
        out.push_back(i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=');
        out.push_back('=');
    }
    return out;
}

}  // namespace netpolgen::kube
