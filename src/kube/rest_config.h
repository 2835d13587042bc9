// RestConfig: everything needed to talk to one Kubernetes API server, from a kubeconfig
// (kube/kubeconfig.h) or from inside a pod (kube/in_cluster.h). File contents are read when the
// configuration is loaded (certificates, keys); the token file and the exec plugin are read and
// run later, as credentials are needed (kube/credentials.h).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"

namespace netpolgen::kube {

// kubeconfig `user.exec` (docs/kubernetes-api-client.md §2).
struct ExecConfig {
    std::string api_version;  // client.authentication.k8s.io/v1 or v1beta1
    std::string command;      // resolved against the kubeconfig's directory when it holds a '/'
    std::vector<std::string> args;
    std::vector<std::pair<std::string, std::string>> env;  // added to the client's environment
    std::string interactive_mode;                          // Never, IfAvailable, Always
    bool provide_cluster_info = false;
    std::string install_hint;
};

struct RestConfig {
    std::string server;           // https://host:port[/prefix], no trailing slash
    std::string tls_server_name;  // SNI and the name the server certificate must carry
    std::string ca_pem;           // the CA bundle (PEM); empty: the system's
    bool insecure_skip_tls_verify = false;
    std::string client_cert_pem;
    std::string client_key_pem;
    std::string token;
    std::string token_file;  // re-read as it rotates
    std::optional<ExecConfig> exec;
    // The cluster's extension client.authentication.k8s.io/exec, for the plugin's input (null:
    // none).
    nlohmann::json exec_cluster_config;
    std::string username;  // basic auth (legacy)
    std::string password;
    std::string proxy_url;
    std::string ns = "default";  // the context's namespace
    // Where it came from, for messages: "kubeconfig /home/u/.kube/config, context prod".
    std::string origin;
};

}  // namespace netpolgen::kube
